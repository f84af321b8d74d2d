#!/bin/sh
# Installs what is needed, builds webstack out of tree and runs the whole
# test suite (unit, command line, transactions, end to end, stress, the
# fuzz targets, distcheck with the skeleton module built against the
# installed SDK), then the unit, command line and end-to-end tests again in
# a --enable-sanitizers build. Ends with "N passed, N failed, N skipped".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
WITH_TEST_DEPS=1 sh "$top/scripts/deps.sh" || exit 1
build=${BUILD_DIR:-$top/_build}
jobs=$(nproc 2>/dev/null || echo 2)

cd "$top" && autoreconf -fi >/dev/null || exit 1
rm -rf "$build" && mkdir -p "$build" && cd "$build" || exit 1
"$top/configure" --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
	>configure.log || { cat configure.log; exit 1; }
make -j"$jobs" >build.log 2>&1 || { cat build.log; exit 1; }

status=0
make -j"$jobs" check >check.log 2>&1 || status=1
grep -E '^(PASS|FAIL|XPASS|ERROR|SKIP):|^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' check.log
[ $status -eq 0 ] || for log in $(find . -name '*.log' -path '*tests*'); do
	grep -q '^not ok\|^Bail out' "$log" && { echo "== $log"; cat "$log"; }
done
pass=$(sed -n 's/^# PASS: *//p' check.log)
fail=$(sed -n 's/^# FAIL: *//p' check.log)
err=$(sed -n 's/^# ERROR: *//p' check.log)
skip=$(sed -n 's/^# SKIP: *//p' check.log)

# The fuzz targets, FUZZ_TIME seconds each (default 20 here), when clang is
# installed.
if command -v clang >/dev/null; then
	if FUZZ_TIME=${FUZZ_TIME:-20} sh "$top/fuzz/run.sh" "$build"; then
		echo "PASS: fuzz"
		pass=$((${pass:-0} + 1))
	else
		echo "FAIL: fuzz"
		fail=$((${fail:-0} + 1))
		status=1
	fi
fi

# distcheck: a tarball that builds, passes its tests, installs, and whose
# installed SDK builds and loads the skeleton module. The end-to-end tests
# already ran above: WS_SKIP_E2E=1 skips them in distcheck's own check.
if WS_SKIP_E2E=1 make distcheck >distcheck.log 2>&1; then
	echo "PASS: make distcheck"
	pass=$((${pass:-0} + 1))
else
	tail -50 distcheck.log
	echo "FAIL: make distcheck"
	fail=$((${fail:-0} + 1))
	status=1
fi
# The same code under AddressSanitizer and UBSan, end-to-end tests
# included: any finding fails the test that hit it. The stress tests, which
# run the same code as the end-to-end ones many times over, ran above
# (WS_SKIP_STRESS=1).
sbuild=$build-sanitizers
rm -rf "$sbuild" && mkdir -p "$sbuild" && cd "$sbuild" || exit 1
"$top/configure" --enable-sanitizers --prefix=/usr --sysconfdir=/etc \
	--localstatedir=/var >configure.log ||
	{ cat configure.log; exit 1; }
make -j"$jobs" >build.log 2>&1 || { cat build.log; exit 1; }
sstatus=0
WS_SKIP_STRESS=1 make -j"$jobs" check >check.log 2>&1 || sstatus=1
sed -n 's/^\(PASS\|FAIL\|XPASS\|ERROR\|SKIP\):/& sanitizers:/p' check.log
[ $sstatus -eq 0 ] || for log in $(find . -name '*.log' -path '*tests*'); do
	grep -q '^not ok\|^Bail out' "$log" && { echo "== sanitizers: $log"; cat "$log"; }
done
count() { n=$(sed -n "s/^# $1: *//p" check.log); echo "${n:-0}"; }
pass=$((${pass:-0} + $(count PASS)))
fail=$((${fail:-0} + $(count FAIL)))
err=$((${err:-0} + $(count ERROR)))
skip=$((${skip:-0} + $(count SKIP)))
[ $sstatus -eq 0 ] || status=1
echo "${pass:-0} passed, $((${fail:-0} + ${err:-0})) failed, ${skip:-0} skipped"
exit $status
