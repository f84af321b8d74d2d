"""The directory's rows through the pgsql code (modules/pgsql/pg_dir.c,
driven by tests/tools/pg-tool) against Debian's PostgreSQL in the
throwaway host: changes in one transaction, all or nothing; what another
host did meanwhile (an address taken, a domain unknown or still in use)
comes back as the files backend's exit status and words; names with
quotes and SQL in them are stored as given (statements are parameterised);
and 32 adds of 16 addresses at once, each address twice, give exactly one
success per address."""
import os

import pglib
import tap
from tap import ok, eq

db = pglib.Directory(os.environ["WS_BUILDDIR"])
tap.on_failure(lambda: tap.diag(open(db.srv.log).read()[-3000:]))
eq(db.run("migrate").returncode, 0, "the schema is made")


def apply(lines, rc, want, desc):
    r = db.run("apply", "".join(l + "\n" for l in lines))
    eq(r.returncode, rc, desc + " (exit %d)" % rc)
    if want:
        ok(want in r.stderr, "  and says: " + want, r.stderr)


def dump():
    r = db.run("dump")
    return r.stdout.splitlines() if r.returncode == 0 else r.stderr


apply(["add-domain example.com", "add-domain example.org",
       "add-account alice@example.com {X}a", "add-account bob@example.org {X}b",
       "alias team@example.com bob@example.org alice@example.com"], 0, None,
      "a batch of changes applies")
start = ["domain example.com", "domain example.org", "account alice@example.com {X}a",
         "account bob@example.org {X}b", "alias team@example.com alice@example.com,bob@example.org"]
eq(dump(), start, "and loads back, each list in order")

for lines, rc, want, desc in (
        (["add-account carol@example.com {X}c", "add-account alice@example.com {X}z"], 73,
         "'alice@example.com' is an account or an alias already",
         "an address taken, after an add that is undone"),
        (["alias alice@example.com bob@example.org"], 73,
         "'alice@example.com' is an account; an alias needs an address of its own",
         "an alias on an account's address"),
        (["add-account team@example.com {X}t"], 73, "is an account or an alias already",
         "an account on an alias's address"),
        (["add-account x@example.net {X}x"], 67,
         "the domain of 'x@example.net' is not a mail domain",
         "an account outside the mail domains"),
        (["del-account nobody@example.com"], 67, "there is no account 'nobody@example.com'",
         "deleting an account that is not there"),
        (["del-alias nobody@example.com"], 67, "there is no alias 'nobody@example.com'",
         "deleting an alias that is not there"),
        (["del-domain example.org"], 65, "domain 'example.org' still has accounts or aliases",
         "deleting a domain that has an account"),
        (["add-domain example.com"], 73, "'example.com' is a mail domain already",
         "adding a domain twice")):
    apply(lines, rc, want, desc)
eq(dump(), start, "none of them changed anything (no carol either)")

apply(["passwd alice@example.com {X}new", "alias team@example.com bob@example.org"], 0, None,
      "a new hash and an alias's new targets")
eq(dump(), ["domain example.com", "domain example.org", "account alice@example.com {X}new",
            "account bob@example.org {X}b", "alias team@example.com bob@example.org"],
   "load back")
apply(["del-alias team@example.com", "del-account bob@example.org", "del-domain example.org"],
      0, None, "deleting an alias, an account and then its domain")
eq(dump(), ["domain example.com", "account alice@example.com {X}new"], "load back")
rc, out, _ = db.psql_as("webstack", "SELECT count(*) FROM ws_addresses;")
eq(out, "1", "no address row is left behind")

# Parameters, not pasted SQL: quotes and statements in names are data.
evil = "x'); drop table ws_domains; --"
apply(["add-domain " + evil.replace(" ", "\t")], 0, None, "a domain name with SQL in it ...")
ok("domain " + evil.replace(" ", "\t") in dump(), "... is stored as given, nothing dropped")
apply(["add-account o'brien@example.com {X}'q"], 0, None, "an address and a hash with quotes")
ok("account o'brien@example.com {X}'q" in dump(), "are stored as given")

# 32 hosts' adds at once: 16 addresses, each added twice.
procs = [db.start("apply", "add-account r%02d@example.com {X}h%d\n" % (i % 16, i))
         for i in range(32)]
results = [(p.wait(timeout=60), p.stderr.read()) for p in procs]
eq(sorted(rc for rc, _ in results), [0] * 16 + [73] * 16,
   "32 adds of 16 addresses at once: 16 succeed, 16 are refused")
ok(all("is an account or an alias already" in err for rc, err in results if rc),
   "every refusal says the address is taken", [err for rc, err in results if rc][:3])
added = [l for l in dump() if l.startswith("account r")]
eq(len(added), 16, "each address is there once")
eq(sorted({l.split()[1] for l in added}), ["r%02d@example.com" % i for i in range(16)],
   "all 16")

# More rows than one fetch of the load (10,000 through a cursor): every
# account once and in order, and an alias whose targets straddle two
# fetches keeps all of them.
rc, _, err = db.psql_as("webstack", """
INSERT INTO ws_addresses SELECT 'm' || lpad(i::text, 5, '0') || '@example.com', 'example.com', 'a'
    FROM generate_series(1, 10003) i;
INSERT INTO ws_accounts (address, local, domain, password)
    SELECT address, split_part(address, '@', 1), 'example.com', '{X}m' FROM ws_addresses
    WHERE address LIKE 'm_____@example.com';
INSERT INTO ws_addresses VALUES ('big@example.com', 'example.com', 'l'),
    ('big2@example.com', 'example.com', 'l');
INSERT INTO ws_alias_targets (address, target) SELECT 'big@example.com',
    't' || lpad(i::text, 5, '0') || '@example.net' FROM generate_series(1, 9998) i;
INSERT INTO ws_alias_targets (address, target) SELECT 'big2@example.com',
    't' || i || '@example.net' FROM generate_series(1, 5) i;""")
ok(rc == 0, "10,003 more accounts and 10,003 alias targets", err)
lines = dump()
accounts = [l.split()[1] for l in lines if l.startswith("account ")]
eq(len(accounts), 10003 + 18, "the load gives every account once")
ok(accounts == sorted(accounts, key=lambda a: a.encode()), "in strcmp order")
aliases = {l.split()[1]: l.split()[2].split(",") for l in lines if l.startswith("alias ")}
eq(sorted(aliases), ["big2@example.com", "big@example.com"], "and both aliases")
eq(len(aliases.get("big@example.com", [])), 9998, "the first with its 9,998 targets")
eq(aliases.get("big2@example.com"), ["t%d@example.net" % i for i in range(1, 6)],
   "the second, across two fetches, with its 5")

db.srv.stop()
tap.done()
