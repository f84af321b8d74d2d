"""report.py DIR: the table of the figures in DIR/*.json (written by the
parts of bench/run.sh), as Markdown, with the targets of issue 7 beside
them (the targets are for 100,000 accounts; smaller sizes show the
trend), and the figures of the directory in PostgreSQL (issue 8) beside
their reference of the same run. Nothing here passes or fails: it only
prints."""
import glob
import json
import os
import statistics
import sys

out = sys.argv[1]


def load(name):
    with open(os.path.join(out, name + ".json")) as f:
        return json.load(f)


def ms(s):
    return "%.1f ms" % (s * 1000) if s < 1 else "%.2f s" % s


def p50_max(values):
    got = [v for v in values if v is not None]
    text = "%s / %s" % (ms(statistics.median(got)), ms(max(got))) if got else "none"
    missing = len(values) - len(got)
    return text + (" (%d of %d never within 10 s)" % (missing, len(values)) if missing else "")


rows = []
sizes = sorted((load(os.path.basename(p)[:-5]) for p in glob.glob(os.path.join(out, "accounts-*.json"))),
               key=lambda r: r["size"])
for r in sizes:
    n, h = "{:,}".format(r["size"]), r["hash_s"]
    rows.append(("hash, one core (%s)" % r["scheme"], ms(h), ""))
    rows.append(("`add account` at %s accounts, back to back, p50 / p99 (n=%d)" % (
        n, r["add_n"]), "%s / %s" % (ms(r["add_p50_s"]), ms(r["add_p99_s"])), ""))
    rows.append(("... one a second, p50 / p99 (n=%d)" % r["add1_n"],
                 "%s / %s" % (ms(r["add1_p50_s"]), ms(r["add1_p99_s"])), ""))
    rows.append(("... one a second, excluding the hash (minus %s)" % ms(h),
                 "%s / %s" % (ms(r["add1_p50_s"] - h), ms(r["add1_p99_s"] - h)),
                 "p50 <= 20 ms, p99 <= 60 ms at 100,000"))
    rows.append(("`list accounts` at %s accounts (median of 5)" % n, ms(r["list_s"]),
                 "<= 100 ms at 100,000"))
    rows.append(("`import` of %s accounts" % n,
                 "%s: %.0f/s = %.2f of the all-core hash rate %.0f/s (%.0f-%.0f)" % (
                     ms(r["import_s"]), r["import_rate"], r["import_rate"] / r["hash_rate"],
                     r["hash_rate"], min(r["hash_rate_spread"]), max(r["hash_rate_spread"])),
                 ">= 0.90 at 100,000"))
    if "usable_imap_s" in r:
        k = len(r["usable_imap_s"])
        rows.append(("new account to first IMAP login, p50 / max (n=%d, at %s)" % (k, n),
                     p50_max(r["usable_imap_s"]), "<= 1.5 s"))
        rows.append(("new account to first accepted RCPT, p50 / max (n=%d, at %s)" % (k, n),
                     p50_max(r["usable_rcpt_s"]), "<= 1.5 s"))

# The directory in PostgreSQL (bench/pgaccounts.py): each figure at SIZE
# accounts, beside the reference of the same run before and after.
pgs = sorted((load(os.path.basename(p)[:-5]) for p in glob.glob(os.path.join(out, "pgaccounts-*.json"))),
             key=lambda r: r["size"])
for r in pgs:
    big, refs = r["big"], [r["reference"], r["reference_after"]]
    n = "{:,}".format(big["accounts"])
    at_ref = "the reference at %s / %s accounts (before / after)" % tuple(
        "{:,}".format(x["accounts"]) for x in refs)
    h = big["hash_s"]
    rows.append(("pgsql: hash, one core (%s)" % r["scheme"], ms(h), ""))
    rows.append(("pgsql: `add account` at %s accounts, p50 / p99 (n=%d)" % (n, big["add_n"]),
                 "%s / %s" % (ms(big["add_p50_s"]), ms(big["add_p99_s"])), ""))
    rows.append(("... excluding the hash (minus %s)" % ms(h),
                 "%s / %s" % (ms(big["add_p50_s"] - h), ms(big["add_p99_s"] - h)), ""))
    rows.append(("... " + at_ref, "; ".join("%s / %s" % (ms(x["add_p50_s"]), ms(x["add_p99_s"]))
                                           for x in refs) +
                 ": the p50 at %s is %.2f of their mean" % (
                     n, big["add_p50_s"] / statistics.mean(x["add_p50_s"] for x in refs)), ""))
    rows.append(("... CPU per add (webstack and its PostgreSQL backend), at %s / the reference" % n,
                 "%s / %s" % (ms(big["add_cpu_s"]), " and ".join(ms(x["add_cpu_s"]) for x in refs)),
                 ""))
    rows.append(("pgsql: IMAP logins per second at %s accounts (%d clients, %d accounts, %.0f s)"
                 % (n, big["login_clients"], big["login_sample"], big["login_s"]),
                 "%.1f/s (each p50 %s, p99 %s)" % (big["login_rate"], ms(big["login_p50_s"]),
                                                  ms(big["login_p99_s"])), ""))
    rows.append(("... " + at_ref, " and ".join("%.1f/s" % x["login_rate"] for x in refs) +
                 ": the rate at %s is %.2f of their mean" % (
                     n, big["login_rate"] / statistics.mean(x["login_rate"] for x in refs)), ""))
    rows.append(("... CPU per login (clients, Dovecot, PostgreSQL), at %s / the reference" % n,
                 "%s / %s" % (ms(big["login_cpu_s"]), " and ".join(ms(x["login_cpu_s"])
                                                                  for x in refs)), ""))
    rows.append(("pgsql: Dovecot's password query at %s accounts (median of 20, EXPLAIN ANALYZE)"
                 % n, "%.3f ms, %s; at the reference %s" % (
                     big["passdb_query_s"] * 1000, big["passdb_plan"],
                     " / ".join("%.3f ms" % (x["passdb_query_s"] * 1000) for x in refs)), ""))
    rows.append(("pgsql: `list accounts` at %s accounts (median of 3), peak RSS" % n,
                 "%s, %.0f MB; at the reference %s" % (
                     ms(big["list_s"]), big["list_maxrss"] / 2**20,
                     " / ".join("%s, %.0f MB" % (ms(x["list_s"]), x["list_maxrss"] / 2**20)
                                for x in refs)), ""))

refs = [load(os.path.basename(p)[:-5]) for p in sorted(glob.glob(os.path.join(out, "delivery-reference*.json")))]
if refs and os.path.exists(os.path.join(out, "delivery-webstack.json")):
    ws = load("delivery-webstack")
    ref = statistics.mean(x["plain"]["rate"] for x in refs)
    each = " and ".join("%.1f" % x["plain"]["rate"] for x in refs)
    for key, label in (("plain", "webstack"), ("filters", "webstack + ClamAV + SpamAssassin")):
        d = ws[key]
        note = "" if d["delivered"] == d["messages"] else ", only %d of %d delivered" % (
            d["delivered"], d["messages"])
        if key == "filters":
            note += ", scanned" if d["scanned"] else ", NOT scanned"
        rows.append(("delivery, %s / hand-written reference (%d msgs)" % (label, d["messages"]),
                     "%.1f / %.1f msg/s = %.2f%s" % (d["rate"], ref, d["rate"] / ref, note),
                     ">= 0.95" if key == "plain" else "(reference without filters)"))
    rows.append(("... the reference's runs", each + " msg/s", ""))

loads = [(r["load_before"], r["load_after"]) for r in sizes] + \
    [(x["load_before"], x["load_after"]) for r in pgs
     for x in (r["reference"], r["big"], r["reference_after"])] + \
    [(x["load_before"], x["load_after"]) for x in refs]
print("%d cores; 1-minute load average between %.1f and %.1f during the parts\n" % (
    os.cpu_count(), min(min(x) for x in loads), max(max(x) for x in loads)) if loads else "")
print("| figure | measured | target |\n|---|---|---|")
for row in rows:
    print("| %s | %s | %s |" % row)
