"""The specification's own commands and client examples against the real
daemons: a domain and an account made with its exact command lines, its
smtplib example (587, STARTTLS, login, sendmail) and imaplib example (993,
search ALL); the same mailbox over POP3S 995 and IMAP 143 after STARTTLS;
a Sieve script uploaded over ManageSieve 4190 that files a message into
another folder; a new account that receives mail and logs in within 2
seconds of the command returning. The spec's account keeps webstack's
default password scheme (ARGON2ID)."""
import imaplib
import os
import pwd
import smtplib
import socket
import ssl
import stat
import subprocess
import time

import tap
import wslib as w
from tap import ok, eq, diag

USER, PASSWORD = "user@example.com", "password123"

r = w.setup(fast_hash=False)
tap.ok("self-signed" in r.out + r.err, "setup says it made a self-signed certificate",
       r.out + r.err)

# ---- the specification's commands, exactly ------------------------------
w.expect(0, "mail", "add", "domain", "example.com")
w.expect(0, "mail", "add", "account", USER, PASSWORD)
usable, waited = w.wait_usable(USER)
ok(usable, "the account is usable within 5 s of the command")
diag("usable %.2f s after the command returned" % waited)
r = w.expect(0, "mail", "list", "accounts")
ok(USER in r.out.split(), "list accounts shows %s" % USER, r.out)
r = w.expect(0, "mail", "list", "domains")
ok("example.com" in r.out.split(), "list domains shows example.com", r.out)

# ---- what the specification says about files -----------------------------
vmail = pwd.getpwnam("vmail")
if not w.PGSQL:
    with open("/etc/dovecot/users") as f:
        line = next((l.rstrip("\n") for l in f if l.startswith(USER + ":")), "")
    fields = line.split(":")
    ok(len(fields) == 8 and fields[1].startswith("{ARGON2ID}")
       and fields[2:] == [str(vmail.pw_uid), str(vmail.pw_gid), "",
                          "/var/mail/vhosts/example.com/user", "", ""],
       "users line: address:{ARGON2ID}hash:uid:gid::home::", line)
    ok(PASSWORD not in open("/etc/dovecot/users").read(), "no clear password in users")
else:
    # The same facts from the account's row and Dovecot's sql userdb.
    _, row, _ = w.db.psql_as("webstack", "SELECT local, domain, password FROM ws_accounts "
                             "WHERE address = '%s';" % USER)
    fields = row.split("|")
    ok(fields[:2] == ["user", "example.com"] and fields[-1].startswith("{ARGON2ID}"),
       "the account's row: local part, domain, {ARGON2ID}hash", row)
    r = subprocess.run(["doveadm", "user", USER], capture_output=True, text=True)
    got = dict(l.split("\t", 1) for l in r.stdout.splitlines() if "\t" in l)
    eq({k: got.get(k) for k in ("uid", "gid", "home")},
       {"uid": str(vmail.pw_uid), "gid": str(vmail.pw_gid),
        "home": "/var/mail/vhosts/example.com/user"}, "Dovecot's userdb: uid, gid, home")
    ok(PASSWORD not in repr(w.db.tables()), "no clear password in the database")
st = os.stat(w.MAIL_ROOT)
eq(oct(stat.S_IMODE(st.st_mode)), "0o755", "/var/mail/vhosts is 0755")
for sub in ("", "new", "cur", "tmp"):
    p = os.path.join(w.maildir(USER), sub)
    try:
        st = os.stat(p)
        got = (oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid)
    except OSError as e:
        got = str(e)
    eq(got, ("0o700", vmail.pw_uid, vmail.pw_gid), "%s is 0700 vmail" % p)
st = os.stat("/etc/webstack/tls/key.pem")
eq(oct(stat.S_IMODE(st.st_mode)), "0o600", "TLS key is 0600")


def cert_verifies():
    ctx = ssl.create_default_context(cafile=w.TLS_CERT)
    with socket.create_connection(("127.0.0.1", 993), w.TIMEOUT) as s:
        with ctx.wrap_socket(s, server_hostname=w.HOST) as t:
            return t.version()


tap.attempt("the self-signed certificate verifies for %s on 993" % w.HOST, cert_verifies)

# ---- the spec's smtplib example ---------------------------------------------
token = "spec-" + os.urandom(6).hex()


def spec_smtp():
    server = smtplib.SMTP("localhost", 587)
    server.starttls()
    server.login(USER, PASSWORD)
    server.sendmail(USER, USER, "Subject: %s\r\n\r\nmessage %s\r\n" % (token, token))
    server.quit()


tap.attempt("spec smtplib example: 587, STARTTLS, login, sendmail", spec_smtp)


# ---- the spec's imaplib example, polling for delivery -----------------------
# The spec's example searches right after login; IMAP needs a SELECT first.
def spec_imap():
    server = imaplib.IMAP4_SSL("localhost", 993)
    server.login(USER, PASSWORD)
    server.select()
    status, messages = server.search(None, 'ALL')
    found = []
    if status == "OK" and messages[0]:
        status, data = server.fetch(b",".join(messages[0].split()), "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        found = [d[1] for d in data if isinstance(d, tuple) and token.encode() in d[1]]
    server.logout()
    return found


def poll_imap():
    try:
        return spec_imap()
    except Exception:
        return []


found, waited = w.wait_for(poll_imap, w.DELIVERY_TIMEOUT, 0.2)
ok(found, "spec imaplib example: IMAP4_SSL 993, login, search ALL finds the message")
diag("delivered and found over IMAPS after %.2f s" % waited)


def pop3s():
    c = w.pop(995, "localhost")
    c.user(USER)
    c.pass_(PASSWORD)
    count, _ = c.stat()
    texts = [b"\n".join(c.retr(i)[1]) for i in range(1, count + 1)]
    c.quit()
    return any(token.encode() in t for t in texts)


tap.attempt("POP3S 995 reads the same message", pop3s)


def imap143():
    c = w.imap(143, "localhost", starttls=True, login=(USER, PASSWORD))
    c.select("INBOX", readonly=True)
    typ, data = c.search(None, "SUBJECT", '"%s"' % token)
    c.logout()
    return typ == "OK" and data[0]


tap.attempt("IMAP 143 after STARTTLS reads the same message", imap143)

# ---- ManageSieve and Sieve on delivery --------------------------------------
SCRIPT = ('require ["fileinto", "mailbox"];\r\n'
          'if header :contains "subject" "sieve-me" {\r\n'
          '  fileinto :create "Filtered";\r\n}\r\n')
try:
    ms = w.ManageSieve("localhost")
    ok("STARTTLS" in " ".join(ms.capabilities), "ManageSieve offers STARTTLS",
       ms.capabilities)
    for desc, step in (("STARTTLS", ms.starttls),
                       ("AUTHENTICATE PLAIN", lambda: ms.authenticate(USER, PASSWORD)),
                       ("PUTSCRIPT", lambda: ms.putscript("webstack-test", SCRIPT)),
                       ("SETACTIVE", lambda: ms.setactive("webstack-test"))):
        status, lines = step()
        eq(status, "OK", "ManageSieve %s" % desc)
        if status != "OK":
            diag(lines)
    status, lines = ms.listscripts()
    ok(any('"webstack-test" ACTIVE' in l for l in lines), "the script is active", lines)
    ms.logout()
except Exception as e:
    ok(False, "ManageSieve session on 4190", "%s: %s" % (type(e).__name__, e))

sieve_tok = w.send(USER, USER, subject="sieve-me", port=587, login=(USER, PASSWORD))
path, waited = w.wait_delivery(USER, sieve_tok, folder="Filtered")
ok(path, "the Sieve script filed the message into Filtered (Maildir)")
ok(w.succeeds(w.imap_search, USER, PASSWORD, sieve_tok, "Filtered")
   and w.imap_search(USER, PASSWORD, sieve_tok, "Filtered"),
   "IMAP sees it in folder Filtered")
ok(not w.find_in_maildir(USER, sieve_tok), "and not in INBOX")

# ---- a new account works within 2 seconds of the command returning --------
# Mail sent as soon as Postfix accepts the address must be delivered, not
# bounced, even when Dovecot has just read its users file (a busy server).
NEW = ("fresh@example.com", "fresh-pass-1")


def rcpt_accepted():
    s = w.smtp(25)
    try:
        w.cmd(s, "MAIL FROM:<someone@elsewhere.test>")
        return w.cmd(s, "RCPT TO:<%s>" % NEW[0])[0] == 250
    finally:
        s.quit()


w.lookup_first(USER)
w.expect(0, "mail", "add", "account", *NEW)
t0 = time.monotonic()
accepted, t_rcpt = w.wait_for(lambda: w.succeeds(rcpt_accepted) and rcpt_accepted(), 2)
ok(accepted, "port 25 accepts mail for the new account within 2 s")
diag("new account: RCPT accepted %.2f s after the command returned" % t_rcpt)
tok = w.send("someone@elsewhere.test", NEW[0])
path, _ = w.wait_delivery(NEW[0], tok)
ok(path, "mail sent as soon as it was accepted is delivered")
diag("delivered %.2f s after the command returned" % (time.monotonic() - t0))
# Logging in is checked once, 2 s after the command returned: a failed
# attempt would cost a 2 s delay and leave a negative auth cache entry
# (lifecycle.test checks that case).
w.sleep_until(t0 + 2)
ok(w.imap_login_ok(*NEW), "the new account logs in over IMAPS 2 s later")

tap.done()
