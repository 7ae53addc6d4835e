#!/bin/sh
# The PC/SC transport through a real pcscd (see pcscd-harness.sh): no daemon,
# a daemon that starts late, then tests/e2e/transport-pcsc (listing,
# transmit, reset by a second client, unpower clearing the card's PIN
# state, removal/insertion, wait_change and cancel).
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/tap-sh.sh"
. "$top_srcdir/tests/e2e/pcscd-harness.sh"

JP_PROBE=$top_builddir/tests/e2e/pcsc-probe
export JP_PROBE

# ---- no pcscd at all: not an error, zero readers ----
out=$(PCSCLITE_CSOCK_NAME=/nonexistent/jp-pcscd.comm "$JP_PROBE" --list 2>&1)
tap_ok $? "no pcscd: establish and list succeed"
[ "$out" = "0 readers" ]
tap_ok $? "no pcscd: zero readers (got '$out')"
t0=$(date +%s%N)
out=$(PCSCLITE_CSOCK_NAME=/nonexistent/jp-pcscd.comm "$JP_PROBE" --wait-change 300 2>&1)
t1=$(date +%s%N)
[ "$out" = "timeout" ] && [ $(( (t1 - t0) / 1000000 )) -ge 250 ]
tap_ok $? "no pcscd: wait_change times out after its timeout (got '$out')"

# The rest needs the harness: without it, one SKIP result for the rest (a
# failure under CI=true), never a quiet end.
reason=$(jp_harness_skip_reason)
[ -z "$reason" ] || tap_skip_all "the pcscd part: $reason"

# ---- pcscd started after the client: found without restarting it ----
jp_harness_prepare
"$JP_PROBE" --wait-readers 30 --list >"$JP_HARNESS_DIR/late.out" 2>&1 &
late=$!
# Start pcscd only once the client has looked and found nothing (bounded:
# 30 s), so this tests a client that was there first, however late it ran.
i=0
while ! grep -q '^no readers yet' "$JP_HARNESS_DIR/late.out" 2>/dev/null && [ $i -lt 300 ] &&
	kill -0 "$late" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
grep -q '^no readers yet' "$JP_HARNESS_DIR/late.out"
tap_ok $? "a client started before pcscd sees no readers"
jp_pcscd_start
tap_ok $? "private pcscd + vpcd + emulator up"
wait "$late"
tap_ok $? "a client started before pcscd finds its readers later"
grep -q "JPKI Emulator" "$JP_HARNESS_DIR/late.out"
tap_ok $? "... including the emulator's reader"
[ -n "$JP_READER" ] || { tap_done; }

# ---- everything else, in C ----
tap_run "$top_builddir/tests/e2e/transport-pcsc"

# ---- a card pulled in the middle of a command: the exchange says the card
# went (JP_E_NO_CARD), not "transport error", although vpcd fails it as one
# and pcscd marks the reader empty only at its next poll
# (doc/pcscd-testing.md); a card that answers badly is no removal ----
aid=00A4040C0AD392F000260100000001
jp_emu_restart --remove-nth 2
m=$(wc -l <"$JP_EMU_LOG")
out=$("$JP_PROBE" -r "$JP_READER" $aid 00A4020C020018 2>&1)
[ "$(echo "$out" | head -n 1)" = 9000 ] &&
	echo "$out" | grep -q '^pcsc-probe: transmit: no card in the reader, or the card was removed' &&
	sed -n "$((m + 1)),\$p" "$JP_EMU_LOG" | grep -A 1 '^> 00A4020C020018' | grep -q '^# card removed'
tap_ok $? "card pulled during the second command: the exchange reports the removal (got: $(echo "$out" | tr '\n' ' '))"
jp_emu_restart --fail-nth 2
out=$("$JP_PROBE" -r "$JP_READER" $aid 00A4020C020018 2>&1)
[ "$(echo "$out" | tr '\n' ' ')" = "9000 6F00 " ]
tap_ok $? "a failing card (6F00) at the second command: an answer, not a removal (got: $(echo "$out" | tr '\n' ' '))"
jp_emu_restart
tap_ok $? "the card back in"

# ---- pcscd restarts under a running client: it loses its context, sees
# zero readers, and finds the new daemon on its own ----
"$JP_PROBE" --wait-cycle 30 >"$JP_HARNESS_DIR/cycle.out" 2>&1 &
cycle=$!
# Restart only once the client has seen the readers (bounded: 10 s).
i=0
while ! grep -q '^ready' "$JP_HARNESS_DIR/cycle.out" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
old_pcscd=$JP_PCSCD_PID
jp_pcscd_restart
tap_ok $? "pcscd restarted on the same socket"
[ "$old_pcscd" != "$JP_PCSCD_PID" ] && ! kill -0 "$old_pcscd" 2>/dev/null
tap_ok $? "... as a new process ($old_pcscd -> $JP_PCSCD_PID)"
wait "$cycle"
tap_ok $? "a client running across the restart sees the readers go and come back"
[ "$(tr '\n' ' ' <"$JP_HARNESS_DIR/cycle.out")" = "ready gone back " ]
tap_ok $? "... in that order (got: $(tr '\n' ' ' <"$JP_HARNESS_DIR/cycle.out"))"
out=$("$JP_PROBE" -r "$JP_READER" 00A4040C0AD392F000260100000001 2>&1)
[ "$out" = "9000" ]
tap_ok $? "the card answers through the new pcscd (got $out)"

# ---- the harness itself leaves nothing behind ----
pids="$JP_PCSCD_PID $JP_EMU_PID"
jp_pcscd_stop
left=
for p in $pids; do
	kill -0 "$p" 2>/dev/null && left="$left $p"
done
[ -z "$left" ]
tap_ok $? "pcscd and the emulator are gone after jp_pcscd_stop ($pids)"
tap_done
