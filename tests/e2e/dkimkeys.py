"""DKIM keys: `add domain` makes an RSA-2048 and an Ed25519 key with their
final mode; `dkim show` prints records whose p= is the key on disk (checked
with the openssl command); `dkim rotate` adds a signing generation and keeps
the old one published; `dkim retire` refuses a signing key and removes an
old one; a deleted and re-added domain gets its keys back."""
import base64
import grp
import json
import os
import stat
import subprocess

import tap
import wslib as w
from tap import ok, eq

DOMAIN = "example.com"
KEYDIR = "/etc/postfix/dkim/" + DOMAIN


def show():
    r = w.expect(0, "mail", "dkim", "show", DOMAIN, "--json")
    try:
        return json.loads(r.out)
    except ValueError:
        ok(False, "dkim show --json parses", r.out)
        return []


def openssl_p(path, alg):
    der = subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return base64.b64encode(der[-32:] if alg == "ed25519" else der).decode()


# A signer's group of the test's own, so the expected mode does not depend
# on whether opendkim happens to be installed.
subprocess.run(["groupadd", "--system", "wsdkim"], check=True)
w.setup(extra='dkim_key_group = "wsdkim"\n')
w.expect(0, "mail", "add", "domain", DOMAIN)
keys = show()
ok(sorted(k["algorithm"] for k in keys) == ["ed25519", "rsa"],
   "add domain makes one RSA and one Ed25519 key", keys)
ok(all(k["signing"] for k in keys), "and both sign", keys)
for k in keys:
    st = os.stat(k["key"])
    ok(stat.S_IMODE(st.st_mode) == 0o640 and st.st_uid == 0 and
       st.st_gid == grp.getgrnam("wsdkim").gr_gid,
       "%s is 0640 root:wsdkim (dkim_key_group)" % k["key"],
       (oct(st.st_mode), st.st_uid, st.st_gid))
    p = k["txt"].split("p=", 1)[1]
    ok(p == openssl_p(k["key"], k["algorithm"]),
       "the record of %s carries the key on disk" % k["selector"], k["txt"])
    ok(k["name"] == "%s._domainkey.%s" % (k["selector"], DOMAIN), "its record name", k)
ok(len([k for k in keys if k["algorithm"] == "rsa"][0]["txt"].split("p=")[1]) == 392,
   "the RSA key has 2048 bits (a 392-character p=)")

w.expect(0, "mail", "dkim", "rotate", DOMAIN)
after = show()
old = [k for k in after if not k["signing"]]
new = [k for k in after if k["signing"]]
ok(len(after) == 4 and len(old) == 2 and len(new) == 2,
   "rotate adds a signing generation and keeps the old one published", after)
ok({k["selector"] for k in old} == {k["selector"] for k in keys},
   "the old generation is the first one", after)

r = w.expect(65, "mail", "dkim", "retire", DOMAIN, new[0]["selector"])
ok("signs" in r.err, "retiring a signing key is refused, and says why", r)
before = w.tree_digest()
w.expect(65, "mail", "dkim", "retire", DOMAIN, "../../etc-rsa")
w.expect(67, "mail", "dkim", "retire", DOMAIN, "ws20000101-rsa")
ok(w.tree_digest() == before, "bad retires change nothing")
w.expect(0, "mail", "dkim", "retire", DOMAIN, old[0]["selector"])
ok(not os.path.exists(old[0]["key"]), "retire removes the key file")
ok(len(show()) == 3, "and the key is no longer shown")

w.expect(0, "mail", "del", "domain", DOMAIN)
ok(os.path.exists(new[0]["key"]), "del domain keeps the keys")
w.expect(0, "mail", "add", "domain", DOMAIN)
again = show()
ok({k["selector"] for k in again if k["signing"]} == {k["selector"] for k in new},
   "adding the domain again signs with its kept keys", again)

# Keys made before the signer's group existed: setup gives them the group.
w.write_config(extra='dkim_key_group = "wslater"\n')
w.expect(0, "mail", "add", "domain", "example.net")
late = json.loads(w.expect(0, "mail", "dkim", "show", "example.net", "--json").out)
ok(late and all(stat.S_IMODE(os.stat(k["key"]).st_mode) == 0o600 for k in late),
   "without the group, keys are 0600 root", late)
subprocess.run(["groupadd", "--system", "wslater"], check=True)
w.expect(0, "mail", "setup")
gid = grp.getgrnam("wslater").gr_gid
for k in late:
    st = os.stat(k["key"])
    eq((oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid), ("0o640", 0, gid),
       "setup makes %s 0640 root:wslater once the group exists" % k["selector"])
st = os.stat(os.path.dirname(late[0]["key"]))
eq((oct(stat.S_IMODE(st.st_mode)), st.st_gid), ("0o750", gid), "and its directory 0750")
tap.done()
