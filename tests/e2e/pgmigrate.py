"""`webstack mail migrate`: a server set up with the files (and a pgsql
section that waits, idle) moves to PostgreSQL and back. After each move
the same domains, accounts and aliases are listed (--json, hashes
compared in the database and the users file), every account logs in with
its password and mail reaches it and its alias; the command's report says
the counts match and every login answers with its hash. Also: --dry-run
changes nothing; running it again finishes or says there is nothing to
do; a database that holds other entries is refused with 73 and nothing
changes; bad --to values name the problem."""
import json
import os
import re

import pglib
import tap
import wslib as w
from tap import ok, eq

db = pglib.Directory(os.environ["WS_BUILDDIR"])
tap.on_failure(lambda: tap.diag(open(db.srv.log).read()[-2000:]))
# The section is there from the start; `directory` is the files'.
w.set_directory("files")
w.setup(extra=db.webstack_config(select=False))
ok("pgsql:" not in open("/etc/postfix/main.cf").read(), "with the files, main.cf names no pgsql table")

ACCOUNTS = {"alice@example.com": "alice-secret-1", "bob@example.com": "bob-secret-12",
            "carol@example.org": "carol-secret-3"}
w.expect(0, "mail", "add", "domain", "example.com")
w.expect(0, "mail", "add", "domain", "example.org")
for address, password in ACCOUNTS.items():
    w.expect(0, "mail", "add", "account", address, password, "--wait")
w.expect(0, "mail", "add", "alias", "team@example.com", "alice@example.com", "carol@example.org")
w.expect(0, "mail", "add", "alias", "outside@example.org", "someone@example.net")


def listing():
    return {what: json.loads(w.expect(0, "mail", "list", what, "--json").out)
            for what in ("domains", "accounts", "aliases")}


def users_file_hashes():
    return dict(line.split(":")[:2] for line in open("/etc/dovecot/users") if ":" in line)


def db_hashes():
    _, rows, _ = db.psql_as("webstack", "SELECT address, password FROM ws_accounts;")
    return dict(row.split("|", 1) for row in rows.splitlines())


def config_directory():
    m = re.search(r'^directory = "([a-z]+)"$', open(w.CONF).read(), re.M)
    return m.group(1) if m else "files"


def works(desc):
    """Every account logs in; mail to the alias reaches alice and carol."""
    for address, password in ACCOUNTS.items():
        ok(w.imap_login_ok(address, password), "%s: %s logs in" % (desc, address))
    token = w.send("someone@example.net", "team@example.com")
    ok(w.wait_delivery("alice@example.com", token)[0], "%s: mail to the alias reaches alice" % desc)
    ok(w.wait_delivery("carol@example.org", token)[0], "%s: and carol" % desc)


def reported(r, check):
    """The value of one item of the --json report."""
    items = [c for c in json.loads(r.out)["checks"] if c["check"] == check]
    return items[0] if items else {"value": None, "ok": False}


before = listing()
hashes = users_file_hashes()
eq(len(hashes), 3, "the users file holds the three accounts")
works("files")

# Bad input first: nothing may change.
digest = w.tree_digest()
r = w.expect(64, "mail", "migrate", desc="mail migrate without --to")
ok("--to" in r.err, "says --to is needed", r.err)
r = w.expect(78, "mail", "migrate", "--to", "nosuch", desc="mail migrate --to a module not configured")
ok("nosuch" in r.err and "section" in r.err, "names the module and the missing section", r.err)
r = w.expect(0, "mail", "migrate", "--to", "files", desc="mail migrate --to the backend in use")
ok("nothing to migrate" in r.err, "says there is nothing to do", r.err)
r = w.expect(0, "mail", "migrate", "--to", "pgsql", "--dry-run")
ok("would add account alice@example.com in the directory" in r.out, "--dry-run lists the rows", r.out)
ok('+directory = "pgsql"' in r.out, "--dry-run shows the config change", r.out)
eq(w.digest_diff(digest, w.tree_digest()), "", "bad input and --dry-run change no file")
_, rows, _ = db.psql_as("webstack", "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'ws_%';")
eq(rows, "0", "--dry-run creates no table")

# To PostgreSQL.
r = w.expect(0, "mail", "migrate", "--to", "pgsql", "--json")
eq(reported(r, "accounts")["value"], "3 moved, 3 there", "the report counts the accounts")
eq(reported(r, "aliases")["value"], "2 moved, 2 there", "and the aliases")
eq(reported(r, "directory")["value"], "identical", "the database holds the same directory")
eq(reported(r, "logins")["value"], "3 of 3 account(s) found by the imap server's passdb",
   "Dovecot's passdb finds every account")
eq(config_directory(), "pgsql", "webstack.conf says directory = \"pgsql\"")
ok("pgsql:/etc/postfix/pgsql/vmailbox.cf" in open("/etc/postfix/main.cf").read(),
   "main.cf looks accounts up in PostgreSQL")
eq(db_hashes(), hashes, "the rows hold the hashes of the users file, byte for byte")
eq(listing(), before, "list --json prints the same domains, accounts and aliases")
works("pgsql")
r = w.expect(0, "mail", "migrate", "--to", "pgsql", desc="migrate --to pgsql again")
ok("nothing to migrate" in r.err, "says there is nothing to do", r.err)

# Changes in PostgreSQL, then back to the files: they come along, and the
# stale files are replaced.
ACCOUNTS["dave@example.com"] = "dave-secret-4"
w.expect(0, "mail", "add", "account", "dave@example.com", ACCOUNTS["dave@example.com"])
w.expect(0, "mail", "passwd", "alice@example.com", "alice-new-secret")
ACCOUNTS["alice@example.com"] = "alice-new-secret"
w.expect(0, "mail", "del", "alias", "outside@example.org")
before = listing()
hashes = db_hashes()
r = w.expect(0, "mail", "migrate", "--to", "files")
ok("replacing the 2 domain(s), 3 account(s) and 2 alias(es) the files held" in r.err,
   "says it replaces what the files held from before", r.err)
ok(re.search(r"ok +logins +4 of 4 account\(s\) found by the imap server's passdb", r.out),
   "the text report: 4 of 4 logins", r.out)
eq(config_directory(), "files", "webstack.conf says directory = \"files\"")
ok("pgsql:" not in open("/etc/postfix/main.cf").read(), "main.cf reads the maps again")
eq(users_file_hashes(), hashes, "the users file holds the hashes of the rows")
eq(listing(), before, "list --json prints the same after the way back")
works("back to files")

# The database still holds what went back (other hosts may share it): a
# migration to it again finds the same and finishes.
r = w.expect(0, "mail", "migrate", "--to", "pgsql")
ok("holds this directory already" in r.err, "a database holding the same: finishes", r.err)
eq(config_directory(), "pgsql", "and switches")
works("pgsql again")
w.expect(0, "mail", "migrate", "--to", "files")

# The database holds other entries: refused, nothing changes.
db.psql_as("webstack", "INSERT INTO ws_domains VALUES ('other.example');")
digest = w.tree_digest()
r = w.expect(73, "mail", "migrate", "--to", "pgsql", desc="migrate into a database holding others")
ok("pgsql holds 3 domain(s)" in r.err and "empty" in r.err, "says what it holds", r.err)
eq(w.digest_diff(digest, w.tree_digest()), "", "a refused migration changes no file")
eq(config_directory(), "files", "and leaves directory = \"files\"")
_, rows, _ = db.psql_as("webstack", "SELECT count(*) FROM ws_accounts;")
eq(rows, "4", "nor the rows")
works("after the refusal")

# Dovecot cannot read the database (its role's password changed there;
# Dovecot 2.3.19's auth process then dies at each start): the move is
# made, and the login check says it failed.
db.psql_as("webstack", "DELETE FROM ws_domains WHERE name = 'other.example';")
db.srv.psql("ALTER ROLE ws_dovecot PASSWORD 'not-the-one-in-the-file';")
r = w.expect(69, "mail", "migrate", "--to", "pgsql",
             desc="a migration Dovecot's lookups cannot follow")
ok("the directory is in pgsql now, but the login check failed" in r.err and
   "Dovecot's auth process does not answer" in r.err, "says the check failed, and why", r.err)
eq(config_directory(), "pgsql", "the move itself is made")
db.srv.psql("ALTER ROLE ws_dovecot PASSWORD '%s';" % db.passwords["ws_dovecot"])
works("once Dovecot's password is right again")
tap.done()
