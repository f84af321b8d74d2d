"""How soon a new account works: the time from `mail add account`
returning until the first successful IMAP login (993) and, separately,
until the first RCPT TO for it that Postfix accepts on port 25 from an
outside address. Both are polled at once, every POLL seconds, each
attempt on a new connection (as a new client would).

`mail add account` returns once the account is appended; Dovecot serves
it after its next look at the users file (at most once a second, then a
re-read of the whole file). A failed login in that window would make
Dovecot delay every later login from the poller's address (its auth
penalty: 2 s, growing, for half a minute), which says nothing about the
account. So the IMAP side polls Dovecot's userdb (`doveadm user`, no
penalty) and takes the time of the first IMAP login that succeeds after
Dovecot knows the user."""
import smtplib
import subprocess
import threading
import time

import benchlib as b
import wslib as w

POLL = 0.005
GIVE_UP = 10.0  # seconds; a figure of None means "not within GIVE_UP"


def rcpt_ok(address):
    s = w.smtp(25)
    try:
        s.mail("someone@example.org")
        return s.rcpt(address)[0] == 250
    finally:
        s.quit()


def first_success(fn, t0, out, key):
    """Calls fn every POLL seconds; out[key] = seconds from t0 to the end
    of its first success, or None after GIVE_UP."""
    while time.perf_counter() - t0 < GIVE_UP:
        try:
            if fn():
                out[key] = time.perf_counter() - t0
                return
        except (smtplib.SMTPException, OSError):
            pass
        time.sleep(POLL)
    out[key] = None


def quick_failures():
    """Dovecot answers a failed login after auth_failure_delay (2 s by
    default): polling every few ms needs it at 0. webstack's dovecot.conf
    includes local.conf last."""
    with open("/etc/dovecot/local.conf", "a") as f:
        f.write("auth_failure_delay = 0\n")
    subprocess.run(["doveadm", "reload"], check=True)
    time.sleep(1)


def trial(i):
    name = "new%03d" % i
    address, pw = "%s@%s" % (name, b.DOMAIN), b.password(name)
    b.must(["mail", "add", "account", address, pw])
    t0 = time.perf_counter()
    out = {}
    polls = [threading.Thread(target=first_success, args=(fn, t0, out, key))
             for key, fn in (("imap", lambda: w.lookup(address) and w.imap_login_ok(address, pw)),
                             ("rcpt", lambda: rcpt_ok(address)))]
    for t in polls:
        t.start()
    for t in polls:
        t.join()
    return out


def measure(trials):
    """{"usable_imap_s": [...], "usable_rcpt_s": [...]} over trials adds."""
    quick_failures()
    runs = [trial(i) for i in range(trials)]
    return {"usable_imap_s": [r["imap"] for r in runs],
            "usable_rcpt_s": [r["rcpt"] for r in runs]}
