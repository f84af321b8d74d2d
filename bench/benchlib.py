"""Helpers for the benchmarks (bench/*.py, run by bench/run.sh inside
tests/e2e/sandbox.sh): the end-to-end helpers (tests/e2e/wslib.py), the
cost of one password hash and the hashing rate of all cores, timed
webstack runs, percentiles, and a JSON file of results per part in
$BENCH_OUT for bench/report.py."""
import json
import math
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.environ["WS_SRCDIR"], "tests", "e2e"))
import wslib  # noqa: E402  (needs the path above)

with warnings.catch_warnings():
    # Deprecated since Python 3.11, still in Debian 12's python3.11; it calls
    # libxcrypt's crypt_r(), the same code webstack hashes with.
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

QUICK = os.environ.get("BENCH_QUICK") == "1"
DOMAIN = "example.com"
# wslib.setup(fast_hash=True): what webstack.conf configures.
SCHEME, ROUNDS = "SHA512-CRYPT", 5000


def _hash_n(n):
    for i in range(n):
        crypt.crypt("pw-%06d-secret" % i, crypt.mksalt(crypt.METHOD_SHA512, rounds=ROUNDS))


def hash_seconds(samples=50):
    """The median time of one hash on one core."""
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        _hash_n(1)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def hash_rate(per_core=None):
    """Hashes per second of all cores: one process per core, each hashing
    per_core passwords (about two seconds of work in a full run)."""
    cores = os.cpu_count()
    per_core = per_core or (100 if QUICK else 600)
    start = time.perf_counter()
    with multiprocessing.Pool(cores) as pool:
        pool.map(_hash_n, [per_core] * cores)
    return cores * per_core / (time.perf_counter() - start)


def run_ws(*args, input=None, timeout=3600):
    """Runs webstack (as wslib.ws, with a longer timeout for big imports)
    and returns (exit status, seconds, stdout, stderr)."""
    start = time.perf_counter()
    p = subprocess.run([wslib.WEBSTACK] + wslib.GLOBAL + list(args), input=input,
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, time.perf_counter() - start, p.stdout, p.stderr


def must(args, **kw):
    """run_ws() that stops the benchmark when webstack fails; returns the
    seconds it took."""
    rc, seconds, _, err = run_ws(*args, **kw)
    if rc != 0:
        sys.exit("webstack %s: exit %d: %s" % (" ".join(args), rc, err.strip()))
    return seconds


def account_file(path, names):
    """Writes an import file ("address password" lines) for names."""
    with open(path, "w") as f:
        for name in names:
            f.write("%s@%s pw-%s-secret\n" % (name, DOMAIN, name))
    return path


def password(name):
    return "pw-%s-secret" % name


def sleep_into_next_second(offset):
    """Sleeps until offset seconds into the next wall-clock second."""
    now = time.time()
    time.sleep(int(now) + 1 + offset - now)


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of values."""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def save(part, results):
    """Writes one part's results to $BENCH_OUT/<part>.json."""
    with open(os.path.join(os.environ["BENCH_OUT"], part + ".json"), "w") as f:
        json.dump(results, f, indent=1)
    print("# results of %s: %s" % (part, json.dumps(results)))
