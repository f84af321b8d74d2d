"""accounts.py SIZE [--usable]: on a fresh server, `mail import` of SIZE
accounts (timed, against the all-core hashing rate measured just before
and just after it), then the latency of single `mail add account` runs
with SIZE existing accounts (back to back, and one a second), the time of `mail list accounts`, and with
--usable the time until a new account can log in and receive mail
(bench/usable.py). Results: $BENCH_OUT/accounts-SIZE.json."""
import os
import statistics
import sys
import tempfile

import benchlib as b
import usable
import wslib as w

size = int(sys.argv[1])
adds = 20 if b.QUICK else 100
spaced_adds = 10 if b.QUICK else 30
lists = 5

w.setup(fast_hash=True)
b.must(["mail", "add", "domain", b.DOMAIN])
res = {"size": size, "scheme": "%s %d rounds" % (b.SCHEME, b.ROUNDS),
       "cores": os.cpu_count(), "load_before": os.getloadavg()[0]}

res["hash_s"] = b.hash_seconds()
rate_before = b.hash_rate()
path = b.account_file(os.path.join(tempfile.mkdtemp(), "accounts.txt"),
                      ("user%06d" % i for i in range(size)))
res["import_s"] = b.must(["mail", "import", path])
rate_after = b.hash_rate()
res["hash_rate"] = (rate_before + rate_after) / 2
res["hash_rate_spread"] = [rate_before, rate_after]
res["import_rate"] = size / res["import_s"]



def add(i):
    return b.must(["mail", "add", "account", "add%04d@%s" % (i, b.DOMAIN),
                   b.password("add%04d" % i)])


# Back to back: each add returns once its lines are appended; its
# background work (waiting for Dovecot, which re-reads its users file at
# most once a second, then the map entries) overlaps the next adds.
times = [add(i) for i in range(adds)]
res["add_n"] = adds
res["add_p50_s"] = b.percentile(times, 50)
res["add_p99_s"] = b.percentile(times, 99)
res["add_max_s"] = max(times)
# One at a time, as an admin adds an account: each starts 0.2 s into a
# wall-clock second in which Dovecot has not read the file yet.
spaced = []
for i in range(adds, adds + spaced_adds):
    b.sleep_into_next_second(0.2)
    spaced.append(add(i))
adds += spaced_adds
res["add1_n"] = spaced_adds
res["add1_p50_s"] = b.percentile(spaced, 50)
res["add1_p99_s"] = b.percentile(spaced, 99)

res["list_s"] = statistics.median(b.must(["mail", "list", "accounts"])
                                  for _ in range(lists))
rc, _, out, _ = b.run_ws("mail", "list", "accounts")
res["listed"] = len(out.split())
if res["listed"] != size + adds:
    sys.exit("mail list accounts: %d accounts, wanted %d" % (res["listed"], size + adds))
if "--usable" in sys.argv:
    res.update(usable.measure(20 if not b.QUICK else 5))
res["load_after"] = os.getloadavg()[0]
b.save("accounts-%d" % size, res)
