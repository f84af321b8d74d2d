#!/bin/sh
# Installs what webstack needs (Debian 12): the build tools and libraries,
# the mail daemons its modules drive, and with WITH_TEST_DEPS=1 what the
# tests use. Used by install.sh and test.sh; safe to run again.
set -eu
BUILD_DEPS="build-essential autoconf automake libtool pkg-config libltdl-dev
	libconfuse-dev libsodium-dev libcrypt-dev libidn2-dev libssl-dev
	libcmocka-dev libldns-dev liblmdb-dev libpq-dev"
# What the postfix, dovecot, opendkim and nftables modules configure and
# run (procps: pgrep/pkill for OpenDKIM's pid files without systemd), and
# the daemons' PostgreSQL lookups, so that switching the directory to
# PostgreSQL needs no package (doc/pgsql.md).
MAIL_DEPS="postfix postfix-lmdb dovecot-core dovecot-imapd dovecot-pop3d
	dovecot-lmtpd dovecot-sieve dovecot-managesieved openssl opendkim procps
	nftables postfix-pgsql dovecot-pgsql"
# The end-to-end tests: namespaces (util-linux, iproute2), Debian's python3
# for the clients, testssl.sh for the TLS checks, dkimpy to verify
# signatures, Knot and the ldns and Knot tools for the DNS checks, iptables
# for the firewall test of both backends, and the filters' tests: ClamAV
# (sigtool makes the test's own signatures; nothing is ever downloaded),
# rspamd and SpamAssassin (the filters are optional for an install, so not
# in MAIL_DEPS); valgrind for tests/cli/valgrind.test, clang and its
# libFuzzer runtime for fuzz/run.sh, lmdb-utils (mdb_stat) for
# tests/e2e/lmdbmaps.test, PostgreSQL's server for the directory on
# PostgreSQL (tests/e2e/pgschema.test; the tests start their own).
TEST_DEPS="python3 util-linux iproute2 testssl.sh python3-dkim python3-nacl
	ldnsutils knot knot-dnsutils knot-dnssecutils iptables
	clamav clamav-daemon clamav-milter rspamd spamassassin spamd spamass-milter
	valgrind clang libclang-rt-14-dev lmdb-utils postgresql"

missing=
for p in $BUILD_DEPS $MAIL_DEPS ${WITH_TEST_DEPS:+$TEST_DEPS}; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	# Postfix's package writes a first main.cf and master.cf (as an
	# "Internet Site"); `webstack mail setup` edits them. Answered up front,
	# so the install asks nothing ("No configuration" would leave no main.cf).
	echo "postfix postfix/main_mailer_type select Internet Site" |
		debconf-set-selections
	# For the tests, start no daemon on this host (the end-to-end tests run
	# their own in a throwaway namespace): a policy-rc.d that refuses, unless
	# there is one already.
	if [ -n "${WITH_TEST_DEPS-}" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
	# Packages that enable units (policy-rc.d only kept them from starting
	# now): the tests run their own daemons in a throwaway host, never
	# these; and freshclam would try to download signatures.
	for pkg in knot rspamd clamav-daemon spamd spamass-milter postgresql; do
		case "$missing " in
		*" $pkg "*) ;;
		*) continue ;;
		esac
		case $pkg in
		clamav-daemon) units="clamav-freshclam.service clamav-daemon.service clamav-daemon.socket" ;;
		spamass-milter) units=spamass-milter ;;  # a SysV script
		*) units="$pkg.service" ;;
		esac
		# shellcheck disable=SC2086
		systemctl disable --now $units >/dev/null 2>&1 || true
	done
	# spamassassin's postinst leaves a gpg-agent of user debian-spamd
	# running, policy-rc.d or not
	case "$missing " in
	*" spamassassin "*) pkill -u debian-spamd -x gpg-agent || true ;;
	esac
fi
