# shellcheck shell=sh
# TAP for the e2e shell tests: numbered results, C test programs' TAP folded
# in with their numbers shifted, the plan printed at the end.
#   tap_ok STATUS DESCRIPTION     STATUS 0 = pass
#   tap_todo STATUS DESCRIPTION REASON
#                                 a check known to fail for REASON: a
#                                 failure is "not ok ... # TODO REASON",
#                                 which does not fail the test (XFAIL)
#   tap_skip DESCRIPTION REASON   one check not run: "ok ... # SKIP REASON"
#   tap_run PROGRAM [ARGS...]     runs a TAP-printing program, renumbers it;
#                                 its skip-all is a SKIP result here, a
#                                 missing or wrong plan (a crash half-way)
#                                 a failure
#   tap_skip_all REASON           1..0 # SKIP, exit 0
#   tap_done                      prints the plan; exit status 1 if any failed
#
# Under CI=true a skip is a failure: CI installs everything, so a check that
# does not run there has silently stopped being a check. tap_skip and
# tap_skip_all then print a failing result instead (with the reason).
#
# Sanitizer reports. Every process the test starts that carries ASan, UBSan
# or TSan (our programs in a sanitizer build, and the programs that get the
# runtime preloaded to load the module) writes its report into TAP_SAN_DIR
# (log_path), not to a stderr a test may discard, and exits with status
# TAP_SAN_EXIT, which no program here uses for an ordinary failure: a memory
# error is never taken for the clean failure a test expects. tap_done fails
# the test when any report was written (and prints it).
TAP_N=0
TAP_FAILED=0
TAP_SAN_EXIT=86
TAP_SAN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/jp-san.XXXXXX") || TAP_SAN_DIR=
if [ -n "$TAP_SAN_DIR" ]; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=$TAP_SAN_EXIT:log_path=$TAP_SAN_DIR/asan"
	UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1:exitcode=$TAP_SAN_EXIT:log_path=$TAP_SAN_DIR/ubsan"
	TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}exitcode=$TAP_SAN_EXIT:log_path=$TAP_SAN_DIR/tsan"
	export ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS
fi

_tap_ci() {
	[ "${CI:-}" = true ]
}

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
	if _tap_ci; then
		tap_ok 1 "$1 (not run: $2; under CI=true a skip is a failure)"
		return
	fi
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

tap_skip_all() {
	# After results, a skip-all is no longer possible: the rest is one SKIP.
	if _tap_ci || [ "$TAP_N" -gt 0 ]; then
		tap_skip "the rest of the test" "$1"
		tap_done
	fi
	_tap_san_check
	echo "1..0 # SKIP $1"
	exit 0
}

tap_run() {
	_out=$(mktemp "${TMPDIR:-/tmp}/jp-tap-run.XXXXXX") || { tap_ok 1 "mktemp"; return; }
	"$@" >"$_out" 2>&1
	_rc=$?
	# Shift "ok N"/"not ok N", drop the program's own plan; the last line
	# of the count file is "COUNT PLAN SKIPREASON" (PLAN -1: none seen).
	awk -v off="$TAP_N" '
		BEGIN { plan = -1 }
		/^1\.\.[0-9]+/ {
			plan = substr($1, 4) + 0
			if ($0 ~ /# *SKIP/) { why = $0; sub(/^.*# *SKIP */, "", why) }
			print "# " $0
			next
		}
		/^(not )?ok [0-9]+/ {
			n++
			pre = ($0 ~ /^not/) ? "not ok " : "ok "
			sub(/^(not )?ok [0-9]+/, "")
			print pre (off + n) $0
			next
		}
		{ print }
		END { print n + 0, plan, why > "/dev/stderr" }
	' "$_out" 2>"$_out.count"
	read -r _n _plan _why <"$_out.count"
	_f=$(grep -c '^not ok [0-9]' "$_out")
	TAP_N=$((TAP_N + ${_n:-0}))
	TAP_FAILED=$((TAP_FAILED + ${_f:-0}))
	rm -f "$_out" "$_out.count"
	if [ "${_plan:--1}" -eq 0 ] && [ "${_n:-0}" -eq 0 ]; then
		tap_skip "$1" "${_why:-skipped}"
	elif [ "${_plan:--1}" -lt 0 ]; then
		tap_ok 1 "$1 printed no plan (it stopped early): ${_n:-0} results, exit status $_rc"
	elif [ "$_plan" -ne "${_n:-0}" ]; then
		tap_ok 1 "$1: plan 1..$_plan but ${_n:-0} results, exit status $_rc"
	elif [ "$_rc" -ne 0 ] && [ "${_f:-0}" -eq 0 ]; then
		tap_ok 1 "$1 exited with status $_rc"
	fi
}

# One failing result when any sanitizer report was written; none otherwise.
_tap_san_check() {
	[ -n "$TAP_SAN_DIR" ] && [ -d "$TAP_SAN_DIR" ] || return 0
	_reports=$(find "$TAP_SAN_DIR" -type f -size +0 | sort)
	if [ -n "$_reports" ]; then
		for _r in $_reports; do
			echo "# $_r:"
			sed 's/^/#   /' "$_r"
		done
		tap_ok 1 "no sanitizer report (found: $(echo "$_reports" | sed 's|.*/||' | tr '\n' ' '))"
	fi
	rm -rf "$TAP_SAN_DIR"
	TAP_SAN_DIR=
}

tap_done() {
	_tap_san_check
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
	exit $?
}
