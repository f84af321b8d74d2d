"""DNS records (module ldns): `dns show` output passes ldns-read-zone and
kzonecheck, keeps TXT strings within 255 bytes and carries the DKIM keys on
disk and the certificate's TLSA digest; `dns push` to a real Knot with a
TSIG key, then `dns check` matches everything, a foreign apex TXT survives,
a second push changes nothing; a change behind webstack's back is found; a
wrong key is refused; the nsupdate script does what push does; rotated keys
are all published; bad input changes nothing."""
import base64
import hashlib
import json
import os
import subprocess
import tempfile
import time

import tap
import wslib as w
from tap import ok

DOMAIN = "example.com"
PORT = 5353
SERVER = "127.0.0.1:%d" % PORT
HEAD = ("$ORIGIN example.com.\n$TTL 3600\n"
        "@ SOA ns.example.com. hostmaster.example.com. 1 3600 900 604800 300\n"
        "@ NS ns.example.com.\nns A 192.0.2.53\n")
FOREIGN = '"google-site-verification=abc"'


def run(*argv, input=None):
    return subprocess.run(list(argv), input=input, capture_output=True, text=True,
                          timeout=60)


def show(fmt="json"):
    r = w.expect(0, "mail", "dns", "show", DOMAIN, "--format", fmt)
    if fmt != "json":
        return r.out
    try:
        return json.loads(r.out)
    except ValueError:
        ok(False, "dns show --format json parses", r.out)
        return {"records": [], "unfilled": [], "mta_sts": {}}


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def openssl_p(path, alg):
    der = subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return base64.b64encode(der[-32:] if alg == "ed25519" else der).decode()


def tlsa_digest(cert):
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-pubkey"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         capture_output=True, check=True).stdout
    return hashlib.sha256(der).hexdigest()


def kdig(name, rtype):
    return run("kdig", "@127.0.0.1", "-p", str(PORT), "+short", name, rtype).stdout


def start_knot(tmp, key_yaml):
    for d in ("run", "db", "zones"):
        os.makedirs(os.path.join(tmp, d))
    write(os.path.join(tmp, "zones", DOMAIN + ".zone"),
          HEAD + "@ TXT %s\n" % FOREIGN, 0o644)
    conf = write(os.path.join(tmp, "knot.conf"), (
        'server:\n    rundir: "%s/run"\n    listen: 127.0.0.1@%d\n'
        'log:\n  - target: stderr\n    any: warning\n'
        'database:\n    storage: "%s/db"\n%s'
        'acl:\n  - id: ws-update\n    key: ws-update\n    action: update\n'
        'template:\n  - id: default\n    storage: "%s/zones"\n'
        '    file: "%%s.zone"\n    zonefile-sync: 0\n'
        'zone:\n  - domain: %s\n    acl: ws-update\n') % (
        tmp, PORT, tmp, key_yaml, tmp, DOMAIN))
    r = run("knotd", "-c", conf, "-d")
    up, _ = w.wait_for(lambda: run("knotc", "-c", conf, "status").returncode == 0, 10)
    ok(r.returncode == 0 and up, "Knot serves %s on %s" % (DOMAIN, SERVER), r.stderr)
    return conf


# ---- show --------------------------------------------------------------------
w.setup(extra='dns = "ldns"\npublic_addresses = {"%s", "%s"}\n' % (w.PUB4, w.PUB6))
w.expect(0, "mail", "add", "domain", DOMAIN)
rec = show()
types = sorted({(r["owner"], r["type"]) for r in rec["records"]})
ok(("example.com.", "MX") in types and ("mail.example.com.", "A") in types and
   ("mail.example.com.", "AAAA") in types and
   ("_25._tcp.mail.example.com.", "TLSA") in types and
   ("_dmarc.example.com.", "TXT") in types and
   ("_submissions._tcp.example.com.", "SRV") in types,
   "show lists MX, A, AAAA, TXT, SRV and TLSA records", types)
ok(rec["unfilled"] == [], "with public_addresses nothing is left unfilled", rec["unfilled"])
txt = [r for r in rec["records"] if r["type"] == "TXT"]
ok(all(len(s.encode()) <= 255 for r in txt for s in r["strings"]),
   "every TXT character-string is at most 255 bytes",
   [[len(s) for s in r["strings"]] for r in txt])
keys = json.loads(w.expect(0, "mail", "dkim", "show", DOMAIN, "--json").out)
for k in keys:
    mine = [r for r in txt if r["owner"] == "%s._domainkey.%s." % (k["selector"], DOMAIN)]
    text = "".join(mine[0]["strings"]) if mine else ""
    ok(text == "v=DKIM1; k=%s; p=%s" % (k["algorithm"], openssl_p(k["key"], k["algorithm"])),
       "DKIM %s: the strings rebuild the key on disk" % k["selector"], text)
tlsa = [r["data"] for r in rec["records"] if r["type"] == "TLSA"]
ok(tlsa == ["3 1 1 %s" % tlsa_digest(w.TLS_CERT)],
   "TLSA 3 1 1 is the certificate's public key digest", tlsa)
ok(rec["mta_sts"].get("url") == "https://mta-sts.example.com/.well-known/mta-sts.txt" and
   "mx: mail.example.com\n" in rec["mta_sts"].get("policy", ""),
   "the MTA-STS policy and where to serve it", rec["mta_sts"])

tmp = tempfile.mkdtemp(prefix="ws-dns.")
zone = show("zone")
path = write(os.path.join(tmp, "show.zone"), zone)
r = run("ldns-read-zone", path)
ok(r.returncode == 0, "ldns-read-zone reads the zone output", r.stderr)
write(path, HEAD + zone)
r = run("kzonecheck", "-o", DOMAIN, path)
ok(r.returncode == 0, "kzonecheck accepts it with a SOA and NS", r.stdout + r.stderr)

# ---- push and check against Knot --------------------------------------------
gen = run("keymgr", "-t", "ws-update", "hmac-sha256").stdout
keyfile = write(os.path.join(tmp, "ws-update.key"), gen)
secret = gen.splitlines()[0].split(":")[2]
conf = start_knot(tmp, gen.split("\n", 1)[1])

r = w.ws("mail", "dns", "check", DOMAIN, "--server", SERVER)
ok(r.rc == 1 and "missing" in r.out, "check before any push exits 1: records missing", r)
r = w.expect(0, "mail", "dns", "push", DOMAIN, "--server", SERVER, "--tsig-key", keyfile)
ok(r.out.count("replaced") >= 14, "push reports each replaced record set", r.out)
r = w.expect(0, "mail", "dns", "check", DOMAIN, "--server", SERVER, "--json")
checks = json.loads(r.out)["checks"] if r.rc == 0 else []
ok(checks and all(c["value"] == "match" for c in checks),
   "after push every record matches", r.out)
ok(FOREIGN in kdig(DOMAIN, "TXT"), "the foreign TXT at the apex is still there",
   kdig(DOMAIN, "TXT"))
soa = kdig(DOMAIN, "SOA")
w.expect(0, "mail", "dns", "push", DOMAIN, "--server", SERVER, "--tsig-key", keyfile,
         desc="a second push")
ok(kdig(DOMAIN, "SOA") == soa, "changes nothing (same SOA serial)", (soa, kdig(DOMAIN, "SOA")))
ok(kdig(DOMAIN, "TXT").count("v=spf1") == 1, "one SPF record", kdig(DOMAIN, "TXT"))

update = ("server 127.0.0.1 %d\nzone example.com.\n"
          "update delete _dmarc.example.com. TXT\n"
          'update add _dmarc.example.com. 3600 TXT "v=DMARC1; p=none"\nsend\n') % PORT
r = run("knsupdate", "-y", "hmac-sha256:ws-update:" + secret, input=update)
ok(r.returncode == 0, "knsupdate changes _dmarc behind webstack's back", r.stderr)
r = w.ws("mail", "dns", "check", DOMAIN, "--server", SERVER)
ok(r.rc == 1 and any(l.startswith("FAIL") and "_dmarc.example.com." in l
                     for l in r.out.splitlines()),
   "check exits 1 and names _dmarc.example.com.", r)

script = show("nsupdate")
r = run("knsupdate", "-y", "hmac-sha256:ws-update:" + secret,
        input="server 127.0.0.1 %d\n%s" % (PORT, script))
ok(r.returncode == 0, "knsupdate runs the nsupdate script", r.stderr + script)
w.expect(0, "mail", "dns", "check", DOMAIN, "--server", SERVER,
         desc="after it check matches again:")

bad = write(os.path.join(tmp, "wrong.key"), run("keymgr", "-t", "ws-update", "hmac-sha256").stdout)
before = kdig(DOMAIN, "SOA")
r = w.ws("mail", "dns", "push", DOMAIN, "--server", SERVER, "--tsig-key", bad)
ok(r.rc == 74 and ("NOTAUTH" in r.err or "TSIG" in r.err),
   "a wrong TSIG key: exit 74 with the server's answer", r)
ok(kdig(DOMAIN, "SOA") == before, "and the zone is unchanged")
ok(open(bad).read().splitlines()[0].split(":")[2] not in r.out + r.err,
   "the secret is not in the message")

# ---- rotation and bad input --------------------------------------------------
w.expect(0, "mail", "dkim", "rotate", DOMAIN)
sel = sorted(r["owner"] for r in show()["records"] if "._domainkey." in r["owner"])
ok(len(sel) == 4 and len([s for s in sel if "-rsa." in s]) == 2 and
   len([s for s in sel if "-ed25519." in s]) == 2,
   "after rotate both selectors of each algorithm are published", sel)

state = w.tree_digest()
zone_before = kdig(DOMAIN, "SOA")
w.expect(64, "mail", "dns", "show", DOMAIN, "--format", "xml")
w.expect(67, "mail", "dns", "show", "unknown.example")
w.expect(65, "mail", "dns", "check", DOMAIN, "--server", "nonsense")
w.expect(65, "mail", "dns", "push", DOMAIN, "--server", "1.2.3.4:99999",
         "--tsig-key", keyfile)
w.expect(66, "mail", "dns", "push", DOMAIN, "--server", SERVER,
         "--tsig-key", os.path.join(tmp, "missing.key"))
w.expect(64, "mail", "dns", "push", DOMAIN, "--tsig-key", keyfile)
w.expect(65, "mail", "dns", "push", DOMAIN, "--server", SERVER,
         "--tsig-key", write(os.path.join(tmp, "garbage.key"), "hello\n"))
ok(w.tree_digest() == state and kdig(DOMAIN, "SOA") == zone_before,
   "bad input changes no file and not the zone")

run("knotc", "-c", conf, "stop")
time.sleep(0.2)
tap.done()
