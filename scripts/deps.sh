#!/bin/sh
# Installs what webstack needs (Debian 12): the build tools and libraries,
# the mail daemons its modules drive, and with WITH_TEST_DEPS=1 what the
# tests use. Used by install.sh and test.sh; safe to run again.
set -eu
BUILD_DEPS="build-essential autoconf automake libtool pkg-config libltdl-dev
	libconfuse-dev libsodium-dev libcrypt-dev libidn2-dev libssl-dev
	libcmocka-dev libldns-dev"
# What the postfix, dovecot, opendkim and nftables modules configure and
# run (procps: pgrep/pkill for OpenDKIM's pid files without systemd).
MAIL_DEPS="postfix postfix-lmdb dovecot-core dovecot-imapd dovecot-pop3d
	dovecot-lmtpd dovecot-sieve dovecot-managesieved openssl opendkim procps
	nftables"
# The end-to-end tests: namespaces (util-linux, iproute2), Debian's python3
# for the clients, testssl.sh for the TLS checks, dkimpy to verify
# signatures, Knot and the ldns and Knot tools for the DNS checks, iptables
# for the firewall test of both backends, SpamAssassin for the spam filter's
# test (the filters are optional for an install, so not in MAIL_DEPS).
TEST_DEPS="python3 util-linux iproute2 testssl.sh python3-dkim python3-nacl
	ldnsutils knot knot-dnsutils knot-dnssecutils iptables spamassassin spamd
	spamass-milter"

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
	# knot's package enables knot.service (policy-rc.d only kept it from
	# starting now); the tests run a Knot of their own, never this one.
	case "$missing " in
	*" knot "*) systemctl disable --now knot.service >/dev/null 2>&1 || true ;;
	esac
	# The same for SpamAssassin (spamass-milter's is a SysV script, which
	# systemctl disables too). spamassassin's postinst leaves a gpg-agent
	# of user debian-spamd running, policy-rc.d or not.
	case "$missing " in
	*" spamd "* | *" spamass-milter "* | *" spamassassin "*)
		for s in spamd.service spamass-milter; do
			systemctl disable --now "$s" >/dev/null 2>&1 || true
		done
		pkill -u debian-spamd -x gpg-agent || true ;;
	esac
fi
