"""DKIM signing with the opendkim module: `mail setup` starts two OpenDKIM
processes (RSA signs and verifies, Ed25519 signs) as Postfix milters. Mail
submitted on 587 and through sendmail arrives with an rsa-sha256 and an
ed25519-sha256 signature that dkimpy verifies, its DNS answered only from
the records `mail dns show` printed. Mail from outside is not signed and gets an
Authentication-Results header; a signed message coming back in from outside
is verified (dkim=pass) against a Knot server on loopback that serves those
records. A domain added later signs at once; after `dkim rotate` mail is
signed with the new selectors; a deleted domain leaves the tables."""
import grp
import json
import os
import pwd
import stat
import subprocess
import sys
import tempfile
import time

_here = sys.path.pop(0)  # keep the test directory from shadowing modules
import dkim  # dkimpy, Debian's python3-dkim
sys.path.insert(0, _here)

import tap
import wslib as w
from tap import ok, eq

ALICE = ("alice@example.com", "alice-pw-123")
BOB = ("bob@example.com", "bob-pw-123")
CAROL = ("carol@example.net", "carol-pw-123")
SOCKDIR = "/var/spool/postfix/opendkim"
KNOT_PORT = 5353

w.setup(extra='dkim = "opendkim"\ndns = "ldns"\n'
        # OpenDKIM resolves on its own (libunbound, not resolv.conf): point
        # it at the Knot server below; that server is not DNSSEC-signed.
        'opendkim {\n  trust_anchor_file = ""\n'
        '  nameservers = {"127.0.0.1@%d"}\n}\n' % KNOT_PORT)


def records(domain):
    """{owner (bytes, with the final dot): TXT (bytes)} of the DKIM records
    `mail dns show` prints, each the concatenation of its strings."""
    r = w.expect(0, "mail", "dns", "show", domain, "--format", "json")
    try:
        recs = json.loads(r.out)["records"]
    except (ValueError, KeyError):
        ok(False, "dns show --format json parses", r.out)
        return {}
    return {rec["owner"].encode(): "".join(rec["strings"]).encode() for rec in recs
            if rec["type"] == "TXT" and "._domainkey." in rec["owner"]}


def signatures(raw):
    """[(a=, s=, d=, verified)] of every DKIM-Signature in raw, checked by
    dkimpy with DNS lookups answered only from webstack's records."""
    txt = {}
    for d in ("example.com", "example.net"):
        if subprocess.run([w.WEBSTACK] + w.GLOBAL + ["mail", "list", "domains"],
                          capture_output=True, text=True).stdout.split().count(d):
            txt.update(records(d))
    d = dkim.DKIM(raw)
    n = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
    out = []
    for i in range(n):
        good = d.verify(idx=i, dnsfunc=lambda name, timeout=5: txt.get(name))
        f = d.signature_fields
        out.append((f.get(b"a", b"").decode(), f.get(b"s", b"").decode(),
                    f.get(b"d", b"").decode(), bool(good)))
    return out


def delivered(address, token):
    path, _ = w.wait_delivery(address, token)
    ok(path, "message %s reaches %s" % (token, address))
    return open(path, "rb").read() if path else b""


def header_block(raw):
    return raw.split(b"\n\n", 1)[0].decode(errors="replace")


# ---- what setup made --------------------------------------------------------
w.expect(0, "mail", "add", "domain", "example.com")
w.expect(0, "mail", "add", "account", "--wait", *ALICE)
w.expect(0, "mail", "add", "account", "--wait", *BOB)
st = os.stat(SOCKDIR)
eq((oct(stat.S_IMODE(st.st_mode)), pwd.getpwuid(st.st_uid).pw_name,
    grp.getgrgid(st.st_gid).gr_name), ("0o2750", "opendkim", "postfix"),
   "%s is 2750 opendkim:postfix (setgid: sockets get Postfix's group)" % SOCKDIR)
ok("postfix" not in grp.getgrnam("opendkim").gr_mem,
   "postfix is not in group opendkim (OpenDKIM would distrust the keys)")
milters = subprocess.run(["postconf", "-h", "smtpd_milters", "non_smtpd_milters"],
                         capture_output=True, text=True).stdout.split("\n")
eq(milters[:2], ["unix:opendkim/rsa.sock, unix:opendkim/ed25519.sock",
                 "$smtpd_milters"], "Postfix calls both signers, for smtpd and sendmail")
status = json.loads(w.expect(0, "mail", "status", "--json").out)
for check in ("opendkim rsa", "opendkim ed25519", "opendkim rsa socket",
              "opendkim ed25519 socket"):
    item = [c for c in status["checks"] if c["check"] == check]
    ok(item and item[0]["ok"], "status: %s is fine" % check, item)
with open("/etc/opendkim/KeyTable.rsa") as f:
    table = f.read()
ok("._domainkey.example.com example.com:ws" in table,
   "the RSA key table lists example.com's signing key", table)
pids = {p: open(p).read() for p in ("/run/opendkim/opendkim.pid",
                                   "/run/opendkim/ed25519.pid")}

# ---- 587: two signatures, both verify ----------------------------------------
token = w.send(ALICE[0], BOB[0], port=587, login=ALICE)
raw = delivered(BOB[0], token)
sigs = signatures(raw)
eq(sorted(s[0] for s in sigs), ["ed25519-sha256", "rsa-sha256"],
   "mail through 587 carries an rsa-sha256 and an ed25519-sha256 signature")
ok(sigs and all(s[3] and s[2] == "example.com" for s in sigs),
   "dkimpy verifies both, d=example.com", sigs)

# ---- sendmail (non_smtpd_milters) ----------------------------------------------
token2 = "tok-local-%d" % time.time()
subprocess.run(["/usr/sbin/sendmail", "-f", ALICE[0], BOB[0]], check=True, text=True,
               input="From: <%s>\nTo: <%s>\nSubject: local %s\n\nbody %s\n" % (
                   ALICE[0], BOB[0], token2, token2))
sigs = signatures(delivered(BOB[0], token2))
ok(len(sigs) == 2 and all(s[3] for s in sigs),
   "mail through sendmail is signed twice and verifies", sigs)

# ---- from outside: not signed, Authentication-Results ---------------------------
token3 = w.send("someone@example.org", BOB[0], port=25)
raw3 = delivered(BOB[0], token3)
ok(b"dkim-signature" not in raw3.lower(), "mail from outside is not signed",
   header_block(raw3))
ok(("Authentication-Results: %s;" % w.HOST).encode() in raw3,
   "mail from outside gets Authentication-Results of %s" % w.HOST, header_block(raw3))


# ---- a signed message coming in from outside is verified -----------------------
def start_knot(domains):
    """Knot on 127.0.0.1:KNOT_PORT serving the domains' DKIM records as
    webstack prints them; returns its config path."""
    d = tempfile.mkdtemp(prefix="knot-")
    os.makedirs(d + "/zones")
    with open(d + "/knot.conf", "w") as f:
        f.write("server:\n  rundir: %s\n  listen: 127.0.0.1@%d\n"
                "database:\n  storage: %s\n"
                "template:\n  - id: default\n    storage: %s/zones\n"
                "    file: \"%%s.zone\"\nzone:\n" % (d, KNOT_PORT, d, d))
        for dom in domains:
            f.write("  - domain: %s\n" % dom)
    for dom in domains:
        with open("%s/zones/%s.zone" % (d, dom), "w") as f:
            f.write("@ 3600 IN SOA ns1.%s. hostmaster.%s. 1 3600 900 604800 300\n"
                    "@ 3600 IN NS ns1.%s.\n" % (dom, dom, dom))
            for name, txt in records(dom).items():
                t = txt.decode()
                f.write("%s 3600 IN TXT %s\n" % (name.decode(), " ".join(
                    '"%s"' % t[i:i + 255] for i in range(0, len(t), 255))))
    r = subprocess.run(["knotd", "-c", d + "/knot.conf", "-d"], capture_output=True,
                       text=True)
    ok(r.returncode == 0, "Knot starts on 127.0.0.1:%d" % KNOT_PORT, r.stderr)
    up, _ = w.wait_for(lambda: subprocess.run(
        ["knotc", "-c", d + "/knot.conf", "status"], capture_output=True).returncode == 0, 10)
    ok(up, "Knot answers knotc")
    return d + "/knot.conf"


knot = start_knot(["example.com"])
# The 587 message as it left this host: from its first DKIM-Signature on
# (what the receiving side's own Received headers would precede).
head, body = raw.split(b"\n\n", 1)
lines = head.split(b"\n")
first = next(i for i, l in enumerate(lines) if l.lower().startswith(b"dkim-signature:"))
replay = b"\r\n".join(lines[first:]) + b"\r\n\r\n" + body.replace(b"\n", b"\r\n")
s = w.smtp(25)
try:
    s.sendmail(ALICE[0], [BOB[0]], replay)
finally:
    s.quit()
marker = replay.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0].decode()


def replayed():
    for sub in ("new", "cur"):
        base = os.path.join(w.maildir(BOB[0]), sub)
        for name in os.listdir(base):
            t = open(os.path.join(base, name), "rb").read()
            if marker.encode() in t and t.count(b"Authentication-Results:") >= 1 \
                    and t.count(b"DKIM-Signature:") == 2 and b"dkim=" in t:
                return t
    return None


again, _ = w.wait_for(replayed, w.DELIVERY_TIMEOUT)
ar = header_block(again) if again else ""
ok("dkim=pass" in ar and "header.a=rsa-sha256" in ar and "header.a=ed25519-sha256" in ar,
   "OpenDKIM verifies both signatures of mail from outside (dkim=pass)", ar)

# ---- a new domain signs at once ---------------------------------------------------
w.expect(0, "mail", "add", "domain", "example.net")
w.expect(0, "mail", "add", "account", "--wait", *CAROL)
token4 = w.send(CAROL[0], BOB[0], port=587, login=CAROL)
sigs = signatures(delivered(BOB[0], token4))
ok(len(sigs) == 2 and all(s[3] and s[2] == "example.net" for s in sigs),
   "a domain added after setup signs its mail at once (d=example.net)", sigs)
eq({p: open(p).read() for p in pids}, pids,
   "adding a domain reloads OpenDKIM, it does not restart it")

# ---- rotate: the new selectors sign, the old ones stay published -----------------
before = set(records("example.com"))
w.expect(0, "mail", "dkim", "rotate", "example.com")
after = records("example.com")
new = {n.decode().split(".")[0] for n in set(after) - before}
ok(len(new) == 2 and before < set(after),
   "rotate adds two selectors and keeps the old ones published", sorted(after))
token5 = w.send(ALICE[0], BOB[0], port=587, login=ALICE)
sigs = signatures(delivered(BOB[0], token5))
ok(len(sigs) == 2 and {s[1] for s in sigs} == new and all(s[3] for s in sigs),
   "after rotate mail is signed with the new selectors, and verifies", (sigs, new))

# ---- a deleted domain leaves the tables --------------------------------------------
w.expect(0, "mail", "del", "account", CAROL[0])
w.expect(0, "mail", "del", "domain", "example.net")
for alg in ("rsa", "ed25519"):
    for table in ("KeyTable", "SigningTable"):
        with open("/etc/opendkim/%s.%s" % (table, alg)) as f:
            text = f.read()
        ok("example.net" not in text, "%s.%s forgets example.net" % (table, alg), text)

# ---- setup again changes nothing, restarts nothing -----------------------------------
dirs = w.STATE_DIRS + ("/etc/opendkim", "/etc/systemd/system", SOCKDIR)
digest = w.tree_digest(dirs)
w.expect(0, "mail", "setup")
eq(w.digest_diff(digest, w.tree_digest(dirs)), "", "a second setup changes no file")
eq({p: open(p).read() for p in pids}, pids, "and restarts no OpenDKIM")
r = w.expect(0, "--dry-run", "mail", "setup", desc="setup --dry-run")

# ---- taking the filter out of the config disables it ---------------------------
main_cf = open("/etc/postfix/main.cf").read()
w.write_config(extra='dns = "ldns"\n')
w.setup_and_reload("setup without dkim = \"opendkim\"")
eq(subprocess.run(["postconf", "-h", "smtpd_milters"], capture_output=True,
                  text=True).stdout.strip(), "", "Postfix calls no milter any more")

def opendkim_running():
    return [p for p in pids if subprocess.run(["pgrep", "-F", p],
                                              capture_output=True).returncode == 0]


left, _ = w.wait_for(lambda: not opendkim_running(), 10)
ok(left, "both OpenDKIM daemons are stopped", opendkim_running())
ok(not os.path.exists("/etc/opendkim/ed25519.conf") and
   not os.path.exists("/etc/opendkim/KeyTable.rsa"), "and the module's files are gone",
   os.listdir("/etc/opendkim"))
token6 = w.send(ALICE[0], BOB[0], port=587, login=ALICE)
ok(b"dkim-signature" not in delivered(BOB[0], token6).lower(),
   "mail still flows, unsigned")
w.write_config(extra='dkim = "opendkim"\ndns = "ldns"\nopendkim {\n  trust_anchor_file = ""\n'
               '  nameservers = {"127.0.0.1@%d"}\n}\n' % KNOT_PORT)
w.setup_and_reload("setup with dkim = \"opendkim\" again")
# the daemons fork before their sockets exist; Postfix defers mail until then
socks = [SOCKDIR + "/rsa.sock", SOCKDIR + "/ed25519.sock"]
up, _ = w.wait_for(lambda: all(os.path.exists(p) for p in socks), 10)
ok(up, "both OpenDKIM sockets are back")
eq(open("/etc/postfix/main.cf").read(), main_cf,
   "enabled again, main.cf is as it was before the filter was disabled")
token7 = w.send(ALICE[0], BOB[0], port=587, login=ALICE)
sigs = signatures(delivered(BOB[0], token7))
ok(len(sigs) == 2 and all(s[3] for s in sigs), "and mail is signed twice again", sigs)
subprocess.run(["knotc", "-c", knot, "stop"], capture_output=True)
tap.done()
