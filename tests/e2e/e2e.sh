#!/bin/sh
# e2e.sh NAME: runs tests/e2e/NAME.py in a throwaway host (sandbox.sh) with
# Debian's /usr/bin/python3, or skips when that cannot be done here: not
# root, WS_SKIP_E2E=1, a tool or the built modules missing. A skip is the TAP
# plan "1..0 # SKIP why" with exit status 0 (automake's TAP driver reads the
# skip from the plan and counts any other status, 77 included, as an ERROR).
# Called by the tests/e2e/*.test wrappers from `make check`; the
# tests/e2e/pg/*.test wrappers run some of them again with
# WS_E2E_DIRECTORY=pgsql (the directory in PostgreSQL, see wslib.py). A NAME with a
# directory is relative to tests/: `e2e.sh stress/concurrency` runs
# tests/stress/concurrency.py. Either way the script can `import tap, wslib`
# (from its own directory, or tests/e2e on PYTHONPATH).
# WS_SKIP_STRESS=1 skips tests/stress alone
# (the sanitizer pass of scripts/test.sh: those tests run in the first).
name=$1
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "1..0 # SKIP $*"; exit 0; }

[ "${WS_SKIP_E2E-}" != 1 ] || skip "WS_SKIP_E2E=1"
case $name in
stress/*) [ "${WS_SKIP_STRESS-}" != 1 ] || skip "WS_SKIP_STRESS=1" ;;
esac
[ "$(id -u)" -eq 0 ] || skip "end-to-end tests need root"
# With the directory in PostgreSQL (WS_E2E_DIRECTORY=pgsql: tests/e2e/pg/,
# or E2E_PGSQL=1: the pg* tests): Debian's server, the daemons' pgsql
# drivers and the pgsql module.
if [ "${WS_E2E_DIRECTORY-}" = pgsql ] || [ "${E2E_PGSQL-}" = 1 ]; then
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
		skip "PostgreSQL's server is not installed (package postgresql)"
	command -v /usr/bin/psql >/dev/null 2>&1 || skip "psql is not installed"
	id postgres >/dev/null 2>&1 || skip "there is no user postgres"
	postconf -m 2>/dev/null | grep -qx pgsql ||
		skip "Postfix has no pgsql tables (package postfix-pgsql)"
	ls /usr/lib/dovecot/modules/*driver_pgsql* >/dev/null 2>&1 ||
		skip "Dovecot has no pgsql driver (package dovecot-pgsql)"
	[ -f "$WS_BUILDDIR/modules/.libs/pgsql.so" ] ||
		skip "module pgsql not built in $WS_BUILDDIR (configure found no libpq)"
fi
for tool in unshare ip mount /usr/bin/python3 /usr/sbin/postfix /usr/sbin/dovecot ${E2E_NEEDS-}; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done
unshare --net --mount true 2>/dev/null || skip "cannot create namespaces here"
for mod in postfix dovecot; do
	[ -f "$WS_BUILDDIR/modules/.libs/$mod.so" ] || skip "module $mod not built in $WS_BUILDDIR"
done

# Only scripts outside tests/e2e get it on PYTHONPATH: the variable reaches
# every Python the test starts, where tests/e2e/dns.py would shadow
# dnspython's "dns" (dkimpy's verifier imports it).
export PYTHONDONTWRITEBYTECODE=1
case $name in
*/*)
	script=$(dirname "$here")/$name.py
	export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
	;;
*) script=$here/$name.py ;;
esac
exec sh "$here/sandbox.sh" /usr/bin/python3 -B "$script"
