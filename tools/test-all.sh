#!/bin/sh
# The whole test run (what CI runs, after tools/setup-debian.sh). Each build
# is one call at the bottom and keeps everything in _ci/<build>/: the test
# results (automake .trs files; a step that is not `make check` writes its
# own) and its logs.
#   strict      -Werror build + make check: unit, card, p11, e2e (private
#               pcscd + vpcd + emulator), fuzz-corpus replay
#   sanitizers  ASan + UBSan build + make check
#   tsan        ThreadSanitizer build + the in-process tests (unit, emu,
#               card, p11: the thread, removal and slot-event tests among
#               them)
#   valgrind    the card and module paths (the strict build's programs)
#               under valgrind
#   fuzz        the libFuzzer targets, briefly: one result per target
#   distcheck   make distcheck as root (in CI) and from the tarball as an
#               ordinary user: one result each
#   package     the Debian package from the tarball: version, build
#               (dpkg-buildpackage, nocheck), lintian, install:
#               one result each; then the tests of the installed package
#               (one result per check): tests/pkg/test-chromium.sh (headful
#               Chromium after `jpki register --chromium`; root, for
#               Chromium's policy directory) and tests/pkg/test-installed.sh,
#               which ends by purging it. Needs root.
#
# The summary: one line per build with its own passed/failed/skipped (each
# result counted once, in the build that produced it), then the total, the
# LAST line, which CI reads:
#   "N passed, N failed"
# N passed = the strict build's test results that passed + 1 for each other
# build that ran and passed; N failed = the strict build's failed and
# skipped results, its tests whose result count differs from
# tests/counts.txt, + 1 for each other build that failed or could not run.
# CI=true (set here unless given): every skip is a failure, in the tests
# themselves and here. README ("Tests") says the same.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
ci="$top/_ci"
jobs=$(nproc 2>/dev/null || echo 2)
: "${CI:=true}"
export CI
# The libFuzzer targets run by the fuzz build.
fuzz_targets="der cert apdu-response p11-calls"
# A list of tests: check_build runs only those (tsan_run sets it).
only_tests=

rm -rf "$ci"
mkdir -p "$ci"
cd "$top" || exit 1

started=$(date +%s)
builds=""
step() { printf '\n==== %s [%ss] ====\n' "$*" "$(($(date +%s) - started))"; }

# begin NAME: a build starts; its results go to _ci/NAME.
begin() {
	cur=$1
	builds="$builds $1"
	mkdir -p "$ci/$1"
	: >"$ci/$1.broken"
}
# broken WHAT: the current build could not do WHAT (it fails as a whole).
broken() {
	printf '**** FAILED: %s: %s\n' "$cur" "$*"
	echo "$*" >>"$ci/$cur.broken"
}
# result NAME PASS|FAIL: one result of a step that is not make check.
result() {
	mkdir -p "$(dirname "$ci/$cur/$1")"
	printf ':test-result: %s\n' "$2" >"$ci/$cur/$1.trs"
	echo "$2: $cur/$1"
}

# check_build NAME CONFIGURE-ARGS...: configure + make + make check in
# _ci/NAME, the result counts checked against the NAME column of
# tests/counts.txt. With only_tests set (a list), make check runs those
# tests alone and their counts are checked against the strict build's.
check_build() {
	begin "$1"
	shift
	step "$cur: configure $*"
	(cd "$ci/$cur" && "$top/configure" -q "$@") >"$ci/$cur.configure.log" 2>&1 ||
		{ tail -30 "$ci/$cur.configure.log"; broken configure; return; }
	step "$cur: make"
	make -C "$ci/$cur" -j"$jobs" >"$ci/$cur.make.log" 2>&1 ||
		{ tail -50 "$ci/$cur.make.log"; broken make; return; }
	if grep -q 'warning:' "$ci/$cur.make.log"; then
		grep 'warning:' "$ci/$cur.make.log"
		broken "compiler warnings"
	fi
	step "$cur: make check${only_tests:+ (in-process tests)}"
	make -C "$ci/$cur" -j"$jobs" check ${only_tests:+"TESTS=$only_tests"} \
		>"$ci/$cur.check.log" 2>&1 || {
		grep -E '^(FAIL|ERROR|XPASS|SKIP)' "$ci/$cur.check.log"
		[ -f "$ci/$cur/test-suite.log" ] && cat "$ci/$cur/test-suite.log"
		broken "make check"
	}
	grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$ci/$cur.check.log" | tail -7
	if [ -n "$only_tests" ]; then
		# shellcheck disable=SC2086 # a list of tests
		set -- strict $only_tests
	else
		set -- "$cur"
	fi
	sh "$top/tools/check-counts.sh" "$ci/$cur" "$@" >"$ci/$cur.counts" || {
		cat "$ci/$cur.counts"
		broken "result counts differ from tests/counts.txt"
	}
}

# tsan_run: ThreadSanitizer cannot share a process with ASan, so it is a
# build of its own; it runs the in-process tiers only (the e2e tier loads
# the module into programs not built with TSan). The test list is what the
# strict build's make check runs there. A race report fails its test
# (exit 66).
tsan_run() {
	# shellcheck disable=SC2016 # $(TESTS) is for make, not the shell
	only_tests=$(printf 'jp-print-tests: ; @echo $(TESTS)\n' |
		make -s -C "$ci/strict" -f Makefile -f - jp-print-tests 2>/dev/null |
		tr ' ' '\n' | grep -E '^tests/(unit|emu|card|p11)/' | grep -v '\.sh$' | tr '\n' ' ')
	if [ -z "$only_tests" ]; then
		begin tsan
		broken "no in-process test programs found"
	else
		TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
			check_build tsan --enable-strict --enable-tsan
	fi
	only_tests=
}

# valgrind_run: the strict build's card and module tests under valgrind,
# results and logs in _ci/valgrind (not in the strict build's tree).
valgrind_run() {
	begin valgrind
	step "valgrind: card and module paths"
	command -v valgrind >/dev/null 2>&1 || { broken "valgrind not installed"; return; }
	vg_tests="tests/card/test-pin tests/card/test-sign tests/p11/test-login tests/p11/test-sign"
	for t in $vg_tests; do
		[ -x "$ci/strict/$t" ] || { broken "$t not built by the strict build"; continue; }
		mkdir -p "$(dirname "$ci/valgrind/$t")"
		top_srcdir=$top top_builddir=$ci/strict \
			sh "$top/build-aux/tap-driver.sh" --test-name "$t" \
			--log-file "$ci/valgrind/$t.log" --trs-file "$ci/valgrind/$t.trs" \
			--color-tests no --enable-hard-errors yes --expect-failure no -- \
			valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			--show-leak-kinds=definite "$ci/strict/$t" >/dev/null 2>&1
		echo "$(sed -n 's/^:global-test-result: //p' "$ci/valgrind/$t.trs"): valgrind $t"
	done
	# The same tests, the same number of results as in the strict build.
	# shellcheck disable=SC2086 # a list of tests
	sh "$top/tools/check-counts.sh" "$ci/valgrind" strict $vg_tests >"$ci/valgrind.counts" ||
		{ cat "$ci/valgrind.counts"; broken "result counts differ from the strict build's"; }
}

# fuzz_run: the libFuzzer targets (make check only replays their corpora),
# built with clang, ASan and UBSan, each run for FUZZ_SECONDS on a copy of
# its corpus: one result each.
fuzz_run() {
	begin fuzz
	step "fuzz: libFuzzer targets, ${FUZZ_SECONDS:-20} s each"
	fz=$ci/fuzz/build
	mkdir -p "$fz"
	progs=
	for t in $fuzz_targets; do progs="$progs tests/fuzz/fuzz-$t"; done
	# shellcheck disable=SC2086 # a list of targets
	(cd "$fz" && CC=clang "$top/configure" -q --enable-fuzzing --enable-sanitizers) \
		>"$ci/fuzz.configure.log" 2>&1 &&
		make -C "$fz" -j"$jobs" $progs >"$ci/fuzz.make.log" 2>&1 ||
		{ tail -30 "$ci/fuzz.make.log" 2>/dev/null; broken "fuzz build"; return; }
	for t in $fuzz_targets; do
		corpus=$(mktemp -d)
		cp -r "$top/tests/fuzz/corpus/$t/." "$corpus/"
		# top_srcdir: where fuzz-p11-calls finds the emulated cards.
		if top_srcdir=$top "$fz/tests/fuzz/fuzz-$t" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 \
			-rss_limit_mb=2048 -artifact_prefix="$ci/fuzz/crash-$t-" "$corpus" \
			>"$ci/fuzz/fuzz-$t.log" 2>&1; then
			result "fuzz-$t" PASS
		else
			tail -30 "$ci/fuzz/fuzz-$t.log"
			result "fuzz-$t" FAIL
		fi
		echo "  fuzz-$t: $(grep -o 'Done [0-9]* runs' "$ci/fuzz/fuzz-$t.log" | tail -n 1)"
		rm -rf "$corpus"
	done
}

# distcheck_run: make distcheck as whoever we are (root in CI), then from
# the tarball as an ordinary user, as a user would get it.
distcheck_run() {
	begin distcheck
	step "distcheck (as $(id -un))"
	if make -C "$ci/strict" distcheck >"$ci/distcheck/self.log" 2>&1; then
		result self PASS
	else
		tail -80 "$ci/distcheck/self.log"
		result self FAIL
	fi
	step "distcheck (from the tarball, as an ordinary user)"
	make -C "$ci/strict" dist >"$ci/distcheck/dist.log" 2>&1 ||
		{ tail -40 "$ci/distcheck/dist.log"; broken "make dist"; return; }
	tarball=$(ls "$ci/strict"/jpki-pkcs11-*.tar.gz | head -n 1)
	dc=$ci/distcheck/user
	mkdir -p "$dc"
	tar -C "$dc" -xzf "$tarball"
	src=$(ls -d "$dc"/jpki-pkcs11-*/ | head -n 1)
	if [ "$(id -u)" -eq 0 ]; then
		id jpkici >/dev/null 2>&1 || useradd --create-home --shell /bin/sh jpkici
		chown -R jpkici "$dc"
		run_user="runuser -u jpkici -- env HOME=/home/jpkici CI=$CI"
	else
		run_user=""
	fi
	if $run_user sh -c "cd '$src' && ./configure -q && make -j$jobs distcheck" \
		>"$ci/distcheck/user.log" 2>&1; then
		result user PASS
	else
		tail -80 "$ci/distcheck/user.log"
		result user FAIL
	fi
}

# package_run: the Debian package (debian/; README, Install), built from the
# release tarball (the strict build's `make dist`) in _ci/package with
# dpkg-buildpackage (nocheck: see below), checked by lintian (no error, no
# warning),
# installed with apt-get, then tests/pkg/test-chromium.sh and
# tests/pkg/test-installed.sh (TAP, one result per check, counted against
# the "package" column of tests/counts.txt) on the installed package
# against a private pcscd + the emulator, the last ending with apt-get
# purge and nothing left behind. Root only (CI is root): it
# installs and purges jpki-pkcs11, and refuses to when the machine has it
# installed already.
package_run() {
	begin package
	pk=$ci/package
	pkg_started=$(date +%s)
	step "package: dpkg-buildpackage from the tarball"
	[ "$(id -u)" -eq 0 ] || { broken "needs root (apt-get install and purge)"; return; }
	for p in dpkg-buildpackage dh lintian apt-get; do
		command -v "$p" >/dev/null 2>&1 ||
			{ broken "$p not installed (tools/setup-debian.sh)"; return; }
	done
	if [ "$(dpkg-query -W -f='${db:Status-Status}' jpki-pkcs11 2>/dev/null)" = installed ]; then
		broken "jpki-pkcs11 is installed on this machine; this build installs and purges it (apt-get purge jpki-pkcs11 first)"
		return
	fi
	tarball=$(ls "$ci/strict"/jpki-pkcs11-*.tar.gz 2>/dev/null | head -n 1)
	if [ -z "$tarball" ]; then
		make -C "$ci/strict" dist >"$pk/dist.log" 2>&1 ||
			{ tail -40 "$pk/dist.log"; broken "make dist"; return; }
		tarball=$(ls "$ci/strict"/jpki-pkcs11-*.tar.gz | head -n 1)
	fi
	tar -C "$pk" -xzf "$tarball"
	src=$(ls -d "$pk"/jpki-pkcs11-*/ | head -n 1)
	src=${src%/}
	# The package's version is the release's (debian/changelog vs configure).
	dv=$(cd "$src" && dpkg-parsechangelog -S Version 2>/dev/null)
	if [ "$dv" = "${src##*/jpki-pkcs11-}" ]; then
		result version PASS
	else
		echo "debian/changelog says '$dv', the tarball is ${src##*/}"
		result version FAIL
	fi
	# nocheck: the build's own make check (the in-process tiers,
	# debian/rules) is what the strict build has just run on the same
	# source with the same compiler and -O2; here it would add minutes and
	# find nothing new. The harness's emulator and pcsc-probe are built
	# after it for the smoke test.
	t0=$(date +%s)
	if (cd "$src" && DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -us -uc -b) \
		>"$pk/build.log" 2>&1 &&
		make -C "$src/debian/build" -j"$jobs" tests/emu/jpki-emu-vpcd tests/e2e/pcsc-probe \
			>>"$pk/build.log" 2>&1; then
		result build PASS
	else
		tail -40 "$pk/build.log"
		result build FAIL
		return
	fi
	echo "  dpkg-buildpackage: $(($(date +%s) - t0)) s"
	(cd "$pk" && dpkg-deb -c jpki-pkcs11_*.deb) >"$pk/contents.txt"
	sed 's/^/  /' "$pk/contents.txt"

	step "package: lintian"
	# lintian warns against running as root: as the ordinary user when root.
	id jpkici >/dev/null 2>&1 || useradd --create-home --shell /bin/sh jpkici
	# Every tag shown, the overridden ones too (O:, each with its reason in
	# debian/jpki-pkcs11.lintian-overrides); errors and warnings fail.
	if runuser -u jpkici -- env HOME=/home/jpkici lintian --fail-on error,warning -I --pedantic \
		--show-overrides "$pk"/jpki-pkcs11_*.changes >"$pk/lintian.log" 2>&1; then
		result lintian PASS
	else
		result lintian FAIL
	fi
	sed 's/^/  /' "$pk/lintian.log"
	[ -s "$pk/lintian.log" ] || echo "  lintian: no tags"

	step "package: apt-get install, installed-package smoke test, purge"
	if (cd "$pk" && env DEBIAN_FRONTEND=noninteractive apt-get install -y ./jpki-pkcs11_*.deb) \
		>"$pk/install.log" 2>&1; then
		result install PASS
	else
		tail -30 "$pk/install.log"
		result install FAIL
		return
	fi
	# The package build's tree lends the harness its emulator and
	# pcsc-probe; the tests check the installed files. test-installed.sh
	# purges the package at its end, so it comes last (tests/pkg/local.mk).
	pkg_tests="tests/pkg/test-chromium.sh tests/pkg/test-installed.sh"
	mkdir -p "$pk/tests/pkg"
	for t in $pkg_tests; do
		top_srcdir=$src top_builddir=$src/debian/build \
			sh "$src/build-aux/tap-driver.sh" --test-name "$t" \
			--log-file "$pk/$t.log" --trs-file "$pk/$t.trs" \
			--color-tests no --enable-hard-errors yes --expect-failure no -- \
			sh "$src/$t" >/dev/null 2>&1
		echo "$(sed -n 's/^:global-test-result: //p' "$pk/$t.trs"): package $t"
		grep -E '^(not ok|ok) ' "$pk/$t.log" | sed 's/^/  /'
	done
	# The last test purges the package; a test that stopped early may not have.
	if [ "$(dpkg-query -W -f='${db:Status-Status}' jpki-pkcs11 2>/dev/null)" = installed ]; then
		apt-get purge -y jpki-pkcs11 >>"$pk/install.log" 2>&1
		broken "jpki-pkcs11 was still installed after $t (purged now)"
	fi
	sh "$top/tools/check-counts.sh" "$pk" package $pkg_tests >"$ci/package.counts" ||
		{ cat "$ci/package.counts"; broken "result counts differ from tests/counts.txt"; }
	echo "  package build: $(($(date +%s) - pkg_started)) s"
}

# count DIR: "PASS FAIL SKIP XFAIL" over every result under DIR, each once
# (a failed distcheck leaves its tree, with its own results, in
# distcheck/user: those are the distcheck results, not counted again).
count() {
	find "$1" -name '*.trs' -not -path '*/jpki-pkcs11-*' -exec cat {} + 2>/dev/null | awk '
		/^:test-result: PASS/ { p++ }
		/^:test-result: (FAIL|ERROR|XPASS)/ { f++ }
		/^:test-result: SKIP/ { s++ }
		/^:test-result: XFAIL/ { x++ }
		END { print p + 0, f + 0, s + 0, x + 0 }'
}

step "autoreconf"
autoreconf -fi >"$ci/autoreconf.log" 2>&1 || cat "$ci/autoreconf.log"

check_build strict --enable-strict
check_build sanitizers --enable-strict --enable-sanitizers
tsan_run
valgrind_run
fuzz_run
distcheck_run
package_run

# A sanitizer report in any test's log fails that build, whatever the
# test's exit status said.
for b in $builds; do
	reports=$(grep -rlE 'ERROR: (Address|Leak)Sanitizer|: runtime error: |WARNING: ThreadSanitizer' \
		--include='*.log' --exclude=config.log "$ci/$b" 2>/dev/null)
	if [ -n "$reports" ]; then
		cur=$b
		broken "sanitizer reports in: $(echo "$reports" | tr '\n' ' ')"
	fi
done

step "summary"
total_p=0
total_f=0
for b in $builds; do
	# shellcheck disable=SC2046 # four numbers
	set -- $(count "$ci/$b")
	p=$1 f=$2 s=$3 x=$4
	mism=$(grep -c '^count:' "$ci/$b.counts" 2>/dev/null)
	why=$(tr '\n' ';' <"$ci/$b.broken" | sed 's/;$//; s/;/; /g')
	line="$b: $p passed, $f failed, $s skipped"
	[ "$x" -eq 0 ] || line="$line, $x expected failures (TODO)"
	[ "${mism:-0}" -eq 0 ] || line="$line, $mism tests with another result count than tests/counts.txt"
	if [ -n "$why" ]; then
		line="$line -- FAILED: $why"
	elif [ "$f" -ne 0 ] || [ "$s" -ne 0 ] || [ "${mism:-0}" -ne 0 ] || [ "$p" -eq 0 ]; then
		line="$line -- FAILED"
		why=results
	fi
	echo "$line"
	if [ "$b" = strict ]; then
		total_p=$((total_p + p))
		total_f=$((total_f + f + s + ${mism:-0}))
		# Broken without a failed result (configure, warnings): one failure.
		[ -z "$why" ] || [ "$f" -ne 0 ] || [ "$s" -ne 0 ] || [ "${mism:-0}" -ne 0 ] ||
			total_f=$((total_f + 1))
	elif [ -n "$why" ]; then
		total_f=$((total_f + 1))
	else
		total_p=$((total_p + 1))
	fi
done
echo "total: the strict build's results, plus one per other build that passed (or failed)"
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
