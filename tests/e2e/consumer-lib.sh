# shellcheck shell=sh
# Shared by the e2e tests that drive real programs (pkcs11-tool, NSS, OpenSSL,
# GnuTLS, p11-kit, OpenSSH, Firefox, LibreOffice...) against the built module
# behind a private pcscd. Source it after setting nothing; it sources the
# harness and the TAP helpers.
#
#   jp_need PROG...         a missing program: SKIP the whole test locally,
#                           FAIL it in CI (CI=true installs everything)
#   jp_with_module CMD...   runs CMD with what a program loading the module
#                           needs (the sanitizer runtime when the module was
#                           built with --enable-sanitizers)
#   jp_heavy_program NAME   call in tests of big third-party programs
#                           (Firefox, LibreOffice): make check does not run
#                           them in a sanitizer build (tests/e2e/local.mk);
#                           run by hand there, the test SKIPs saying why
#   jp_sanitizer_note PART  prints a TAP comment that PART of a test does
#                           not run in a sanitizer build (the plain build
#                           runs it); true in a sanitizer build
#   JP_MODULE               the built module (the real one, PC/SC backend)
#   jp_card_pin N auth|sign the fixture card N's PIN / signing password
#
# The harness around a test:
#   jp_consumer_start [EMULATOR OPTIONS...]
#                           SKIPs the whole test when the harness cannot run
#                           here; else jp_pcscd_start (one TAP line), and a
#                           test with no card ends there
#   jp_still_running PID... prints those of the PIDs that are still alive
#   jp_nothing_left_running [PID...]
#                           jp_pcscd_stop, then one TAP line: its pcscd and
#                           emulator, and the PIDs given (the test's own
#                           servers, stopped before), are all gone

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$top_builddir}"
. "$top_srcdir/tests/e2e/tap-sh.sh"
. "$top_srcdir/tests/e2e/pcscd-harness.sh"

JP_MODULE="$top_builddir/src/p11/.libs/jpki-pkcs11.so"

jp_need() {
	for _p in "$@"; do
		if ! command -v "$_p" >/dev/null 2>&1; then
			if [ "${CI:-}" = true ]; then
				tap_ok 1 "required program '$_p' is missing (CI must install it)"
				tap_done
			fi
			tap_skip_all "program '$_p' not installed (tools/setup-debian.sh installs it)"
		fi
	done
}

# Whether the module was linked with AddressSanitizer.
jp_module_sanitized() {
	ldd "$JP_MODULE" 2>/dev/null | grep -q 'libasan'
}

jp_with_module() {
	if jp_module_sanitized; then
		LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)${LD_PRELOAD:+ $LD_PRELOAD}" \
		ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" "$@"
	else
		"$@"
	fi
}

jp_heavy_program() {
	if jp_module_sanitized; then
		tap_skip_all "sanitizer build: $1 is not run with the sanitizer runtime preloaded (the plain build runs this test)"
	fi
}

jp_sanitizer_note() {
	if jp_module_sanitized; then
		echo "# sanitizer build: $1 is not run here (the plain build runs it)"
		return 0
	fi
	return 1
}

# jp_card_pin N auth|sign → prints the fixture PIN
jp_card_pin() {
	_f="$top_srcdir/tests/emu/cards/card-$1/pins.txt"
	case $2 in
	auth | sign) awk -v k="$2" '$1 == k { print $2; exit }' "$_f" ;;
	esac
}

jp_consumer_start() {
	_reason=$(jp_harness_skip_reason)
	[ -z "$_reason" ] || tap_skip_all "$_reason"
	jp_pcscd_start "$@"
	tap_ok $? "private pcscd + vpcd + emulator up"
	[ -n "$JP_READER" ] || tap_done
}

jp_still_running() {
	for _p in "$@"; do
		kill -0 "$_p" 2>/dev/null && printf '%s ' "$_p"
	done
}

jp_nothing_left_running() {
	_pids="$JP_PCSCD_PID $JP_EMU_PID $*"
	jp_pcscd_stop
	# shellcheck disable=SC2086 # a list of PIDs, split on purpose
	_left=$(jp_still_running $_pids)
	[ -z "$_left" ] || echo "# still running: $_left"
	[ -z "$_left" ]
	tap_ok $? "nothing left running"
}

[ -f "$JP_MODULE" ] || { tap_ok 1 "module not built: $JP_MODULE"; tap_done; }
