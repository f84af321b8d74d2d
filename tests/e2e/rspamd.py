"""The rspamd module (role spam), after a switch from SpamAssassin: with
spam = "spamassassin" GTUBE is refused by SpamAssassin; switched to
spam = "rspamd", `mail setup` stops spamd and spamass-milter, removes
their files and starts rspamd as Postfix's milter. GTUBE from outside is refused with a 5xx, a
message scoring between tag_score and reject_score is delivered with
X-Spam headers, a clean one without; mail from an authenticated user on
587 is not scanned. `mail status` reports rspamd, and a stopped rspamd
means 4xx. Taken out of the config, rspamd stops, the module's files go
(the test's own local.d files stay) and Postfix's configuration is as it
was before the filter was enabled.

rspamd's cold start compiles ~90 MB of TLD and hyperscan databases (15-20
s); hs_cache_dir keeps them in CACHE, outside the throwaway host, so later
runs start in about a second."""
import json
import os
import smtplib
import socket
import subprocess

import tap
import wslib as w
from tap import ok, eq

ALICE = ("alice@example.com", "alice-pw-123")
BOB = ("bob@example.com", "bob-pw-123")
CACHE = "/var/tmp/webstack-rspamd-cache"
SOCK = "/var/spool/postfix/rspamd/milter.sock"
PID = "/run/rspamd/rspamd.pid"
LOCAL = "/etc/rspamd/local.d"
BETWEEN = "wstest-between-5b1c"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
CONFIG = 'spam = "rspamd"\nrspamd {\n  hs_cache_dir = "%s"\n}\n' % CACHE
START_TIMEOUT = 90  # a cold start on a busy machine

# The sandbox has no DNS (every lookup times out) and its client 192.0.2.10
# no rDNS: the modules that score that are off, so a clean message scores
# 0. A body rule scores the "between" message 6 (tag 5, reject 10).
TEST_FILES = {
    "hfilter.conf": "enabled = false;\n",
    "rbl.conf": "enabled = false;\n",
    "spf.conf": "enabled = false;\n",
    "dmarc.conf": "enabled = false;\n",
    "asn.conf": "enabled = false;\n",
    "headers_group.conf": 'symbols {\n  "RDNS_NONE" { weight = 0.0; }\n}\n',
    "options.inc": "dns {\n  timeout = 0.5s;\n  retransmits = 1;\n}\n",
    "webstack-test.map": "/%s/\n" % BETWEEN,
    "multimap.conf": 'WEBSTACK_TEST_BETWEEN {\n  type = "content";\n  filter = "text";\n'
                     '  map = "%s/webstack-test.map";\n  regexp = true;\n  score = 6.0;\n'
                     '}\n' % LOCAL,
}


def postconf_n():
    return subprocess.run(["postconf", "-n"], capture_output=True, text=True).stdout


def rspamd_running():
    return subprocess.run(["pgrep", "-F", PID], capture_output=True).returncode == 0


def status_items():
    r = w.ws("mail", "status", "--json")
    try:
        checks = json.loads(r.out)["checks"]
    except (ValueError, KeyError):
        ok(False, "mail status --json parses", r)
        return {}
    return {c["check"]: c for c in checks if c["check"].startswith("rspamd")}


def submit(body, port=25, login=None):
    """Sends one message to Bob: (SMTP code, reply text, token)."""
    token, text = w.message(ALICE[0], BOB[0])
    text += body + "\r\n"
    try:
        s = w.smtp(port, starttls=port == 587, login=login)
        try:
            s.sendmail(ALICE[0], [BOB[0]], text)
        finally:
            s.quit()
    except smtplib.SMTPResponseException as e:
        return e.smtp_code, e.smtp_error.decode(errors="replace"), token
    except smtplib.SMTPRecipientsRefused as e:
        code, msg = list(e.recipients.values())[0]
        return code, msg.decode(errors="replace"), token
    return 250, "accepted", token


def delivered_headers(body, port=25, login=None, desc=""):
    """Sends and waits for delivery; the header block, or None."""
    code, reply, token = submit(body, port, login)
    ok(code == 250, "%s: accepted" % desc, "%d %s" % (code, reply))
    path, _ = w.wait_delivery(BOB[0], token)
    ok(path, "%s: delivered" % desc)
    return open(path, "rb").read().split(b"\n\n", 1)[0].decode() if path else ""


def answers():
    """Whether rspamd accepts on its socket (a stopped one may leave the
    file behind)."""
    with socket.socket(socket.AF_UNIX) as s:
        return s.connect_ex(SOCK) == 0


def wait_socket(desc):
    up, secs = w.wait_for(answers, START_TIMEOUT, 0.2)
    ok(up, "%s: the milter socket answers" % desc)
    tap.diag("%s: socket after %.1f s" % (desc, secs))


# ---- before the filter ------------------------------------------------------------
w.setup()
w.expect(0, "mail", "add", "domain", "example.com")
w.expect(0, "mail", "add", "account", "--wait", *ALICE)
w.expect(0, "mail", "add", "account", "--wait", *BOB)
before = postconf_n()
for name, text in TEST_FILES.items():
    with open(os.path.join(LOCAL, name), "w") as f:
        f.write(text)

# ---- SpamAssassin first, then the switch to rspamd ---------------------------------
SA_SOCK, SA_PIDS = "/var/spool/postfix/spamass/spamass.sock", ("/run/spamd/spamd.pid",
                                                              "/run/spamass/spamass.pid")
w.write_config(extra='spam = "spamassassin"\n')
w.setup_and_reload('setup with spam = "spamassassin"')
sa_up, _ = w.wait_for(lambda: os.path.exists(SA_SOCK), 30)
code, reply, _ = submit(GTUBE) if sa_up else (None, "no spamass-milter socket", None)
ok(str(code).startswith("5") and "SpamAssassin" in str(reply),
   "with spamassassin, GTUBE is refused by SpamAssassin", (code, reply))

# ---- enabled ----------------------------------------------------------------------
w.write_config(extra=CONFIG)
w.setup_and_reload('switched: setup with spam = "rspamd"')
sa_gone, _ = w.wait_for(lambda: not any(
    subprocess.run(["pgrep", "-F", p], capture_output=True).returncode == 0
    for p in SA_PIDS if os.path.exists(p)), 15)
ok(sa_gone and not os.path.exists("/etc/spamassassin/webstack.cf"),
   "the switch stopped spamd and spamass-milter and removed their files")
eq(subprocess.run(["postconf", "-h", "smtpd_milters"], capture_output=True,
                  text=True).stdout.strip(), "unix:rspamd/milter.sock",
   "Postfix calls rspamd's milter")
wait_socket("first start")
st = subprocess.run(["stat", "-c", "%A %G", SOCK], capture_output=True, text=True)
eq(st.stdout.strip(), "srw-rw---- postfix", "the socket is 0660, group postfix")
items = status_items()
ok(items.get("rspamd", {}).get("ok") and items.get("rspamd milter socket", {}).get("ok"),
   "mail status: rspamd running, milter socket present", items)
with open(LOCAL + "/actions.conf") as f:
    ok(f.read().startswith("# Written by webstack"), "actions.conf is the module's")

# ---- scanning ------------------------------------------------------------------------
code, reply, _ = submit(GTUBE)
ok(str(code).startswith("5"), "GTUBE from outside on 25 is refused with a 5xx",
   "%d %s" % (code, reply))
head = delivered_headers("Cheap offer %s inside" % BETWEEN, desc="between message on 25")
ok("X-Spam: Yes" in head and "X-Spam-Status: Yes" in head,
   "the between message carries X-Spam: Yes and X-Spam-Status: Yes", head)
head = delivered_headers("Just a plain note.", desc="clean message on 25")
ok("X-Spam: Yes" not in head and "X-Spam-Status: Yes" not in head,
   "the clean message is not marked as spam", head)
head = delivered_headers("Cheap offer %s inside" % BETWEEN, port=587, login=ALICE,
                         desc="between message from alice on 587")
ok("X-Spam" not in head, "mail of an authenticated user is not scanned", head)

# ---- rspamd down ---------------------------------------------------------------------
subprocess.run(["pkill", "-TERM", "-F", PID])
gone, _ = w.wait_for(lambda: not rspamd_running(), 15, 0.1)
ok(gone, "rspamd stopped by hand")
items = status_items()
ok(items and not items.get("rspamd", {}).get("ok", True),
   "mail status reports rspamd as not running", items)
r = w.ws("mail", "status")
ok(r.rc != 0, "mail status exits non-zero", r)
code, reply, _ = submit("Just a plain note.")
ok(str(code).startswith("4"), "with rspamd down mail is deferred with a 4xx",
   "%d %s" % (code, reply))
w.expect(0, "mail", "setup", desc="setup with rspamd stopped")
wait_socket("setup starts it again")
head = delivered_headers("Just a plain note.", desc="clean message after the restart")

# ---- disabled ------------------------------------------------------------------------
w.write_config()
w.setup_and_reload("setup without spam")
eq(postconf_n(), before, "postconf -n is as before the filter was enabled")
gone, _ = w.wait_for(lambda: not rspamd_running(), 15, 0.1)
ok(gone, "rspamd is stopped")
left = [n for n in ("worker-proxy.inc", "worker-normal.inc", "actions.conf",
                    "milter_headers.conf", "settings.conf", "fuzzy_check.conf",
                    "rspamd_update.conf") if os.path.exists(os.path.join(LOCAL, n))]
ok(not left and not os.path.exists("/etc/rspamd/override.d/options.inc"),
   "the module's files are gone", left)
kept = {n: open(os.path.join(LOCAL, n)).read() for n in TEST_FILES
        if os.path.exists(os.path.join(LOCAL, n))}
eq(kept, TEST_FILES, "the test's own local.d files are untouched")
head = delivered_headers("Cheap offer %s inside" % BETWEEN, desc="after disabling")
ok("X-Spam" not in head, "mail flows, unscanned", head)
tap.done()
