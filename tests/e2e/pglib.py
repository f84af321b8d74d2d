"""A throwaway PostgreSQL server for the end-to-end tests: Debian's
postgresql (the newest /usr/lib/postgresql/N), a cluster made with initdb
in the sandbox's TMPDIR, listening on 127.0.0.1 and a socket under /run
(both private to the throwaway host), and on any further addresses a test
asks for (tests/e2e/pgtwohosts: the end of a veth pair). The roles get passwords (scram) so
the daemons' lookups authenticate as they would against a real server."""
import glob
import os
import pwd
import secrets
import subprocess
import time

PORT = 5432
SOCKET_DIR = "/run/postgresql"
TABLES = ("ws_domains", "ws_addresses", "ws_accounts", "ws_alias_targets")


def bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                  key=lambda p: int(p.split("/")[4]))
    if not dirs:
        raise RuntimeError("PostgreSQL's server is not installed (package postgresql)")
    return os.path.dirname(dirs[-1])


def as_postgres(argv, **kw):
    pw = pwd.getpwnam("postgres")

    def demote():
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    return subprocess.run(argv, preexec_fn=demote, cwd="/", capture_output=True,
                          text=True, timeout=120, **kw)


class Server:
    def __init__(self):
        self.data = os.path.join(os.environ.get("TMPDIR", "/tmp"), "pgdata")
        self.bin = bindir()
        self.log = self.data + ".log"

    def start(self, listen=(), clients=()):
        """initdb and start. listen: addresses to listen on besides
        127.0.0.1; clients: networks (CIDR) allowed in over TCP besides
        127.0.0.1, with scram passwords like it."""
        pw = pwd.getpwnam("postgres")
        os.makedirs(SOCKET_DIR, exist_ok=True)
        os.chown(SOCKET_DIR, pw.pw_uid, pw.pw_gid)
        os.makedirs(self.data, mode=0o700)
        os.chown(self.data, pw.pw_uid, pw.pw_gid)
        open(self.log, "w").close()
        os.chown(self.log, pw.pw_uid, pw.pw_gid)
        r = as_postgres([self.bin + "/initdb", "-D", self.data, "-A", "scram-sha-256",
                         "--auth-local=peer", "-U", "postgres", "-E", "UTF8",
                         "--locale=C.UTF-8"])
        if r.returncode:
            raise RuntimeError("initdb failed: " + r.stderr)
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all postgres peer\n"
                    "local all all scram-sha-256\n"
                    "host all all 127.0.0.1/32 scram-sha-256\n")
            for net in clients:
                f.write("host all all %s scram-sha-256\n" % net)
        r = as_postgres([self.bin + "/pg_ctl", "-D", self.data, "-l", self.log, "-w",
                         "-o", "-c listen_addresses=%s -p %d -k %s -c fsync=off"
                         % (",".join(("127.0.0.1",) + tuple(listen)), PORT, SOCKET_DIR),
                         "start"])
        if r.returncode:
            raise RuntimeError("pg_ctl start failed: %s\n%s" % (r.stderr, open(self.log).read()))
        return self

    def stop(self):
        as_postgres([self.bin + "/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"])

    def psql(self, sql, db="postgres"):
        """Runs sql as the superuser over the socket; returns stdout (rows,
        fields separated by '|'). Raises on an error."""
        r = as_postgres(["/usr/bin/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                         "-h", SOCKET_DIR, "-p", str(PORT), "-d", db], input=sql)
        if r.returncode:
            raise RuntimeError("psql failed: %s" % r.stderr)
        return r.stdout

    def create_role(self, name, login=True):
        """Creates role name with a random password; returns the password
        (handed to psql on stdin, never in argv)."""
        password = secrets.token_urlsafe(24)
        self.psql("CREATE ROLE %s %s PASSWORD '%s';" % (name, "LOGIN" if login else "", password))
        return password

    def wait_ready(self, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r = subprocess.run([self.bin + "/pg_isready", "-h", "127.0.0.1", "-p", str(PORT)],
                               capture_output=True)
            if r.returncode == 0:
                return True
            time.sleep(0.1)
        return False


def webstack_config(passwords, conninfo, select=True, etc="/etc/webstack"):
    """Puts each role's password (passwords: {role: password}) in the file
    webstack.conf's pgsql section names (0600, in etc) and returns the
    configuration text of the pgsql section for conninfo, with
    `directory = "pgsql"` when select (without: the section waits idle)."""
    os.makedirs(etc, exist_ok=True)
    for name, role in (("pgsql", "webstack"), ("pgsql-postfix", "ws_postfix"),
                       ("pgsql-dovecot", "ws_dovecot")):
        fd = os.open(os.path.join(etc, name + ".password"),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(passwords[role] + "\n")
    return ('directory = "pgsql"\n' if select else "") + \
        'pgsql {\n  conninfo = "%s"\n}\n' % conninfo


class Directory:
    """A server with webstack's roles (webstack, ws_postfix, ws_dovecot)
    and their database. `mail setup` makes the schema, or pg-tool's
    migrate (tests/tools/pg-tool, built by `make check`: run() and
    start())."""

    def __init__(self, builddir, listen=(), clients=()):
        """listen, clients: see Server.start."""
        self.tool = os.path.join(builddir, "tests/tools/pg-tool")
        self.srv = Server().start(listen, clients)
        self.passwords = {r: self.srv.create_role(r)
                          for r in ("webstack", "ws_postfix", "ws_dovecot")}
        self.srv.psql("CREATE DATABASE webstack OWNER webstack;")
        self.conninfo = "host=127.0.0.1 port=%d dbname=webstack user=webstack" % PORT

    def need_tool(self):
        if not os.access(self.tool, os.X_OK):
            raise RuntimeError("%s is not built (make check builds it)" % self.tool)

    def run(self, cmd, lines="", password=None):
        """pg-tool cmd with the owner's password (or password) and lines
        on stdin; a CompletedProcess."""
        self.need_tool()
        return subprocess.run([self.tool, cmd], input="%s\n%s" % (
            password or self.passwords["webstack"], lines), capture_output=True, text=True,
            timeout=60, env=dict(os.environ, WS_PG_CONNINFO=self.conninfo))

    def psql_as(self, role, sql):
        """sql as role over TCP with its password (in the environment, not
        argv); returns (exit status, stdout, stderr)."""
        env = dict(os.environ, PGPASSWORD=self.passwords[role])
        r = subprocess.run(["/usr/bin/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-h", "127.0.0.1", "-p", str(PORT), "-U", role, "-d", "webstack"],
                           input=sql, capture_output=True, text=True, env=env, timeout=60)
        return r.returncode, r.stdout.strip(), r.stderr

    def webstack_config(self, select=True):
        """webstack_config() for this database's owner role."""
        return webstack_config(self.passwords, self.conninfo, select)

    def tables(self):
        """{table: [its rows as text, sorted]} of the directory's tables,
        read as the superuser; {} before `mail setup` made them."""
        sql = " UNION ALL ".join("SELECT '%s', t::text FROM %s t" % (n, n) for n in TABLES)
        try:
            text = self.srv.psql(sql + " ORDER BY 1, 2;", db="webstack")
        except RuntimeError:
            return {}
        out = {n: [] for n in TABLES}
        for line in text.splitlines():
            name, row = line.split("|", 1)
            out[name].append(row)
        return out

    def start(self, cmd, lines=""):
        """pg-tool cmd started, its stdin written and closed: a Popen."""
        self.need_tool()
        p = subprocess.Popen([self.tool, cmd], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ, WS_PG_CONNINFO=self.conninfo))
        p.stdin.write("%s\n%s" % (self.passwords["webstack"], lines))
        p.stdin.close()
        return p
