"""Two mail hosts share one PostgreSQL (directory = "pgsql", issue 8).

Host A is the throwaway host this script runs in: PostgreSQL, its own
Postfix and Dovecot. Host B is a second throwaway host started inside it
(sandbox.sh again, so its own network, mount, PID and UTS namespaces, its
own /etc, /var/mail, /var/spool/postfix, /var/lib and /run, and its own
Postfix and Dovecot), host name mailb.example.test. It runs this script
with --host-b: an agent that sets B up and obeys A's requests, one JSON
line each way over its stdin and stdout. A veth pair joins the two:
10.77.0.1 on A, 10.77.0.2 on B; PostgreSQL listens on 10.77.0.1 too and
B's webstack, Postfix and Dovecot reach it there. Neither namespace has a
route anywhere else.

Checked:
- an account added on A receives mail sent to B's Postfix (the message in
  its Maildir on B), and logs in on B over IMAP and finds it there; the
  time from A's `mail add account` returning until both have happened is
  measured and must be at most 2 seconds;
- the account deleted on A: B's Postfix refuses mail for it and its login
  on B fails, at once;
- an alias added on B delivers on A;
- 32 `mail add account` at once, 16 on each host, 8 addresses of them
  added on both hosts: each of those gets exactly one success and one
  exit 73 naming the address; every address is then exactly one row,
  nothing is lost, and `mail list accounts --json` is the same on A and
  on B."""
import glob
import json
import os
import select
import subprocess
import sys
import threading
import time

NET_A, NET_B, NET = "10.77.0.1", "10.77.0.2", "10.77.0.0/24"
VETH_A, VETH_B = "wstwo-a", "wstwo-b"
HOST_B = "mailb.example.test"
DOMAIN = "example.com"
LIMIT = 2.0          # seconds: the requirement
PROBE_TIMEOUT = 15   # seconds the probe goes on for a figure when over LIMIT
def run_adds(start_at, adds):
    """Starts `mail add account ADDRESS PASSWORD` for every (address,
    password) in adds at once, at time.monotonic() start_at (the clock is
    the machine's, the same on both hosts); returns [address, exit status,
    stderr, time.monotonic() when it ended] for each, in order."""
    out = [None] * len(adds)

    def wait(i, p):
        _, err = p.communicate(timeout=120)
        out[i] = [adds[i][0], p.returncode, err.strip(), time.monotonic()]
    w.sleep_until(start_at)
    procs = [subprocess.Popen([w.WEBSTACK] + w.GLOBAL + ["mail", "add", "account", a, pw],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for a, pw in adds]
    threads = [threading.Thread(target=wait, args=(i, p)) for i, p in enumerate(procs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def result(r):
    return {"rc": r.rc, "out": r.out, "err": r.err, "seconds": r.seconds}


# ---- host B: the agent ------------------------------------------------------

def b_setup(conninfo, passwords):
    """B's own configuration and `mail setup`, against A's database."""
    w.use_default_config()
    w.write_config(extra=pglib.webstack_config(passwords, conninfo))
    with open("/etc/dovecot/local.conf", "w") as f:
        f.write("log_path = /var/log/dovecot.log\nauth_verbose = yes\n")
    return result(w.ws("mail", "setup"))


def b_net(address, dev):
    """Addresses B's end of the veth pair; returns B's routes."""
    for cmd in (["ip", "addr", "add", address, "dev", dev],
                ["ip", "link", "set", dev, "up"]):
        subprocess.run(cmd, check=True, capture_output=True)
    routes = subprocess.run(["ip", "-4", "route", "show", "table", "all"],
                            capture_output=True, text=True).stdout
    routes6 = subprocess.run(["ip", "-6", "route", "show"], capture_output=True,
                             text=True).stdout
    return {"routes": routes, "routes6": routes6, "hostname": os.uname().nodename}


def b_probe(address, password):
    """As soon as it can: mail to address through B's Postfix (from a
    client on "another server"), the message in address's Maildir on B,
    and an IMAP login on B that finds it. Retries a refusal until
    PROBE_TIMEOUT. Returns time.monotonic() at each step and what failed."""
    end = time.monotonic() + PROBE_TIMEOUT
    out = {"errors": []}
    token = None
    while token is None and time.monotonic() < end:
        try:
            token = w.send("someone@example.org", address)
        except Exception as e:
            out["errors"].append("send: %s" % e)
            time.sleep(0.02)
    out["sent"] = time.monotonic()
    if token is None:
        return out
    found, _ = w.wait_for(lambda: w.find_in_maildir(address, token),
                          max(0, end - time.monotonic()), 0.01)
    out["delivered"] = time.monotonic() if found else None
    out["maildir"] = found
    while time.monotonic() < end:
        try:
            hits = w.imap_search(address, password, token)
            out["login"] = time.monotonic()
            out["imap_found"] = bool(hits)
            break
        except Exception as e:
            out["errors"].append("imap: %s" % e)
            time.sleep(0.02)
    out["errors"] = out["errors"][:5]
    return out


def b_rcpt(address):
    """B's Postfix's answer to RCPT TO address: [code, text]."""
    s = w.smtp()
    try:
        w.cmd(s, "MAIL FROM:<someone@example.org>")
        return list(w.cmd(s, "RCPT TO:<%s>" % address))
    finally:
        s.close()


def b_logs(lines=40):
    """The tails of B's logs and its mail queue, as one text."""
    out = []
    for path in sorted(glob.glob("/var/log/*.log")) + ["/var/log/syslog"]:
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                out.append("---- last lines of %s on B ----\n%s"
                           % (path, "".join(f.readlines()[-lines:])))
    q = subprocess.run(["postqueue", "-p"], capture_output=True, text=True)
    out.append("---- postqueue -p on B ----\n" + (q.stdout + q.stderr)[-3000:])
    return "\n".join(out)


B_OPS = {
    "setup": b_setup,
    "net": b_net,
    "ws": lambda args, input=None: result(w.ws(*args, input=input)),
    "probe": b_probe,
    "rcpt": b_rcpt,
    "login": lambda user, password: w.imap_login_ok(user, password),
    "adds": run_adds,
    "wait_background": lambda: w.wait_background(),
    "logs": b_logs,
}


def agent():
    """Host B: one request a line on stdin ({"op": name, "args": {...}}),
    one reply a line on the original stdout ({"ok": value} or {"error":
    text}). Everything else printed here (wslib's and tap's output) goes to
    stderr, which A passes through to the test's log, and the commands
    and daemons B starts get /dev/null as stdin: neither pipe is theirs."""
    requests = os.fdopen(os.dup(0), "r")
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(2, 1)

    def reply(**kw):
        proto.write(json.dumps(kw) + "\n")
    reply(ok="ready")
    for line in requests:
        req = json.loads(line)
        try:
            reply(ok=B_OPS[req["op"]](**req.get("args", {})))
        except Exception as e:
            reply(error="%s: %s" % (type(e).__name__, e))


# ---- host A: the test ---------------------------------------------------------

class HostB:
    """Host B: a nested sandbox running this script's agent."""

    def __init__(self):
        here = os.path.dirname(os.path.abspath(__file__))
        env = dict(os.environ, WS_E2E_HOSTNAME=HOST_B)
        self.p = subprocess.Popen(["sh", os.path.join(here, "sandbox.sh"), sys.executable,
                                   "-B", os.path.abspath(__file__), "--host-b"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  env=env)
        self.buf = ""
        self.logs = "host B's logs: B still ran"
        eq(self.read(60), {"ok": "ready"}, "host B's throwaway host started")
        self.pid = self.netns_pid()

    def read(self, timeout):
        end = time.monotonic() + timeout
        fd = self.p.stdout.fileno()
        while "\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return {"error": "no answer from host B in %d s" % timeout}
            chunk = os.read(fd, 65536).decode()
            if not chunk:
                return {"error": "host B exited (status %s)" % self.p.poll()}
            self.buf += chunk
        line, self.buf = self.buf.split("\n", 1)
        return json.loads(line)

    def send(self, op, **args):
        """Asks B for op(**args); receive() reads the answer."""
        self.p.stdin.write(json.dumps({"op": op, "args": args}) + "\n")
        self.p.stdin.flush()
        self.op = op

    def receive(self, timeout=120):
        """The value of B's op; raises RuntimeError with B's error."""
        r = self.read(timeout)
        if "error" in r:
            raise RuntimeError("host B, %s: %s" % (self.op, r["error"]))
        return r["ok"]

    def call(self, op, timeout=120, **args):
        """B's op(**args); raises RuntimeError with B's error."""
        self.send(op, **args)
        return self.receive(timeout)

    def netns_pid(self):
        """A process of B's (the first below our child in another network
        namespace): its PID names B's network namespace."""
        mine = os.readlink("/proc/self/ns/net")
        parent = {}
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/stat" % pid) as f:
                    parent[int(pid)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
        todo, seen = [self.p.pid], set()
        while todo:
            pid = todo.pop(0)
            seen.add(pid)
            try:
                if os.readlink("/proc/%d/ns/net" % pid) != mine:
                    return pid
            except OSError:
                pass
            todo.extend(c for c, pp in parent.items() if pp == pid and c not in seen)
        tap.bail_out("host B's network namespace not found")

    def ws(self, *args, input=None):
        """webstack on B: a wslib.Result."""
        r = self.call("ws", args=list(args), input=input)
        return w.Result(list(args), r["rc"], r["out"], r["err"], r["seconds"])

    def expect(self, rc, *args, desc=None):
        r = self.ws(*args)
        ok(r.rc == rc, "on B: %s exits %d" % (desc or "webstack " + " ".join(args), rc),
           None if r.rc == rc else r)
        return r

    def close(self):
        """Ends B (its throwaway host dies with the agent); its logs are
        kept in self.logs first, for the diagnostics of a failed check."""
        if tap.failed:
            self.logs = attempt(self.call, "logs")[1]
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            return self.p.wait(30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return self.p.wait()


def sh(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        tap.bail_out("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r.stdout


def attempt_b(desc, op, **args):
    """B's op: (True, value), or a failed test point and (False, None)."""
    try:
        return True, b.call(op, **args)
    except RuntimeError as e:
        ok(False, desc, str(e))
        return False, None


def main():
    global b
    # B first: its sandbox copies this host's /etc and /var/spool/postfix,
    # which must still be the machine's.
    b = HostB()
    tap.on_failure(lambda: tap.diag(b.logs))

    sh("ip", "link", "add", VETH_A, "type", "veth", "peer", "name", VETH_B,
       "netns", str(b.pid))
    sh("ip", "addr", "add", NET_A + "/24", "dev", VETH_A)
    sh("ip", "link", "set", VETH_A, "up")
    net = b.call("net", address=NET_B + "/24", dev=VETH_B)
    eq(net["hostname"], HOST_B, "host B has its own host name")
    ok("default" not in net["routes"] + net["routes6"] and NET in net["routes"],
       "host B's only route out is the veth pair to A", net["routes"] + net["routes6"])
    ok("default" not in sh("ip", "route", "show", "table", "all"),
       "host A has no route out either")

    db = pglib.Directory(os.environ["WS_BUILDDIR"], listen=(NET_A,), clients=(NET,))
    tap.on_failure(lambda: tap.diag(open(db.srv.log).read()[-2000:]))
    w.setup(extra=db.webstack_config())
    conninfo_b = "host=%s port=%d dbname=webstack user=webstack" % (NET_A, pglib.PORT)
    r = b.call("setup", conninfo=conninfo_b, passwords=db.passwords)
    ok(r["rc"] == 0, "on B: mail setup against A's database over the veth pair exits 0",
       None if r["rc"] == 0 else r)
    if r["rc"]:
        tap.bail_out("host B's mail setup failed")
    tap.diag("setup on B took %.1f s" % r["seconds"])
    r = b.expect(0, "mail", "status")
    ok("schema version" in r.out, "mail status on B reports the shared database", r.out)

    # ---- added on A: mail and login on B --------------------------------------------
    w.expect(0, "mail", "add", "domain", DOMAIN)
    r = b.expect(0, "mail", "list", "domains", "--json")
    ok(DOMAIN in r.out, "B lists the domain A added", r.out)
    w.expect(0, "mail", "add", "account", "alice@" + DOMAIN, "alice-secret-1")
    added = time.monotonic()
    ok_, p = attempt_b("the probe on B runs", "probe", address="alice@" + DOMAIN,
                       password="alice-secret-1", timeout=PROBE_TIMEOUT + 30)
    if ok_:
        delivered = p["delivered"] - added if p.get("delivered") else None
        login = p["login"] - added if p.get("login") else None
        both = max(delivered, login) if delivered is not None and login is not None else None
        tap.diag("alice added on A: delivered on B after %s s, IMAP login on B after %s s"
                 % ("%.3f" % delivered if delivered is not None else "never",
                    "%.3f" % login if login is not None else "never"))
        if p["errors"]:
            tap.diag("refusals before it worked:", *p["errors"])
        ok(p["maildir"] and p["maildir"].startswith("/var/mail/vhosts/example.com/alice/"),
           "mail sent to B's Postfix lands in alice's Maildir on B", p)
        ok(p.get("imap_found"), "alice logs in on B over IMAP and finds it", p)
        ok(both is not None and both <= LIMIT,
           "both within %.0f s of A's add returning" % LIMIT,
           "%s s" % ("%.3f" % both if both is not None else "never"))
    # B never had the domain's directory: Dovecot made it, and the Maildir,
    # as webstack makes them.
    b.expect(0, "mail", "check", desc="mail check after the first delivery")
    ok(b.call("login", user="alice@" + DOMAIN, password="alice-secret-1"),
       "alice logs in on B again")
    ok(not b.call("login", user="alice@" + DOMAIN, password="wrong-password"),
       "not with a wrong password")
    ok(w.imap_login_ok("alice@" + DOMAIN, "alice-secret-1"), "and on A")

    # ---- deleted on A: refused on B -------------------------------------------------
    w.expect(0, "mail", "add", "account", "dave@" + DOMAIN, "dave-secret-1")
    ok(b.call("login", user="dave@" + DOMAIN, password="dave-secret-1"),
       "dave, added on A, logs in on B")
    w.expect(0, "mail", "del", "account", "dave@" + DOMAIN)
    ok(not b.call("login", user="dave@" + DOMAIN, password="dave-secret-1"),
       "dave, deleted on A, no longer logs in on B")
    code, text = b.call("rcpt", address="dave@" + DOMAIN)
    ok(code == 550, "and B's Postfix refuses mail for him", "%s %s" % (code, text))
    code, text = b.call("rcpt", address="alice@" + DOMAIN)
    ok(code == 250, "while it takes mail for alice", "%s %s" % (code, text))

    # ---- an alias added on B delivers on A ----------------------------------------------
    w.expect(0, "mail", "add", "account", "carol@" + DOMAIN, "carol-secret-1", "--wait")
    b.expect(0, "mail", "add", "alias", "team@" + DOMAIN, "carol@" + DOMAIN)
    sent, token = attempt(w.send, "someone@example.org", "team@" + DOMAIN)
    ok(sent, "A's Postfix takes mail for the alias B added", token)
    ok(sent and w.wait_delivery("carol@" + DOMAIN, token)[0],
       "and delivers it to carol's Maildir on A")
    r = w.expect(0, "mail", "list", "aliases", "--json")
    ok("team@" + DOMAIN in r.out, "A lists the alias B added", r.out)
    w.expect(0, "mail", "del", "alias", "team@" + DOMAIN)

    # ---- 32 adds at once, 16 on each host -------------------------------------------
    both = ["both%d@%s" % (i, DOMAIN) for i in range(8)]
    only_a = ["a%d@%s" % (i, DOMAIN) for i in range(8)]
    only_b = ["b%d@%s" % (i, DOMAIN) for i in range(8)]
    adds_a = [(a, "secret-a-" + a.split("@")[0]) for a in both + only_a]
    adds_b = [(a, "secret-b-" + a.split("@")[0]) for a in both + only_b]
    start = time.monotonic() + 1.0  # time for B to get the request
    b.send("adds", start_at=start, adds=adds_b)
    res_a = run_adds(start, adds_a)
    ok_, res_b = attempt(lambda: b.receive(180))
    ok(ok_, "B ran its 16 adds", res_b)
    res_b = res_b if ok_ else []
    rc_a = {a: (rc, err) for a, rc, err, _ in res_a}
    rc_b = {a: (rc, err) for a, rc, err, _ in res_b}
    bad = ["%s on %s: exit %s: %s" % (a, h, rc, err)
           for h, res, mine in (("A", rc_a, only_a), ("B", rc_b, only_b))
           for a in mine for rc, err in [res.get(a, (None, "no result"))] if rc != 0]
    ok(not bad, "the 16 addresses added on one host only: all added", "\n".join(bad))
    # The two hosts' adds ran at the same time: each host's last one
    # ended after the other's first one.
    end_a = sorted(e - start for *_, e in res_a)
    end_b = sorted(e - start for *_, e in res_b) or [0]
    tap.diag("the adds ended %.2f-%.2f s after the start on A, %.2f-%.2f s on B"
             % (end_a[0], end_a[-1], end_b[0], end_b[-1]))
    ok(end_a[-1] > end_b[0] and end_b[-1] > end_a[0], "the two hosts' adds overlapped")
    winners, bad, paths = {}, [], {}
    for a in both:
        (ra, ea), (rb, eb) = rc_a.get(a, (None, "")), rc_b.get(a, (None, ""))
        if sorted((ra, rb)) != [0, 73]:
            bad.append("%s: A exit %s (%s), B exit %s (%s)" % (a, ra, ea, rb, eb))
            continue
        winners[a] = "a" if ra == 0 else "b"
        err = eb if ra == 0 else ea
        if a not in err or "already" not in err:
            bad.append("%s: the refusal does not say why: %s" % (a, err))
        paths[err.replace(a, "ADDRESS")] = paths.get(err.replace(a, "ADDRESS"), 0) + 1
    ok(not bad, "each of the 8 addresses added on both hosts: one success and one exit 73 "
       "that names it", "\n".join(bad))
    tap.diag("the 8 added on both: %d won on A, %d on B"
             % (list(winners.values()).count("a"), list(winners.values()).count("b")))
    for text, n in sorted(paths.items()):
        tap.diag("%d refused with: %s" % (n, text))

    ok(w.wait_background() and b.call("wait_background"),
       "the background work of the adds finished on both hosts")
    everyone = sorted(both + only_a + only_b)
    _, rows, _ = db.psql_as("webstack", "SELECT address, count(*) FROM ws_accounts WHERE "
                            "address ~ '^(both|a|b)[0-9]@' GROUP BY address ORDER BY address;")
    eq(rows.split(), ["%s|1" % a for a in everyone],
       "PostgreSQL holds each of the 24 addresses exactly once")
    _, rows, _ = db.psql_as("webstack", "SELECT count(*) FROM ws_addresses WHERE "
                            "address ~ '^(both|a|b)[0-9]@';")
    eq(rows, "24", "and 24 address rows, no more")
    la = w.expect(0, "mail", "list", "accounts", "--json")
    lb = b.expect(0, "mail", "list", "accounts", "--json")
    try:
        listed_a, listed_b = json.loads(la.out), json.loads(lb.out)
    except ValueError:
        listed_a, listed_b = None, []
    eq(listed_a, listed_b, "mail list accounts --json is the same on A and B")
    eq(sorted(x["address"] for x in listed_b),
       sorted(everyone + ["alice@" + DOMAIN, "carol@" + DOMAIN]),
       "and lists every account once")
    # The winner's password is the account's, on either host.
    bad = []
    for a, host in sorted(winners.items()):
        pw = "secret-%s-%s" % (host, a.split("@")[0])
        if not (w.imap_login_ok(a, pw) and b.call("login", user=a, password=pw)):
            bad.append("%s (added on %s)" % (a, host.upper()))
    ok(not bad, "each address added on both logs in on both with the winner's password",
       ", ".join(bad))

    eq(b.close(), 0, "host B's agent exits 0")
    tap.done()


def attempt(fn, *args):
    """fn(*args): (True, its value), or (False, the exception's text)."""
    try:
        return True, fn(*args)
    except Exception as e:
        return False, "%s: %s" % (type(e).__name__, e)


if len(sys.argv) > 1 and sys.argv[1] == "--host-b":
    import pglib
    import wslib as w
    agent()
else:
    import pglib
    import tap
    import wslib as w
    from tap import ok, eq
    try:
        main()
    except Exception:
        import traceback
        ok(False, "the test runs to its end", traceback.format_exc())
        if "b" in globals():
            b.close()
        tap.done()
