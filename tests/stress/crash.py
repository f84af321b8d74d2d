"""Crash test of the real CLI on a real server: WS_CRASH_OPS (default 1000)
random changes (add/del account, passwd, add/del alias, add/del domain,
import), each SIGKILLed at a random point: half at a random durable step
of its commit (WEBSTACK_FAULT_KILL_AT), half by a timer (the whole process
group, children included, as a power cut would). After each kill:
- every state file is its old version, its recovered version or its new
  one (the same op re-run to completion), never anything else;
- `mail check` finishes the interrupted transaction (and says so when a
  journal was left) and leaves the old state or the committed new one,
  with no temp or backup file behind; it exits 0, or 1 only for a
  compiled map older than its source (a kill between commit and postmap),
  which `mail check --repair` fixes;
- the compiled maps (postmap -s) hold exactly their sources.
At the end a sample of the accounts log in over IMAP with their password
and receive mail. WS_CRASH_SEED replays a run."""
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import time

import tap
import wslib as w
from tap import ok, eq

OPS = int(os.environ.get("WS_CRASH_OPS", "1000"))
SEED = int(os.environ.get("WS_CRASH_SEED", str(int(time.time() * 1000) % 1000000)))
rng = random.Random(SEED)
FLAT = ("/etc/postfix", "/etc/dovecot")
TREES = ("/etc/postfix/dkim", "/etc/webstack", "/var/mail", "/var/lib/webstack")
SKIP = {"/var/lib/webstack/lock", "/var/lib/webstack/lock.journal"}
JOURNAL = "/var/lib/webstack/lock.journal"
MAPS = ("vdomains", "vmailbox", "virtual", "sender_login")
BASE_DOMAINS = ("example.com", "example.org")
# The last durable step each kind of op reached in an experiment (a kill at
# N+1 finds it done); a removal commits twice (Postfix's part first).
STEPS = {"add account": 24, "passwd": 7, "add alias": 10, "del alias": 10,
         "del account": 20, "add domain": 16, "del domain": 20, "import": 29}
# Exit status of an op run again after it was committed.
AGAIN = {"add account": 73, "import": 73, "del account": 67, "del alias": 67,
         "del domain": 67, "add alias": 0, "add domain": 0, "passwd": 0}
TEMP = re.compile(r"/\.[^/]*\.ws-(tmp|bak)-[0-9a-f]+$|^/var/lib/webstack/\.lock\.journal\.tmp$")
DKIM_KEY = re.compile(r"^/etc/postfix/dkim/.*\.key$")
HASH = re.compile(rb"\{[A-Z0-9-]+\}[^:\n]*")


def snapshot():
    """{path: (mode, uid, gid, content or link target)} of the state dirs
    (the top level of FLAT, all of TREES: what the ops can change)."""
    out = {}
    for top in FLAT + TREES:
        for root, dirs, files in os.walk(top):
            names = [""] + dirs + files
            if top in FLAT:
                dirs[:] = []
            for name in names:
                p = os.path.join(root, name) if name else root
                if p in SKIP or p.endswith((".lmdb", UPDATING)) or PENDING in p or \
                        (top in FLAT and p in TREES):
                    continue
                st = os.lstat(p)
                if stat.S_ISLNK(st.st_mode):
                    what = os.readlink(p).encode()
                elif stat.S_ISREG(st.st_mode):
                    with open(p, "rb") as f:
                        what = f.read()
                else:
                    what = b""
                out[p] = (st.st_mode, st.st_uid, st.st_gid, what)
    return out


def masked(snap):
    """Password hashes are salted and DKIM keys random: the same op run
    twice writes different ones. A killed op that was rolled back and
    re-run is compared with the hash fields and key contents masked."""
    return {p: v[:3] + (b"{KEY}" if DKIM_KEY.match(p) else HASH.sub(b"{HASH}", v[3]),)
            for p, v in snap.items()}


def diff(a, b, limit=12):
    lines = []
    for p in sorted(set(a) | set(b)):
        if a.get(p) != b.get(p):
            lines.append("%s:\n  %r\n  %r" % (p, a.get(p) and a[p][:3] + (a[p][3][-300:],),
                                            b.get(p) and b[p][:3] + (b[p][3][-300:],)))
    return "\n".join(lines[:limit])


def first_fields(snap, path):
    data = snap.get(path, (0, 0, 0, b""))[3].decode()
    return [l.split(None, 1) for l in data.splitlines() if l and not l.startswith("#")]


def model(snap):
    """(domains, accounts, aliases) as the files say."""
    domains = [f[0] for f in first_fields(snap, "/etc/postfix/vdomains")]
    users = snap.get("/etc/dovecot/users", (0, 0, 0, b""))[3].decode()
    accounts = [l.split(":", 1)[0] for l in users.splitlines() if l]
    aliases = [f[0] for f in first_fields(snap, "/etc/postfix/virtual")
               if f[0] not in accounts and "@" in f[0]]
    return domains, accounts, aliases


# ---- the ops -------------------------------------------------------------------

counter = [0]


def fresh(prefix, domain):
    counter[0] += 1
    return "%s%04d@%s" % (prefix, counter[0], domain)


def pick_op(snap, passwords):
    """(kind, args, stdin, effect) of a valid op on the current state;
    effect(passwords) records the passwords once the op is applied."""
    domains, accounts, aliases = model(snap)
    extra = [d for d in domains if d not in BASE_DOMAINS]
    r = rng.random()
    pw = "pw-%08x" % rng.getrandbits(32)
    if r < 0.03 or (r < 0.05 and not extra):
        d = "d%04d.test" % rng.randrange(10000)
        return "add domain", ["add", "domain", d], None, None
    if r < 0.05:
        d = rng.choice(extra)
        gone = [a for a in accounts if a.endswith("@" + d)]
        return "del domain", ["del", "domain", "--force", d], None, \
            lambda p: [p.pop(a, None) for a in gone]
    if r < 0.11 or len(accounts) < 20:
        a = fresh("u", rng.choice(domains))
        return "add account", ["add", "account", a, pw], None, lambda p: p.update({a: pw})
    if r < 0.47:
        a = rng.choice(accounts)
        return "passwd", ["passwd", a, pw], None, lambda p: p.update({a: pw})
    if r < 0.57:
        a = rng.choice(accounts)
        purge = ["--purge"] if rng.random() < 0.5 else []
        return "del account", ["del", "account"] + purge + [a], None, lambda p: p.pop(a, None)
    if r < 0.80:
        targets = ",".join(rng.sample(accounts, rng.randint(1, 2)))
        return "add alias", ["add", "alias", fresh("a", rng.choice(domains)), targets], None, None
    if r < 0.97 and aliases:
        return "del alias", ["del", "alias", rng.choice(aliases)], None, None
    new = {fresh("i", rng.choice(domains)): "pw-%08x" % rng.getrandbits(32) for _ in range(3)}
    text = "".join("%s %s\n" % kv for kv in new.items())
    return "import", ["import", "-"], text, lambda p: p.update(new)


def run(args, stdin=None, kill_at=None, delay=None):
    """Runs `webstack mail ARGS`: (exit status, stderr, seconds). kill_at
    sets WEBSTACK_FAULT_KILL_AT; delay SIGKILLs its process group after
    that many seconds. -9 means it was killed."""
    env = dict(os.environ)
    if kill_at:
        env["WEBSTACK_FAULT_KILL_AT"] = str(kill_at)
    start = time.monotonic()
    p = subprocess.Popen([w.WEBSTACK] + w.GLOBAL + ["mail"] + args, env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, err = p.communicate(stdin, timeout=delay if delay is not None else 120)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        _, err = p.communicate()
    return p.returncode, err, time.monotonic() - start


def check(*extra):
    p = subprocess.run([w.WEBSTACK] + w.GLOBAL + ["mail", "check"] + list(extra),
                       capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def maps_match_sources(maps=MAPS):
    """The maps whose compiled form (postmap -s) does not hold exactly the
    lines of their source."""
    dumps = {m: subprocess.Popen(["postmap", "-s", "lmdb:/etc/postfix/" + m],
                                 stdout=subprocess.PIPE, text=True) for m in maps}
    bad = []
    for m, p in dumps.items():
        got = sorted(tuple(l.split(None, 1)) for l in p.communicate()[0].splitlines())
        with open("/etc/postfix/" + m) as f:
            want = sorted(tuple(l.split(None, 1)) for l in f.read().splitlines()
                          if l and not l.startswith("#"))
        if got != want:
            bad.append(m)
    return bad


def changed_maps(a, b):
    return [m for m in MAPS if a.get("/etc/postfix/" + m) != b.get("/etc/postfix/" + m)]


def orphans_of(kind, args):
    """Maildirs an op keeps by design (del account without --purge, del
    domain), or that --purge, which runs after the commit, did not get to
    remove: check reports them as orphans until an admin removes them."""
    if kind == "del account":
        return [w.maildir(args[-1])]
    if kind == "del domain":
        return [os.path.join(w.MAIL_ROOT, args[-1])]
    return []


# A map check would bring up to date: compiled whole, or (when it was in
# step with the old source) updated in place; the pending entries of an
# added account dropped with a whole compile.
MAP_UPDATE = re.compile(r"# would (run: /usr/sbin/postmap |run: /bin/rm -f -- \S+\.lmdb\.ws-pending-|"
                        r"update /etc/postfix/\S+\.lmdb in place|"
                        r"clear the being-updated mark of )", re.M)
# The mark of a map update in place that has not finished: part of
# the compiled map's state, like the .lmdb, and gone once it is compiled.
UPDATING = ".lmdb.ws-updating"
# The entries an added account's background work puts into a map after
# the command returned: state of the compiled map too, gone once it ran
# (or once the map is compiled whole).
PENDING = ".lmdb.ws-pending-"


def only_expected(out, orphans):
    """The lines of a check's report other than map updates and the op's
    own orphans."""
    rest = []
    for line in out.splitlines():
        if MAP_UPDATE.match(line):
            continue
        m = re.match(r"# orphan: (\S+) ", line)
        if m and m.group(1) in orphans:
            continue
        rest.append(line)
    return rest


# ---- setup ---------------------------------------------------------------------

w.setup()
for d in BASE_DOMAINS:
    w.expect(0, "mail", "add", "domain", d)
passwords = {"u%04d@%s" % (i, BASE_DOMAINS[i % 2]): "pw-%04d-initial" % i for i in range(50)}
counter[0] = 50
w.expect(0, "mail", "import", "-", input="".join("%s %s\n" % kv for kv in passwords.items()),
         desc="import of 50 accounts")
tap.diag("seed %d (WS_CRASH_SEED=%d replays this run), %d ops" % (SEED, SEED, OPS))

# Typical durations, for the timer kills: one op of each kind run to the end.
typical = {}
snap = snapshot()
for _ in range(200):
    if len(typical) == len(STEPS):
        break
    kind, args, stdin, effect = pick_op(snap, passwords)
    if kind in typical:
        continue
    rc, err, secs = run(args, stdin)
    if rc != 0:
        tap.bail_out("warm-up op %s failed: %s" % (args, err))
    typical[kind] = secs
    effect and effect(passwords)
    for o in orphans_of(kind, args):
        shutil.rmtree(o, ignore_errors=True)
    snap = snapshot()
# A kind the random picks never reached (del domain needs an added domain
# and a lucky draw) gets the longest duration seen: its timer kills then
# spread over at least its whole run.
for kind in STEPS:
    if kind not in typical:
        typical[kind] = max(typical.values())
        tap.diag("no warm-up run of %s: timed like the slowest kind" % kind)
tap.diag("typical durations: " + ", ".join("%s %.3f s" % kv for kv in sorted(typical.items())))
eq(check()[0], 0, "check exits 0 before the crashes")

# ---- the crashes -----------------------------------------------------------------

stats = {k: 0 for k in ("fault kills", "timer kills", "completed before kill",
                        "rolled back", "rolled forward", "stale map repaired",
                        "journal recovered", "half-done removal")}
phase = {k: 0.0 for k in ("op", "snapshots", "check", "re-run", "maps")}


def timed(name, fn, *args, **kw):
    t = time.monotonic()
    try:
        return fn(*args, **kw)
    finally:
        phase[name] += time.monotonic() - t


def half_done(kind, out, orphans):
    """A removal commits Postfix's part first, then Dovecot's (so Postfix
    refuses the address before Dovecot forgets it): a kill between the two
    leaves only Postfix's maps changed (every domain still listed), which
    check reports as out of step and --repair rebuilds; the command run
    again finishes the job. Counted apart."""
    if kind not in ("del account", "del alias", "del domain"):
        return False
    maps = {"/etc/postfix/" + m for m in MAPS}
    if not re.search(r"^--- ", out, re.M):
        return False
    for line in only_expected(out, orphans):
        if line.startswith(("--- ", "+++ ")):
            if line.split()[1] not in maps:
                return False
        elif line[:1] not in (" ", "+", "-", "@"):
            return False
    return True


def kill_one(i, kind, args, stdin):
    """Runs the op and SIGKILLs it: odd i at a durable step, even i by a
    timer. Returns (exit status, how)."""
    if i % 2:
        step = rng.randint(1, STEPS[kind] + 2)
        rc, err, _ = run(args, stdin, kill_at=step)
        how = "fault step %d" % step
    else:
        delay = rng.uniform(0, typical[kind])
        rc, err, _ = run(args, stdin, delay=delay)
        how = "timer %.3f s" % delay
    killed = rc == -signal.SIGKILL
    stats[("fault kills" if i % 2 else "timer kills") if killed else
          "completed before kill"] += 1
    return rc, err, how


def recover(kind, args, problems):
    """`mail check` after a kill, and --repair when it reports a stale map
    (or a half-done removal). Returns (the state check left, whether the
    removal was half-done)."""
    journal = os.path.exists(JOURNAL)
    w.wait_background()	# an add that got to the end left its map work
    crc, cout, cerr = timed("check", check)
    stats["journal recovered"] += journal
    s_rec = timed("snapshots", snapshot)
    if journal != ("finishing a transaction" in cerr):
        problems.append("journal %s, but check says: %s" % (journal, cerr))
    orphans = orphans_of(kind, args)
    half = crc == 1 and half_done(kind, cout, orphans)
    if half:
        stats["half-done removal"] += 1
    elif crc not in (0, 1) or only_expected(cout, orphans):
        problems.append("check exit %d:\n%s%s" % (crc, cout, cerr))
        return s_rec, False
    if not half and not MAP_UPDATE.search(cout):
        return s_rec, False
    rrc, rout, rerr = timed("check", check, "--repair")
    stats["stale map repaired"] += not half
    crc2, cout2, _ = timed("check", check)
    if only_expected(cout2, orphans) or MAP_UPDATE.search(cout2):
        problems.append("after --repair (exit %d: %s) check still says:\n%s" % (
            rrc, rout + rerr, cout2))
    return s_rec, half


def torn(kill, old, rec, new):
    """Paths whose state right after the kill is none of old, recovered,
    new. A directory the op creates exists between the prepare step that
    makes it and the apply step that gives it its owner and mode: it may be
    seen with the mode it was made with."""
    bad = []
    for p in set(kill) | set(old) | set(new):
        k = kill.get(p)
        if TEMP.search(p) or k in (old.get(p), rec.get(p), new.get(p)):
            continue
        if k and old.get(p) is None and new.get(p) and k[3] == b"" and \
                stat.S_ISDIR(k[0]) and stat.S_ISDIR(new[p][0]):
            continue
        bad.append(p)
    return sorted(bad)


def iteration(i, old):
    """One op, killed, recovered, re-run and checked. Returns (problems,
    state after it, the op's effect on the passwords)."""
    kind, args, stdin, effect = pick_op(old, passwords)
    rc, err, how = timed("op", kill_one, i, kind, args, stdin)
    problems = []
    if rc not in (0, -signal.SIGKILL):
        problems.append("exit %d: %s" % (rc, err))
    s_kill = timed("snapshots", snapshot)
    s_rec, half = recover(kind, args, problems)
    # --purge runs after the commit, outside the journal: a kill while it
    # removes would leave a hidden .purge.LOCAL.PID directory behind.
    left = [p for p in s_rec if TEMP.search(p) or "/.purge." in p]
    if left or os.path.exists(JOURNAL):
        problems.append("left behind: %s" % (left or JOURNAL))

    rolled_back = s_rec == old
    again, err2, _ = timed("re-run", run, args, stdin)
    w.wait_background()
    # The first commit of a removal can leave a state check finds in step:
    # `del domain --force` of a domain with aliases and no accounts drops
    # the aliases (virtual is their source) and keeps the domain until the
    # second commit. The re-run finishing the job (exit 0) says so.
    if not half and not rolled_back and again == 0 and \
            kind in ("del account", "del alias", "del domain"):
        half = True
        stats["half-done removal"] += 1
    stats["rolled back" if rolled_back else "rolled forward"] += not half
    if again != (0 if rolled_back or half else AGAIN[kind]):
        problems.append("re-run exits %d (rolled %s): %s" % (
            again, "back" if rolled_back else "forward", err2))
    s_new = timed("snapshots", snapshot)
    marks = [n for n in os.listdir("/etc/postfix") if n.endswith(UPDATING) or PENDING in n]
    if marks:
        problems.append("maps still marked as being updated or with pending entries "
                        "after the re-run: %s" % marks)
    # Salted hashes, random keys: a passwd re-run after its commit, or any
    # op that hashes or makes keys re-run after a rollback, writes other
    # ones than the killed run.
    if kind in ("add account", "passwd", "import", "add domain") and \
            (rolled_back or kind == "passwd"):
        c_kill, c_old, c_rec, c_new = map(masked, (s_kill, old, s_rec, s_new))
    else:
        c_kill, c_old, c_rec, c_new = s_kill, old, s_rec, s_new
    if half:
        mixed = torn(c_rec, c_old, {}, c_new)
        if mixed:
            problems.append("half-done removal, but not per file old or new: %s" % mixed)
    elif not rolled_back and c_rec != c_new:
        problems.append("recovered state is neither old nor new:\n" + diff(s_rec, s_new))
    bad = torn(c_kill, c_old, c_rec, c_new)
    if bad:
        problems.append("after the kill, neither old nor new: %s\n%s" % (
            ", ".join(bad[:8]), diff({p: s_kill.get(p) for p in bad[:3]},
                                     {p: s_new.get(p) for p in bad[:3]})))
    if problems:
        problems.insert(0, "op %d: mail %s (%s, exit %d):" % (
            i, " ".join("PW" if a.startswith("pw-") else a for a in args), how, rc))
    orphans = orphans_of(kind, args)
    for o in orphans:
        shutil.rmtree(o, ignore_errors=True)
    return problems, (snapshot() if orphans else s_new), effect


failures = []
start = time.monotonic()
last_dump = snap
for i in range(OPS):
    problems, snap, effect = iteration(i, snap)
    effect and effect(passwords)
    # The compiled maps, once the state is settled: every 10 ops (a dump
    # costs as much as an op), the maps that changed since the last time.
    if i % 10 == 9:
        bad_maps = timed("maps", maps_match_sources, changed_maps(last_dump, snap))
        last_dump = snap
        if bad_maps:
            problems.append("ops %d-%d: compiled maps differ from their sources: %s" % (
                i - 9, i, bad_maps))
    if problems:
        failures.append("\n".join(problems))
        if len(failures) >= 5:
            break

elapsed = time.monotonic() - start
ok(not failures, "every kill leaves old or new files and a check that recovers",
   "\n\n".join(failures))
tap.diag("%d ops in %.0f s (seed %d): %s" % (
    i + 1, elapsed, SEED, ", ".join("%s %d" % kv for kv in stats.items())))
tap.diag("time by phase: " + ", ".join("%s %.0f s" % kv for kv in phase.items()))
ok(stats["fault kills"] and stats["timer kills"] and stats["rolled back"] and
   stats["rolled forward"], "both kinds of kill, rollbacks and roll-forwards happened",
   stats)

# ---- the accounts still work ---------------------------------------------------
listed = w.expect(0, "mail", "list", "accounts").out.split()
eq(sorted(listed), sorted(passwords), "the accounts listed are those the ops left")
sample = rng.sample(sorted(passwords), min(20, len(passwords)))
bad = [a for a in sample if not w.imap_login_ok(a, passwords[a])]
eq(bad, [], "a sample of %d accounts log in with their password" % len(sample))
tokens = {a: w.send("someone@example.net", a) for a in sample}
lost = [a for a, t in tokens.items() if not w.wait_delivery(a, t)[0]]
eq(lost, [], "and receive a message")
eq(maps_match_sources(), [], "every compiled map holds its source")
eq(check()[0], 0, "check exits 0 at the end")
tap.done()
