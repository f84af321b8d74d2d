"""Helpers for the end-to-end tests. They run inside sandbox.sh (root, a
private network, fresh copies of the system paths): run webstack, write its
configuration, talk SMTP/IMAP/POP3/ManageSieve, watch Maildirs, fingerprint
file trees, and print the daemons' logs when a check failed.

WS_E2E_DIRECTORY=pgsql (or set_directory("pgsql")) runs a test with the
directory in PostgreSQL: write_config() starts a server in the throwaway
host once (pglib.Directory, kept in `db`), writes the roles' password files
and puts `directory = "pgsql"` and its section into the configuration.
PGSQL says which backend runs; in_map() then asks Postfix's pgsql: tables,
and tree_digest() counts the directory's rows as state too."""
import base64
import email.utils
import glob
import hashlib
import imaplib
import os
import poplib
import re
import smtplib
import socket
import ssl
import stat
import subprocess
import tempfile
import time
import uuid

import tap

WEBSTACK = os.environ["WEBSTACK"]
BUILDDIR = os.environ["WS_BUILDDIR"]
HOST = os.environ.get("WS_E2E_HOSTNAME", "mail.example.test")
CONF = "/etc/webstack/webstack.conf"
TLS_CERT = "/etc/webstack/tls/cert.pem"
MAIL_ROOT = "/var/mail/vhosts"
# sandbox.sh routes these ranges to the private loopback: PUB is the server's
# "public" address, OUT a client "on another server" (not in mynetworks).
PUB4, PUB6 = "192.0.2.1", "2001:db8::1"
OUT4, OUT6 = "192.0.2.10", "2001:db8::10"
OUT = {PUB4: OUT4, PUB6: OUT6}
TIMEOUT = 20           # seconds for one network operation
DELIVERY_TIMEOUT = 15  # seconds a message may take to reach its Maildir
STATE_DIRS = ("/etc/postfix", "/etc/dovecot", "/etc/webstack", "/var/mail")

# Global options for every webstack run; see use_default_config().
GLOBAL = []

# The directory backend: "files" or "pgsql" (see the top of this file).
DIRECTORY = os.environ.get("WS_E2E_DIRECTORY") or "files"
PGSQL = DIRECTORY == "pgsql"
db = None  # pglib.Directory, once write_config() started it


def set_directory(name):
    """Runs this test with the directory in name ("files" or "pgsql"),
    whatever WS_E2E_DIRECTORY says; call it before setup()."""
    global DIRECTORY, PGSQL
    if name not in ("files", "pgsql"):
        raise ValueError("no directory backend %r (files or pgsql)" % name)
    DIRECTORY, PGSQL = name, name == "pgsql"


set_directory(DIRECTORY)


def directory_config():
    """The configuration text for the directory backend: nothing for the
    files; for pgsql the server (started on the first call) and the
    password files webstack reads."""
    global db
    if not PGSQL:
        return ""
    if db is None:
        import pglib
        db = pglib.Directory(BUILDDIR)
        tap.on_failure(lambda: tap.diag("---- last lines of PostgreSQL's log ----",
                                        open(db.srv.log).read()[-2000:]))
        tap.diag("the directory is in PostgreSQL (%s)" % db.srv.bin)
    return db.webstack_config()


class Result:
    def __init__(self, args, rc, out, err, seconds):
        self.args, self.rc, self.out, self.err = args, rc, out, err
        self.seconds = seconds

    def __str__(self):
        return "webstack %s: exit %d\nstdout: %s\nstderr: %s" % (
            " ".join(self.args), self.rc, self.out.rstrip(), self.err.rstrip())


def ws(*args, input=None):
    """Runs webstack with args; returns a Result (never raises)."""
    start = time.monotonic()
    p = subprocess.run([WEBSTACK] + GLOBAL + list(args), input=input,
                       capture_output=True, text=True, timeout=300)
    return Result(list(args), p.returncode, p.stdout, p.stderr,
                  time.monotonic() - start)


def expect(rc, *args, desc=None, input=None):
    """Runs webstack and checks its exit status; shows its output if wrong."""
    r = ws(*args, input=input)
    tap.ok(r.rc == rc, "%s exits %d" % (desc or "webstack " + " ".join(args), rc),
           None if r.rc == rc else r)
    return r


def use_default_config():
    """Makes /etc/webstack/webstack.conf the file webstack reads by default,
    so commands run exactly as an admin types them. A build configured with
    another sysconfdir looks in <sysconfdir>/webstack: inside the sandbox
    that directory is covered with a tmpfs holding a link to /etc/webstack.
    Falls back to `-c` when the directory does not exist."""
    m = re.search(r"instead of (\S+/webstack/webstack\.conf)",
                  subprocess.run([WEBSTACK, "--help"], capture_output=True,
                                 text=True).stdout)
    default = m.group(1) if m else CONF
    if default == CONF:
        return
    sysconf = os.path.dirname(os.path.dirname(default))
    if os.path.isdir(sysconf) and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "mode=0755", "ws-sysconf", sysconf]).returncode == 0:
        os.symlink("/etc/webstack", os.path.join(sysconf, "webstack"))
        tap.diag("built with sysconfdir %s: linked it to /etc/webstack" % sysconf)
    else:
        GLOBAL.extend(["-c", CONF])
        tap.diag("built with config %s: running webstack -c %s" % (default, CONF))


def write_config(fast_hash=True, extra=""):
    os.makedirs("/etc/webstack", exist_ok=True)
    with open(CONF, "w") as f:
        f.write('mta = "postfix"\nimap = "dovecot"\n')
        f.write('module_dir = "%s/modules/.libs"\n' % BUILDDIR)
        f.write('hostname = "%s"\n' % HOST)
        if fast_hash:
            f.write('password_scheme = "SHA512-CRYPT"\nsha512_rounds = 5000\n')
        f.write(extra)
        f.write(directory_config())


def setup(fast_hash=True, extra=""):
    """Configures webstack and runs `mail setup`; bails out if that fails."""
    tap.on_failure(show_logs)
    use_default_config()
    write_config(fast_hash, extra)
    # webstack owns dovecot.conf, which includes local.conf last.
    with open("/etc/dovecot/local.conf", "w") as f:
        f.write("log_path = /var/log/dovecot.log\nauth_verbose = yes\n")
    r = expect(0, "mail", "setup")
    if r.rc != 0:
        tap.bail_out("webstack mail setup failed")
    tap.diag("setup took %.1f s" % r.seconds)
    return r


def smtpd_pids():
    return set(subprocess.run(["pgrep", "-x", "smtpd"], capture_output=True,
                              text=True).stdout.split())


def setup_and_reload(desc):
    """`mail setup`, then wait until the smtpd processes that ran before
    (with the old milter list) are gone: after `postfix reload` an idle one
    may still take one more connection."""
    old = smtpd_pids()
    expect(0, "mail", "setup", desc=desc)
    gone, _ = wait_for(lambda: not (old & smtpd_pids()), 15)
    tap.ok(gone, "the smtpd processes of the old configuration are gone")


def show_logs(lines=40):
    for path in sorted(glob.glob("/var/log/*.log")) + ["/var/log/syslog"]:
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                tail = f.readlines()[-lines:]
            tap.diag("---- last lines of %s ----" % path, "".join(tail))
    q = subprocess.run(["postqueue", "-p"], capture_output=True, text=True)
    tap.diag("---- postqueue -p ----", (q.stdout + q.stderr)[-3000:])


def wait_for(fn, timeout, interval=0.05):
    """Polls fn until it returns a true value or timeout seconds pass.
    Returns (value, seconds waited); value is the last one fn returned."""
    start = time.monotonic()
    while True:
        value = fn()
        waited = time.monotonic() - start
        if value or waited >= timeout:
            return value, waited
        time.sleep(interval)


def sleep_until(deadline):
    """Sleeps until time.monotonic() reaches deadline."""
    time.sleep(max(0, deadline - time.monotonic()))


def next_second():
    """Waits for the wall clock to tick over to a new second."""
    time.sleep(1.02 - time.time() % 1)


def lookup(user):
    """A userdb lookup: Dovecot's auth process re-reads its users file if it
    has not checked it yet in this second and its mtime or size changed.
    True when Dovecot knows the user."""
    return subprocess.run(["doveadm", "user", user], capture_output=True).returncode == 0


def lookup_first(user):
    """Dovecot re-reads its users file at most once a second, and only when
    its mtime (whole seconds) or size changed. So the hard case for a change,
    as on a busy server, is a lookup just before it in the same second: this
    waits for the clock to tick over to a new second and looks user up."""
    next_second()
    lookup(user)


def postfix_table(m):
    """Postfix's table for map m: the compiled map, or under pgsql the
    pgsql: lookup that takes its place."""
    return ("pgsql:/etc/postfix/pgsql/%s.cf" % m) if PGSQL else "lmdb:/etc/postfix/" + m


def in_map(address, m="vmailbox"):
    """Whether Postfix's table for map m has address (postmap -q)."""
    return subprocess.run(["/usr/sbin/postmap", "-q", address, postfix_table(m)],
                          capture_output=True).returncode == 0


def wait_usable(address, timeout=5):
    """After `mail add account` without --wait: polls until its background
    work put address into Postfix's map, which it does once Dovecot serves
    the account (under pgsql: until Postfix's lookup finds it). Returns
    (usable, seconds waited)."""
    return wait_for(lambda: in_map(address), timeout)


def queue_empty(timeout):
    """Waits until Postfix's queue is empty; True when it is."""
    return wait_for(lambda: "Mail queue is empty" in subprocess.run(
        ["postqueue", "-p"], capture_output=True, text=True).stdout, timeout, 0.5)[0]


def syslog():
    """The sandbox's /var/log/syslog (Postfix's log, webstack's background
    failures)."""
    with open("/var/log/syslog", errors="replace") as f:
        return f.read()


def background_failures(log):
    """The lines of log in which webstack's background work failed."""
    return [l for l in log.splitlines() if "after a change, cannot" in l]


def wait_background(timeout=15):
    """Waits until no webstack process runs (the background work of the
    commands before has finished); True when none is left."""
    return wait_for(lambda: subprocess.run(["pgrep", "-x", "webstack"],
                                           capture_output=True).returncode != 0,
                    timeout)[0]


def succeeds(fn, *args):
    """fn(*args) without raising: True, else False."""
    try:
        fn(*args)
        return True
    except Exception:
        return False


# ---- files ---------------------------------------------------------------

def maildir(address, folder=""):
    local, domain = address.split("@")
    path = os.path.join(MAIL_ROOT, domain, local)
    return os.path.join(path, "." + folder) if folder else path


def find_in_maildir(address, token, folder=""):
    """The path of a message in the Maildir (new/ or cur/) holding token."""
    base = maildir(address, folder)
    for sub in ("new", "cur"):
        try:
            names = os.listdir(os.path.join(base, sub))
        except OSError:
            continue
        for name in names:
            path = os.path.join(base, sub, name)
            try:
                with open(path, "rb") as f:
                    if token.encode() in f.read():
                        return path
            except OSError:
                pass
    return None


def wait_delivery(address, token, folder="", timeout=DELIVERY_TIMEOUT):
    return wait_for(lambda: find_in_maildir(address, token, folder), timeout)


def tree_digest(paths=STATE_DIRS):
    """{path: (type/mode, uid, gid, sha256 or link target)} for every entry
    below paths: two equal digests mean byte-identical trees. Under pgsql
    the state (paths left as they are) holds the directory's rows too, each
    as an entry "pgsql:TABLE ROW"."""
    out = {}
    if PGSQL and db is not None and paths is STATE_DIRS:
        for table, rows in db.tables().items():
            for row in rows:
                out["pgsql:%s %s" % (table, row)] = ("row",)
    for top in paths:
        for root, dirs, files in os.walk(top):
            for name in [""] + dirs + files:
                p = os.path.join(root, name) if name else root
                st = os.lstat(p)
                if stat.S_ISREG(st.st_mode):
                    with open(p, "rb") as f:
                        what = hashlib.sha256(f.read()).hexdigest()
                elif stat.S_ISLNK(st.st_mode):
                    what = os.readlink(p)
                else:
                    what = ""
                out[p] = (oct(st.st_mode), st.st_uid, st.st_gid, what)
    return out


def digest_diff(before, after):
    lines = []
    for p in sorted(set(before) | set(after)):
        if before.get(p) != after.get(p):
            lines.append("%s: %s -> %s" % (p, before.get(p), after.get(p)))
    return "\n".join(lines[:30])


# ---- mail clients ----------------------------------------------------------

def tls_ctx():
    """TLS without certificate checks (the certificate is self-signed;
    spec.test checks it separately)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def src_of(host, src):
    """source_address for a connection to host: (OUT for PUB) or None."""
    if src is None and host in OUT:
        src = OUT[host]
    return (src, 0) if src else None


def smtp(port=25, host=PUB4, src=None, starttls=False, login=None):
    """An SMTP session after EHLO (and STARTTLS and AUTH when asked); a
    connection to PUB4/PUB6 comes from OUT4/OUT6."""
    source = src_of(host, src)
    if port == 465:
        s = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=tls_ctx(),
                             source_address=source)
    else:
        s = smtplib.SMTP(host, port, timeout=TIMEOUT, source_address=source)
    s.ehlo("client.example.net")
    if starttls:
        s.starttls(context=tls_ctx())
        s.ehlo("client.example.net")
    if login:
        s.login(*login)
    return s


def message(frm, to, subject=None, token=None):
    """(token, text) of a small message; token appears in subject and body."""
    token = token or "tok-" + uuid.uuid4().hex[:12]
    text = ("From: <%s>\r\nTo: <%s>\r\nSubject: %s %s\r\nDate: %s\r\n"
            "Message-ID: <%s@client.example.net>\r\n\r\nbody %s\r\n") % (
        frm, to, subject or "test", token, email.utils.formatdate(),
        token, token)
    return token, text


def send(frm, to, subject=None, port=25, host=PUB4, login=None):
    """Sends one message; returns its token. Raises on any refusal."""
    token, text = message(frm, to if isinstance(to, str) else to[0], subject)
    s = smtp(port, host, starttls=port == 587, login=login)
    try:
        s.sendmail(frm, to, text)
    finally:
        s.quit()
    return token


def cmd(s, line):
    """One raw SMTP command (no address quoting by smtplib): (code, text)."""
    code, text = s.docmd(line)
    return code, text.decode(errors="replace")


def _connect(self, timeout):
    """_create_socket for imaplib/poplib: from the chosen source address."""
    return socket.create_connection((self.host, self.port), timeout,
                                    source_address=self._source)


class IMAP(imaplib.IMAP4):
    _create_socket = _connect

    def __init__(self, host, port, source):
        self._source = source
        super().__init__(host, port, timeout=TIMEOUT)


class IMAPS(imaplib.IMAP4_SSL):
    def __init__(self, host, port, source):
        self._source = source
        super().__init__(host, port, ssl_context=tls_ctx(), timeout=TIMEOUT)

    def _create_socket(self, timeout):
        return self.ssl_context.wrap_socket(_connect(self, timeout),
                                            server_hostname=self.host)


class POP(poplib.POP3):
    _create_socket = _connect

    def __init__(self, host, port, source):
        self._source = source
        super().__init__(host, port, timeout=TIMEOUT)


class POPS(poplib.POP3_SSL):
    def __init__(self, host, port, source):
        self._source = source
        super().__init__(host, port, context=tls_ctx(), timeout=TIMEOUT)

    def _create_socket(self, timeout):
        return self.context.wrap_socket(_connect(self, timeout),
                                        server_hostname=self.host)


def imap(port=993, host=PUB4, src=None, starttls=False, login=None):
    source = src_of(host, src)
    c = IMAPS(host, port, source) if port == 993 else IMAP(host, port, source)
    if starttls:
        c.starttls(ssl_context=tls_ctx())
    if login:
        c.login(*login)
    return c


def imap_login_ok(user, password, port=993, host=PUB4, src=None):
    """True when an IMAP login with these credentials succeeds."""
    try:
        c = imap(port, host, src=src, login=(user, password))
    except (imaplib.IMAP4.error, OSError):
        return False
    c.logout()
    return True


def imap_search(user, password, token, folder="INBOX", port=993, host=PUB4):
    """Message numbers in folder whose text holds token."""
    c = imap(port, host, starttls=port == 143, login=(user, password))
    try:
        typ, _ = c.select('"%s"' % folder, readonly=True)
        if typ != "OK":
            return []
        typ, data = c.search(None, "TEXT", '"%s"' % token)
        return data[0].split() if typ == "OK" else []
    finally:
        c.logout()


def pop(port=995, host=PUB4, src=None):
    source = src_of(host, src)
    return POPS(host, port, source) if port == 995 else POP(host, port, source)


class ManageSieve:
    """A minimal ManageSieve client (RFC 5804): STARTTLS, AUTHENTICATE
    PLAIN, PUTSCRIPT with a non-synchronising literal, SETACTIVE, LISTSCRIPTS,
    LOGOUT. Each command returns (status, response lines)."""

    def __init__(self, host=PUB4, port=4190, src=None):
        self.sock = socket.create_connection((host, port), TIMEOUT,
                                             source_address=src_of(host, src))
        self.f = self.sock.makefile("rb")
        self.capabilities = self.response()[1]

    def response(self):
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("ManageSieve server closed the connection")
            line = line.rstrip(b"\r\n")
            m = re.search(rb"\{(\d+)\+?\}$", line)
            if m:  # a literal string follows
                line += b"\n" + self.f.read(int(m.group(1)))
            text = line.decode(errors="replace")
            if re.match(r"(OK|NO|BYE)\b", text):
                return text.split()[0], lines + [text]
            lines.append(text)

    def command(self, line, literal=None):
        data = line.encode()
        if literal is not None:
            lit = literal.encode()
            data += b" {%d+}\r\n" % len(lit) + lit
        self.sock.sendall(data + b"\r\n")
        return self.response()

    def starttls(self):
        status, lines = self.command("STARTTLS")
        if status != "OK":
            return status, lines
        self.sock = tls_ctx().wrap_socket(self.sock, server_hostname=HOST)
        self.f = self.sock.makefile("rb")
        status, self.capabilities = self.response()  # capabilities again
        return status, self.capabilities

    def authenticate(self, user, password):
        blob = base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode()
        return self.command('AUTHENTICATE "PLAIN" "%s"' % blob)

    def putscript(self, name, script):
        return self.command('PUTSCRIPT "%s"' % name, literal=script)

    def setactive(self, name):
        return self.command('SETACTIVE "%s"' % name)

    def listscripts(self):
        return self.command("LISTSCRIPTS")

    def logout(self):
        try:
            self.command("LOGOUT")
        finally:
            self.sock.close()


def make_clamav_database(db="/var/lib/clamav"):
    """A versioned ClamAV database (daily.cud, built offline, unsigned) that
    knows the EICAR test file by its MD5 (as Webstack.Test.EICAR), so clamd
    starts without a download and reports a version and a date."""
    d = tempfile.mkdtemp()
    with open(os.path.join(d, "daily.hdb"), "w") as f:
        f.write("44d88612fea8a8f36de82e1278abb02f:68:Webstack.Test.EICAR\n")
    with open(os.path.join(d, "COPYING"), "w") as f:
        f.write("test data of webstack\n")
    r = subprocess.run(["sigtool", "--build=daily.cud", "--unsigned",
                        "--cvd-version=27000"], cwd=d, input="webstack\n",
                       capture_output=True, text=True)
    tap.ok(r.returncode == 0, "sigtool builds a test database", r.stdout + r.stderr)
    os.makedirs(db, exist_ok=True)
    subprocess.run(["install", "-o", "clamav", "-g", "clamav", "-m", "0644",
                    os.path.join(d, "daily.cud"), db], check=True)


def system_user(name, password):
    """A system (/etc/passwd, /etc/shadow) user with a password, no home."""
    hashed = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password,
                            capture_output=True, text=True, check=True).stdout.strip()
    if name == "root":
        subprocess.run(["usermod", "-p", hashed, "root"], check=True)
    else:
        subprocess.run(["useradd", "-M", "-d", "/nonexistent", "-s", "/bin/sh",
                        "-p", hashed, name], check=True)
