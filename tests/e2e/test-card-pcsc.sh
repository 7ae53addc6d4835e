#!/bin/sh
# The card layer over the real PC/SC path: pcscd + vpcd + the emulator
# program (pcscd-harness.sh), driven by tests/e2e/card-pcsc: identify, the
# three public certificates with and without extended APDUs (counts from the
# emulator's log), verify + sign + host verification, unverify, a blocked PIN.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/tap-sh.sh"
. "$top_srcdir/tests/e2e/pcscd-harness.sh"

reason=$(jp_harness_skip_reason)
[ -z "$reason" ] || tap_skip_all "$reason"

jp_pcscd_start
tap_ok $? "private pcscd + vpcd + emulator up"
[ -n "$JP_READER" ] || tap_done

echo "# extended APDUs accepted"
tap_run "$top_builddir/tests/e2e/card-pcsc" ext

echo "# emulator restarted with --no-extended"
jp_emu_restart --no-extended
tap_ok $? "emulator restarted with --no-extended"
tap_run "$top_builddir/tests/e2e/card-pcsc" short

echo "# blocking the auth PIN"
tap_run "$top_builddir/tests/e2e/card-pcsc" block
# The counter lives in the emulator's state file: a new emulator process
# (a "new session" with the same card) still finds the PIN blocked.
jp_emu_restart
tap_ok $? "emulator restarted"
out=$("$JP_PROBE" -r "$JP_READER" 00A4040C0AD392F000260100000001 00A4020C020018 00200080 2>&1 | tail -n 1)
case "$out" in
63C0|6984) st=0 ;;
*) st=1 ;;
esac
tap_ok $st "the blocked PIN stays blocked across emulator restarts (retry query: $out)"

pids="$JP_PCSCD_PID $JP_EMU_PID"
jp_pcscd_stop
left=
for p in $pids; do
	kill -0 "$p" 2>/dev/null && left="$left $p"
done
[ -z "$left" ]
tap_ok $? "nothing left running ($pids)"
tap_done
