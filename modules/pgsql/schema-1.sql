-- webstack's directory, schema version 1 (doc/pgsql.md). Applied in
-- one transaction under webstack's advisory lock; never edited once
-- released: a change is a new version.
CREATE TABLE ws_domains (
	name text PRIMARY KEY CHECK (name <> '' AND name = lower(name))
);
-- One row per address that takes mail: an account ('a') or an alias
-- ('l'), never both, so two hosts adding one address at once get one
-- success and one unique violation.
CREATE TABLE ws_addresses (
	address text PRIMARY KEY CHECK (address = lower(address) AND address LIKE '_%@_%'),
	domain text NOT NULL REFERENCES ws_domains (name),
	kind "char" NOT NULL CHECK (kind IN ('a', 'l')),
	UNIQUE (address, kind)
);
CREATE TABLE ws_accounts (
	address text PRIMARY KEY,
	kind "char" NOT NULL DEFAULT 'a' CHECK (kind = 'a'),
	local text NOT NULL,
	domain text NOT NULL,
	password text NOT NULL CHECK (password LIKE '{%}_%'),
	CHECK (address = local || '@' || domain),
	FOREIGN KEY (address, kind) REFERENCES ws_addresses (address, kind) ON DELETE CASCADE
);
CREATE TABLE ws_alias_targets (
	address text NOT NULL,
	kind "char" NOT NULL DEFAULT 'l' CHECK (kind = 'l'),
	target text NOT NULL CHECK (target LIKE '_%@_%'),
	PRIMARY KEY (address, target),
	FOREIGN KEY (address, kind) REFERENCES ws_addresses (address, kind) ON DELETE CASCADE
);
CREATE INDEX ws_alias_targets_target ON ws_alias_targets (target);
