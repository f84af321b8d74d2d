#!/bin/sh
# Installs what webstack needs to build and to run its tests (Debian 12).
# Used by install.sh and test.sh; safe to run again.
set -eu
BUILD_DEPS="build-essential autoconf automake libtool pkg-config libltdl-dev
	libconfuse-dev libsodium-dev libcrypt-dev libidn2-dev libcmocka-dev"
# The tests check hashes with Dovecot's own doveadm and parse JSON with
# Debian's python3.
TEST_DEPS="dovecot-core python3"

missing=
for p in $BUILD_DEPS ${WITH_TEST_DEPS:+$TEST_DEPS}; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
