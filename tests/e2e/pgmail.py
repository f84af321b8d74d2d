"""The directory on PostgreSQL (directory = "pgsql"): `mail setup` makes
the tables and the daemons' lookups, and the mail commands work as with
the files: a domain, accounts and an alias added, listed (--json as the
files backend prints it), an IMAP login and delivery through Postfix's
pgsql: tables and Dovecot's sql passdb, a new password, deletions; the
rows in the database say the same; no users file or map is written; an
address another host took meanwhile is refused with exit 73; mail import
and mail check; a domain deleted with --force takes its rows along."""
import json
import os

import tap
import wslib as w
from tap import ok, eq

w.set_directory("pgsql")
w.setup()
db = w.db
ok(os.stat("/etc/postfix/pgsql/vmailbox.cf").st_mode & 0o777 == 0o640,
   "Postfix's lookup tables are 0640")
out = open("/etc/postfix/main.cf").read()
ok("virtual_mailbox_maps = pgsql:/etc/postfix/pgsql/vmailbox.cf" in out,
   "main.cf looks accounts up in PostgreSQL")
_, rows, _ = db.psql_as("webstack", "SELECT max(version) FROM ws_schema;")
eq(rows, "1", "setup made the tables (schema version 1)")
r = w.expect(0, "mail", "setup", desc="a second mail setup")
ok("NOTICE" not in r.err, "passes on no message of the server's", r.err)

w.expect(0, "mail", "add", "domain", "example.com")
w.expect(0, "mail", "add", "account", "alice@example.com", "alice-secret-1", "--wait")
w.expect(0, "mail", "add", "account", "bob@example.com", "bob-secret-12", "--wait")
w.expect(0, "mail", "add", "alias", "team@example.com", "alice@example.com", "bob@example.com")
_, rows, _ = db.psql_as("webstack", "SELECT address FROM ws_accounts ORDER BY address;")
eq(rows.split(), ["alice@example.com", "bob@example.com"], "the accounts are rows")
_, rows, _ = db.psql_as("webstack", "SELECT target FROM ws_alias_targets "
                        "WHERE address = 'team@example.com' ORDER BY target;")
eq(rows.split(), ["alice@example.com", "bob@example.com"], "the alias's targets are rows")
ok(not os.path.exists("/etc/dovecot/users") or "alice" not in open("/etc/dovecot/users").read(),
   "no users file holds the accounts")
r = w.expect(0, "mail", "list", "accounts", "--json")
listed = json.loads(r.out)
eq([a["address"] for a in listed], ["alice@example.com", "bob@example.com"],
   "list accounts --json lists them")
eq(listed[0]["maildir"], "/var/mail/vhosts/example.com/alice", "with their Maildirs")

ok(w.imap_login_ok("alice@example.com", "alice-secret-1"), "alice logs in over IMAP")
ok(not w.imap_login_ok("alice@example.com", "wrong-password"), "not with a wrong password")
token = w.send("someone@example.org", "team@example.com")
ok(w.wait_delivery("alice@example.com", token)[0], "mail to the alias reaches alice")
ok(w.wait_delivery("bob@example.com", token)[0], "and bob")

r = w.expect(0, "mail", "status")
ok("schema version" in r.out and "accounts" in r.out, "mail status reports the database", r.out)
checks = [c["check"] for c in json.loads(w.expect(0, "--json", "mail", "status").out)["checks"]]
eq([n for n in ("domains", "accounts", "aliases") if checks.count(n) != 1], [],
   "mail status --json has each count once")
w.expect(0, "mail", "passwd", "bob@example.com", "bob-new-secret")
ok(w.imap_login_ok("bob@example.com", "bob-new-secret"), "bob's new password works at once")

# Another host added carol meanwhile: this one's add is refused.
db.psql_as("webstack", "INSERT INTO ws_addresses VALUES ('carol@example.com', 'example.com', 'a');"
           "INSERT INTO ws_accounts (address, local, domain, password) VALUES "
           "('carol@example.com', 'carol', 'example.com', '{X}y');")
r = w.expect(73, "mail", "add", "account", "carol@example.com", "carol-secret-1")
ok("carol@example.com" in r.err, "another host's account: refused, named", r.err)

# import and check: many accounts in one transaction, and the Maildirs of
# what the database holds.
w.expect(0, "mail", "import", "-",
         input="".join("i%d@example.com pw-%d-secret\n" % (i, i) for i in range(20)))
_, rows, _ = db.psql_as("webstack", "SELECT count(*) FROM ws_accounts WHERE address LIKE 'i%';")
eq(rows, "20", "mail import adds its 20 accounts as rows")
ok(w.imap_login_ok("i7@example.com", "pw-7-secret"), "an imported account logs in")
w.expect(73, "mail", "import", "-", input="i7@example.com pw-7-secret\n",
         desc="an import of an existing account")
# carol, added by another host, has no Maildir here: check says so and
# --repair makes it (Dovecot would make it at her first delivery too).
r = w.expect(1, "mail", "check", desc="mail check on a host that did not add carol")
ok("/var/mail/vhosts/example.com/carol: new directory" in r.out, "names her missing Maildir",
   r.out)
w.expect(0, "mail", "check", "--repair")
w.expect(0, "mail", "check", desc="mail check after the repair")

w.expect(0, "mail", "del", "alias", "team@example.com")
w.expect(0, "mail", "del", "account", "bob@example.com")
_, rows, _ = db.psql_as("webstack", "SELECT address FROM ws_addresses "
                        "WHERE address NOT LIKE 'i%' ORDER BY address;")
eq(rows.split(), ["alice@example.com", "carol@example.com"], "deleted rows are gone")
ok(not w.imap_login_ok("bob@example.com", "bob-new-secret"), "bob no longer logs in")
w.expect(0, "mail", "del", "domain", "example.com", "--force")
_, rows, _ = db.psql_as("webstack", "SELECT count(*) FROM ws_addresses;")
eq(rows, "0", "del domain --force leaves no address row")
tap.done()
