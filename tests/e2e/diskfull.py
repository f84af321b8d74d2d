"""A full file system during a change: a small tmpfs (holding a copy of
what was there, so the daemons keep working) over the directory a change
writes to, filled up: no inode left in /var/mail/vhosts (a new Maildir)
or /etc/postfix (the maps' temp files), no byte left in /etc/dovecot (the
users file: `mail passwd` rewrites it; an added account is appended into
the room its last block has). `mail add account`, `mail add domain`,
`mail passwd` and `mail import` fail with a message naming the file or
directory and "No space left on device", exit 73 (EX_CANTCREAT), leave
every state file byte-identical, no journal and nothing for `mail check`
to find. Once space is freed the same command succeeds and the account
logs in and receives mail.

With the directory in PostgreSQL the database takes the change only at
the files' commit point, after the Maildirs are made: a full mail store
leaves the database as it was too (tree_digest counts its rows). There
is no users file and no map, so `mail passwd`, `mail add account` and
`mail import` write nothing in /etc/dovecot or /etc/postfix and succeed
with those full (checked for passwd and add account; the imports there
are skipped); `mail add domain` still fails on /etc/postfix, where its
DKIM keys go."""
import errno
import os
import shutil
import subprocess
import tempfile

import tap
import wslib as w
from tap import ok, eq

JOURNAL = "/var/lib/webstack/lock.journal"
NOSPACE = os.strerror(errno.ENOSPC)


def small_tmpfs(path, opts):
    """Mounts a tmpfs with opts over path, holding a copy of its content
    (modes and owners kept)."""
    keep = tempfile.mkdtemp()
    subprocess.run(["cp", "-a", path + "/.", keep], check=True)
    st = os.stat(path)
    subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "ws-full", path], check=True)
    subprocess.run(["cp", "-a", keep + "/.", path], check=True)
    os.chown(path, st.st_uid, st.st_gid)
    os.chmod(path, st.st_mode & 0o7777)
    shutil.rmtree(keep)


def fill(path):
    """Uses up the space (or the inodes) of path's file system: small files
    until one cannot be made, then one file grown until a write fails.
    Returns the filler files."""
    fillers = []
    try:
        for i in range(100000):
            name = os.path.join(path, ".filler-%d" % i)
            with open(name, "wb") as f:
                fillers.append(name)
                f.write(b"x" * 4096)
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
    try:
        with open(fillers[0], "ab") as f:
            while True:
                f.write(b"x" * 4096)
                f.flush()
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
    return fillers


def free(path, fillers):
    """Frees the space: the fillers go and the file system grows (what the
    test adds next, and Dovecot's index files, need inodes too)."""
    for f in fillers:
        os.unlink(f)
    subprocess.run(["mount", "-o", "remount,size=16m,nr_inodes=10000", path], check=True)


def refused(what, args, where, stdin=None):
    """args fails for want of space, names where and the reason, and
    changes nothing."""
    before = w.tree_digest()
    r = w.ws(*args, input=stdin)
    ok(r.rc in (73, 74), "%s: exits 73 or 74" % what, r)
    tap.diag("%s: exit %d: %s" % (what, r.rc, r.err.strip()))
    ok(where in r.err and NOSPACE in r.err, "%s: names %s and the reason" % (what, where), r.err)
    eq(w.digest_diff(before, w.tree_digest()), "", "%s: every file unchanged" % what)
    ok(not os.path.exists(JOURNAL), "%s: no journal left" % what)
    w.expect(0, "mail", "check", desc="%s: then mail check" % what)


def unaffected(what, args, reason):
    """Under pgsql: args writes nothing in the full file system, so it
    succeeds."""
    w.expect(0, *args, desc="%s: succeeds (%s)" % (what, reason))
    w.expect(0, "mail", "check", desc="%s: then mail check" % what)


PG_NOTHING_HERE = "under pgsql nothing it writes is there"


def works(address, password):
    ok(w.imap_login_ok(address, password), "%s logs in" % address)
    token = w.send("someone@example.net", address)
    ok(w.wait_delivery(address, token)[0], "%s receives mail" % address)


w.setup()
w.expect(0, "mail", "add", "domain", "example.com")
w.expect(0, "mail", "add", "account", "--wait", "alice@example.com", "alice-pw-123")
IMPORT = "imp1@example.com imp1-pw-123\nimp2@example.com imp2-pw-123\n"

# No inode left where the Maildirs go.
count = sum(1 + len(d) + len(f) for _, d, f in os.walk(w.MAIL_ROOT))
small_tmpfs(w.MAIL_ROOT, "size=1m,nr_inodes=%d,mode=0755" % (count + 16))
fillers = fill(w.MAIL_ROOT)
refused("add account, Maildirs full", ("mail", "add", "account", "bob@example.com",
                                       "bob-pw-1234"), w.MAIL_ROOT)
refused("add domain, Maildirs full", ("mail", "add", "domain", "example.org"), w.MAIL_ROOT)
refused("import, Maildirs full", ("mail", "import", "-"), w.MAIL_ROOT, IMPORT)
free(w.MAIL_ROOT, fillers)
w.expect(0, "mail", "add", "account", "--wait", "bob@example.com", "bob-pw-1234",
         desc="add account once inodes are free")
works("bob@example.com", "bob-pw-1234")

# No byte left for the users file.
small_tmpfs("/etc/dovecot", "size=2m,mode=0755")
fillers = fill("/etc/dovecot")
# (An added account is appended, into the room the file's last block has:
# a full file system refuses it only when the line does not fit there.)
if not w.PGSQL:
    refused("passwd, /etc/dovecot full", ("mail", "passwd", "alice@example.com",
                                          "alice-pw-456"), "/etc/dovecot/users")
    refused("import, /etc/dovecot full", ("mail", "import", "-"), "/etc/dovecot/users",
            IMPORT)
else:
    unaffected("passwd, /etc/dovecot full", ("mail", "passwd", "alice@example.com",
                                             "alice-pw-456"), "no users file under pgsql")
    ok(w.imap_login_ok("alice@example.com", "alice-pw-456"), "the new password works")
    w.expect(0, "mail", "passwd", "alice@example.com", "alice-pw-123", desc="and back")
    tap.skip("import, /etc/dovecot full", PG_NOTHING_HERE)
free("/etc/dovecot", fillers)
w.expect(0, "mail", "add", "account", "--wait", "carol@example.com", "carol-pw-123",
         desc="add account once /etc/dovecot has room")
works("carol@example.com", "carol-pw-123")

# No inode left for the maps' temp files.
count = sum(1 + len(d) + len(f) for _, d, f in os.walk("/etc/postfix"))
small_tmpfs("/etc/postfix", "size=1m,nr_inodes=%d,mode=0755" % (count + 16))
# Postfix's daemons hold the maps of the old mount open: start new ones.
old = w.smtpd_pids()
subprocess.run(["postfix", "reload"], capture_output=True, check=True)
ok(w.wait_for(lambda: not (old & w.smtpd_pids()), 15)[0], "Postfix reloaded")
fillers = fill("/etc/postfix")
if not w.PGSQL:
    refused("add account, /etc/postfix full", ("mail", "add", "account", "dave@example.com",
                                               "dave-pw-1234"), "/etc/postfix/")
else:
    unaffected("add account, /etc/postfix full", ("mail", "add", "account", "--wait",
                                                  "dave@example.com", "dave-pw-1234"),
               "no map under pgsql")
    works("dave@example.com", "dave-pw-1234")
refused("add domain, /etc/postfix full", ("mail", "add", "domain", "example.org"),
        "/etc/postfix/")
if not w.PGSQL:
    refused("import, /etc/postfix full", ("mail", "import", "-"), "/etc/postfix/", IMPORT)
else:
    tap.skip("import, /etc/postfix full", PG_NOTHING_HERE)
free("/etc/postfix", fillers)
w.expect(0, "mail", "import", "-", input=IMPORT, desc="import once inodes are free")
works("imp2@example.com", "imp2-pw-123")
w.expect(0, "mail", "add", "domain", "example.org", desc="add domain once inodes are free")
works("alice@example.com", "alice-pw-123")
tap.done()
