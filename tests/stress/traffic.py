"""Background traffic for the concurrency stress test: mail to accounts
nobody changes, and IMAP logins of such accounts, in loops that run until
told to stop (and never longer than a bound). Each keeps counts and what
went wrong, for the test to check afterwards."""
import os
import re
import smtplib
import threading
import time
import uuid

import wslib as w

MAX_SECONDS = 900  # a loop stops by itself after this, whatever happens
TOKEN = re.compile(rb"stress-[0-9a-f]{16}")


class Loop(threading.Thread):
    """Runs self.once() every `interval` seconds until stop() is called."""

    def __init__(self, interval):
        super().__init__(daemon=True)
        self.interval = interval
        self.halt = threading.Event()
        self.errors = []

    def run(self):
        deadline = time.monotonic() + MAX_SECONDS
        while not self.halt.is_set() and time.monotonic() < deadline:
            try:
                self.once()
            except Exception as e:
                self.errors.append("%s: %s" % (type(e).__name__, e))
            self.halt.wait(self.interval)

    def stop(self):
        self.halt.set()
        self.join()


class Mailer(Loop):
    """Sends one message at a time over a kept SMTP connection (from the
    "outside" address), round robin over `rcpts`; each message carries a
    unique token. A refused message is an error."""

    def __init__(self, rcpts, interval=0.2):
        super().__init__(interval)
        self.rcpts = rcpts
        self.sent = []  # (rcpt, token)
        self.conn = None

    def once(self):
        rcpt = self.rcpts[len(self.sent) % len(self.rcpts)]
        token = "stress-" + uuid.uuid4().hex[:16]
        _, text = w.message("sender@example.org", rcpt, "stress", token)
        if self.conn is None:
            self.conn = w.smtp()
        try:
            self.conn.sendmail("sender@example.org", rcpt, text)
        except smtplib.SMTPServerDisconnected:
            self.conn = None  # the server may end long sessions; send again
            return
        except Exception:
            self.conn = None  # a refusal: an error (Loop.run records it)
            raise
        self.sent.append((rcpt, token))

    def stop(self):
        super().stop()
        if self.conn is not None:
            self.conn.quit()


class Logins(Loop):
    """IMAP logins, round robin over (user, password) pairs; each must
    succeed."""

    def __init__(self, users, interval=0.1):
        super().__init__(interval)
        self.users = users
        self.done = 0

    def once(self):
        user, pw = self.users[self.done % len(self.users)]
        self.done += 1
        if not w.imap_login_ok(user, pw):
            self.errors.append("login of %s failed" % user)


def tokens_in(maildirs):
    """Every Mailer token in the messages of these Maildirs."""
    found = set()
    for md in maildirs:
        for sub in ("new", "cur"):
            try:
                names = os.listdir(os.path.join(md, sub))
            except OSError:
                continue
            for name in names:
                with open(os.path.join(md, sub, name), "rb") as f:
                    found.update(t.decode() for t in TOKEN.findall(f.read()))
    return found
