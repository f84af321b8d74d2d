#!/bin/sh
# Builds the libFuzzer targets with clang against the sources (automake
# builds with gcc) and runs each for FUZZ_TIME seconds (default 60) on a
# copy of its seed corpus (with fuzz/TARGET.dict as its dictionary when
# there is one), then prints its executions and findings.
# Usage: fuzz/run.sh BUILD_DIR [TARGET...]; BUILD_DIR is a configured
# build (for config.h). Crash inputs are kept in $FUZZ_OUT (default
# BUILD_DIR/fuzz). Exits 1 when a target finds something.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: fuzz/run.sh BUILD_DIR [TARGET...]}" && pwd) || exit 1
shift
out=${FUZZ_OUT:-$build/fuzz}
time=${FUZZ_TIME:-60}
[ $# -gt 0 ] || set -- fuzz_validate fuzz_config fuzz_dns_records
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-g -O1 $san -I$build -I$top/src -I$top/include -I$top/modules/dns \
	-I$top/modules/common -I$top/tests/unit -DHAVE_CONFIG_H \
	-DSYSCONFDIR=\"/etc\" -DWEBSTACK_MODULEDIR=\"/nonexistent\""  # no dlopen
libs="-lconfuse -lidn2 -lsodium -lcrypt -lssl -lcrypto -lltdl -lldns -llmdb"

# The core, the in-tree modules and the unit tests' host mock as archives:
# a target links what it uses (the modules are linked in, never loaded).
# An object is rebuilt when its source or any header is newer.
headers_newer() {
	find "$top/src" "$top/include" "$top/modules" "$top/tests/unit" \
		-name '*.h' -newer "$1" | grep -q .
}
archive() {
	name=$1
	shift
	mkdir -p "$out/$name" || exit 1
	for src; do
		o=$out/$name/$(basename "$src" .c).o
		# shellcheck disable=SC2086
		[ "$o" -nt "$src" ] && ! headers_newer "$o" ||
			clang $cflags -fsanitize=fuzzer-no-link -c "$src" -o "$o" ||
			exit 1
	done
	rm -f "$out/lib$name.a" && ar rcs "$out/lib$name.a" "$out/$name"/*.o
}
archive core $(ls "$top"/src/*.c | grep -v '/main\.c$')
# (not the pgsql module's database code: no target uses it, and it needs
# libpq's headers and a generated file)
archive modules $(ls "$top"/modules/*/*.c | grep -v '/modules/pgsql/')
archive mock "$top/tests/unit/host_mock.c"

status=0
for t; do
	# shellcheck disable=SC2086
	clang $cflags -fsanitize=fuzzer "$top/fuzz/$t.c" "$out/libmodules.a" \
		"$out/libmock.a" "$out/libcore.a" $libs -o "$out/$t" ||
		exit 1
	dict=
	[ ! -f "$top/fuzz/$t.dict" ] || dict=-dict=$top/fuzz/$t.dict
	rm -rf "$out/$t.corpus" "$out/$t.crashes" &&
		cp -r "$top/fuzz/corpus/$t" "$out/$t.corpus" &&
		mkdir "$out/$t.crashes" || exit 1
	# shellcheck disable=SC2086
	"$out/$t" -max_total_time="$time" -artifact_prefix="$out/$t.crashes/" \
		$dict "$out/$t.corpus" >"$out/$t.log" 2>&1
	execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$out/$t.log")
	found=$(find "$out/$t.crashes" -type f | wc -l)
	echo "$t: ${execs:-0} executions in ${time}s, $found finding(s)"
	if [ "$found" -gt 0 ]; then
		status=1
		grep -m3 'ERROR\|SUMMARY' "$out/$t.log"
		find "$out/$t.crashes" -type f
	fi
done
exit $status
