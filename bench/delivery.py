"""delivery.py reference|webstack [TAG]: end-to-end delivery throughput.
Postfix's smtp-source sends MESSAGES messages of 2 KB in 10 parallel
sessions to 192.0.2.1:25, each to another local account (-N numbers the
recipients: 1bench@, 2bench@, ...); the figure is messages per second
from the start of smtp-source until the last one is a file in its
Maildir. "reference" runs against the hand-written stack of
bench/refstack.py; "webstack" against the stack `mail setup` made, then
again with av = "clamav" and spam = "spamassassin" (offline: a
self-made signature database, no network tests) and fewer messages.
Results: $BENCH_OUT/delivery-<mode>[-TAG].json."""
import os
import subprocess
import sys
import tempfile
import time

import benchlib as b
import refstack
import wslib as w

MESSAGES = 200 if b.QUICK else 2000
# spamd costs far more per message than the rest: fewer for that run
FILTER_MESSAGES = 100 if b.QUICK else 500
STALL = 60  # seconds without a new delivery: stop waiting
NAMES = ["%dbench" % i for i in range(1, MESSAGES + 1)]  # as -N numbers them


def delivered():
    """Messages in the accounts' Maildirs (nothing reads them: all in new/)."""
    base = os.path.join(w.MAIL_ROOT, b.DOMAIN)
    total = 0
    for name in NAMES:
        try:
            total += len(os.listdir(os.path.join(base, name, "new")))
        except FileNotFoundError:
            pass
    return total


def wait_port(port):
    ready, _ = w.wait_for(lambda: w.succeeds(lambda: w.smtp(port).quit()), 30, 0.1)
    if not ready:
        sys.exit("nothing answers on port %d" % port)


def throughput(messages=MESSAGES):
    """One smtp-source run of messages; the figures of the run."""
    before = delivered()
    start = time.perf_counter()
    src = subprocess.run(["/usr/sbin/smtp-source", "-N", "-s", "10", "-l", "2048",
                          "-m", str(messages), "-f", "sender@example.org",
                          "-t", "bench@" + b.DOMAIN, w.PUB4 + ":25"],
                         capture_output=True, text=True, timeout=1800)
    sent = time.perf_counter() - start
    if src.returncode != 0:
        sys.exit("smtp-source failed: " + src.stderr)
    count, last, progress = before, sent, time.perf_counter()
    while count < before + messages and time.perf_counter() - progress < STALL:
        time.sleep(0.1)
        now = delivered()
        if now > count:
            count, progress = now, time.perf_counter()
            last = progress - start
    return {"messages": messages, "delivered": count - before, "send_s": sent,
            "deliver_s": last, "rate": (count - before) / last}


def sample_headers():
    """The header of one delivered message (to see that it was scanned)."""
    new = os.path.join(w.MAIL_ROOT, b.DOMAIN, NAMES[0], "new")
    newest = max(os.listdir(new), key=lambda f: os.stat(os.path.join(new, f)).st_mtime)
    with open(os.path.join(new, newest), "rb") as f:
        return f.read().split(b"\n\n", 1)[0].decode(errors="replace")


def filters_on():
    w.make_clamav_database()
    # No network tests (the sandbox has no DNS); 192.0.2.x has no rDNS.
    with open("/etc/spamassassin/webstack-bench.cf", "w") as f:
        f.write("dns_available no\nskip_rbl_checks 1\nuse_razor2 0\nuse_pyzor 0\n")
    w.write_config(extra='av = "clamav"\nspam = "spamassassin"\n')
    w.setup_and_reload('setup with av = "clamav", spam = "spamassassin"')
    for sock in ("clamav/clamav-milter.ctl", "spamass/spamass.sock"):
        up, _ = w.wait_for(lambda: os.path.exists("/var/spool/postfix/" + sock), 60, 0.2)
        if not up:
            sys.exit("no milter socket " + sock)


res = {"load_before": os.getloadavg()[0]}
if sys.argv[1] == "reference":
    refstack.start(NAMES)
    wait_port(25)
    res["plain"] = throughput()
else:
    w.setup(fast_hash=True)
    b.must(["mail", "add", "domain", b.DOMAIN])
    b.must(["mail", "import", b.account_file(
        os.path.join(tempfile.mkdtemp(), "accounts.txt"), NAMES)])
    wait_port(25)
    res["plain"] = throughput()
    filters_on()
    res["filters"] = throughput(FILTER_MESSAGES)
    head = sample_headers()
    res["filters"]["scanned"] = "X-Virus-Scanned" in head and "X-Spam-Status" in head
res["load_after"] = os.getloadavg()[0]
b.save("-".join(["delivery"] + sys.argv[1:]), res)
