#!/bin/sh
# The whole test run (what CI runs, after tools/setup-debian.sh):
#   1. strict build (-Werror) + make check: unit, card, p11, e2e (private
#      pcscd + vpcd + emulator), fuzz-corpus replay
#   2. AddressSanitizer + UBSan build + make check
#   3. ThreadSanitizer build + the in-process tests (unit, emu, card, p11)
#   4. valgrind over the card and module paths (a short run)
#   5. the libFuzzer targets, briefly
#   6. make distcheck, as root (in CI) and as an ordinary user
# Each build lives in _ci/<name>. The last line is "N passed, N failed"
# summed over every test log (automake .trs files).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
ci="$top/_ci"
jobs=$(nproc 2>/dev/null || echo 2)
status=0

rm -rf "$ci"
mkdir -p "$ci"
cd "$top" || exit 1

started=$(date +%s)
step() { printf '\n==== %s [%ss] ====\n' "$*" "$(($(date +%s) - started))"; }
fail() { printf '**** FAILED: %s\n' "$*"; status=1; }

step "autoreconf"
autoreconf -fi >"$ci/autoreconf.log" 2>&1 || { cat "$ci/autoreconf.log"; fail autoreconf; }

# build NAME CONFIGURE-ARGS... : configure + make + make check in _ci/NAME
build() {
	name=$1; shift
	step "$name: configure $*"
	mkdir -p "$ci/$name"
	(cd "$ci/$name" && "$top/configure" -q "$@") || { fail "$name configure"; return; }
	step "$name: make"
	make -C "$ci/$name" -j"$jobs" >"$ci/$name.make.log" 2>&1 || { tail -50 "$ci/$name.make.log"; fail "$name make"; return; }
	if grep -q 'warning:' "$ci/$name.make.log"; then
		grep 'warning:' "$ci/$name.make.log"; fail "$name: compiler warnings"
	fi
	step "$name: make check"
	make -C "$ci/$name" -j"$jobs" check >"$ci/$name.check.log" 2>&1 || {
		grep -E '^(FAIL|ERROR|XPASS)' "$ci/$name.check.log"
		[ -f "$ci/$name/test-suite.log" ] && cat "$ci/$name/test-suite.log"
		fail "$name make check"
	}
	grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$ci/$name.check.log" | tail -7
	grep -E '^SKIP' "$ci/$name.check.log" || true
}

build strict --enable-strict
build sanitizers --enable-strict --enable-sanitizers

# ThreadSanitizer (it cannot share a process with ASan: its own build).
# The in-process tiers only (unit, emu, card, p11: the thread, removal and
# slot-event tests among them); the e2e tier loads the module into programs
# that were not built with TSan. A race report fails its test (exit 66).
step "tsan: build + in-process tests"
ts="$ci/tsan"
mkdir -p "$ts"
if (cd "$ts" && "$top/configure" -q --enable-strict --enable-tsan) >"$ci/tsan.configure.log" 2>&1 &&
	make -C "$ts" -j"$jobs" >"$ci/tsan.make.log" 2>&1; then
	ts_tests=$(printf 'jp-print-tests: ; @echo $(TESTS)\n' | make -s -C "$ts" -f Makefile -f - jp-print-tests |
		tr ' ' '\n' | grep -E '^tests/(unit|emu|card|p11)/' | grep -v '\.sh$' | tr '\n' ' ')
	if [ -z "$ts_tests" ]; then
		fail "tsan: no in-process test programs found"
	elif ! TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
		make -C "$ts" -j"$jobs" check TESTS="$ts_tests" >"$ci/tsan.check.log" 2>&1; then
		grep -E '^(FAIL|ERROR|XPASS)' "$ci/tsan.check.log"
		[ -f "$ts/test-suite.log" ] && cat "$ts/test-suite.log"
		fail "tsan make check"
	fi
	grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$ci/tsan.check.log" | tail -7
else
	tail -30 "$ci/tsan.make.log" 2>/dev/null; fail "tsan build"
fi

step "valgrind: card and module paths"
if command -v valgrind >/dev/null 2>&1; then
	vg_tests=""
	for t in tests/card/test-pin tests/card/test-sign tests/p11/test-login tests/p11/test-sign; do
		[ -x "$ci/strict/$t" ] && vg_tests="$vg_tests $t"
	done
	if [ -n "$vg_tests" ]; then
		mkdir -p "$ci/valgrind"
		# Reuse the strict build's programs, but keep valgrind's logs and
		# results apart from the plain run.
		make -C "$ci/strict" check TESTS="$vg_tests" TEST_SUITE_LOG=valgrind-suite.log \
			LOG_COMPILER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite" \
			>"$ci/valgrind.check.log" 2>&1 || {
			cat "$ci/strict/valgrind-suite.log"; fail "valgrind"; }
		for t in $vg_tests; do
			for f in "$ci/strict/$t.trs"; do cp "$f" "$ci/valgrind/$(basename "$t").trs"; done
		done
		grep -E '^(PASS|FAIL|ERROR)' "$ci/valgrind.check.log"
	else
		fail "valgrind: no card/module test programs found"
	fi
else
	fail "valgrind not installed"
fi

# The libFuzzer targets themselves (make check above only replays their
# corpora): built with clang, ASan and UBSan, each run for a short while on
# a copy of its corpus. Each run counts as one test result.
step "fuzz: libFuzzer targets, ${FUZZ_SECONDS:-20} s each"
fz="$ci/fuzz"
mkdir -p "$fz"
if (cd "$fz" && CC=clang "$top/configure" -q --enable-fuzzing --enable-sanitizers) >"$ci/fuzz.configure.log" 2>&1 &&
	make -C "$fz" -j"$jobs" tests/fuzz/fuzz-der tests/fuzz/fuzz-cert tests/fuzz/fuzz-apdu-response \
		tests/fuzz/fuzz-p11-calls >"$ci/fuzz.make.log" 2>&1; then
	for t in der cert apdu-response p11-calls; do
		corpus=$(mktemp -d)
		cp -r "$top/tests/fuzz/corpus/$t/." "$corpus/"
		# top_srcdir: where fuzz-p11-calls finds the emulated cards.
		if top_srcdir="$top" "$fz/tests/fuzz/fuzz-$t" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 \
			-rss_limit_mb=2048 -artifact_prefix="$fz/crash-$t-" "$corpus" >"$fz/fuzz-$t.log" 2>&1; then
			res=PASS
		else
			res=FAIL; tail -30 "$fz/fuzz-$t.log"; fail "fuzz-$t found a problem (see $fz)"
		fi
		printf ':test-result: %s\n' "$res" >"$fz/fuzz-$t.trs"
		echo "$res: fuzz-$t ($(grep -o 'Done [0-9]* runs' "$fz/fuzz-$t.log" | tail -n 1))"
		rm -rf "$corpus"
	done
else
	tail -30 "$ci/fuzz.make.log" 2>/dev/null; fail "fuzz build"
fi

# make distcheck as whoever we are (root in CI), then from the tarball as
# an ordinary user, as a user would get it: both must pass.
step "distcheck (as $(id -un))"
make -C "$ci/strict" distcheck >"$ci/distcheck-self.log" 2>&1 ||
	{ tail -80 "$ci/distcheck-self.log"; fail "distcheck (as $(id -un))"; }
tail -4 "$ci/distcheck-self.log"

step "distcheck (from the tarball, as an ordinary user)"
if make -C "$ci/strict" dist >"$ci/dist.log" 2>&1; then
	tarball=$(ls "$ci/strict"/jpki-pkcs11-*.tar.gz | head -n 1)
	dc="$ci/distcheck"
	mkdir -p "$dc"
	tar -C "$dc" -xzf "$tarball"
	src=$(ls -d "$dc"/jpki-pkcs11-*/ | head -n 1)
	if [ "$(id -u)" -eq 0 ]; then
		id jpkici >/dev/null 2>&1 || useradd --create-home --shell /bin/sh jpkici
		chown -R jpkici "$dc"
		run_user="runuser -u jpkici -- env HOME=/home/jpkici"
	else
		run_user=""
	fi
	$run_user sh -c "cd '$src' && ./configure -q && make -j$jobs distcheck" >"$ci/distcheck.log" 2>&1 \
		|| { tail -80 "$ci/distcheck.log"; fail "distcheck (as $($run_user id -un))"; }
	tail -4 "$ci/distcheck.log"
else
	tail -40 "$ci/dist.log"; fail "make dist"
fi

# Sum every test result we kept (distcheck's own tree is deleted on success;
# its check is counted by its success above, not twice here).
passed=0; failed=0; skipped=0
for f in $(find "$ci" -name '*.trs' -not -path "$ci/distcheck/*" 2>/dev/null); do
	p=$(grep -c '^:test-result: PASS' "$f"); passed=$((passed + p))
	x=$(grep -c '^:test-result: XFAIL' "$f"); passed=$((passed + x))
	n=$(grep -cE '^:test-result: (FAIL|ERROR|XPASS)' "$f"); failed=$((failed + n))
	s=$(grep -c '^:test-result: SKIP' "$f"); skipped=$((skipped + s))
done
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
