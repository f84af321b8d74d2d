#!/bin/sh
# bench/run.sh BUILD_DIR [--quick]: runs the benchmarks against the webstack
# built in BUILD_DIR, each part in its own throwaway host
# (tests/e2e/sandbox.sh: needs root; nothing on the machine changes), and
# prints a table of the figures (bench/report.py; doc/performance.md says
# what each one means). --quick: small sizes and short runs, a smoke test.
# Each part's log and results stay in the directory printed at the start.
set -eu
usage() { echo "usage: sudo bench/run.sh BUILD_DIR [--quick]" >&2; exit 64; }
[ $# -ge 1 ] || usage
here=$(cd "$(dirname "$0")" && pwd)
WS_BUILDDIR=$(cd "$1" && pwd)
BENCH_QUICK=0
case "${2-}" in
--quick) BENCH_QUICK=1 ;;
"") ;;
*) usage ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: must run as root (sandbox.sh)" >&2; exit 77; }
for f in webstack modules/.libs/postfix.so modules/.libs/dovecot.so; do
	[ -f "$WS_BUILDDIR/$f" ] || { echo "bench/run.sh: no $f in $WS_BUILDDIR: build first" >&2; exit 66; }
done
for tool in /usr/sbin/smtp-source /usr/bin/python3; do
	[ -x "$tool" ] || { echo "bench/run.sh: $tool is missing" >&2; exit 69; }
done

BENCH_OUT=$(mktemp -d "${TMPDIR:-/tmp}/webstack-bench.XXXXXX")
WEBSTACK=$WS_BUILDDIR/webstack
WS_SRCDIR=$(dirname "$here")
PYTHONDONTWRITEBYTECODE=1
export BENCH_OUT BENCH_QUICK WEBSTACK WS_BUILDDIR WS_SRCDIR PYTHONDONTWRITEBYTECODE
echo "webstack benchmarks$([ "$BENCH_QUICK" = 1 ] && echo ' (quick)'); logs and results in $BENCH_OUT"

# part NAME SCRIPT [ARGS...]: one part in a fresh sandbox, output to NAME.log.
part() {
	name=$1
	shift
	echo "  $name ($(date +%T))"
	if ! sh "$WS_SRCDIR/tests/e2e/sandbox.sh" /usr/bin/python3 -B "$here/$@" \
		>"$BENCH_OUT/$name.log" 2>&1; then
		echo "bench/run.sh: part $name failed; the end of $BENCH_OUT/$name.log:" >&2
		tail -n 30 "$BENCH_OUT/$name.log" >&2
		exit 1
	fi
}

if [ "$BENCH_QUICK" = 1 ]; then
	part accounts-1000 accounts.py 1000 --usable
else
	part accounts-1000 accounts.py 1000
	part accounts-10000 accounts.py 10000
	part accounts-100000 accounts.py 100000 --usable
fi
# The directory in PostgreSQL (issue 8): needs the pgsql module (configure
# found libpq) and Debian's server (package postgresql).
if [ ! -f "$WS_BUILDDIR/modules/.libs/pgsql.so" ]; then
	echo "  pgaccounts: skipped, no modules/.libs/pgsql.so (configure found no libpq)"
elif ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	echo "  pgaccounts: skipped, PostgreSQL's server is not installed (package postgresql)"
elif [ "$BENCH_QUICK" = 1 ]; then
	part pgaccounts-2000 pgaccounts.py 2000
else
	part pgaccounts-1000000 pgaccounts.py 1000000
fi
part delivery-reference delivery.py reference
part delivery-webstack delivery.py webstack
# The reference once more: the machine's load may have changed meanwhile.
part delivery-reference-after delivery.py reference after
echo
/usr/bin/python3 -B "$here/report.py" "$BENCH_OUT"
