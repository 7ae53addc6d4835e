#!/bin/sh
# The program's end power-cycles the card, through the real module behind a
# private pcscd (pcscd-harness.sh). pcscd only warm-resets a card when a
# client goes away, and a warm reset leaves a verified PIN verified (the
# emulator plays that, like the real card): tests/e2e/exit-client logs in,
# signs and calls exit() without C_Logout or C_Finalize, as Chromium does;
# right after, another PC/SC client (pcsc-probe) must not be able to sign.
#  - for each token: log in + sign + exit(), log in + exit(): unverified;
#  - a program that never logged in leaves another program's login alone;
#  - always-authenticate: the card is unverified right after the signature,
#    while the program still runs.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"

CLIENT=$top_builddir/tests/e2e/exit-client
jp_consumer_start
w=$JP_HARNESS_DIR/work
mkdir -p "$w"
CPID=
HPID=
jp_traps 'exec 8>&- 9>&- 2>/dev/null; [ -z "$CPID" ] || kill "$CPID" 2>/dev/null; [ -z "$HPID" ] || kill "$HPID" 2>/dev/null'

hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | tr a-f A-F; }
AP=00A4040C0AD392F000260100000001
# 51 bytes (a SHA-256 DigestInfo's length) for COMPUTE DIGITAL SIGNATURE.
DATA=$(i=0; while [ $i -lt 51 ]; do printf '%02X' $i; i=$((i + 1)); done)

# raw_sign auth|sign: another program signs without a PIN; prints the SW.
raw_sign() {
	case $1 in auth) _ef=0017 ;; sign) _ef=001A ;; esac
	"$JP_PROBE" -r "$JP_READER" "$AP" "00A4020C02$_ef" "802A008033${DATA}00" 2>&1 |
		tail -n 1 | sed 's/.*\(....\)$/\1/'
}
# other_verify auth|sign: another program verifies the PIN; prints the SW.
other_verify() {
	case $1 in auth) _ef=0018 _pin=$JP_PIN_AUTH ;; sign) _ef=001B _pin=$JP_PIN_SIGN ;; esac
	_h=$(hexof "$_pin")
	"$JP_PROBE" -r "$JP_READER" "$AP" "00A4020C02$_ef" \
		"00200080$(printf '%02X' $((${#_h} / 2)))$_h" 2>&1 | tail -n 1
}
pin_of() { case $1 in auth) echo "$JP_PIN_AUTH" ;; sign) echo "$JP_PIN_SIGN" ;; esac; }
client() {
	_k=$1
	shift
	JP_PIN=$(pin_of "$_k") jp_with_module "$CLIENT" "$JP_MODULE" "$_k" "$@"
}

# A client that keeps the card connected throughout (it never logs in):
# pcscd powers a card down a few seconds after its last client goes, which
# would clear the PINs by itself on a slow machine; with this one there,
# only the module's power cycle can.
rm -f "$w/hold" && mkfifo "$w/hold"
client auth hold "" <"$w/hold" >"$w/hold.out" 2>&1 &
HPID=$!
exec 8>"$w/hold"
n=0
while ! grep -qs '^looked' "$w/hold.out" && kill -0 "$HPID" 2>/dev/null && [ $n -lt 300 ]; do
	sleep 0.1
	n=$((n + 1))
done
grep -q '^looked' "$w/hold.out"
tap_ok $? "a client holds the card connected (it never logs in)"

for k in auth sign; do
	# The signing key without always-authenticate: its signature would
	# otherwise power-cycle the card by itself (checked below).
	opts=
	[ "$k" = sign ] && opts=always-authenticate=no

	out=$(client "$k" login-sign "$opts" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/#   /'
	[ $rc -eq 0 ] && jp_contains "$out" signed
	tap_ok $? "$k: logged in, signed, exit() without C_Finalize"
	sw=$(raw_sign "$k")
	[ "$sw" = 6982 ]
	tap_ok $? "$k: another program right after cannot sign (SW $sw)"

	out=$(client "$k" login "" 2>&1)
	rc=$?
	sw=$(raw_sign "$k")
	[ $rc -eq 0 ] && [ "$sw" = 6982 ]
	tap_ok $? "$k: logged in, exit() without signing: the card is unverified (SW $sw)"

	# A program that never logged in leaves another one's login alone.
	sw=$(other_verify "$k")
	[ "$sw" = 9000 ]
	tap_ok $? "$k: another program verified the PIN (SW $sw)"
	out=$(client "$k" nologin "" 2>&1)
	rc=$?
	sw=$(raw_sign "$k")
	[ $rc -eq 0 ] && [ "$sw" = 9000 ]
	tap_ok $? "$k: a program that never logged in exits: no power cycle (SW $sw)"
	"$JP_PROBE" -r "$JP_READER" --unpower >/dev/null 2>&1
	sw=$(raw_sign "$k")
	[ "$sw" = 6982 ]
	tap_ok $? "$k: (the probe power-cycled the card: SW $sw)"
done

# always-authenticate: unverified right after the signature, while the
# program still runs (it waits for a line on its stdin).
rm -f "$w/fifo" && mkfifo "$w/fifo"
client sign wait "" <"$w/fifo" >"$w/wait.out" 2>&1 &
CPID=$!
exec 9>"$w/fifo"
n=0
while ! grep -qs '^signed' "$w/wait.out" && kill -0 "$CPID" 2>/dev/null && [ $n -lt 300 ]; do
	sleep 0.1
	n=$((n + 1))
done
sed 's/^/#   /' "$w/wait.out"
grep -q '^signed (with the context-specific login)' "$w/wait.out"
tap_ok $? "always-authenticate: signed with the context-specific login"
sw=$(raw_sign sign)
kill -0 "$CPID" 2>/dev/null && [ "$sw" = 6982 ]
tap_ok $? "always-authenticate: unverified right after the signature, program still running (SW $sw)"
echo >&9
exec 9>&-
wait "$CPID"
tap_ok $? "the program exited (status 0)"
CPID=

echo >&8
exec 8>&-
wait "$HPID"
tap_ok $? "the holding client exited (status 0)"
HPID=

jp_nothing_left_running
tap_done
