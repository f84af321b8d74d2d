"""`webstack mail check [--repair]` against a real server: in step after
setup, it exits 0 and changes nothing. Then the test breaks things behind
webstack's back: a Maildir's cur/ removed, the users file's mode widened,
a line dropped from vmailbox, the compiled vmailbox map made older than
its source, and an orphan Maildir made. check names each of them and exits
1 without writing; --dry-run --repair writes nothing either; --repair
fixes every derived thing (the orphan is kept and still reported, so it
exits 1), after which check finds only the orphan and mail reaches the
repaired account."""
import os
import shutil
import stat
import subprocess

import tap
import wslib as w
from tap import ok, eq

ALICE = ("alice@example.com", "alice-pw-123")
BOB = ("bob@example.com", "bob-pw-123")
USERS = "/etc/dovecot/users"
VMAILBOX = "/etc/postfix/vmailbox"

w.setup()
w.expect(0, "mail", "add", "domain", "example.com")
w.expect(0, "mail", "add", "account", "--wait", *ALICE)
w.expect(0, "mail", "add", "account", "--wait", *BOB)

before = w.tree_digest()
r = w.expect(0, "mail", "check", desc="check on a server in step")
ok("in step" in r.err, "and says so", r)
eq(w.digest_diff(before, w.tree_digest()), "", "check writes nothing")

# ---- behind webstack's back -------------------------------------------------------
shutil.rmtree(os.path.join(w.maildir(ALICE[0]), "cur"))
os.chmod(USERS, 0o644)
with open(VMAILBOX) as f:
    lines = f.readlines()
with open(VMAILBOX, "w") as f:
    f.writelines(l for l in lines if not l.startswith(BOB[0]))
os.utime(VMAILBOX + ".lmdb", (1, 1))
orphan = os.path.join(w.MAIL_ROOT, "example.com", "ghost")
os.makedirs(os.path.join(orphan, "new"))

broken = w.tree_digest()
r = w.expect(1, "mail", "check", desc="check on the broken server")
out = r.out + r.err
for what, desc in ((w.maildir(ALICE[0]) + "/cur", "the missing cur/"),
                   (USERS, "the users file's mode"),
                   (VMAILBOX, "the vmailbox line"),
                   ("postmap", "the stale compiled map"),
                   (orphan, "the orphan Maildir")):
    ok(what in out, "check names %s" % desc, out)
eq(w.digest_diff(broken, w.tree_digest()), "", "and writes nothing")
w.expect(1, "--dry-run", "mail", "check", "--repair", desc="check --repair --dry-run")
eq(w.digest_diff(broken, w.tree_digest()), "", "--dry-run --repair writes nothing")

r = w.expect(1, "mail", "check", "--repair",
             desc="check --repair (the orphan remains)")
ok(os.path.isdir(w.maildir(ALICE[0]) + "/cur"), "--repair made cur/ again")
eq(oct(stat.S_IMODE(os.stat(USERS).st_mode)), "0o640", "and the users file 0640 again")
with open(VMAILBOX) as f:
    ok(any(l.startswith(BOB[0]) for l in f), "and vmailbox has bob again")
ok(os.stat(VMAILBOX + ".lmdb").st_mtime >= os.stat(VMAILBOX).st_mtime,
   "and the compiled map is fresh")
ok(os.path.isdir(orphan), "the orphan Maildir is kept")
r = w.expect(1, "mail", "check", desc="check after --repair")
ok(orphan in r.out and VMAILBOX not in r.out and "cur" not in r.out,
   "finds only the orphan", r.out)
token = w.send("someone@example.org", BOB[0])
ok(w.wait_delivery(BOB[0], token)[0], "mail reaches bob (postmap ran)")
token = w.send("someone@example.org", ALICE[0])
ok(w.wait_delivery(ALICE[0], token)[0], "and alice")
shutil.rmtree(orphan)
w.expect(0, "mail", "check", desc="check once the orphan is gone")
tap.done()
