"""pgaccounts.py SIZE [--ref N]: the directory in PostgreSQL (directory =
"pgsql") with SIZE accounts, against a reference of N accounts (1,000 by
default) measured before and after it in the same host, with the same
server and daemons.

Debian's PostgreSQL runs in the throwaway host (tests/e2e/pglib.py); webstack
is configured as tests/e2e/pgmail.py does it, with the fast hash of the
other benchmarks (SHA512-CRYPT, 5,000 rounds: wslib.setup(fast_hash=True)),
and `mail setup` makes the tables. The accounts are filled in with COPY
through psql as the owner role: N accounts, the figures (the reference);
up to SIZE accounts, the figures; the bulk deleted and the tables
rewritten (VACUUM FULL), the figures again (the reference after, with the
adds of both runs before it). The bench measures the steady state, not an
import (`mail import` has a figure of its own in bench/accounts.py), so
the fill takes the shortest way there. Its rows are those webstack
writes: the same tables and columns, names in normal form (lowercase),
the password as "{SHA512-CRYPT}$6$..."; every `mail list` below loads
them through the core's checks. Every hash is made by `webstack pw`: each
account that logs in has its own; every other account holds one valid
hash string, the same for all (a million hashes would take an hour of
CPU and change nothing the bench measures; one of those accounts logs in
with it, to show it is valid). VACUUM ANALYZE follows each fill.

At each size:
- `mail add account` (webstack's own path: find_account and one insert),
  100 back to back (20 with BENCH_QUICK), each timed from process start
  to exit; the one-core hash time is measured beside it, and the CPU the
  throwaway host spent per add (webstack and its PostgreSQL backend);
- IMAP logins: LOGIN then LOGOUT, each on a new connection to port 143
  from 127.0.0.1 (Dovecot counts a local connection as secured, so no TLS
  handshake dilutes the lookup), over CLIENTS parallel clients for
  DURATION seconds, over a sample of accounts spread evenly across the
  table; every account of the sample logs in once before, which makes its
  Maildir (as a first login does) and warms the caches; also the CPU the
  throwaway host spent per login (clients, Dovecot, PostgreSQL);
- the plan and time of Dovecot's password query (EXPLAIN ANALYZE as the
  dovecot role);
- `mail list accounts`: wall time and the process's peak RSS.
Results: $BENCH_OUT/pgaccounts-SIZE.json."""
import concurrent.futures
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time

import benchlib as b
import pglib
import wslib as w

size = int(sys.argv[1])
ref = int(sys.argv[sys.argv.index("--ref") + 1]) if "--ref" in sys.argv else 1000
ADDS = 20 if b.QUICK else 100
CLIENTS = 4
DURATION = 3.0 if b.QUICK else 10.0
SAMPLE = 200 if b.QUICK else 500
LISTS = 3
if size <= ref + ADDS:
    sys.exit("pgaccounts.py: SIZE must exceed the reference size %d by more than %d"
             % (ref, ADDS))

# ---- the server ----------------------------------------------------------

# The roles and the database as tests/e2e/pglib.py's Directory makes them
# (without its test tool).
srv = pglib.Server().start()
passwords = {r: srv.create_role(r) for r in ("webstack", "ws_postfix", "ws_dovecot")}
srv.psql("CREATE DATABASE webstack OWNER webstack;")
os.makedirs("/etc/webstack", exist_ok=True)
for name, role in (("pgsql", "webstack"), ("pgsql-postfix", "ws_postfix"),
                   ("pgsql-dovecot", "ws_dovecot")):
    fd = os.open("/etc/webstack/%s.password" % name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(passwords[role] + "\n")
w.setup(fast_hash=True, extra='directory = "pgsql"\npgsql {\n  conninfo = '
        '"host=127.0.0.1 port=%d dbname=webstack user=webstack"\n}\n' % pglib.PORT)
b.must(["mail", "add", "domain", b.DOMAIN])


def psql(role, sql, timeout=1800):
    """sql (psql's script, \\copy included) as role over TCP; stdout."""
    env = dict(os.environ, PGPASSWORD=passwords[role])
    r = subprocess.run(["/usr/bin/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                        "-h", "127.0.0.1", "-p", str(pglib.PORT), "-U", role,
                        "-d", "webstack"], input=sql, capture_output=True, text=True,
                       env=env, timeout=timeout)
    if r.returncode:
        sys.exit("psql as %s: %s" % (role, r.stderr.strip()))
    return r.stdout.strip()


def ws_hash(password):
    """What webstack stores for password: `webstack pw`, the configured
    scheme and rounds."""
    rc, _, out, err = b.run_ws("pw", password)
    if rc != 0 or not out.startswith("{%s}$6$" % b.SCHEME):
        sys.exit("webstack pw: exit %d: %r %s" % (rc, out, err.strip()))
    return out.strip()


def user(i):
    return "u%07d" % i


SHARED_PW = "pw-shared-secret"
SHARED = ws_hash(SHARED_PW)
filled = 0      # accounts u0000000 ... below this index exist
real = {}       # index -> its password, for the accounts that log in


def sample(lo, hi, k):
    """k indices spread evenly over [lo, hi), each in the middle of its
    stretch."""
    k = min(k, hi - lo)
    return [lo + (2 * j + 1) * (hi - lo) // (2 * k) for j in range(k)]


def fill(upto, logins):
    """COPY the accounts [filled, upto) into the tables (logins: the
    indices that get a hash of their own); VACUUM ANALYZE. Seconds."""
    global filled
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
        hashes = dict(zip(logins, pool.map(
            lambda i: ws_hash(b.password(user(i))), logins)))
    for i in logins:
        real[i] = b.password(user(i))
    tmp = os.environ.get("TMPDIR", "/tmp")
    addresses, accounts = os.path.join(tmp, "addresses.tsv"), os.path.join(tmp, "accounts.tsv")
    start = time.perf_counter()
    with open(addresses, "w") as fa, open(accounts, "w") as fb:
        for i in range(filled, upto):
            local = user(i)
            address = "%s@%s" % (local, b.DOMAIN)
            fa.write("%s\t%s\ta\n" % (address, b.DOMAIN))
            fb.write("%s\t%s\t%s\t%s\n" % (address, local, b.DOMAIN, hashes.get(i, SHARED)))
    psql("webstack", "BEGIN;\n"
         "\\copy ws_addresses (address, domain, kind) FROM '%s'\n"
         "\\copy ws_accounts (address, local, domain, password) FROM '%s'\n"
         "COMMIT;\nVACUUM ANALYZE ws_addresses;\nVACUUM ANALYZE ws_accounts;\n"
         % (addresses, accounts))
    os.unlink(addresses)
    os.unlink(accounts)
    filled = upto
    return time.perf_counter() - start


# ---- IMAP logins -----------------------------------------------------------

def login(address, pw):
    """LOGIN and LOGOUT on a new connection to 127.0.0.1:143; True when
    the login succeeded."""
    with socket.create_connection(("127.0.0.1", 143), timeout=30) as s:
        f = s.makefile("rb")
        if not f.readline().startswith(b"* OK"):
            return False
        s.sendall(b'a LOGIN "%s" "%s"\r\n' % (address.encode(), pw.encode()))
        line = f.readline()
        while line and not line.startswith(b"a "):
            line = f.readline()
        ok = line.startswith(b"a OK")
        s.sendall(b"b LOGOUT\r\n")
        while line and not line.startswith(b"b "):
            line = f.readline()
        return ok


def client(args):
    """One client: logs in as each of accounts in turn, from t0 on: once
    each with t_end None, else round and round until t_end. Returns
    (logins, failures, latencies, end time)."""
    accounts, t0, t_end = args
    time.sleep(max(0.0, t0 - time.time()))
    n, failed, lat, k = 0, 0, [], 0
    while (time.time() < t_end) if t_end else k < len(accounts):
        address, pw = accounts[k % len(accounts)]
        start = time.perf_counter()
        try:
            good = login(address, pw)
        except OSError:
            good = False
        lat.append(time.perf_counter() - start)
        n += good
        failed += not good
        k += 1
    return n, failed, lat, time.time()


def host_cpu():
    """Seconds of CPU spent so far by the processes of this throwaway host
    (its own PID namespace and /proc): each process's user and system
    time and those of its children it has reaped (Dovecot's master reaps
    each imap process, the postmaster each backend). Unlike wall time,
    other work on the machine does not count."""
    ticks = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):  # not self, thread-self
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks += sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def login_rate(indices):
    """Logs every sampled account in once (their Maildirs, the caches),
    then CLIENTS clients for DURATION seconds. The figures."""
    accounts = [("%s@%s" % (user(i), b.DOMAIN), real[i]) for i in indices]
    with multiprocessing.Pool(CLIENTS) as pool:
        t0 = time.time() + 0.2
        first = pool.map(client, [(accounts[c::CLIENTS], t0, None) for c in range(CLIENTS)])
        first_s = max(x[3] for x in first) - t0
        if sum(x[1] for x in first) or sum(x[0] for x in first) != len(accounts):
            sys.exit("the first logins: %d of %d failed" % (
                sum(x[1] for x in first), len(accounts)))
        # the clients start at spread offsets so they do not walk in step
        t0 = time.time() + 0.2
        cpu = host_cpu()
        runs = pool.map(client, [(accounts[c * len(accounts) // CLIENTS:] +
                                  accounts[:c * len(accounts) // CLIENTS], t0, t0 + DURATION)
                                 for c in range(CLIENTS)])
    cpu = host_cpu() - cpu
    logins, failures = sum(x[0] for x in runs), sum(x[1] for x in runs)
    lat = [v for x in runs for v in x[2]]
    seconds = max(x[3] for x in runs) - t0
    return {"login_clients": CLIENTS, "login_sample": len(accounts),
            "login_first_s": first_s, "logins": logins, "login_failures": failures,
            "login_s": seconds, "login_cpu_s": cpu / logins, "login_rate": logins / seconds,
            "login_p50_s": b.percentile(lat, 50), "login_p99_s": b.percentile(lat, 99)}


def passdb_query(indices):
    """Dovecot's password query, as the dovecot role, for each account of
    indices: (the plan of the first, the median execution time in
    seconds, from EXPLAIN ANALYZE)."""
    out = psql("ws_dovecot", "".join(
        "EXPLAIN (ANALYZE, COSTS OFF) SELECT address AS user, password FROM ws_accounts "
        "WHERE address = '%s@%s';\n" % (user(i), b.DOMAIN) for i in indices))
    plan = out.splitlines()
    ms = [float(x.split(":")[1].split()[0]) for x in plan if x.startswith("Execution Time")]
    return plan[0].split("(")[0].strip(), statistics.median(ms) / 1000


# ---- list ----------------------------------------------------------------

def list_accounts():
    """`mail list accounts`: (seconds, peak RSS in bytes, lines)."""
    start = time.perf_counter()
    p = subprocess.Popen([w.WEBSTACK] + w.GLOBAL + ["mail", "list", "accounts"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = sum(1 for _ in p.stdout)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    seconds = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        sys.exit("mail list accounts: exit %d: %s" % (p.returncode, err.decode().strip()))
    return seconds, usage.ru_maxrss * 1024, lines


# ---- one size --------------------------------------------------------------

def count():
    return int(psql("webstack", "SELECT count(*) FROM ws_accounts;"))


def measure(label, login_indices):
    """The figures at the accounts the tables hold now."""
    accounts = count()
    res = {"accounts": accounts, "load_before": os.getloadavg()[0]}
    res["table_bytes"] = int(psql("webstack", "SELECT pg_total_relation_size('ws_accounts') "
                                  "+ pg_total_relation_size('ws_addresses');"))
    res["passdb_plan"], res["passdb_query_s"] = passdb_query(login_indices[::len(login_indices)
                                                                           // 20 or 1])
    res["hash_s"] = b.hash_seconds()
    times = []
    cpu = host_cpu()
    for i in range(ADDS):
        name = "add%s-%04d" % (label, i)
        times.append(b.must(["mail", "add", "account", "%s@%s" % (name, b.DOMAIN),
                             b.password(name)]))
    res["add_cpu_s"] = (host_cpu() - cpu) / ADDS
    res.update({"add_n": ADDS, "add_p50_s": b.percentile(times, 50),
                "add_p99_s": b.percentile(times, 99), "add_max_s": max(times)})
    res.update(login_rate(login_indices))
    lists = [list_accounts() for _ in range(LISTS)]
    res["list_s"] = statistics.median(x[0] for x in lists)
    res["list_maxrss"] = max(x[1] for x in lists)
    res["listed"] = lists[0][2]
    if res["listed"] != accounts + ADDS:
        sys.exit("mail list accounts: %d accounts, wanted %d" % (res["listed"], accounts + ADDS))
    res["load_after"] = os.getloadavg()[0]
    print("# %s: %s" % (label, res), flush=True)
    return res


results = {"size": size, "ref": ref, "scheme": "%s %d rounds" % (b.SCHEME, b.ROUNDS),
           "cores": os.cpu_count(),
           "server": psql("webstack", "SHOW server_version;"),
           "load_before": os.getloadavg()[0]}
# The reference: ref accounts.
ref_logins = sample(0, ref, SAMPLE)
results["ref_fill_s"] = fill(ref, ref_logins)
results["reference"] = measure("r", ref_logins)
# size accounts in all, the reference's adds among them.
logins = sample(ref, size - ADDS, SAMPLE)
results["fill_s"] = fill(size - ADDS, logins)
bulk = next(i for i in range(ref, size - ADDS) if i not in real)
if not login("%s@%s" % (user(bulk), b.DOMAIN), SHARED_PW):
    sys.exit("%s cannot log in with the password of the shared hash" % user(bulk))
results["big"] = measure("b", logins)
# The reference again, the machine's load may have changed meanwhile: the
# bulk deleted (the reference's accounts and every add stay), the tables
# rewritten.
start = time.perf_counter()
psql("webstack", "DELETE FROM ws_addresses WHERE kind = 'a' AND address >= '%s' "
     "AND address < 'v';\nVACUUM FULL ws_addresses;\nVACUUM FULL ws_accounts;\n"
     "VACUUM ANALYZE ws_addresses;\nVACUUM ANALYZE ws_accounts;\n" % user(ref))
results["unfill_s"] = time.perf_counter() - start
results["reference_after"] = measure("a", ref_logins)
results["load_after"] = os.getloadavg()[0]
b.save("pgaccounts-%d" % size, results)
