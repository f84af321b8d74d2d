"""The clamav module with the real clamd and clamav-milter, and a signature
database the test makes itself (no download): the EICAR test file as an
attachment is refused on 25 and on 587 with a 550 naming the signature; a
clean attachment is delivered with X-Virus-Status: Clean; `mail status`
reports clamd and the database version and age; with clamd stopped mail
gets a 4xx by default, and is accepted unscanned with on_fail = "accept";
taking the filter out of the config restores `postconf -n` exactly, stops
both daemons and removes the module's files."""
import email.mime.application
import email.mime.multipart
import email.mime.text
import json
import os
import smtplib
import subprocess
import uuid

import tap
import wslib as w
from tap import ok, eq

ALICE = ("alice@example.com", "alice-pw-123")
BOB = ("bob@example.com", "bob-pw-123")
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
SIGNATURE = "Webstack.Test.EICAR.UNOFFICIAL"
PIDS = ("/run/clamav/clamd.pid", "/run/clamav/webstack-clamav-milter.pid")


def mail_with(attachment, port=25, login=None, frm="someone@example.org"):
    """Sends a message with attachment to bob; returns (token, refusal or
    None)."""
    token = "tok-" + uuid.uuid4().hex[:12]
    msg = email.mime.multipart.MIMEMultipart()
    msg["From"], msg["To"], msg["Subject"] = frm, BOB[0], "attachment " + token
    msg.attach(email.mime.text.MIMEText("see the attachment " + token))
    part = email.mime.application.MIMEApplication(attachment, Name="file.com")
    part["Content-Disposition"] = 'attachment; filename="file.com"'
    msg.attach(part)
    s = w.smtp(port, starttls=port == 587, login=login)
    try:
        s.sendmail(frm, [BOB[0]], msg.as_string())
        return token, None
    except smtplib.SMTPResponseException as e:
        return token, (e.smtp_code, e.smtp_error.decode(errors="replace"))
    finally:
        try:
            s.quit()
        except smtplib.SMTPException:
            pass


def accepts(path):
    """True when a unix socket takes a connection."""
    import socket
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


MILTER_SOCKET = "/var/spool/postfix/clamav/clamav-milter.ctl"


def milter_up():
    ready, _ = w.wait_for(lambda: accepts(MILTER_SOCKET), 20, 0.1)
    return ready


def postconf_n():
    return subprocess.run(["postconf", "-n"], capture_output=True, text=True).stdout


def running(pidfile):
    return subprocess.run(["pgrep", "-F", pidfile], capture_output=True).returncode == 0


def status():
    r = w.ws("mail", "status", "--json")
    try:
        return r.rc, {c["check"]: c for c in json.loads(r.out)["checks"]}
    except (ValueError, KeyError):
        return r.rc, {}


def config(extra=""):
    w.write_config(extra=extra)


# ---- before the filter -----------------------------------------------------------
w.setup()
w.expect(0, "mail", "add", "domain", "example.com")
w.expect(0, "mail", "add", "account", "--wait", *ALICE)
w.expect(0, "mail", "add", "account", "--wait", *BOB)
before = postconf_n()
w.make_clamav_database()

# ---- enabled -------------------------------------------------------------------------
config('av = "clamav"\n')
w.expect(0, "mail", "setup", desc="setup with av = \"clamav\"")
eq(subprocess.run(["postconf", "-h", "smtpd_milters"], capture_output=True,
                  text=True).stdout.strip(), "unix:clamav/clamav-milter.ctl",
   "Postfix calls clamav-milter")
ok(milter_up(), "clamav-milter listens in Postfix's queue directory")
rc, st = status()
ok(st.get("clamd", {}).get("ok") and "27000" in st.get("clamd", {}).get("value", ""),
   "status: clamd answers with the database version", st.get("clamd"))
ok(st.get("signatures", {}).get("ok") and
   "database version 27000, 0 day(s) old" in st.get("signatures", {}).get("value", ""),
   "status: the database's version and age", st.get("signatures"))

_, refused = mail_with(EICAR)
ok(refused and refused[0] == 550 and SIGNATURE in refused[1],
   "EICAR from outside on 25 is refused with 550 naming %s" % SIGNATURE, refused)
_, refused = mail_with(EICAR, port=587, login=ALICE, frm=ALICE[0])
ok(refused and refused[0] == 550 and SIGNATURE in refused[1],
   "EICAR from an authenticated user on 587 too", refused)
token, refused = mail_with(b"just some bytes\n")
eq(refused, None, "a clean attachment is accepted")
path, _ = w.wait_delivery(BOB[0], token)
raw = open(path, "rb").read() if path else b""
ok(b"X-Virus-Status: Clean" in raw, "and delivered with X-Virus-Status: Clean",
   raw[:800])

# ---- clamd down ------------------------------------------------------------------------
subprocess.run(["pkill", "-F", PIDS[0]])
w.wait_for(lambda: not running(PIDS[0]), 10)
token, refused = mail_with(b"clean, while clamd is down\n")
ok(refused and 400 <= refused[0] < 500,
   "with clamd stopped, mail gets a 4xx (on_fail = \"tempfail\", the default)", refused)
rc, st = status()
ok(rc == 69 and not st.get("clamd", {}).get("ok", True),
   "and status exits 69 saying clamd does not answer", st.get("clamd"))
config('av = "clamav"\nclamav {\n  on_fail = "accept"\n}\n')
subprocess.run(["rm", "-f", "/run/clamav/clamd.pid"])  # keep clamd down for this part
w.expect(0, "mail", "setup", desc="setup with on_fail = \"accept\"")
subprocess.run(["pkill", "-F", PIDS[0]])  # setup started it again: down it goes
w.wait_for(lambda: not running(PIDS[0]), 10)
ok(milter_up(), "clamav-milter, restarted with OnFail Accept, listens")
token, refused = mail_with(b"clean, accepted unscanned\n")
eq(refused, None, "with on_fail = \"accept\" and clamd stopped, mail is accepted")
path, _ = w.wait_delivery(BOB[0], token)
raw = open(path, "rb").read() if path else b""
ok(path and b"X-Virus-Scanned" not in raw,
   "unscanned: it carries no X-Virus-Scanned header", raw[:800])
config('av = "clamav"\n')
w.expect(0, "mail", "setup", desc="setup again starts clamd")


def filter_ready():
    st = status()[1]
    return all(st.get(k, {}).get("ok") for k in ("clamd", "clamav-milter",
                                                  "clamav-milter socket"))


ready, _ = w.wait_for(filter_ready, 20, 0.2)
ok(ready, "status: clamd answers and clamav-milter runs", status()[1])
_, refused = mail_with(EICAR)
ok(refused and refused[0] == 550, "EICAR is refused again", refused)

# ---- disabled -------------------------------------------------------------------------
config()
w.expect(0, "mail", "setup", desc="setup without av")
eq(postconf_n(), before, "postconf -n is byte-identical to before the filter")
gone, _ = w.wait_for(lambda: not any(running(p) for p in PIDS), 15)
ok(gone, "clamd and clamav-milter are stopped")
ok(not os.path.exists("/etc/webstack/clamav/clamd.conf") and
   not os.path.exists("/etc/webstack/clamav/clamav-milter.conf"),
   "the module's files are gone", os.listdir("/etc/webstack/clamav")
   if os.path.isdir("/etc/webstack/clamav") else None)
token, refused = mail_with(b"after the filter\n")
eq(refused, None, "mail still flows")
path, _ = w.wait_delivery(BOB[0], token)
ok(path and b"X-Virus" not in open(path, "rb").read(), "unscanned")
tap.done()
