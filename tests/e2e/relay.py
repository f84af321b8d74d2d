"""Relay, AUTH and login policy, seen from another server (192.0.2.10 and
2001:db8::10, not in mynetworks): inbound mail on port 25 without AUTH is
delivered; no AUTH on 25, none before STARTTLS on 587; classic relay tricks
are refused over IPv4 and IPv6 on 25, and on 587/465 without (or after a
failed) AUTH; plaintext logins on 143 and 110 are refused; an authenticated
user cannot send as another account but can send as an own alias; system
users cannot log in."""
import base64
import imaplib
import itertools
import poplib
import smtplib
import threading
from concurrent.futures import ThreadPoolExecutor

import tap
import wslib as w
from tap import ok, diag

ALICE, BOB = ("alice@example.com", "alice-pass-1"), ("bob@example.com", "bob-pass-1")
ALIAS = "info@example.com"  # -> alice

w.setup()
w.expect(0, "mail", "add", "domain", "example.com")
w.expect(0, "mail", "add", "account", "--wait", *ALICE)
w.expect(0, "mail", "add", "account", "--wait", *BOB)
w.expect(0, "mail", "add", "alias", ALIAS, ALICE[0])

# Failed logins are delayed by Dovecot and penalised per client address, so
# each login expected to fail comes from an address of its own.
_spare = itertools.count(100)
_spare_lock = threading.Lock()


def spare():
    with _spare_lock:
        return "192.0.2.%d" % next(_spare)

# ---- inbound mail as another server sends it --------------------------------
for host, rcpt in ((w.PUB4, ALICE[0]), (w.PUB6, BOB[0])):
    passed, tok = tap.attempt("port 25 from %s without AUTH accepts mail for %s"
                              % (w.OUT[host], rcpt), w.send, "sender@remote.test",
                              rcpt, host=host)
    if passed:
        ok(w.wait_delivery(rcpt, tok)[0], "and it is delivered to %s" % rcpt)

# ---- what each port offers ---------------------------------------------------
s = w.smtp(25)
ok("auth" not in s.esmtp_features, "EHLO on 25 offers no AUTH", s.esmtp_features)
if s.has_extn("starttls"):
    s.starttls(context=w.tls_ctx())
    s.ehlo("client.example.net")
    ok("auth" not in s.esmtp_features, "nor after STARTTLS on 25", s.esmtp_features)
s.quit()

s = w.smtp(587)
ok("starttls" in s.esmtp_features, "587 offers STARTTLS", s.esmtp_features)
ok("auth" not in s.esmtp_features, "587 offers no AUTH before STARTTLS", s.esmtp_features)
plain = base64.b64encode(("\0%s\0%s" % ALICE).encode()).decode()
code, text = w.cmd(s, "AUTH PLAIN " + plain)
ok(code >= 500, "AUTH before STARTTLS on 587 is refused", "%d %s" % (code, text))
s.rset()
code, text = w.cmd(s, "MAIL FROM:<%s>" % ALICE[0])
ok(code >= 500, "MAIL before STARTTLS on 587 is refused", "%d %s" % (code, text))
s.close()
s = w.smtp(587, starttls=True)
ok("auth" in s.esmtp_features, "587 offers AUTH after STARTTLS", s.esmtp_features)
s.quit()
s = w.smtp(465)
ok("auth" in s.esmtp_features, "465 offers AUTH (implicit TLS)", s.esmtp_features)
s.quit()

# ---- relay tricks ------------------------------------------------------------
# (name, MAIL FROM, RCPT TO); external.test is not a local domain.
VECTORS = [
    ("external recipient", "spammer@remote.test", "victim@external.test"),
    ("percent hack", "spammer@remote.test", "victim%external.test@example.com"),
    ("bang path", "spammer@remote.test", "external.test!victim@example.com"),
    ("source route", "spammer@remote.test", "@example.com:victim@external.test"),
    ("double @", "spammer@remote.test", "victim@external.test@example.com"),
    ("quoted local part with @", "spammer@remote.test", '"victim@external.test"@example.com'),
    ("quoted percent hack", "spammer@remote.test", '"victim%external.test"@example.com'),
    ("trailing dot", "spammer@remote.test", "victim@external.test."),
    ("address literal", "spammer@remote.test", "victim@[192.0.2.99]"),
    ("percent hack via our own address literal", "spammer@remote.test",
     "victim%external.test@[192.0.2.1]"),
    ("upper case", "spammer@remote.test", "VICTIM@EXTERNAL.TEST"),
    ("mixed case", "spammer@remote.test", "Victim@External.Test"),
    ("MAIL FROM a local account", ALICE[0], "victim@external.test"),
    ("MAIL FROM an alias", ALIAS, "victim@external.test"),
    ("MAIL FROM:<>", "", "victim@external.test"),
]


def refused(code, text):
    """A refusal: 5xx, or 4xx that says why (Postfix's 454 for
    defer_unauth_destination), not a temporary failure from a broken setup."""
    t = text.lower()
    return code >= 500 or (code >= 400 and ("relay access denied" in t or
                                            "authentication required" in t))


def try_relay(session, frm, rcpt):
    """(refused?, transcript) for one vector on a fresh session."""
    s = session()
    try:
        mail = w.cmd(s, "MAIL FROM:<%s>" % frm)
        if mail[0] >= 400:
            return refused(*mail), "MAIL %d %s" % mail
        r = w.cmd(s, "RCPT TO:<%s>" % rcpt)
        return refused(*r), "MAIL %d, RCPT %d %s" % (mail[0], r[0], r[1])
    finally:
        s.close()


def failed_auth_session():
    s = w.smtp(587, src=spare(), starttls=True)
    code, text = w.cmd(s, "AUTH PLAIN " + base64.b64encode(
        ("\0%s\0wrong-password" % ALICE[0]).encode()).decode())
    if code < 500:
        diag("failed AUTH answered %d %s" % (code, text))
    return s


SESSIONS = [
    ("25 IPv4", lambda: w.smtp(25, w.PUB4)),
    ("25 IPv6", lambda: w.smtp(25, w.PUB6)),
    ("587 IPv4 STARTTLS, no AUTH", lambda: w.smtp(587, w.PUB4, starttls=True)),
    ("587 IPv6 STARTTLS, no AUTH", lambda: w.smtp(587, w.PUB6, starttls=True)),
    ("465 IPv4, no AUTH", lambda: w.smtp(465, w.PUB4)),
    ("587 IPv4 after a failed AUTH", failed_auth_session),
]


def relay_case(case):
    (where, session), (name, frm, rcpt) = case
    try:
        return try_relay(session, frm, rcpt)
    except Exception as e:
        return False, "%s: %s" % (type(e).__name__, e)


# In parallel: a failed AUTH costs its session a 2 s delay.
cases = list(itertools.product(SESSIONS, VECTORS))
with ThreadPoolExecutor(max_workers=8) as pool:
    results = list(pool.map(relay_case, cases))
for ((where, _), (name, frm, rcpt)), (no, transcript) in zip(cases, results):
    ok(no, "%s: relay refused: %s (<%s> -> <%s>)" % (where, name, frm, rcpt), transcript)

# ---- authenticated senders -----------------------------------------------------
for port in (587, 465):
    s = w.smtp(port, starttls=port == 587, login=ALICE)
    for frm in (BOB[0], "BOB@EXAMPLE.COM", "someone@remote.test"):
        try:
            mail = w.cmd(s, "MAIL FROM:<%s>" % frm)
            rcpt = w.cmd(s, "RCPT TO:<%s>" % BOB[0]) if mail[0] < 400 else (0, "")
            ok(mail[0] >= 500 or rcpt[0] >= 500,
               "%d: alice cannot send as <%s>" % (port, frm),
               "MAIL %d %s, RCPT %d %s" % (mail + rcpt))
        finally:
            s.rset()
    s.quit()

passed, tok = tap.attempt("587: alice can send as her alias <%s>" % ALIAS, w.send,
                          ALIAS, BOB[0], port=587, login=ALICE)
if passed:
    ok(w.wait_delivery(BOB[0], tok)[0], "and the message is delivered")

# ---- plaintext logins without TLS ------------------------------------------------
c = w.imap(143)
ok("LOGINDISABLED" in c.capabilities, "IMAP 143 advertises LOGINDISABLED before STARTTLS",
   c.capabilities)
try:
    c.login(*ALICE)
    ok(False, "plaintext LOGIN on 143 without TLS is refused", "logged in")
except imaplib.IMAP4.error as e:
    ok(True, "plaintext LOGIN on 143 without TLS is refused")
    diag("server said: %s" % e)
c.shutdown()

c = w.pop(110)
try:
    c.user(ALICE[0])
    c.pass_(ALICE[1])
    ok(False, "plaintext USER/PASS on 110 without TLS is refused", "logged in")
except poplib.error_proto as e:
    ok(True, "plaintext USER/PASS on 110 without TLS is refused")
    diag("server said: %s" % e)
c.close()

# ---- system users ----------------------------------------------------------------
w.system_user("sysuser", "Sys-pass-123")
w.system_user("root", "Root-pass-123")
with open("/etc/shadow") as f:
    shadow = f.read()
ok("\nsysuser:$6$" in shadow and "root:$6$" in shadow, "system passwords are set in /etc/shadow")


def smtp_auth_fails(user, password):
    s = w.smtp(587, src=spare(), starttls=True)
    try:
        s.login(user, password)
        return False
    except smtplib.SMTPAuthenticationError:
        return True
    finally:
        s.close()


SYSTEM = (("sysuser", "Sys-pass-123"), ("root", "Root-pass-123"),
          ("sysuser@" + w.HOST, "Sys-pass-123"))
with ThreadPoolExecutor(max_workers=6) as pool:
    imap_logins = [pool.submit(w.imap_login_ok, u, p, src=spare()) for u, p in SYSTEM]
    smtp_fails = [pool.submit(smtp_auth_fails, u, p) for u, p in SYSTEM]
for (user, _), login, fails in zip(SYSTEM, imap_logins, smtp_fails):
    ok(not login.result(), "system user %s cannot log in over IMAPS" % user)
    try:
        ok(fails.result(), "system user %s cannot AUTH on 587" % user, "authenticated")
    except Exception as e:
        ok(False, "system user %s cannot AUTH on 587" % user, e)

tap.done()
