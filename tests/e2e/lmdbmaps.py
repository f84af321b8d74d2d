"""Postfix's lmdb maps updated in place (modules/postfix/pf_lmdb.c): `mail
setup` compiles each map whole with postmap (with lmdb_map_size set to
16 KiB first, so the maps start small); then commands that change few
entries write them into the maps with liblmdb. After each command: it
said it updated the maps in place, and every key any source ever held
reads with the real `postmap -q` exactly as the source now says (present
with its value, removed ones gone). An alias whose value alone is larger
than virtual's memory map makes the map grow. Mail to an account and an
alias added in place is delivered (Postfix's daemons read the maps we
wrote, the grown one too), and `mail check` finds everything in step."""
import os
import re
import shutil
import subprocess
import tempfile

import tap
import wslib as w
from tap import ok, eq

MAPS = ("vdomains", "vmailbox", "virtual", "sender_login")
seen = {m: set() for m in MAPS}


def source_entries(name):
    """{key: value} as postmap reads the source: the key folded, the value
    without the blanks around it, lines without a value skipped."""
    entries = {}
    with open("/etc/postfix/" + name) as f:
        for line in f:
            parts = line.split(None, 1)
            if len(parts) == 2 and not parts[0].startswith("#"):
                entries[parts[0].lower()] = parts[1].strip()
    return entries


def check_maps(desc):
    bad = []
    for m in MAPS:
        want = source_entries(m)
        seen[m] |= set(want)
        p = subprocess.run(["postmap", "-q", "-", "lmdb:/etc/postfix/" + m],
                           input="".join(k + "\n" for k in sorted(seen[m])),
                           capture_output=True, text=True)
        got = dict(line.split("\t", 1) for line in p.stdout.splitlines())
        if got != want:
            wrong = sorted(k for k in seen[m] if got.get(k) != want.get(k))
            bad.append("%s: %d keys differ, e.g. %s: map %r, source %r" % (
                m, len(wrong), wrong[0], got.get(wrong[0]), want.get(wrong[0])))
    eq(bad, [], "postmap -q reads every key as the sources say (%s)" % desc)


def change(desc, args, maps, input=None, said="update /etc/postfix/%s.lmdb in place"):
    """Runs webstack -v with args: it must say it updated each of maps in
    place; then every map is checked."""
    r = w.expect(0, "-v", *args, desc=desc, input=input)
    for m in maps:
        ok(said % m in r.err,
           "%s: %s is updated in place" % (desc, m), r.err)
    check_maps(desc)


def mapsize(name):
    """The memory map size virtual's meta page records, read from a copy
    (mdb_stat makes a lock file beside the map it opens)."""
    d = tempfile.mkdtemp()
    try:
        shutil.copy("/etc/postfix/%s.lmdb" % name, d)
        out = subprocess.run(["mdb_stat", "-n", "-e", os.path.join(d, name + ".lmdb")],
                             capture_output=True, text=True).stdout
    finally:
        shutil.rmtree(d)
    m = re.search(r"Map size: (\d+)", out)
    return int(m.group(1)) if m else 0


subprocess.run(["postconf", "-e", "lmdb_map_size=16384"], check=True)
w.setup()
check_maps("after mail setup")
change("add domain", ["mail", "add", "domain", "example.com"], ["vdomains"])
accounts = "".join("user%03d@example.com pw-%03d-secret\n" % (i, i) for i in range(40))
change("import of 40 accounts", ["mail", "import", "-"], ["vmailbox", "sender_login"],
       input=accounts)
# (An added account's entries go in by its background work: --wait runs
# that before the command returns.)
change("add account", ["mail", "add", "account", "--wait", "solo@example.com",
                       "pw-solo-secret"], ["vmailbox", "sender_login"],
       said="put the new entries into the map of /etc/postfix/%s")
change("del account", ["mail", "del", "account", "user005@example.com", "--purge"],
       ["vmailbox", "sender_login"])
change("add alias", ["mail", "add", "alias", "team@example.com",
                     "user001@example.com,user002@example.com"], ["virtual", "sender_login"])
change("one more target (a changed line)",
       ["mail", "add", "alias", "team@example.com", "user003@example.com"],
       ["virtual", "sender_login"])

# 250 targets of about 190 bytes: a value of about 47 kB
targets = ",".join("r%03d-%s@%s.%s.example.net" % (i, "x" * 55, "d" * 55, "e" * 55)
                   for i in range(250))
before = mapsize("virtual")
ok(0 < before < len(targets), "virtual's memory map (%d bytes) is smaller than the "
   "big alias's value (%d bytes)" % (before, len(targets)))
change("a big alias", ["mail", "add", "alias", "big@example.com", targets], ["virtual"])
after = mapsize("virtual")
ok(after > len(targets), "virtual's memory map grew to %d bytes" % after)

token = w.send("someone@example.org", "solo@example.com")
ok(w.wait_delivery("solo@example.com", token)[0], "mail reaches the account added in place")
token = w.send("someone@example.org", "team@example.com")
ok(w.wait_delivery("user003@example.com", token)[0],
   "mail to the alias changed in place (in the grown map) reaches its new target")

change("del alias", ["mail", "del", "alias", "team@example.com"], ["virtual", "sender_login"])
change("del account", ["mail", "del", "account", "solo@example.com", "--purge"],
       ["vmailbox", "sender_login"])
r = w.ws("mail", "check")
ok(r.rc == 0, "mail check finds everything in step", r)
eq([n for n in os.listdir("/etc/postfix") if n.endswith(".ws-updating")], [],
   "no map is left marked")
tap.done()
