# TAP helpers for the shell tests: source it, call check/ok/not_ok, end with
# done_testing. The plan is printed at the end, as TAP allows.
tap_n=0
tap_failed=0

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"; }
diag() { echo "# $*"; }

# check DESCRIPTION COMMAND...: ok when COMMAND succeeds.
check() {
	tap_desc=$1
	shift
	if "$@"; then ok "$tap_desc"; else not_ok "$tap_desc"; fi
}

# not COMMAND...: succeeds when COMMAND fails (for check).
not() { ! "$@"; }

# check_exit CODE DESCRIPTION COMMAND...: ok when COMMAND exits CODE; its
# stdout and stderr are kept in $out and $err.
check_exit() {
	tap_want=$1
	tap_desc=$2
	shift 2
	"$@" >"$tap_tmp/out" 2>"$tap_tmp/err"
	tap_rc=$?
	out=$(cat "$tap_tmp/out")
	err=$(cat "$tap_tmp/err")
	if [ "$tap_rc" -eq "$tap_want" ]; then
		ok "$tap_desc"
	else
		not_ok "$tap_desc (exit $tap_rc, wanted $tap_want)"
		diag "stderr: $err"
	fi
}

done_testing() {
	echo "1..$tap_n"
	rm -rf "$tap_tmp"
	[ "$tap_failed" -eq 0 ]
}

tap_tmp=$(mktemp -d)
: "${WEBSTACK:?WEBSTACK must name the built webstack binary}"
