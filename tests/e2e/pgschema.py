"""The directory's PostgreSQL schema (modules/pgsql/schema-1.sql) against
Debian's real server in the throwaway host: the migration code creates it
(tests/tools/pg-tool; two hosts migrating at once do it once, a database
newer than the build is refused, a wrong password is a clear error that
does not show it), and the constraints that make
several hosts safe (an address is an account or an alias, once; no
account outside a domain; names in normal form; a domain with addresses
cannot go), two transactions adding one address at once (one succeeds),
the lookup roles' privileges (Postfix's role never reads a hash), and the
daemons' lookups of doc/pgsql.md: Postfix's pgsql: tables (postmap
-q) and Dovecot's sql passdb and userdb (doveadm auth test) with a hash
webstack made."""
import os
import subprocess
import threading

import pglib
import tap
import wslib as w
from tap import ok, eq

db = pglib.Directory(os.environ["WS_BUILDDIR"])
srv, passwords = db.srv, db.passwords
tap.on_failure(lambda: tap.diag(open(srv.log).read()[-3000:]))
ok(srv.wait_ready(), "PostgreSQL answers on 127.0.0.1")


psql = db.psql_as


def refused(sql, want, desc):
    rc, out, err = psql("webstack", sql)
    ok(rc != 0 and want in err, desc, err or out)




# Two hosts set up one empty database at once: one creates the schema,
# the other waits for the lock and finds it done.
procs = [db.start("migrate") for _ in range(2)]
outs = [(p.stdout.read(), p.stderr.read(), p.wait(timeout=60)) for p in procs]
eq([p.returncode for p in procs], [0, 0], "two migrations at once both succeed", )
eq(sorted(o[0].strip() for o in outs), ["schema 0 -> 1", "schema 1 -> 1"],
   "one created schema version 1, the other found it")
rc, out, _ = psql("webstack", "SELECT string_agg(version::text, ',') FROM ws_schema;")
eq(out, "1", "ws_schema records version 1 once")
r = db.run("migrate")
eq((r.returncode, r.stdout.strip()), (0, "schema 1 -> 1"), "a migration of a current database changes nothing")
psql("webstack", "INSERT INTO ws_schema (version) VALUES (99);")
r = db.run("migrate")
eq(r.returncode, 65, "a database newer than this build is refused (exit 65)")
ok("version 99, newer than this webstack knows (1): upgrade webstack" in r.stderr,
   "and the message says what to do", r.stderr)
psql("webstack", "DELETE FROM ws_schema WHERE version = 99;")
r = db.run("migrate", password="not-the-password")
eq(r.returncode, 69, "a wrong password cannot connect (exit 69)")
ok("password authentication failed" in r.stderr and "not-the-password" not in r.stderr,
   "the message says so without the password", r.stderr)
rc, _, err = psql("webstack", """
GRANT SELECT ON ws_domains, ws_addresses, ws_alias_targets TO ws_postfix;
GRANT SELECT (address, local, domain) ON ws_accounts TO ws_postfix;
GRANT SELECT ON ws_accounts TO ws_dovecot;
INSERT INTO ws_domains VALUES ('example.com');
INSERT INTO ws_addresses VALUES ('alice@example.com', 'example.com', 'a');
INSERT INTO ws_accounts (address, local, domain, password)
	VALUES ('alice@example.com', 'alice', 'example.com', '{ARGON2ID}$argon2id$x');
INSERT INTO ws_addresses VALUES ('team@example.com', 'example.com', 'l');
INSERT INTO ws_alias_targets (address, target) VALUES
	('team@example.com', 'alice@example.com'), ('team@example.com', 'bob@example.org');
""")
eq(rc, 0, "grants, a domain, an account and an alias go in")

# The constraints.
refused("INSERT INTO ws_addresses VALUES ('alice@example.com', 'example.com', 'l');",
        "ws_addresses_pkey", "an alias cannot take an account's address")
refused("INSERT INTO ws_addresses VALUES ('x@nowhere.test', 'nowhere.test', 'a');",
        "ws_addresses_domain_fkey", "an address needs a mail domain")
refused("INSERT INTO ws_domains VALUES ('Example.ORG');",
        "ws_domains_name_check", "a domain in normal form only")
refused("INSERT INTO ws_addresses VALUES ('Bob@example.com', 'example.com', 'a');",
        "ws_addresses_address_check", "an address in normal form only")
refused("INSERT INTO ws_accounts (address, local, domain, password) VALUES "
        "('team@example.com', 'team', 'example.com', '{X}y');",
        "ws_accounts_address_kind_fkey", "an account row needs an account address")
refused("INSERT INTO ws_addresses VALUES ('carol@example.com', 'example.com', 'a');"
        "INSERT INTO ws_accounts (address, local, domain, password) VALUES "
        "('carol@example.com', 'carol', 'example.com', 'plaintext');",
        "ws_accounts_password_check", "a password only as {SCHEME}hash")
refused("DELETE FROM ws_domains WHERE name = 'example.com';",
        "ws_addresses_domain_fkey", "a domain with addresses cannot go")
rc, _, err = psql("webstack", "BEGIN; DELETE FROM ws_addresses WHERE address = 'alice@example.com';"
                  "SELECT count(*) FROM ws_accounts; ROLLBACK;")
eq(rc, 0, "deleting an address ...")
rc, out, _ = psql("webstack", "BEGIN; DELETE FROM ws_addresses WHERE address = 'alice@example.com';"
                  "SELECT count(*) FROM ws_accounts; ROLLBACK;")
eq(out, "0", "... deletes its account with it")

# Two transactions add one address at once: one wins, the other gets a
# unique violation once the first commits.
results = []


def add(kind):
    results.append(psql("webstack", """BEGIN;
INSERT INTO ws_addresses VALUES ('race@example.com', 'example.com', '%s');
SELECT pg_sleep(0.5);
COMMIT;""" % kind))


threads = [threading.Thread(target=add, args=(k,)) for k in ("a", "l")]
for t in threads:
    t.start()
for t in threads:
    t.join()
eq(sorted(r[0] for r in results), [0, 3], "two adds of one address at once: one succeeds")
ok(any("ws_addresses_pkey" in r[2] for r in results), "the other is told the address is taken",
   [r[2] for r in results])
_, out, _ = psql("webstack", "SELECT count(*) FROM ws_addresses WHERE address = 'race@example.com';")
eq(out, "1", "the address is there once")

# What the daemons' lookup roles may read.
rc, out, _ = psql("ws_postfix", "SELECT domain || '/' || local || '/' FROM ws_accounts "
                  "WHERE address = 'alice@example.com';")
eq((rc, out), (0, "example.com/alice/"), "Postfix's role reads an account's Maildir")
rc, out, _ = psql("ws_postfix", "SELECT string_agg(target, ',' ORDER BY target) FROM "
                  "ws_alias_targets WHERE address = 'team@example.com' HAVING count(*) > 0;")
eq((rc, out), (0, "alice@example.com,bob@example.org"), "and an alias's targets")
rc, _, err = psql("ws_postfix", "SELECT password FROM ws_accounts;")
ok(rc != 0 and "permission denied" in err, "but never a password hash", err)
rc, _, err = psql("ws_dovecot", "INSERT INTO ws_domains VALUES ('evil.test');")
ok(rc != 0 and "permission denied" in err, "Dovecot's role cannot write", err)
rc, out, _ = psql("ws_dovecot", "SELECT password FROM ws_accounts WHERE address = 'alice@example.com';")
eq((rc, out), (0, "{ARGON2ID}$argon2id$x"), "Dovecot's role reads the hash it checks logins against")

# The daemons' lookups of doc/pgsql.md through Debian's postfix-pgsql
# and dovecot-pgsql (the queries are the plan's until the modules render
# them): Postfix's tables as its lookup role, Dovecot's passdb and userdb
# as its own.
POSTFIX_QUERIES = {
    "vdomains": "SELECT 'OK' FROM ws_domains WHERE name = '%s'",
    "vmailbox": "SELECT domain || '/' || local || '/' FROM ws_accounts WHERE address = '%s'",
    "virtual": "SELECT string_agg(target, ',' ORDER BY target) FROM ws_alias_targets "
               "WHERE address = '%s' HAVING count(*) > 0",
}
os.makedirs("/etc/postfix/pgsql", exist_ok=True)
for name, query in POSTFIX_QUERIES.items():
    path = "/etc/postfix/pgsql/%s.cf" % name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w") as f:
        f.write("hosts = 127.0.0.1:%d\nuser = ws_postfix\npassword = %s\n"
                "dbname = webstack\nquery = %s\n" % (pglib.PORT, passwords["ws_postfix"], query))


def postmap(key, name):
    r = subprocess.run(["postmap", "-q", key, "pgsql:/etc/postfix/pgsql/%s.cf" % name],
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout.strip()


eq(postmap("example.com", "vdomains"), (0, "OK"), "Postfix: example.com is a mail domain")
eq(postmap("example.org", "vdomains")[0], 1, "Postfix: example.org is not")
eq(postmap("alice@example.com", "vmailbox"), (0, "example.com/alice/"),
   "Postfix: alice's Maildir")
eq(postmap("team@example.com", "virtual"), (0, "alice@example.com,bob@example.org"),
   "Postfix: the alias's targets")
eq(postmap("nobody@example.com", "virtual")[0], 1, "Postfix: no alias, no result")
eq(postmap("x' OR '1'='1", "vmailbox")[0], 1, "Postfix quotes the key: an injection finds nothing")

# Dovecot, alone in the throwaway host: auth only, a passdb and a userdb
# on the database.
w.write_config(fast_hash=True)
r = w.ws("pw", "--password-stdin", input="correct horse\n")
pw_hash = r.out.strip()
ok(r.rc == 0 and pw_hash.startswith("{SHA512-CRYPT}$6$"), "webstack pw hashes a password", r)
psql("webstack", "UPDATE ws_accounts SET password = '%s' WHERE address = 'alice@example.com';"
     % pw_hash)
os.makedirs("/etc/dovecot-pgtest", exist_ok=True)
with open("/etc/dovecot-pgtest/sql.conf.ext", "w") as f:
    f.write("driver = pgsql\n"
            "connect = host=127.0.0.1 port=%d dbname=webstack user=ws_dovecot password=%s\n"
            "password_query = SELECT address AS user, password FROM ws_accounts "
            "WHERE address = '%%u'\n"
            "user_query = SELECT '/var/mail/vhosts/' || domain || '/' || local AS home, "
            "5000 AS uid, 5000 AS gid FROM ws_accounts WHERE address = '%%u'\n"
            % (pglib.PORT, passwords["ws_dovecot"]))
os.chmod("/etc/dovecot-pgtest/sql.conf.ext", 0o640)
with open("/etc/dovecot-pgtest/dovecot.conf", "w") as f:
    f.write("protocols =\nbase_dir = /run/dovecot-pgtest\nlog_path = /var/log/dovecot-pgtest.log\n"
            "ssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain\n"
            "passdb {\n  driver = sql\n  args = /etc/dovecot-pgtest/sql.conf.ext\n}\n"
            "userdb {\n  driver = sql\n  args = /etc/dovecot-pgtest/sql.conf.ext\n}\n")
DCONF = ["-c", "/etc/dovecot-pgtest/dovecot.conf"]
# no pipes: the daemon it forks would hold them open
r = subprocess.run(["dovecot"] + DCONF, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)
eq(r.returncode, 0, "Dovecot starts with the sql passdb and userdb")
tap.on_failure(lambda: tap.diag(open("/var/log/dovecot-pgtest.log").read()[-3000:]))


def doveadm(*args):
    r = subprocess.run(["doveadm"] + DCONF + list(args), capture_output=True, text=True,
                       timeout=60)
    return r.returncode, r.stdout + r.stderr


rc, out = doveadm("auth", "test", "alice@example.com", "correct horse")
ok(rc == 0 and "auth succeeded" in out, "Dovecot: alice logs in with her password", out)
rc, out = doveadm("auth", "test", "alice@example.com", "wrong horse")
ok(rc != 0, "Dovecot: not with another", out)
rc, out = doveadm("user", "alice@example.com")
ok(rc == 0 and "/var/mail/vhosts/example.com/alice" in out, "Dovecot: alice's home", out)
rc, out = doveadm("auth", "test", "team@example.com", "correct horse")
ok(rc != 0, "Dovecot: an alias cannot log in", out)
subprocess.run(["doveadm"] + DCONF + ["stop"], capture_output=True, timeout=60)

srv.stop()
tap.done()
