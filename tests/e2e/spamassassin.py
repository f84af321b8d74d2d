"""Spam filtering with the spamassassin module: `mail setup` starts spamd
and spamass-milter and puts the milter into smtpd_milters ahead of
OpenDKIM's. From outside (port 25), GTUBE is refused with a 5xx, a message
between tag_score and reject_score is delivered with X-Spam-Flag: YES, a
clean one without it. Mail an authenticated user submits on 587 is not
scanned, unless scan_authenticated is true. `mail status` reports spamd
down as a failure: spamass-milter then passes mail unscanned (fails open).
Taking spam out of the config stops both daemons, removes the module's
files and leaves `postconf -n` as it was before the filter was enabled."""
import json
import os
import smtplib
import subprocess

import tap
import wslib as w
from tap import ok, eq

ALICE = ("alice@example.com", "alice-pw-123")
BOB = ("bob@example.com", "bob-pw-123")
OUTSIDER = "someone@example.org"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
BETWEEN = "wstest-between-5b1c"
SPAMD_PID, MILTER_PID = "/run/spamd/spamd.pid", "/run/spamass/spamass.pid"
SOCKET = "/var/spool/postfix/spamass/spamass.sock"
MODULE_FILES = ("/etc/spamassassin/webstack.cf",
                "/etc/systemd/system/spamd.service.d/webstack.conf",
                "/etc/systemd/system/spamass-milter.service")
DKIM = 'dkim = "opendkim"\nopendkim {\n  trust_anchor_file = ""\n}\n'
SPAM = 'spam = "spamassassin"\n'

# Test-only SpamAssassin settings, in a file webstack does not own. The
# sandbox client 192.0.2.10 (TEST-NET, no rDNS) would cost RCVD_ILLEGAL_IP
# and RDNS_NONE on every message; the body string scores 6.5, between the
# thresholds 5 and 10. No network: no DNS or URI blocklists.
with open("/etc/spamassassin/webstack-test.cf", "w") as f:
    f.write("body     WEBSTACK_TEST_BETWEEN  /%s/\n"
            "score    WEBSTACK_TEST_BETWEEN  6.5\n"
            "describe WEBSTACK_TEST_BETWEEN  webstack test: between the thresholds\n"
            "score RCVD_ILLEGAL_IP 0\nscore RDNS_NONE 0\nscore RDNS_DYNAMIC 0\n"
            "score TVD_SPACE_RATIO 0\nscore MISSING_MID 0\n"
            "dns_available no\nskip_rbl_checks 1\nuse_razor2 0\nuse_pyzor 0\n"
            % BETWEEN)


def postconf_n():
    return subprocess.run(["postconf", "-n"], capture_output=True, text=True).stdout


def running(pidfile):
    return subprocess.run(["pgrep", "-F", pidfile], capture_output=True).returncode == 0


def setup_and_reload(extra, desc):
    """`mail setup` with extra in the config (wslib.setup_and_reload)."""
    w.write_config(extra=extra)
    w.setup_and_reload(desc)


def wait_milter():
    up, _ = w.wait_for(lambda: os.path.exists(SOCKET), 15)
    ok(up, "spamass-milter's socket is there")


def submit(body, port=25, login=None, frm=OUTSIDER):
    """(code, reply, token) of one message to bob with body in it."""
    token, text = w.message(frm, BOB[0])
    text = text.replace("body %s" % token, "body %s\r\n%s" % (token, body))
    s = w.smtp(port, starttls=port == 587, login=login)
    try:
        s.sendmail(frm, [BOB[0]], text)
        return 250, "accepted", token
    except smtplib.SMTPDataError as e:
        return e.smtp_code, e.smtp_error.decode(errors="replace"), token
    finally:
        s.quit()


def headers(token):
    path, _ = w.wait_delivery(BOB[0], token)
    ok(path, "message %s is delivered" % token)
    if not path:
        return ""
    return open(path, "rb").read().split(b"\n\n", 1)[0].decode(errors="replace")


def status_items():
    r = w.ws("mail", "status", "--json")
    try:
        checks = json.loads(r.out)["checks"]
    except (ValueError, KeyError):
        ok(False, "mail status --json parses", r.out)
        return r.rc, {}
    return r.rc, {c["check"]: c for c in checks}


def status_ok(desc):
    _, items = status_items()
    for check in ("spamd", "spamass-milter", "spamass-milter socket"):
        ok(check in items and items[check]["ok"], "%s: status %s is fine" % (desc, check),
           items.get(check))


# ---- enable --------------------------------------------------------------------
w.setup(extra=DKIM)
w.expect(0, "mail", "add", "domain", "example.com")
w.expect(0, "mail", "add", "account", "--wait", *ALICE)
w.expect(0, "mail", "add", "account", "--wait", *BOB)
before = postconf_n()
setup_and_reload(DKIM + SPAM, 'setup with spam = "spamassassin"')
wait_milter()
ok(running(SPAMD_PID) and running(MILTER_PID), "spamd and spamass-milter run")
eq(subprocess.run(["postconf", "-h", "smtpd_milters"], capture_output=True,
                  text=True).stdout.strip(),
   "unix:spamass/spamass.sock, unix:opendkim/rsa.sock, unix:opendkim/ed25519.sock",
   "Postfix calls spamass-milter before the DKIM signers")
with open("/etc/spamassassin/webstack.cf") as f:
    ok("\nrequired_score 5\n" in f.read(), "webstack.cf sets required_score 5")
status_ok("enabled")

# ---- from outside ---------------------------------------------------------------
code, reply, _ = submit(GTUBE)
ok(500 <= code < 600, "GTUBE on 25 is refused with a 5xx: %d %s" % (code, reply))
code, reply, token = submit(BETWEEN)
eq(code, 250, "a message between the thresholds is accepted")
h = headers(token)
ok("X-Spam-Flag: YES" in h and "WEBSTACK_TEST_BETWEEN" in h,
   "and delivered with X-Spam-Flag: YES and the test rule", h)
code, reply, token = submit("just a friendly note")
eq(code, 250, "a clean message is accepted")
h = headers(token)
ok("X-Spam-Status: No" in h and "X-Spam-Flag" not in h,
   "and delivered with X-Spam-Status: No, no spam flag", h)

# ---- authenticated submission -----------------------------------------------------
code, reply, token = submit(GTUBE, 587, ALICE, ALICE[0])
eq(code, 250, "scan_authenticated false: GTUBE from alice on 587 is accepted")
ok("X-Spam-" not in headers(token), "and not scanned (no X-Spam headers)")
pid = open(MILTER_PID).read()
# the milter list stays the same: Postfix is not reloaded, the milter restarts
w.write_config(extra=DKIM + SPAM + "spamassassin {\n  scan_authenticated = true\n}\n")
w.expect(0, "mail", "setup", desc="setup with scan_authenticated = true")
wait_milter()
ok(open(MILTER_PID).read() != pid, "spamass-milter was restarted for the new option")
code, reply, token = submit(BETWEEN, 587, ALICE, ALICE[0])
eq(code, 250, "scan_authenticated true: the between message from alice is accepted")
ok("X-Spam-Flag: YES" in headers(token), "and scanned (X-Spam-Flag: YES)")
code, reply, _ = submit(GTUBE, 587, ALICE, ALICE[0])
ok(500 <= code < 600, "GTUBE from alice on 587 is refused now: %d %s" % (code, reply))

# ---- spamd down: status fails; mail passes unscanned (fail open) -------------------
subprocess.run(["kill", open(SPAMD_PID).read().strip()])
down, _ = w.wait_for(lambda: not running(SPAMD_PID), 10)
ok(down, "spamd is stopped")
rc, items = status_items()
ok(rc != 0 and "spamd" in items and not items["spamd"]["ok"],
   "mail status reports spamd down as a failure (exit %d)" % rc, items.get("spamd"))
code, reply, token = submit(BETWEEN)
eq(code, 250, "spamd down: spamass-milter fails open, the message is accepted")
ok("X-Spam-" not in headers(token), "and delivered unscanned (no X-Spam headers)")
w.expect(0, "mail", "setup", desc="setup starts spamd again")
status_ok("after setup again")

# ---- disable -------------------------------------------------------------------------
setup_and_reload(DKIM, 'setup without spam = "spamassassin"')
eq(postconf_n(), before, "postconf -n is as before the filter was enabled")
stopped, _ = w.wait_for(lambda: not running(SPAMD_PID) and not running(MILTER_PID), 15)
ok(stopped, "spamd and spamass-milter are stopped")
left = [p for p in MODULE_FILES + (os.path.dirname(SOCKET),) if os.path.exists(p)]
eq(left, [], "the module's files and socket directory are gone")
ok(os.path.exists("/etc/default/spamd") and os.path.exists("/etc/spamassassin/local.cf"),
   "Debian's own files stay")
code, reply, token = submit(GTUBE)
eq(code, 250, "mail still flows (nothing scans GTUBE any more)")
ok("X-Spam-" not in headers(token), "unscanned")
tap.done()
