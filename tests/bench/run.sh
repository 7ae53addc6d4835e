#!/bin/sh
# Benchmarks of jpki-pkcs11 (run on demand, not by make check):
#   1. in-process: the test build of the module + the in-process emulator
#      (tests/bench/bench-inproc): APDUs and time per phase, host CPU per
#      signature with the emulator's own RSA time subtracted;
#   2. through pcscd: the real module (src/p11/.libs/jpki-pkcs11.so) behind
#      a private pcscd + vpcd + the emulator program (bench-module), APDUs
#      counted from the emulator's log;
#      (1c, 2c: the same with RSA-PSS signatures, pss=yes and a card that
#      signs PSS: its host CPU per signature);
#   3. pkcs11-tool -L through pcscd: its APDU count;
#   4. with BENCH_RSS=N: the RSS over N signatures (in-process), e.g. 100000.
# Usage: make bench   or   top_builddir=BUILD tests/bench/run.sh
# Environment: BENCH_N (signatures per key, default 1000 in-process and
# 200 through pcscd), BENCH_RSS (0 = skip).
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_builddir top_srcdir
n_in=${BENCH_N:-1000}
n_pcsc=${BENCH_N:-200}
rss=${BENCH_RSS:-0}
status=0
b=$top_builddir/tests/bench

for p in "$b/bench-inproc" "$b/bench-module"; do
	[ -x "$p" ] || { echo "bench: $p not built (make bench builds it)" >&2; exit 1; }
done

echo "==== 1. in-process (test module + emulator, no pcscd) ===="
if [ "$rss" -gt 0 ]; then
	"$b/bench-inproc" -n "$n_in" --rss "$rss" || status=1
else
	"$b/bench-inproc" -n "$n_in" || status=1
fi
echo
echo "==== 1b. in-process, a card without signing by short EF identifier (--no-sfi) ===="
"$b/bench-inproc" -n "$n_in" --no-sfi || status=1

# RSA-PSS (TLS 1.3's rsa_pss_rsae_sha256): a card that signs it and the
# module's option pss=yes, from a configuration file of the run's own.
pss_conf=$(mktemp -d "${TMPDIR:-/tmp}/jp-bench.XXXXXX") || exit 1
echo "pss=yes" >"$pss_conf/jpki-pkcs11.conf"
echo
echo "==== 1c. in-process, RSA-PSS (--pss, pss=yes) ===="
XDG_CONFIG_HOME=$pss_conf "$b/bench-inproc" -n "$n_in" --pss || status=1

echo
echo "==== 2. the real module through pcscd + vpcd + the emulator program ===="
. "$top_srcdir/tests/e2e/pcscd-harness.sh"
reason=$(jp_harness_skip_reason)
if [ -n "$reason" ]; then
	echo "SKIPPED: $reason"
else
	if jp_pcscd_start 2>/dev/null; then
		module=$top_builddir/src/p11/.libs/jpki-pkcs11.so
		: >"$JP_EMU_LOG"
		"$b/bench-module" --module "$module" --apdu-log "$JP_EMU_LOG" --card "$JP_CARD_DIR" -n "$n_pcsc" || status=1
		echo
		echo "==== 2b. the same, a card without signing by short EF identifier (--no-sfi) ===="
		if jp_emu_restart --no-sfi 2>/dev/null; then
			: >"$JP_EMU_LOG"
			"$b/bench-module" --module "$module" --apdu-log "$JP_EMU_LOG" --card "$JP_CARD_DIR" -n "$n_pcsc" || status=1
			jp_emu_restart 2>/dev/null || status=1
		else
			echo "FAILED: emulator restart with --no-sfi"
			status=1
		fi
		echo
		echo "==== 2c. the same, RSA-PSS: a card that signs it (--pss), pss=yes; this process's CPU is the host's ===="
		if jp_emu_restart --pss 2>/dev/null; then
			: >"$JP_EMU_LOG"
			XDG_CONFIG_HOME=$pss_conf "$b/bench-module" --module "$module" --apdu-log "$JP_EMU_LOG" \
				--card "$JP_CARD_DIR" -n "$n_pcsc" --pss || status=1
			jp_emu_restart 2>/dev/null || status=1
		else
			echo "FAILED: emulator restart with --pss"
			status=1
		fi
		echo
		echo "==== 3. pkcs11-tool -L through pcscd ===="
		if command -v pkcs11-tool >/dev/null 2>&1; then
			: >"$JP_EMU_LOG"
			t0=$(date +%s%N)
			pkcs11-tool --module "$module" -L >/dev/null 2>&1 || status=1
			t1=$(date +%s%N)
			echo "  pkcs11-tool -L: $(grep -c '^>' "$JP_EMU_LOG") APDUs, $(((t1 - t0) / 1000000)) ms (process start to exit)"
			: >"$JP_EMU_LOG"
			pkcs11-tool --module "$module" -O >/dev/null 2>&1 || status=1
			echo "  pkcs11-tool -O (auth token: EF 0006 + 2 certificates): $(grep -c '^>' "$JP_EMU_LOG") APDUs, READ BINARY: $(grep -c '^> 00B0' "$JP_EMU_LOG")"
			# The same with a card/reader refusing extended APDUs: short
			# 256-byte reads after the refused extended one.
			if jp_emu_restart --no-extended 2>/dev/null; then
				: >"$JP_EMU_LOG"
				pkcs11-tool --module "$module" -O >/dev/null 2>&1 || status=1
				echo "  same, extended APDUs refused: $(grep -c '^>' "$JP_EMU_LOG") APDUs, READ BINARY: $(grep -c '^> 00B0' "$JP_EMU_LOG")"
			fi
		else
			echo "  pkcs11-tool not installed"
		fi
		jp_pcscd_stop
	else
		echo "FAILED: the private pcscd did not start"
		status=1
	fi
fi
rm -rf "$pss_conf"
exit $status
