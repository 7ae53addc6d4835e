# shellcheck shell=sh
# TAP for the e2e shell tests: numbered results, C test programs' TAP folded
# in with their numbers shifted, the plan printed at the end.
#   tap_ok STATUS DESCRIPTION     STATUS 0 = pass
#   tap_todo STATUS DESCRIPTION REASON
#                                 a check known to fail for REASON: a
#                                 failure is "not ok ... # TODO REASON",
#                                 which does not fail the test (XFAIL)
#   tap_skip DESCRIPTION REASON   one check not run: "ok ... # SKIP REASON"
#   tap_run PROGRAM [ARGS...]     runs a TAP-printing program, renumbers it
#   tap_skip_all REASON           1..0 # SKIP, exit 0
#   tap_done                      prints the plan; exit status 1 if any failed
TAP_N=0
TAP_FAILED=0

tap_ok() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

tap_todo() {
	if [ "$1" -eq 0 ]; then
		tap_ok 0 "$2"
	else
		TAP_N=$((TAP_N + 1))
		echo "not ok $TAP_N - $2 # TODO $3"
	fi
}

tap_skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

tap_skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

tap_run() {
	_out=$(mktemp "${TMPDIR:-/tmp}/jp-tap-run.XXXXXX") || { tap_ok 1 "mktemp"; return; }
	"$@" >"$_out" 2>&1
	_rc=$?
	# Shift "ok N"/"not ok N", drop the program's own plan.
	awk -v off="$TAP_N" '
		/^1\.\.[0-9]+/ { if ($0 ~ /SKIP/) print "# " $0; next }
		/^(not )?ok [0-9]+/ {
			n++
			pre = ($0 ~ /^not/) ? "not ok " : "ok "
			sub(/^(not )?ok [0-9]+/, "")
			print pre (off + n) $0
			next
		}
		{ print }
		END { print "#TAPCOUNT " n + 0 > "/dev/stderr" }
	' "$_out" 2>"$_out.count"
	_n=$(sed -n 's/^#TAPCOUNT //p' "$_out.count")
	_f=$(grep -c '^not ok [0-9]' "$_out")
	_f=${_f:-0}
	TAP_N=$((TAP_N + ${_n:-0}))
	TAP_FAILED=$((TAP_FAILED + _f))
	rm -f "$_out" "$_out.count"
	if [ "$_rc" -ne 0 ] && [ "$_f" -eq 0 ]; then
		tap_ok 1 "$1 exited with status $_rc"
	fi
}

tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
	exit $?
}
