"""`webstack mail check [--repair]` against a real server: in step after
setup, it exits 0 and changes nothing. Then the test breaks things behind
webstack's back: a Maildir's cur/ removed, the users file's mode widened,
a line dropped from vmailbox, the compiled vmailbox map made older than
its source, and an orphan Maildir made. check names each of them and exits
1 without writing; --dry-run --repair writes nothing either; --repair
fixes every derived thing (the orphan is kept and still reported, so it
exits 1), after which check finds only the orphan and mail reaches the
repaired account.

With the directory in PostgreSQL there is no users file and no map: the
daemons read the database. There an account another host added (a row
put in behind webstack's back) stands in for them: check names its
missing Maildir and --repair makes it."""
import os
import shutil
import stat
import subprocess

import tap
import wslib as w
from tap import ok, eq

ALICE = ("alice@example.com", "alice-pw-123")
BOB = ("bob@example.com", "bob-pw-123")
DAVE = ("dave@example.com", "dave-pw-123")
USERS = "/etc/dovecot/users"
VMAILBOX = "/etc/postfix/vmailbox"
NO_FILES = "no users file or map with the directory in PostgreSQL"

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
if not w.PGSQL:
    os.chmod(USERS, 0o644)
    with open(VMAILBOX) as f:
        lines = f.readlines()
    with open(VMAILBOX, "w") as f:
        f.writelines(l for l in lines if not l.startswith(BOB[0]))
    os.utime(VMAILBOX + ".lmdb", (1, 1))
else:
    hashed = w.ws("pw", "--password-stdin", input=DAVE[1] + "\n").out.strip()
    rc, _, err = w.db.psql_as(
        "webstack", "INSERT INTO ws_addresses VALUES ('%s', 'example.com', 'a');"
        "INSERT INTO ws_accounts (address, local, domain, password) VALUES "
        "('%s', 'dave', 'example.com', '%s');" % (DAVE[0], DAVE[0], hashed))
    eq(rc, 0, "another host adds %s (rows only)" % DAVE[0])
orphan = os.path.join(w.MAIL_ROOT, "example.com", "ghost")
os.makedirs(os.path.join(orphan, "new"))

broken = w.tree_digest()
r = w.expect(1, "mail", "check", desc="check on the broken server")
out = r.out + r.err
for what, desc, files_only in ((w.maildir(ALICE[0]) + "/cur", "the missing cur/", False),
                               (USERS, "the users file's mode", True),
                               (VMAILBOX, "the vmailbox line", True),
                               ("postmap", "the stale compiled map", True),
                               (w.maildir(DAVE[0]) + ": new directory",
                                "the Maildir of an account another host added", None),
                               (orphan, "the orphan Maildir", False)):
    if files_only is None and not w.PGSQL:
        continue
    if files_only and w.PGSQL:
        tap.skip("check names %s" % desc, NO_FILES)
    else:
        ok(what in out, "check names %s" % desc, out)
eq(w.digest_diff(broken, w.tree_digest()), "", "and writes nothing")
w.expect(1, "--dry-run", "mail", "check", "--repair", desc="check --repair --dry-run")
eq(w.digest_diff(broken, w.tree_digest()), "", "--dry-run --repair writes nothing")

r = w.expect(1, "mail", "check", "--repair",
             desc="check --repair (the orphan remains)")
ok(os.path.isdir(w.maildir(ALICE[0]) + "/cur"), "--repair made cur/ again")
if not w.PGSQL:
    eq(oct(stat.S_IMODE(os.stat(USERS).st_mode)), "0o640", "and the users file 0640 again")
    with open(VMAILBOX) as f:
        ok(any(l.startswith(BOB[0]) for l in f), "and vmailbox has bob again")
    ok(os.stat(VMAILBOX + ".lmdb").st_mtime >= os.stat(VMAILBOX).st_mtime,
       "and the compiled map is fresh")
else:
    for desc in ("and the users file 0640 again", "and vmailbox has bob again",
                 "and the compiled map is fresh"):
        tap.skip(desc, NO_FILES)
    ok(all(os.path.isdir(os.path.join(w.maildir(DAVE[0]), d)) for d in ("new", "cur", "tmp")),
       "and the Maildir of %s" % DAVE[0])
ok(os.path.isdir(orphan), "the orphan Maildir is kept")
r = w.expect(1, "mail", "check", desc="check after --repair")
ok(orphan in r.out and VMAILBOX not in r.out and "cur" not in r.out,
   "finds only the orphan", r.out)
token = w.send("someone@example.org", BOB[0])
ok(w.wait_delivery(BOB[0], token)[0], "mail reaches bob (postmap ran)")
token = w.send("someone@example.org", ALICE[0])
ok(w.wait_delivery(ALICE[0], token)[0], "and alice")
if w.PGSQL:
    token = w.send("someone@example.org", DAVE[0])
    ok(w.wait_delivery(DAVE[0], token)[0], "and dave")
    ok(w.imap_login_ok(*DAVE), "dave logs in")
shutil.rmtree(orphan)
w.expect(0, "mail", "check", desc="check once the orphan is gone")
tap.done()
