#!/bin/sh
# The vpcd front end (tests/emu/jpki-emu-vpcd) behind a private pcscd, driven
# through real PC/SC by tests/e2e/pcsc-probe: the card appears, answers,
# leaves and comes back on signals, keeps its PIN counters across restarts,
# is fast (TCP_QUICKACK), and honours its fault options. TAP output.

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
. "$top_srcdir/tests/e2e/tap-sh.sh"
. "$top_srcdir/tests/e2e/pcscd-harness.sh"

ok() { # ok COND-EXIT-STATUS DESCRIPTION
	tap_ok "$@"
}
is() { # is GOT WANT DESCRIPTION
	[ "$1" = "$2" ]
	_r=$?
	ok $_r "$3"
	[ $_r -eq 0 ] || echo "#   got '$1', want '$2'"
}

# Without the harness: SKIP (a failure under CI=true). A harness that should
# run but does not start is a failure.
reason=$(jp_harness_skip_reason)
[ -z "$reason" ] || tap_skip_all "$reason"
jp_pcscd_start >/dev/null 2>&1
ok $? "private pcscd + vpcd + emulator up"
[ -n "${JP_READER:-}" ] || tap_done

probe() { "$JP_PROBE" -r "$JP_READER" "$@" 2>/dev/null; }
hex() { od -An -v -tx1 "$1" | tr -d ' \n' | tr 'a-f' 'A-F'; }
SEL=00A4040C0AD392F000260100000001
auth_pin=$(awk '$1 == "auth" { print $2 }' "$JP_CARD_DIR/pins.txt")
pin_hex=$(printf %s "$auth_pin" | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F')
wrong_hex=30303030

# 1. The card as PC/SC sees it.
line=$("$JP_PROBE" --list 2>/dev/null | awk -F '\t' -v r="$JP_READER" '$4 == r')
is "$(echo "$line" | cut -f1)" 1 "card present in '$JP_READER'"
is "$(echo "$line" | cut -f3)" 3B8A80018031F873F741E082900075 "ATR is the emulator's"

# 2. Commands through pcscd: an extended READ gives the whole certificate.
out=$(probe $SEL 00A4020C02000A 00B00000000000)
is "$(echo "$out" | sed -n 1p)" 9000 "SELECT AP"
is "$(echo "$out" | sed -n 3p)" "$(hex "$JP_CARD_DIR/auth.der")9000" \
	"extended READ BINARY returns auth.der"

# 3. Round trips are fast: with TCP_QUICKACK 200 APDUs take well under a
#    second; without it about 8 s (doc/pcscd-testing.md).
i=0
: >"$JP_HARNESS_DIR/many"
while [ $i -lt 200 ]; do echo 00B0000004 >>"$JP_HARNESS_DIR/many"; i=$((i + 1)); done
t0=$(date +%s%N)
cnt=$(probe $SEL 00A4020C02000A -i <"$JP_HARNESS_DIR/many" | grep -c '^308203')
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
is "$cnt" 200 "200 READs answered"
[ "$ms" -lt 3000 ]
ok $? "200 APDUs in $ms ms (< 3000)"

# 4. PIN counters survive an emulator restart (the card's EEPROM).
out=$(probe $SEL 00A4020C020018 "0020008004$wrong_hex" 00200080)
is "$(echo "$out" | sed -n 3,4p | tr '\n' ' ')" "63C2 63C2 " "wrong PIN: 63C2, query 63C2"
jp_emu_restart >/dev/null 2>&1
ok $? "emulator restarted"
out=$(probe $SEL 00A4020C020018 00200080)
is "$(echo "$out" | sed -n 3p)" 63C2 "counter persisted: 63C2 after restart"
grep '^> 00200080' "$JP_EMU_LOG" | grep -q '\*\*\*\*\*\*\*\*' &&
	! grep '^> 0020' "$JP_EMU_LOG" | grep -q "$wrong_hex"
ok $? "APDU log masks the VERIFY body"

# 5. Unpower (SCARD_UNPOWER_CARD) reaches the emulator as a power cycle:
#    the verified state is gone (doc/card.md §6).
out=$(probe $SEL 00A4020C020018 "0020008004$pin_hex" 00A4020C020017 802A0080010100)
is "$(echo "$out" | sed -n 3p)" 9000 "right PIN"
case "$(echo "$out" | sed -n 5p)" in *9000) r=0 ;; *) r=1 ;; esac
ok $r "sign after VERIFY: 9000"
probe --unpower >/dev/null
out=$(probe $SEL 00A4020C020017 802A0080010100)
is "$(echo "$out" | sed -n 3p)" 6982 "after unpower the key needs the PIN again"

# 6. SIGUSR1 removes the card, SIGUSR2 inserts it.
jp_card_remove
ok $? "SIGUSR1: card removed"
probe 00A4040C0AD392F000260100000001 >/dev/null
[ $? -ne 0 ]
ok $? "  no card to talk to"
jp_card_insert
ok $? "SIGUSR2: card back"
is "$(probe $SEL)" 9000 "  and it answers"

# 7. --remove-after N: the card leaves before answering APDU N+1.
jp_emu_restart --remove-after 2 >/dev/null 2>&1
ok $? "restart with --remove-after 2"
probe $SEL 00A4020C02000A 00B0000004 >/dev/null
[ $? -ne 0 ]
ok $? "third APDU fails"
"$JP_PROBE" -r "$JP_READER" --wait-absent 5 >/dev/null 2>&1
ok $? "  the card is gone"
jp_card_insert
ok $? "SIGUSR2 after a fault removal: card back"

# 7b. The doc/card.md §11 options reach the card: a smartphone label in a
#     32-byte EF 0006, no EF 0008, PSS (P1 04) by short EF identifier
#     (P2 97) without a SELECT of the key, P1 05 switched off.
jp_emu_restart --kind=android --ef0006=label --ef0008=absent --pss --sign-p1-off=05 \
	>/dev/null 2>&1
ok $? "restart with --kind=android --ef0006=label --ef0008=absent --pss --sign-p1-off=05"
label=$(printf '%-32s' JPKIAPGPSETOKEN | od -An -v -tx1 | tr -d ' \n' | tr 'a-f' 'A-F')
hash=$(printf 'hello' | sha256sum | cut -c1-64 | tr 'a-f' 'A-F')
out=$(probe $SEL 00A4020C020006 00B0000000 00A4020C020008 00A4020C020018 \
	"0020008004$pin_hex" "802A049720${hash}00" 802A05970568656C6C6F00)
is "$(echo "$out" | sed -n 3p)" "${label}9000" "EF 0006: the 32-byte label JPKIAPGPSETOKEN"
is "$(echo "$out" | sed -n 4p)" 6A82 "EF 0008 absent: 6A82"
sig=$(echo "$out" | sed -n 7p)
[ ${#sig} -eq 516 ] && [ "${sig%9000}" != "$sig" ]
ok $? "PSS by P2 97 after VERIFY, no SELECT of the key: 256 bytes + 9000"
is "$(echo "$out" | sed -n 8p)" 6A86 "P1 05 switched off: 6A86"
"$top_builddir/tests/emu/jpki-emu-vpcd" --port 1 --card "$JP_CARD_DIR" --kind=nokia \
	>/dev/null 2>&1
is $? 2 "an unknown --kind value is refused (exit 2)"
"$top_builddir/tests/emu/jpki-emu-vpcd" --port 1 --card "$JP_CARD_DIR" --sign-p1-off=06 \
	>/dev/null 2>&1
is $? 2 "--sign-p1-off=06 is refused (exit 2)"
jp_emu_restart --no-sfi=6A82 >/dev/null 2>&1
ok $? "restart with --no-sfi=6A82"
out=$(probe $SEL 00A4020C020018 "0020008004$pin_hex" 802A00970101 00A4020C020017 802A0080010100)
is "$(echo "$out" | sed -n 4p)" 6A82 "--no-sfi=6A82: P2 97 answers 6A82"
sig=$(echo "$out" | sed -n 6p)
[ ${#sig} -eq 516 ] && [ "${sig%9000}" != "$sig" ]
ok $? "  SELECT 0017 + P2 80 signs"
jp_emu_restart >/dev/null 2>&1
ok $? "back to the default card"

# 8. SIGTERM: clean exit, PID file removed.
pid=$JP_EMU_PID
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
! kill -0 "$pid" 2>/dev/null
ok $? "SIGTERM: emulator exited"
[ ! -e "$JP_HARNESS_DIR/emu.pid" ]
ok $? "  and removed its PID file"
JP_EMU_PID=

jp_pcscd_stop >/dev/null 2>&1
tap_done
