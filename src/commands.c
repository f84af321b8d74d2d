#include "config.h"

#include "cli.h"
#include "commands.h"

const struct cli_option options[] = {
	{OPT_CONFIG, "config", 'c', "FILE",
	 "read FILE instead of " SYSCONFDIR "/webstack/webstack.conf"},
	{OPT_ROOT, "root", 0, "DIR", "prefix every path webstack reads or writes with DIR"},
	{OPT_MODULE_DIR, "module-dir", 0, "DIR", "look for modules in DIR first"},
	{OPT_DRY_RUN, "dry-run", 'n', NULL,
	 "print the diff of every file that would change; change nothing"},
	{OPT_JSON, "json", 0, NULL, "print JSON instead of text"},
	{OPT_QUIET, "quiet", 'q', NULL, "print only errors and warnings"},
	{OPT_VERBOSE, "verbose", 'v', NULL, "say more (twice: debug)"},
	{OPT_VERSION, "version", 'V', NULL, "print the version and exit"},
	{OPT_HELP, "help", 'h', NULL, "describe the command"},
	{OPT_PASSWORD_STDIN, "password-stdin", 0, NULL,
	 "read the password from the first line of standard input"},
	{OPT_SCHEME, "scheme", 's', "SCHEME",
	 "ARGON2ID, SHA512-CRYPT or BLF-CRYPT (default: password_scheme of the config)"},
	{OPT_HOSTNAME, "hostname", 0, "FQDN",
	 "this mail host's name (kept in webstack.conf)"},
	{OPT_FORCE, "force", 'f', NULL,
	 "also delete the domain's accounts and aliases (Maildirs are kept)"},
	{OPT_PURGE, "purge", 0, NULL, "also remove the account's Maildir"},
	{OPT_REPAIR, "repair", 0, NULL,
	 "write what is out of step, as `mail setup` would (orphans are kept)"},
	{OPT_WAIT, "wait", 0, NULL,
	 "return only once the account is usable (Dovecot serves it and Postfix "
	 "accepts mail for it), not up to a second or two before"},
	{OPT_FORMAT, "format", 0, "FORMAT",
	 "zone (the default), json or nsupdate"},
	{OPT_SERVER, "server", 0, "ADDR[:PORT]",
	 "the DNS server to ask or update: an IP address, port 53 by default "
	 "([IPV6]:PORT with a port)"},
	{OPT_TSIG_KEY, "tsig-key", 0, "FILE",
	 "the TSIG key that may update the zone: ALG:NAME:SECRET (keymgr -t), "
	 "a Knot key: section or a BIND key statement; mode 0600"},
	{OPT_TO, "to", 0, "BACKEND",
	 "where the directory goes: files, or a directory module (pgsql)"},
	{OPT_COUNT_, NULL, 0, NULL, NULL},
};

static const enum opt_id pw_opts[] = {OPT_SCHEME, OPT_COUNT_};
static const enum opt_id setup_opts[] = {OPT_HOSTNAME, OPT_COUNT_};
static const enum opt_id migrate_opts[] = {OPT_TO, OPT_COUNT_};
static const enum opt_id force_opts[] = {OPT_FORCE, OPT_COUNT_};
static const enum opt_id purge_opts[] = {OPT_PURGE, OPT_COUNT_};
static const enum opt_id repair_opts[] = {OPT_REPAIR, OPT_COUNT_};
static const enum opt_id wait_opts[] = {OPT_WAIT, OPT_COUNT_};
static const enum opt_id dns_show_opts[] = {OPT_FORMAT, OPT_COUNT_};
static const enum opt_id dns_check_opts[] = {OPT_SERVER, OPT_COUNT_};
static const enum opt_id dns_push_opts[] = {OPT_SERVER, OPT_TSIG_KEY, OPT_COUNT_};

#define CHANGE (CMD_DRY_RUN)

const struct cli_command commands[] = {
	{"help", "[COMMAND...]", 0, -1, 0, NULL,
	 "Describe webstack's commands", NULL, cmd_help},
	{"version", NULL, 0, 0, 0, NULL,
	 "Print the version and the module ABI", NULL, cmd_version},
	{"modules", NULL, 0, 0, CMD_JSON, NULL,
	 "List the available and the loaded modules",
	 "Every module file in the search path (--module-dir, module_dir of "
	 "webstack.conf, then " WEBSTACK_MODULEDIR ") is checked and shown with "
	 "its role, version and summary, and whether webstack.conf loads it; a "
	 "module that cannot be loaded is shown with the reason.",
	 cmd_modules},
	{"check-config", NULL, 0, 0, 0, NULL,
	 "Load the configuration and every module it names, check everything",
	 "Reads webstack.conf in both passes, loads the modules, runs each "
	 "module's own checks and changes nothing. Exits 0 when all is well and "
	 "78 with file:line messages when not.",
	 cmd_check_config},
	{"validate domain", "NAME...", 1, -1, CMD_JSON, NULL,
	 "Check mail domain names and print them normalised",
	 "Prints each NAME as webstack stores it: lowercase, international names "
	 "as A-labels (IDNA2008). Exits 65 naming the rule a NAME breaks.",
	 cmd_validate_domain},
	{"validate address", "ADDRESS...", 1, -1, CMD_JSON, NULL,
	 "Check mailbox addresses and print them normalised",
	 "Local parts may hold a-z, 0-9, '.', '_' and '-', start and end with a "
	 "letter or digit and have no '..'; the domain follows the domain rules. "
	 "Exits 65 naming the rule an ADDRESS breaks.",
	 cmd_validate_address},
	{"pw", "[PASSWORD]", 0, 1, CMD_PASSWORD, pw_opts,
	 "Hash a password the way webstack stores it",
	 "Prints {SCHEME}hash for Dovecot. Without PASSWORD it is asked for on "
	 "the terminal (twice, without echo) or read from standard input with "
	 "--password-stdin. A PASSWORD given as an argument is wiped from the "
	 "process's command line at once, but stays in your shell history: "
	 "prefer the prompt.",
	 cmd_pw},
	{"mail setup", NULL, 0, 0, CHANGE, setup_opts,
	 "Configure Postfix and Dovecot and start them",
	 "Creates the system user vmail_user when missing, keeps --hostname in "
	 "webstack.conf, makes a self-signed certificate when tls_cert is not "
	 "set, writes the mta and imap modules' configuration and maps, creates "
	 "the mail root and every Maildir, and starts or reloads the daemons. "
	 "Running it again changes nothing when nothing changed.",
	 cmd_mail_setup},
	{"mail migrate", "--to BACKEND", 0, 0, CHANGE | CMD_JSON, migrate_opts,
	 "Move the domains, accounts and aliases to another backend",
	 "Moves the directory from the backend webstack.conf's `directory` names "
	 "to BACKEND: files (Postfix's maps and Dovecot's users file) or a "
	 "directory module whose section is in webstack.conf (pgsql). A module "
	 "must hold nothing yet, or the same (a migration that stopped, run "
	 "again). Sets `directory` in webstack.conf and does what `mail setup` "
	 "does, in one transaction; then loads the new backend again, compares "
	 "the counts and every entry (hashes byte for byte), and asks the IMAP "
	 "server's password database for every account as a login would. The "
	 "old backend is kept as it was. Exits 73 when the module holds other entries, 69 when a check "
	 "fails.",
	 cmd_mail_migrate},
	{"mail status", NULL, 0, 0, CMD_JSON, NULL,
	 "Check that the mail server works",
	 "Shows whether each daemon runs, each port listens, the daemons' own "
	 "configuration checks, the counts of domains, accounts and aliases, "
	 "and the certificate's expiry. Exits 69 when anything is wrong.",
	 cmd_mail_status},
	{"mail check", NULL, 0, 0, CHANGE, repair_opts,
	 "Check that the mail server's files are in step",
	 "Stages everything `mail setup` derives from the domains, accounts and "
	 "aliases (Maildirs with their owners and modes, Postfix's maps and "
	 "their compiled tables, Dovecot's files, the DKIM keys' modes) and "
	 "prints what differs and what would run. --repair writes it, in one "
	 "transaction. Accounts of a domain that is not a mail domain and "
	 "orphaned Maildirs are reported, never removed. Exits 0 when all is in "
	 "step, 1 when something is not (after --repair: when orphans remain).",
	 cmd_mail_check},
	{"mail add domain", "DOMAIN", 1, 1, CHANGE, NULL,
	 "Accept mail for DOMAIN",
	 "Adding a domain that exists changes nothing and succeeds.",
	 cmd_mail_add_domain},
	{"mail del domain", "DOMAIN", 1, 1, CHANGE, force_opts,
	 "Stop accepting mail for DOMAIN",
	 "Refuses while the domain has accounts or aliases, unless --force. "
	 "Maildirs are never removed by this command.",
	 cmd_mail_del_domain},
	{"mail add account", "ADDRESS [PASSWORD]", 1, 2, CHANGE | CMD_PASSWORD, wait_opts,
	 "Create a mailbox account",
	 "Creates the Maildir, then the Dovecot user, then the Postfix entry, so "
	 "mail is never accepted for a mailbox that cannot take it. It appends "
	 "to the users file and Postfix's sources and returns; in the "
	 "background, once Dovecot serves the new account (within a second or "
	 "two), its address goes into Postfix's maps. --wait returns only then. "
	 "Without "
	 "PASSWORD it is asked for on the terminal or read with "
	 "--password-stdin; it is stored hashed (password_scheme). A PASSWORD "
	 "given as an argument is wiped from the process's command line at "
	 "once, but stays in your shell history: prefer the prompt.",
	 cmd_mail_add_account},
	{"mail import", "FILE", 1, 1, CHANGE, NULL,
	 "Add many accounts in one transaction",
	 "FILE (- for standard input) holds one account a line: \"address "
	 "password\" or \"address,password\"; blank lines and lines starting "
	 "with # are skipped. Every line is checked first and the passwords are "
	 "hashed on all cores; then all accounts are added in one commit. A bad "
	 "line stops the import with its line number, and nothing is added. "
	 "Keep FILE private: it holds passwords.",
	 cmd_mail_import},
	{"mail del account", "ADDRESS", 1, 1, CHANGE, purge_opts,
	 "Delete a mailbox account",
	 "Postfix stops accepting mail for it first. The address is removed "
	 "from every alias. The Maildir is kept unless --purge.",
	 cmd_mail_del_account},
	{"mail passwd", "ADDRESS [PASSWORD]", 1, 2, CHANGE | CMD_PASSWORD, NULL,
	 "Change an account's password",
	 "When it returns the old password no longer works: it waits until "
	 "Dovecot reads the new users file (up to a second) and flushes "
	 "Dovecot's authentication cache for the account. PASSWORD is taken as by "
	 "`mail add account`; prefer the prompt or --password-stdin.",
	 cmd_mail_passwd},
	{"mail add alias", "ADDRESS TARGET[,TARGET...]", 2, -1, CHANGE, NULL,
	 "Forward mail for ADDRESS to one or more addresses",
	 "ADDRESS must be in a mail domain and not be an account. Targets may be "
	 "remote; a target in a local domain must be an account or an alias. "
	 "Adding to an existing alias adds the new targets.",
	 cmd_mail_add_alias},
	{"mail del alias", "ADDRESS", 1, 1, CHANGE, NULL,
	 "Delete an alias", NULL, cmd_mail_del_alias},
	{"mail list domains", NULL, 0, 0, CMD_JSON, NULL,
	 "List the mail domains", NULL, cmd_mail_list_domains},
	{"mail list accounts", "[DOMAIN]", 0, 1, CMD_JSON, NULL,
	 "List the accounts, of every domain or of DOMAIN", NULL,
	 cmd_mail_list_accounts},
	{"mail list aliases", "[DOMAIN]", 0, 1, CMD_JSON, NULL,
	 "List the aliases and their targets", NULL, cmd_mail_list_aliases},
	{"mail dkim show", "DOMAIN", 1, 1, CMD_JSON, NULL,
	 "Show a domain's DKIM keys and their DNS records",
	 "Every key on disk is listed with its TXT record (publish them all); "
	 "the newest generation signs.",
	 cmd_mail_dkim_show},
	{"mail dkim rotate", "DOMAIN", 1, 1, CHANGE, NULL,
	 "Make a new generation of DKIM keys for DOMAIN",
	 "A new RSA and a new Ed25519 key sign from now on; the old ones stay "
	 "published until `mail dkim retire`. Publish the new records before "
	 "the first mail is signed with them.",
	 cmd_mail_dkim_rotate},
	{"mail dkim retire", "DOMAIN SELECTOR", 2, 2, CHANGE, NULL,
	 "Remove a DKIM key that no longer signs",
	 "Refuses a key of the signing generation.", cmd_mail_dkim_retire},
	{"mail firewall open", NULL, 0, 0, CHANGE, NULL,
	 "Open the mail ports in the firewall",
	 "Allows TCP to the ports of the enabled services (25, 465, 587, 110, "
	 "995, 143, 993, 4190, less any switched off in webstack.conf), IPv4 and "
	 "IPv6, through the module of the firewall role, which touches only the "
	 "rules it owns. Running it again changes nothing; after a change of "
	 "firewall module the old module's rules are removed first.",
	 cmd_mail_firewall_open},
	{"mail firewall close", NULL, 0, 0, CHANGE, NULL,
	 "Remove what `mail firewall open` added",
	 "Every rule, chain or table webstack added goes; nothing else changes.",
	 cmd_mail_firewall_close},
	{"mail firewall status", NULL, 0, 0, CMD_JSON, NULL,
	 "Show which mail ports webstack has open",
	 "Per port and address family, and whether a policy or rule of the host "
	 "would still block it. Exits 69 when a port is not open.",
	 cmd_mail_firewall_status},
	{"mail dns show", "DOMAIN", 1, 1, CMD_JSON, dns_show_opts,
	 "Print the DNS records a mail domain needs",
	 "MX, the mail host's A and AAAA (from public_addresses), SPF, a DKIM "
	 "TXT for every key on disk, DMARC, MTA-STS (with the policy to serve "
	 "over HTTPS), TLS-RPT, the SRV records of RFC 6186 and 8314 and TLSA "
	 "for port 25. --format zone prints zone file lines, json one object "
	 "(also --json), nsupdate the script that makes the change `mail dns "
	 "push` makes. Records that cannot be filled in are listed as such. "
	 "Needs dns = \"ldns\" in webstack.conf.",
	 cmd_mail_dns_show},
	{"mail dns check", "DOMAIN", 1, 1, CMD_JSON, dns_check_opts,
	 "Compare a domain's DNS records with what a server answers",
	 "Asks --server (without recursion), or the system's resolvers, for "
	 "every record `mail dns show` lists and compares each record set, "
	 "ignoring TTLs. At the domain only the v=spf1 TXT is compared. Exits 0 "
	 "when all match, 1 when one is missing or different, 64-78 (sysexits) "
	 "when the check could not be made.",
	 cmd_mail_dns_check},
	{"mail dns push", "DOMAIN", 1, 1, CMD_JSON, dns_push_opts,
	 "Update a domain's DNS records on its primary server",
	 "Sends one RFC 2136 update signed with --tsig-key to --server over "
	 "TCP: each record set webstack manages is replaced; of the TXT records "
	 "at the domain only the v=spf1 one, so site verifications stay. "
	 "Records outside the zone are listed as not pushed. Exits 0 when the "
	 "server applied the update.",
	 cmd_mail_dns_push},
	{"__complete", "WORDS...", 0, -1, CMD_HIDDEN, NULL,
	 "Print the words that may follow WORDS (for bash completion)", NULL,
	 cmd_complete},
	{"__man", NULL, 0, 0, CMD_HIDDEN, NULL,
	 "Print the COMMANDS section of webstack(8)", NULL, cmd_man},
	{NULL, NULL, 0, 0, 0, NULL, NULL, NULL, NULL},
};
