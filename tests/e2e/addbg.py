"""`mail add account` without --wait: it appends the account and returns,
and its background work (a process of its own, after the lock is free)
waits until Dovecot serves the account and only then puts the address
into Postfix's maps. Checked against the real daemons:

- twenty accounts added back to back each return at once (times printed);
- each becomes usable within 5 s: in Postfix's map, delivered to, logs in;
- the order holds: whenever Postfix's map has a new address, Dovecot
  already knows the user (a userdb lookup at that moment succeeds);
- nothing bounces, the queue empties, no background failure is logged,
  no pending file is left, and `mail check` finds everything in step;
- an account deleted right after it was added, before its background
  work ran, stays out of Postfix's map (the work finds its pending entries
  gone with the whole compile the delete made);
- an add and a delete that brings the users file back to its old size,
  in one second, are still seen by Dovecot;
- a failed background run (its pending file left behind, older than a
  minute) makes the map stale: the next add falls back to publishing the
  whole directory and the map gets both addresses.

With the directory in PostgreSQL the add is one row and Postfix and
Dovecot both look it up there (wslib.in_map asks Postfix's pgsql: table):
the same checks hold, except those about the users file's size and the
pending files of a background run, which that backend does not have; in
their place, an added account is in both lookups as the command returns."""
import glob
import os
import subprocess
import time

import tap
import wslib as w
from tap import ok, eq, diag

DOMAIN = "example.com"
N = 20


def pending():
    return glob.glob("/etc/postfix/*.ws-pending-*")


w.setup(fast_hash=True)
w.expect(0, "mail", "add", "domain", DOMAIN)

# ---- back to back ---------------------------------------------------------------
accounts = [("bg%02d@%s" % (i, DOMAIN), "bg-pass-%04d" % i) for i in range(N)]
times = []
for a in accounts:
    r = w.ws("mail", "add", "account", *a)
    times.append(r.seconds)
    ok(r.rc == 0, "add account %s exits 0" % a[0], None if r.rc == 0 else r)
times.sort()
diag("add account, back to back: median %.1f ms, max %.1f ms"
     % (1000 * times[N // 2], 1000 * times[-1]))

# Watch the maps: the moment an address is in, Dovecot must know the user.
seen, early = set(), []
deadline = time.monotonic() + 10
while len(seen) < N and time.monotonic() < deadline:
    for a, _ in accounts:
        if a not in seen and w.in_map(a):
            seen.add(a)
            if not w.lookup(a):
                early.append(a)
    time.sleep(0.02)
eq(len(seen), N, "every address reaches Postfix's map within 10 s")
eq(early, [], "none before Dovecot serves the account")

tokens = {a: w.send("someone@elsewhere.test", a) for a, _ in accounts}
missing = [a for a, t in tokens.items() if not w.wait_delivery(a, t)[0]]
eq(missing, [], "mail sent to each is delivered")
ok(all(w.imap_login_ok(*a) for a in accounts[:3]), "the first three log in over IMAPS")
ok(w.queue_empty(30), "the mail queue is empty")
log = w.syslog()
eq(log.count("status=bounced"), 0, "no bounce in the mail log")
eq(w.background_failures(log), [], "no background failure in the log")
eq(pending(), [], "no pending map file is left")
w.expect(0, "mail", "check", desc="mail check finds everything in step")

# ---- deleted before its background work ran ----------------------------------
GONE = ("gone@" + DOMAIN, "gone-pass-01")
w.lookup_first(accounts[0][0])	# Dovecot re-reads only in the next second
w.expect(0, "mail", "add", "account", *GONE)
w.expect(0, "mail", "del", "account", "--purge", GONE[0])
ok(w.wait_background(), "the background work of both has finished")
ok(not w.in_map(GONE[0]), "an account deleted at once stays out of the map")
ok(not w.in_map(GONE[0], "sender_login"), "and out of sender_login")
eq(pending(), [], "no pending map file is left")

# ---- an add, then a delete back to the old size, in one second ----------------
# Early in a second: an add (Dovecot reads the file at once, for its
# background wait), a second add (Dovecot does not read again in that
# second), and a delete of the first: the users file is back to the size
# Dovecot read, in the same second. Dovecot must still notice the change
# (the file's mtime second moves on at every change).
OLD, NEW = ("ab01@" + DOMAIN, "ab01-pass-01"), ("ab02@" + DOMAIN, "ab02-pass-02")
w.next_second()
start = time.time()
w.expect(0, "mail", "add", "account", *OLD)
size = None if w.PGSQL else os.stat("/etc/dovecot/users").st_size
w.expect(0, "mail", "add", "account", *NEW)
began = time.time()
w.expect(0, "mail", "del", "account", "--purge", OLD[0])
diag("the two adds and the delete began within %s second"
     % ("one" if int(began) == int(start) else "more than one"))
if w.PGSQL:
    tap.skip("(the users file has its old size again)", "no users file under pgsql")
else:
    eq(os.stat("/etc/dovecot/users").st_size, size, "(the users file has its old size again)")
ok(w.wait_background(), "the background work has finished")
ok(w.lookup(NEW[0]) and not w.lookup(OLD[0]),
   "Dovecot serves the new account and no longer the deleted one")

# ---- a background run that failed ------------------------------------------------
if w.PGSQL:
    NOW = ("now@" + DOMAIN, "now-pass-01")
    w.expect(0, "mail", "add", "account", *NOW)
    ok(w.in_map(NOW[0]) and w.lookup(NOW[0]),
       "under pgsql an added account is in Postfix's and Dovecot's lookups as the "
       "command returns")
    eq(pending(), [], "and leaves no pending map file")
    tap.skip("a failed background run makes the next add compile the maps whole",
             "no background work and no map under pgsql")
    w.expect(0, "mail", "check", desc="mail check finds everything in step")
    tap.done()
STUCK = ("stuck@" + DOMAIN, "stuck-pass-1")
LATER = ("later@" + DOMAIN, "later-pass-1")
w.lookup_first(accounts[0][0])
r = w.expect(0, "mail", "add", "account", *STUCK)
# Freeze the pending files as the background run would find them if it had
# died: a copy, dated two minutes back, after the run removed the original.
snap = {p: open(p).read() for p in pending()}
ok(snap, "the add left pending map files for its background run", sorted(snap))
w.wait_usable(STUCK[0])
old = time.time() - 120
for p, text in snap.items():
    with open(p, "w") as f:
        f.write(text)
    os.utime(p, (old, old))
subprocess.run(["postmap", "-d", STUCK[0], "lmdb:/etc/postfix/vmailbox"], check=True)
ok(not w.in_map(STUCK[0]), "(the map lost the entry, as if the run never put it)")
w.expect(0, "mail", "add", "account", "--wait", *LATER)
ok(w.in_map(STUCK[0]) and w.in_map(LATER[0]),
   "the next add compiles the stale map whole: both addresses are in it")
eq(pending(), [], "and the old pending files are gone")
w.expect(0, "mail", "check", desc="mail check finds everything in step")

tap.done()
