"""Domains, accounts and aliases over their life: setup converges, aliases
deliver to every local target, every command run twice converges or fails
with its documented exit status, bad input fails before anything changes
(files byte-identical), --dry-run changes nothing, deleted accounts are
refused at RCPT time, passwd takes effect within 2 s (auth cache included),
Maildirs are kept or purged as asked, changes do not cut open connections,
and `mail status` reports a stopped daemon."""
import json
import os
import pwd
import stat
import subprocess
import time

import tap
import wslib as w
from tap import ok, eq, diag

A = ("a@example.com", "a-pass-0001")
B = ("b@example.com", "b-pass-0001")
C = ("c@example.org", "c-pass-0001")
TEAM = "team@example.com"
spare_ip = iter("192.0.2.%d" % i for i in range(100, 200))


def unchanged(desc, before, after=None):
    after = after or w.tree_digest()
    return ok(before == after, desc, w.digest_diff(before, after))


def pids():
    return {name: open(path).read().split()[0] if os.path.exists(path) else None
            for name, path in (("postfix", "/var/spool/postfix/pid/master.pid"),
                               ("dovecot", "/run/dovecot/master.pid"))}


def rcpt(address, host=w.PUB4):
    """Port 25 from outside: (code, text) of RCPT TO:<address>."""
    s = w.smtp(25, host)
    try:
        w.cmd(s, "MAIL FROM:<sender@remote.test>")
        return w.cmd(s, "RCPT TO:<%s>" % address)
    finally:
        s.quit()


# ---- setup converges -----------------------------------------------------
w.setup()
before, running = w.tree_digest(), pids()
r = w.expect(0, "mail", "setup", desc="a second mail setup")
unchanged("a second setup changes no file", before)
eq(pids(), running, "and restarts no daemon")
diag("second setup said: " + (r.out + r.err).strip())
r = w.expect(0, "--dry-run", "mail", "setup")
ok(not any(l.startswith(("+++", "---", "@@")) for l in r.out.splitlines()),
   "--dry-run setup then shows no diff", r.out)

# Sessions opened now must survive every change below (reloads, no restarts).
imap_session = w.imap(993)
smtp_session = w.smtp(25)

# ---- domains, accounts, lists -----------------------------------------------------
for args in (("add", "domain", "example.com"), ("add", "domain", "example.org"),
             ("add", "account", "--wait") + A, ("add", "account", "--wait") + B,
             ("add", "account", "--wait") + C):
    w.expect(0, "mail", *args)
vmail = pwd.getpwnam("vmail")
for acct in (A, B, C):
    st = os.stat(w.maildir(acct[0]))
    ok(stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == vmail.pw_uid
       and all(os.path.isdir(os.path.join(w.maildir(acct[0]), d)) for d in ("new", "cur", "tmp")),
       "Maildir of %s: new/cur/tmp, 0700, vmail" % acct[0], oct(st.st_mode))
r = w.expect(0, "mail", "list", "accounts", "example.com")
eq(sorted(r.out.split()), [A[0], B[0]], "list accounts example.com")
r = w.expect(0, "--json", "mail", "list", "accounts")
try:
    text = json.dumps(json.loads(r.out))
    ok(all(x[0] in text for x in (A, B, C)), "--json list accounts parses and lists all", r.out)
except ValueError as e:
    ok(False, "--json list accounts parses", "%s: %r" % (e, r.out))
r = w.expect(0, "--json", "mail", "list", "domains")
try:
    text = json.dumps(json.loads(r.out))
    ok("example.com" in text and "example.org" in text, "--json list domains", r.out)
except ValueError as e:
    ok(False, "--json list domains parses", "%s: %r" % (e, r.out))

# ---- aliases ------------------------------------------------------------------------
w.expect(0, "mail", "add", "alias", TEAM, "%s,%s" % (A[0], B[0]))
w.expect(0, "mail", "add", "alias", "fwd@example.com", "someone@external.test")
r = w.expect(0, "mail", "list", "aliases", "example.com")
ok(TEAM in r.out and A[0] in r.out and B[0] in r.out and "someone@external.test" in r.out,
   "list aliases shows both aliases and their targets", r.out)
tok = w.send("sender@remote.test", TEAM)
for acct in (A, B):
    ok(w.wait_delivery(acct[0], tok)[0], "mail to %s lands in %s" % (TEAM, acct[0]))

# ---- every command twice: the second run converges or fails cleanly ----------------
TWICE = [  # (args, exit status of the second run)
    (("add", "domain", "example.net"), 0),
    (("add", "account", "d@example.net", "d-pass-0001"), 73),
    (("add", "alias", "list@example.net", "d@example.net"), 0),
    (("del", "alias", "list@example.net"), 67),
    (("del", "account", "d@example.net"), 67),
    (("del", "domain", "example.net"), 67),
]
for args, second in TWICE:
    w.expect(0, "mail", *args)
    w.wait_background()	# add account finishes its maps after it returns
    before = w.tree_digest()
    r = w.expect(second, "mail", *args, desc="again: webstack mail " + " ".join(args))
    unchanged("and changes nothing", before)
    if second:
        ok(r.err.strip(), "and says why", r)
    diag("second run said: " + (r.out + r.err).strip())

# ---- bad input fails with its exit status and touches nothing -------------------------
BAD = [
    (65, ("add", "account", "a:b@example.com", "pass-word-1")),
    (65, ("add", "account", "x@example.com\nroot@example.com", "pass-word-1")),
    (65, ("add", "account", "../x@example.com", "pass-word-1")),
    (65, ("add", "account", "x@example.com", "short")),
    (67, ("add", "account", "x@unknown.test", "pass-word-1")),
    (65, ("add", "domain", "exa mple.com")),
    (65, ("add", "domain", "..")),
    (65, ("add", "domain", "[192.0.2.1]")),
    (65, ("add", "domain", w.HOST)),
    (67, ("add", "alias", "x@example.com", "nobody@example.com")),
    (67, ("add", "alias", "x@unknown.test", A[0])),
    (73, ("add", "alias", A[0], B[0])),
    (65, ("add", "alias", TEAM, TEAM)),
    (65, ("add", "alias", "x@example.com", "a:b@example.com")),
    (67, ("passwd", "nobody@example.com", "pass-word-1")),
    (67, ("del", "account", "nobody@example.com")),
    (67, ("del", "alias", "nobody@example.com")),
    (67, ("del", "domain", "unknown.test")),
    (64, ("add", "frobnicate", "x")),
]
for rc, args in BAD:
    before = w.tree_digest()
    r = w.expect(rc, "mail", *args, desc="mail %s" % " ".join(map(repr, args)))
    unchanged("and leaves every file byte-identical", before)

# ---- --dry-run -------------------------------------------------------------------------
for args in (("add", "account", "dry@example.com", "dry-pass-01"),
             ("del", "domain", "example.org", "--force"),
             ("passwd", A[0], "dry-pass-01"),
             ("add", "alias", "dry@example.com", A[0])):
    before = w.tree_digest()
    r = w.expect(0, "--dry-run", "mail", *args)
    diag(*r.out.splitlines()[:20])
    unchanged("and --dry-run changes nothing", before)
r = w.ws("--dry-run", "mail", "add", "account", "dry@example.com", "dry-pass-01")
ok("dry@example.com" in r.out, "--dry-run add account shows the change", r)

# ---- del domain ----------------------------------------------------------------------------
before = w.tree_digest()
r = w.expect(65, "mail", "del", "domain", "example.org", desc="del domain with an account left")
unchanged("refuses and changes nothing", before)
w.expect(0, "mail", "del", "domain", "example.org", "--force")
r = w.ws("mail", "list", "domains")
ok("example.org" not in r.out, "the domain is gone", r.out)
code, text = rcpt(C[0])
ok(code >= 500, "RCPT to an account of the deleted domain is refused", "%d %s" % (code, text))
ok(os.path.isdir(w.maildir(C[0])), "its Maildir is kept")

# ---- del account ---------------------------------------------------------------------------
w.expect(0, "mail", "del", "account", B[0])
t0 = time.monotonic()
refusal, waited = w.wait_for(lambda: rcpt(B[0])[0] >= 500 and rcpt(B[0]), 2, 0.1)
ok(refusal, "after del account, RCPT to it is refused with 5xx", rcpt(B[0]))
diag("refused after %.2f s: %s" % (waited, refusal))
ok(os.path.isdir(w.maildir(B[0])), "without --purge the Maildir is kept")
w.sleep_until(t0 + 2)
ok(not w.imap_login_ok(*B, src=next(spare_ip)), "the deleted account cannot log in")
r = w.ws("mail", "list", "aliases")
ok(B[0] not in r.out, "the alias no longer forwards to it", r.out)
tok = w.send("sender@remote.test", TEAM)
ok(w.wait_delivery(A[0], tok)[0], "the alias still delivers to the remaining target")

P = ("p@example.com", "p-pass-0001")
w.lookup_first(A[0])
w.expect(0, "mail", "add", "account", "--wait", *P)
tok = w.send("sender@remote.test", P[0])
ok(w.wait_delivery(P[0], tok)[0], "%s received a message sent right after add --wait" % P[0])
w.expect(0, "mail", "del", "account", P[0], "--purge")
ok(not os.path.exists(w.maildir(P[0])), "del account --purge removes the Maildir")
ok(os.path.isdir(w.maildir(A[0])), "and only that one")

# ---- passwd: the old password fails and the new works within 2 s -------------------------
ok(w.imap_login_ok(*A), "%s logs in with the old password (now cached)" % A[0])
w.lookup_first(A[0])
w.expect(0, "mail", "passwd", A[0], "a-pass-0002")
t0 = time.monotonic()
w.sleep_until(t0 + 2)
for password, works in ((A[1], False), ("a-pass-0002", True)):
    eq(w.imap_login_ok(A[0], password, src=next(spare_ip)), works,
       "2 s later, password %s %s" % (password, "works" if works else "fails"))

# Harder: in one second, a change that Dovecot reads (the first lookup in
# that second), then two more changes of the same size (Dovecot compares
# mtime and size with the copy it read).
w.next_second()
w.expect(0, "mail", "passwd", A[0], "a-pass-0003")
w.lookup(A[0])
w.expect(0, "mail", "passwd", A[0], "a-pass-0004", desc="a second passwd in that second")
w.expect(0, "mail", "passwd", "--password-stdin", A[0], input="a-pass-0005\n",
         desc="a third (--password-stdin)")
t0 = time.monotonic()
if not w.PGSQL:
    diag("users file mtime %s, now %s" % (os.stat("/etc/dovecot/users").st_mtime, time.time()))
w.sleep_until(t0 + 2)
for password, works in (("a-pass-0003", False), ("a-pass-0004", False),
                        ("a-pass-0005", True)):
    eq(w.imap_login_ok(A[0], password, src=next(spare_ip)), works,
       "2 s later, password %s %s" % (password, "works" if works else "fails"))
A = (A[0], "a-pass-0005")

# ---- an account that failed to log in before it existed ------------------------------------
LATE = ("late@example.com", "late-pass-01")
ok(not w.imap_login_ok(*LATE, src=next(spare_ip)), "a login before the account exists fails")
w.lookup_first(A[0])
w.expect(0, "mail", "add", "account", *LATE)
t0 = time.monotonic()
w.sleep_until(t0 + 2)
ok(w.imap_login_ok(*LATE, src=next(spare_ip)),
   "2 s after add account it logs in (no stale negative cache)")

# ---- the sessions opened before all those changes are still up ----------------------------
ok(w.succeeds(imap_session.noop), "an IMAP session opened before the changes is still up")
ok(w.succeeds(smtp_session.noop) and smtp_session.noop()[0] == 250,
   "an SMTP session opened before the changes is still up")
for s in (imap_session, smtp_session):
    try:
        s.close()
    except Exception:
        pass

# ---- mail status ------------------------------------------------------------------------------


def status_json(rc):
    """mail status --json: checks the exit status, returns the parsed JSON."""
    r = w.expect(rc, "--json", "mail", "status")
    try:
        return json.loads(r.out)
    except ValueError as e:
        ok(False, "mail status --json parses", "%s: %r" % (e, r.out))


r = w.expect(0, "mail", "status")
diag(r.out)
ok(status_json(0) is not None, "its JSON parses")
subprocess.run(["doveadm", "stop"], capture_output=True)
w.wait_for(lambda: not os.path.exists("/run/dovecot/master.pid"), 10)
r = w.expect(69, "mail", "status", desc="once Dovecot is stopped, mail status")
ok("dovecot" in r.out.lower() + r.err.lower(), "and names Dovecot", r)
doc = status_json(69)
ok(doc is not None and "dovecot" in json.dumps(doc).lower(), "its JSON parses and names Dovecot",
   doc)

tap.done()
