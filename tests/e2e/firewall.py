"""The firewall modules against the real nft and iptables, in the throwaway
host's own network namespace: a second namespace (the client) reaches it
over a veth pair. For each backend, with a default-drop input policy and
unrelated rules set up first: before `mail firewall open` no mail port
answers; after it every enabled port answers over IPv4 and IPv6 and a
disabled service's port does not; the ruleset holds exactly the expected
ports; opening again changes nothing; after `close` no port answers and the
ruleset is byte-identical to before. Switching the backend in the config
and running close and open leaves none of the other backend's rules.
Without the tool, open exits 69 and changes nothing."""
import json
import os
import re
import socket
import subprocess
import threading

import tap
import wslib as w
from tap import ok, eq

CLIENT = "wsclient"
SERVER4, CLIENT4 = "10.77.0.1", "10.77.0.2"
SERVER6, CLIENT6 = "fd77::1", "fd77::2"
ALL = [25, 465, 587, 110, 995, 143, 993, 4190]
DISABLED = 110  # service "pop3" is switched off below
OPEN = [p for p in ALL if p != DISABLED]
BUILT = os.path.join(w.BUILDDIR, "modules", ".libs")


def sh(*cmd, check=True, input=None):
    r = subprocess.run(cmd, capture_output=True, text=True, input=input)
    if check and r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr))
    return r.stdout


def network():
    """The client namespace and the veth pair, addresses on both ends."""
    sh("ip", "netns", "add", CLIENT)
    sh("ip", "link", "add", "wsfw0", "type", "veth", "peer", "name", "wsfw1")
    sh("ip", "link", "set", "wsfw1", "netns", CLIENT)
    sh("ip", "addr", "add", SERVER4 + "/24", "dev", "wsfw0")
    sh("ip", "addr", "add", SERVER6 + "/64", "dev", "wsfw0", "nodad")
    sh("ip", "link", "set", "wsfw0", "up")
    inside = ["ip", "netns", "exec", CLIENT]
    sh(*inside, "ip", "addr", "add", CLIENT4 + "/24", "dev", "wsfw1")
    sh(*inside, "ip", "addr", "add", CLIENT6 + "/64", "dev", "wsfw1", "nodad")
    sh(*inside, "ip", "link", "set", "wsfw1", "up")
    sh(*inside, "ip", "link", "set", "lo", "up")


def listen():
    """A listener on every mail port (IPv4 and IPv6) that accepts and closes."""
    def serve(s):
        while True:
            c, _ = s.accept()
            c.close()
    for port in ALL:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", port))
        s.listen(16)
        threading.Thread(target=serve, args=(s,), daemon=True).start()


PROBE = """
import json, socket, sys
out = {}
for host in sys.argv[1:3]:
    for port in map(int, sys.argv[3:]):
        try:
            socket.create_connection((host, port), 0.4).close()
            out["%s/%d" % (host, port)] = True
        except OSError:
            out["%s/%d" % (host, port)] = False
print(json.dumps(out))
"""


def reachable():
    """{(family, port): connected} as seen from the client namespace."""
    out = json.loads(sh("ip", "netns", "exec", CLIENT, "/usr/bin/python3", "-c", PROBE,
                        SERVER4, SERVER6, *map(str, ALL)))
    return {("ipv4" if k.startswith(SERVER4) else "ipv6", int(k.rsplit("/", 1)[1])): v
            for k, v in out.items()}


def expect_reach(want_open, desc):
    got = reachable()
    want = {(fam, p): p in want_open for fam in ("ipv4", "ipv6") for p in ALL}
    eq(got, want, desc)


def ruleset():
    """Everything of both tools, counters left out (traffic changes them)."""
    text = sh("nft", "list", "ruleset") + sh("iptables-save") + sh("ip6tables-save")
    text = re.sub(r"counter packets \d+ bytes \d+", "counter", text)
    text = re.sub(r"\[\d+:\d+\]", "[]", text)
    return "\n".join(l for l in text.splitlines() if not l.startswith("#"))


def config(backend):
    w.write_config(extra='firewall = "%s"\nservice "pop3" {\n  enabled = false\n}\n'
                   % backend)


# The host's own firewall before webstack: input drops by default; what it
# allows (loopback, replies, ICMPv6 for neighbour discovery) and a few
# unrelated rules that must come through untouched.
HOST_NFT = """
table inet filter {
    chain input {
        type filter hook input priority filter; policy drop;
        iif "lo" accept
        ct state established,related accept
        meta l4proto ipv6-icmp accept
        ip saddr 203.0.113.99 drop
    }
    chain forward {
        type filter hook forward priority filter; policy drop;
    }
}
table ip unrelated {
    set blocked { type ipv4_addr; elements = { 198.51.100.7 } }
    chain out { type filter hook output priority filter; policy accept; ip daddr @blocked drop; }
}
"""


def host_iptables():
    for tool in ("iptables", "ip6tables"):
        sh(tool, "-w", "-P", "INPUT", "DROP")
        sh(tool, "-w", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT")
        sh(tool, "-w", "-A", "INPUT", "-m", "conntrack", "--ctstate",
           "ESTABLISHED,RELATED", "-j", "ACCEPT")
        sh(tool, "-w", "-N", "LOGDROP")
        sh(tool, "-w", "-A", "LOGDROP", "-j", "DROP")
    sh("ip6tables", "-w", "-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT")
    sh("iptables", "-w", "-A", "INPUT", "-s", "203.0.113.99", "-j", "LOGDROP")


def reset_firewall():
    sh("nft", "flush", "ruleset")


def check_backend(backend, host_setup):
    tap.diag("---- backend %s ----" % backend)
    reset_firewall()
    host_setup()
    config(backend)
    before = ruleset()
    expect_reach([], "%s: with the host's drop policy no mail port answers" % backend)
    w.expect(0, "--dry-run", "mail", "firewall", "open",
             desc="%s: open --dry-run" % backend)
    eq(ruleset(), before, "%s: --dry-run changes no rule" % backend)
    # (after the dry run, which made the lock file)
    files_before = w.tree_digest(("/etc/webstack", "/var/lib/webstack"))
    w.expect(0, "mail", "firewall", "open", desc="%s: open" % backend)
    expect_reach(OPEN, "%s: after open every enabled port answers on IPv4 and IPv6, "
                 "pop3's 110 (switched off) does not" % backend)
    opened = ruleset()
    w.expect(0, "mail", "firewall", "open", desc="%s: open again" % backend)
    eq(ruleset(), opened, "%s: opening twice gives the same ruleset" % backend)
    r = w.expect(0, "mail", "firewall", "status", "--json",
                 desc="%s: status" % backend)
    checks = json.loads(r.out)["checks"] if r.rc == 0 else []
    ok(all(c["ok"] for c in checks) and
       all(any(c["check"].endswith("tcp/%d" % p) for c in checks) for p in OPEN),
       "%s: status shows every enabled port open" % backend, r.out)
    w.expect(0, "mail", "firewall", "close", desc="%s: close" % backend)
    expect_reach([], "%s: after close no mail port answers" % backend)
    eq(ruleset(), before, "%s: after close the ruleset is byte-identical to "
       "before open" % backend)
    w.expect(0, "mail", "firewall", "close", desc="%s: close again" % backend)
    eq(ruleset(), before, "%s: closing twice changes nothing" % backend)
    eq(w.digest_diff(files_before, w.tree_digest(("/etc/webstack", "/var/lib/webstack"))),
       "", "%s: close leaves webstack's own files as before open" % backend)
    return opened


def nft_ports():
    """The ports in table inet webstack's set and in webstack's rule in
    inet filter input."""
    text = sh("nft", "list", "ruleset")
    m = re.search(r"set mail_tcp \{.*?elements = \{([^}]*)\}", text, re.S)
    rule = re.search(r"tcp dport \{([^}]*)\} accept comment \"webstack\"", text)
    nums = lambda s: sorted(int(x) for x in re.findall(r"\d+", s)) if s else None
    return nums(m.group(1) if m else ""), nums(rule.group(1) if rule else "")


def ipt_ports(tool):
    out = sh(tool, "-w", "-S", "WEBSTACK", check=False)
    m = re.search(r"--dports (\S+)", out)
    return sorted(int(p) for p in m.group(1).split(",")) if m else None


w.use_default_config()
os.makedirs("/etc/webstack", exist_ok=True)
network()
listen()

# ---- nftables ------------------------------------------------------------------
def host_nft():
    sh("nft", "-f", "-", input=HOST_NFT)


check_backend("nftables", host_nft)
reset_firewall()
host_nft()
w.expect(0, "mail", "firewall", "open", desc="nftables: open (for the ruleset check)")
eq(nft_ports(), (sorted(OPEN), sorted(OPEN)),
   "nftables: the set and the rule in the host's drop chain hold exactly the enabled ports")
with open("/etc/nftables.conf") as f:
    ok('include "/etc/webstack/firewall.nft"' in f.read(),
       "nftables: /etc/nftables.conf includes the rules for the next boot")
r = subprocess.run(["nft", "-c", "-f", "/etc/webstack/firewall.nft"], capture_output=True, text=True)
ok(r.returncode == 0, "nftables: the boot file is valid nft input", r.stderr)

# ---- iptables ---------------------------------------------------------------------
have_iptables = os.path.exists(os.path.join(BUILT, "iptables.so"))
if have_iptables:
    w.expect(0, "mail", "firewall", "close", desc="nftables: close before iptables")
    check_backend("iptables", host_iptables)
    reset_firewall()
    host_iptables()
    w.expect(0, "mail", "firewall", "open", desc="iptables: open (for the ruleset check)")
    eq((ipt_ports("iptables"), ipt_ports("ip6tables")), (sorted(OPEN), sorted(OPEN)),
       "iptables: chain WEBSTACK holds exactly the enabled ports, IPv4 and IPv6")

    # ---- switching backends -------------------------------------------------------
    config("nftables")
    w.expect(0, "mail", "firewall", "close", desc="switched to nftables: close")
    eq((ipt_ports("iptables"), ipt_ports("ip6tables")), (None, None),
       "close after the switch removes the iptables backend's chains")
    w.expect(0, "mail", "firewall", "open", desc="switched to nftables: open")
    ok("WEBSTACK" not in sh("iptables-save") + sh("ip6tables-save"),
       "no iptables rule of webstack is left", sh("iptables-save"))
    ok(sh("nft", "list", "table", "inet", "webstack", check=False),
       "the nftables backend's table is in place")
    config("iptables")
    w.expect(0, "mail", "firewall", "open", desc="switched back to iptables: open")
    r = subprocess.run(["nft", "list", "table", "inet", "webstack"], capture_output=True)
    ok(r.returncode != 0, "open after the switch removed the nftables backend's table")
    eq((ipt_ports("iptables"), ipt_ports("ip6tables")), (sorted(OPEN), sorted(OPEN)),
       "and the iptables backend opened the ports")
    w.expect(0, "mail", "firewall", "close", desc="iptables: close")
else:
    tap.skip("the iptables backend", "module iptables not built")
    w.expect(0, "mail", "firewall", "close", desc="nftables: close")

# ---- without the tool -------------------------------------------------------------
config("nftables")
reset_firewall()
host_nft()
before = ruleset()
digest = w.tree_digest(("/etc/webstack", "/var/lib/webstack", "/etc/nftables.conf"))
with open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "no-nft"), "w") as f:
    fake = f.name
sh("mount", "--bind", fake, "/usr/sbin/nft")
try:
    r = w.expect(69, "mail", "firewall", "open", desc="open without a working nft")
    ok("nftables" in r.err, "and says to install nftables", r.err)
finally:
    sh("umount", "/usr/sbin/nft")
eq(ruleset(), before, "and changes no rule")
eq(w.digest_diff(digest, w.tree_digest(("/etc/webstack", "/var/lib/webstack",
                                         "/etc/nftables.conf"))), "", "and no file")
tap.done()
