#!/bin/sh
# The card variants of doc/card.md §11 (issue 10) against the real module
# with a real program: OpenSC's pkcs11-tool through a private pcscd + vpcd +
# the emulated card (pcscd-harness.sh), the emulator restarted with each
# variant's options. Both answers of each item, values checked (openssl
# verifies every signature against the card's certificate; the emulator's
# log and PIN counters say what reached the card):
#  - signing by short EF identifier (P2 97/9A, no SELECT of the key) on the
#    default card; on a card refusing it with 6A86 or 6A82, the fallback to
#    SELECT 0017/001A + P2 80 inside the same call, and remembered for the
#    rest of the process (pkcs11-tool --test);
#  - EF 0008 both / nosign / absent, and a card without EF 0008 nor the
#    signing certificates (--no-sign=certs-absent): no signature token
#    (pkcs11-tool -L prints the slot "(empty)"), no password asked for,
#    the authentication token unchanged;
#  - EF 0006 as the 160-byte record or the 32-byte label: the same tokens;
#  - smartphone tokens (android, iphone): "Smartphone" labels, the
#    authentication certificate only after the PIN, both keys sign; the old
#    住基カード and a card without the JPKI application: no tokens;
#  - a blocked PIN whose retry query and VERIFY answer 63C0 or 6984: a
#    fresh -L asks nothing; the login gets CKR_PIN_LOCKED from exactly one
#    VERIFY, the counter still 0;
#  - ISO SELECT of the MF refused (6A86, 6A82) or accepted when another
#    program sends it: the module never sends it and works the same;
#  - the sign command's P1 for PKCS#1 (00) refused: a clean failure, no try
#    lost; every other P1 refused: PKCS#1 signatures work.
# Counts only what it is about (sign commands, VERIFYs carrying a PIN,
# SELECTs of given EFs), not the whole APDU list of a listing or a login
# (tests/e2e/test-pkcs11-tool.sh guards those).
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"

jp_need pkcs11-tool openssl
jp_consumer_start

w=$JP_HARNESS_DIR/work
mkdir -p "$w"
printf 'A document signed on every kind of card.\n' >"$w/doc"
openssl x509 -inform DER -in "$JP_CARD_DIR/auth.der" -pubkey -noout >"$w/auth.pub"
openssl x509 -inform DER -in "$JP_CARD_DIR/sign.der" -pubkey -noout >"$w/sign.pub"
PHONE_AUTH="Smartphone JPKI (Authentication)"
PHONE_SIGN="Smartphone JPKI (Signature)"

# ---- helpers ----

# pkcs11-tool with the module; bounded only to catch a hang.
p11() {
	jp_with_module timeout 120 pkcs11-tool --module "$JP_MODULE" "$@"
}

# A new emulator with fresh PIN counters and OPTIONS; the test ends here
# if it does not come up. The log goes on across restarts: card_mark is
# where this card's part begins.
fresh_card() {
	card_mark=$(jp_log_mark)
	rm -f "$JP_HARNESS_DIR/card.state"
	jp_emu_restart "$@" || { tap_ok 1 "the emulator restarts with '$*'"; tap_done; }
}

# The number of commands after MARK matching the ERE (hex after "> ").
count_cmd() { # ERE MARK
	jp_log_from "$2" | grep -cE "^> $1"
}

# The sign commands (first 8 hex digits) and SELECTs of the key EFs
# 0017/001A after MARK, each with its status word: "802A0097:6A86
# 00A4020C020017:9000 802A0080:9000 ".
sign_trace() { # MARK
	jp_log_from "$1" | awk '
		/^> / {
			c = ""
			if ($2 ~ /^802A/)
				c = substr($2, 1, 8)
			else if ($2 ~ /^00A4020C0200(17|1A)$/)
				c = $2
			next
		}
		/^< / && c != "" { print c ":" substr($2, length($2) - 3); c = "" }
	' | tr '\n' ' '
}

# The status word the card gave to the first command after MARK matching
# the ERE ("" when none was sent).
answer_to() { # ERE MARK
	jp_log_from "$2" | awk -v re="^> $1" '
		$0 ~ re { hit = 1; next }
		hit && /^< / { print substr($2, length($2) - 3); exit }
		/^> / { hit = 0 }'
}

# Logs in and signs w/doc with SHA256-RSA-PKCS; true when openssl verifies
# the signature with KEY's certificate (auth or sign).
sign_ok() { # KEY LABEL PIN
	rm -f "$w/sig"
	p11 --token-label "$2" --login --pin "$3" --sign -m SHA256-RSA-PKCS \
		-i "$w/doc" -o "$w/sig" >"$w/sign.out" 2>&1 &&
		[ "$(wc -c <"$w/sig")" -eq 256 ] &&
		openssl dgst -sha256 -verify "$w/$1.pub" -signature "$w/sig" "$w/doc" >/dev/null 2>&1
}

# The -L block of this reader's slot for PURPOSE ("User Authentication",
# "Digital Signature"), up to the next slot.
slot_block() { # LISTING PURPOSE
	printf '%s\n' "$1" | awk -v s="$JP_READER $2" '
		/^Slot / { on = index($0, s) > 0 }
		on'
}

# True when the slot's block says no token: pkcs11-tool prints "(empty)"
# for a slot without CKF_TOKEN_PRESENT, and no label.
slot_empty() { # LISTING PURPOSE
	_b=$(slot_block "$1" "$2")
	[ -n "$_b" ] && jp_contains "$_b" "  (empty)" && ! jp_contains "$_b" "token label"
}

# The reference: the default card's listing, and its authentication token.
list_default=$(p11 -L 2>&1)
auth_default=$(slot_block "$list_default" "User Authentication")
jp_contains "$auth_default" "token label        : $JP_LABEL_AUTH" &&
	jp_contains "$(slot_block "$list_default" "Digital Signature")" "token label        : $JP_LABEL_SIGN"
tap_ok $? "default card: -L shows both tokens (the reference for the variants)"

# ---- signing by short EF identifier (P2 80|SFI) or SELECT + P2 80 ----
# pkcs11-tool signs once per process, so every signature here is the
# process's first: on a card without SFI addressing it costs one refused
# sign command, then SELECT of the key EF and P2 80, in the same call.
sfi_case() { # KEY LABEL PIN SFI-P2 EF NO-SFI-SW ("" = the card accepts it)
	m0=$(jp_log_mark)
	sign_ok "$1" "$2" "$3"
	tap_ok $? "${6:-SFI card}: $1 key signs (SHA256-RSA-PKCS), verified by openssl"
	t=$(sign_trace "$m0")
	if [ -z "$6" ]; then
		[ "$t" = "802A00$4:9000 " ]
		tap_ok $? "${6:-SFI card}: $1 key: one sign command, P1 00 P2 $4, no SELECT of EF $5 ($t)"
	else
		[ "$t" = "802A00$4:$6 00A4020C02$5:9000 802A0080:9000 " ]
		tap_ok $? "no-SFI card ($6): $1 key: P2 $4 refused, SELECT $5 + P2 80 in the same call: 2 sign commands ($t)"
	fi
}

# pkcs11-tool --test signs with many mechanisms in one process: on a card
# without SFI addressing only the first signature tries P2 97.
sfi_test_run() { # NO-SFI-SW ("" = the card accepts it)
	m0=$(jp_log_mark)
	out=$(p11 --token-label "$JP_LABEL_AUTH" --login --pin "$JP_PIN_AUTH" --test 2>&1)
	jp_contains "$out" "No errors" && jp_contains "$out" "all 4 signature functions seem to work"
	tap_ok $? "${1:-SFI card}: pkcs11-tool --test: No errors"
	n97=$(count_cmd '802A0097' "$m0")
	n80=$(count_cmd '802A0080' "$m0")
	nsel=$(count_cmd '00A4020C020017$' "$m0")
	if [ -z "$1" ]; then
		[ "$n97" -ge 5 ] && [ "$n80" -eq 0 ] && [ "$nsel" -eq 0 ]
		tap_ok $? "SFI card: --test: every sign command by P2 97 ($n97), none by P2 80, no SELECT of 0017"
	else
		[ "$n97" -eq 1 ] && [ "$n80" -ge 5 ] && [ "$nsel" -ge 1 ] &&
			[ "$(answer_to '802A0097' "$m0")" = "$1" ]
		tap_ok $? "no-SFI card ($1): --test: P2 97 tried once (answered $1), then SELECT 0017 ($nsel) + P2 80 for all $n80 signatures (remembered for the card)"
	fi
}

for sw in "" 6A86 6A82; do
	fresh_card ${sw:+--no-sfi=$sw}
	sfi_case auth "$JP_LABEL_AUTH" "$JP_PIN_AUTH" 97 0017 "$sw"
	sfi_case sign "$JP_LABEL_SIGN" "$JP_PIN_SIGN" 9A 001A "$sw"
	sfi_test_run "$sw"
done

# ---- EF 0008, and a card without the signing certificate ----
# Two tokens when the card has the certificate (EF 0008 says so, or without
# EF 0008 SELECT of EF 0001 finds it); otherwise no signature token,
# nothing about its password sent, the authentication token as on the
# default card.
two_tokens() { # WHAT
	out=$(p11 -L 2>&1)
	[ "$(slot_block "$out" "User Authentication")" = "$auth_default" ] &&
		jp_contains "$(slot_block "$out" "Digital Signature")" "token label        : $JP_LABEL_SIGN"
	tap_ok $? "$1: -L shows both tokens, the authentication token as on the default card"
	sign_ok sign "$JP_LABEL_SIGN" "$JP_PIN_SIGN"
	tap_ok $? "$1: the signing key signs, verified by openssl"
}

no_sign_token() { # WHAT
	m0=$(jp_log_mark)
	out=$(p11 -L 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] && slot_empty "$out" "Digital Signature" &&
		[ "$(slot_block "$out" "User Authentication")" = "$auth_default" ]
	tap_ok $? "$1: -L shows the signature slot '(empty)' (no token), the authentication token as on the default card"
	out=$(p11 --token-label "$JP_LABEL_SIGN" --login --pin "$JP_PIN_SIGN" -O 2>&1)
	rc=$?
	jp_clean_fail "$rc" && [ "$(jp_count_verify "$m0")" -eq 0 ] &&
		[ "$(count_cmd '00A4020C02001B' "$m0")" -eq 0 ] && [ "$(jp_card_state sign-tries)" = 5 ]
	tap_ok $? "$1: a login to the signature token fails (exit $rc) before the card: no VERIFY, EF 001B never selected, 5 tries"
	sign_ok auth "$JP_LABEL_AUTH" "$JP_PIN_AUTH"
	tap_ok $? "$1: the authentication key signs, verified by openssl"
}

fresh_card --ef0008=both
two_tokens "EF 0008 both"
jp_log_from "$card_mark" | grep -A1 '^> 00B0000003$' | grep -qx '< 8F8F009000'
tap_ok $? "EF 0008 both: the card answered 8F 8F 00"

fresh_card --ef0008=nosign
no_sign_token "EF 0008 nosign"
jp_log_from "$card_mark" | grep -A1 '^> 00B0000003$' | grep -qx '< 008F009000'
tap_ok $? "EF 0008 nosign: the card answered 00 8F 00"

fresh_card --ef0008=absent
two_tokens "EF 0008 absent, certificates present"
[ "$(answer_to '00A4020C020008$' "$card_mark")" = 6A82 ] &&
	[ "$(answer_to '00A4020C020001$' "$card_mark")" = 9000 ]
tap_ok $? "EF 0008 absent: SELECT 0008 answered 6A82, SELECT 0001 found the certificate"

fresh_card --no-sign=certs-absent --ef0008=absent
no_sign_token "no EF 0008, certificates absent"
[ "$(answer_to '00A4020C020008$' "$card_mark")" = 6A82 ] &&
	[ "$(answer_to '00A4020C020001$' "$card_mark")" = 6A82 ]
tap_ok $? "no EF 0008, certificates absent: SELECT 0008 and SELECT 0001 answered 6A82"

# ---- EF 0006: the 160-byte record or the 32-byte label ----
# The card's own answer (another PC/SC client reading the whole file)
# proves which one the emulator plays.
ef0006_len() {
	"$JP_PROBE" -r "$JP_READER" 00A4040C0AD392F000260100000001 00A4020C020006 00B0000000 2>/dev/null |
		tail -n 1 | awk '{ print (length($0) - 4) / 2 }'
}
fresh_card --ef0006=record
n_rec=$(ef0006_len)
list_rec=$(p11 -L 2>&1)
fresh_card --ef0006=label
n_lbl=$(ef0006_len)
list_lbl=$(p11 -L 2>&1)
[ "$n_rec" = 160 ] && [ "$n_lbl" = 32 ]
tap_ok $? "EF 0006 as played: the record $n_rec bytes, the label alone $n_lbl bytes"
[ "$list_rec" = "$list_default" ] && [ "$list_lbl" = "$list_default" ]
tap_ok $? "EF 0006 record and label: -L identical to the default card's (same tokens, labels, serial, flags)"
sign_ok auth "$JP_LABEL_AUTH" "$JP_PIN_AUTH"
tap_ok $? "EF 0006 label alone: the authentication key signs, verified by openssl"

# ---- smartphone tokens ----
for kind in android iphone; do
	fresh_card --kind=$kind
	out=$(p11 -L 2>&1)
	jp_contains "$(slot_block "$out" "User Authentication")" "token label        : $PHONE_AUTH" &&
		jp_contains "$(slot_block "$out" "Digital Signature")" "token label        : $PHONE_SIGN"
	tap_ok $? "$kind: -L labels '$PHONE_AUTH' and '$PHONE_SIGN'"
	out=$(p11 --token-label "$PHONE_AUTH" -O 2>&1)
	[ "$(printf '%s\n' "$out" | grep -c '^Certificate Object')" -eq 1 ] &&
		jp_contains "$out" "JPKI User Authentication CA" && ! jp_contains "$out" "Key Object" &&
		! jp_contains "$out" "TST1AUTH"
	tap_ok $? "$kind: before login the authentication token holds the CA certificate only (no holder certificate, no key)"
	id=$(jp_key_id "$JP_CARD_DIR/auth.der")
	out=$(p11 --token-label "$PHONE_AUTH" --login --pin "$JP_PIN_AUTH" -O 2>&1)
	[ "$(printf '%s\n' "$out" | grep -c '^Certificate Object')" -eq 2 ] &&
		jp_contains "$out" "Public Key Object" && jp_contains "$out" "Private Key Object" &&
		[ "$(printf '%s\n' "$out" | grep -c "ID:         $id")" -eq 3 ]
	tap_ok $? "$kind: after login the holder certificate, public and private key (CKA_ID $id)"
	rm -f "$w/cert.der"
	p11 --token-label "$PHONE_AUTH" --login --pin "$JP_PIN_AUTH" --read-object --type cert --id "$id" \
		-o "$w/cert.der" >/dev/null 2>&1 && cmp -s "$w/cert.der" "$JP_CARD_DIR/auth.der"
	tap_ok $? "$kind: the authentication certificate read after login equals the card's"
	sign_ok auth "$PHONE_AUTH" "$JP_PIN_AUTH"
	tap_ok $? "$kind: the authentication key signs, verified by openssl"
	sign_ok sign "$PHONE_SIGN" "$JP_PIN_SIGN"
	tap_ok $? "$kind: the signing key signs, verified by openssl"
done

# ---- cards without JPKI tokens: the old 住基カード, another card ----
for kind in juki not-jpki; do
	fresh_card --kind=$kind
	m0=$(jp_log_mark)
	out=$(p11 -L 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] && slot_empty "$out" "User Authentication" && slot_empty "$out" "Digital Signature" &&
		! jp_contains "$out" "token label"
	tap_ok $? "$kind: -L shows both slots '(empty)', no token at all"
	out=$(p11 --token-label "$JP_LABEL_AUTH" --login --pin "$JP_PIN_AUTH" -O 2>&1)
	rc=$?
	jp_clean_fail "$rc" && [ "$(jp_count_verify "$m0")" -eq 0 ] &&
		[ "$(count_cmd '00A4020C0200(0A|0B|01|02)$' "$m0")" -eq 0 ]
	tap_ok $? "$kind: a login fails (exit $rc) with no VERIFY and no certificate read"
done
[ "$(answer_to '00A4040C0AD392F000260100000001' "$m0")" = 6A82 ]
tap_ok $? "not-jpki: the card refused SELECT of the JPKI application (6A82)"

# ---- a blocked PIN: the retry query answers 63C0 or 6984 ----
block() { # auth|sign LABEL WRONG-PIN COUNT
	_i=0
	while [ "$_i" -lt "$4" ]; do
		p11 --token-label "$2" --login --pin "$3" -O >/dev/null 2>&1
		_i=$((_i + 1))
	done
	[ "$(jp_card_state "$1-tries")" = 0 ]
}
locked_case() { # auth|sign LABEL PIN SW
	m0=$(jp_log_mark)
	out=$(p11 --token-label "$2" --login --pin "$3" -O 2>&1)
	rc=$?
	# A fresh process does not know the counter: the one VERIFY finds out
	# (a blocked PIN cannot lose a try), then the module knows.
	jp_clean_fail "$rc" && jp_contains "$out" CKR_PIN_LOCKED && [ "$(jp_count_verify "$m0")" -eq 1 ] &&
		[ "$(answer_to '0020008[0-9A-F][0-9A-F][0-9A-F] ' "$m0")" = "$4" ] && [ "$(jp_card_state "$1-tries")" = 0 ]
	tap_ok $? "blocked ($4): the right $1 PIN: CKR_PIN_LOCKED, $(jp_count_verify "$m0") VERIFY with a PIN answered $(answer_to '0020008[0-9A-F][0-9A-F][0-9A-F] ' "$m0"), counter still 0"
}
for sw in 63C0 6984; do
	fresh_card --blocked-sw "$sw" --blocked-verify-sw "$sw"
	block auth "$JP_LABEL_AUTH" 9999 3 && block sign "$JP_LABEL_SIGN" ZZZ999 5 &&
		[ "$(jp_pin_tries auth)" = "$sw" ] && [ "$(jp_pin_tries sign)" = "$sw" ]
	tap_ok $? "blocked ($sw): 3 and 5 wrong logins blocked both PINs; the retry queries answer $sw"
	# A fresh process spends no APDU on PIN flags (doc/design.md §3): -L
	# shows no lock yet and sends no VERIFY; the login below finds out.
	m0=$(jp_log_mark)
	out=$(p11 -L 2>&1)
	! jp_contains "$out" "user PIN locked" && [ "$(count_cmd '^00200080' "$m0")" -eq 0 ]
	tap_ok $? "blocked ($sw): a fresh -L asks nothing about the PINs and shows no lock"
	locked_case auth "$JP_LABEL_AUTH" "$JP_PIN_AUTH" "$sw"
	locked_case sign "$JP_LABEL_SIGN" "$JP_PIN_SIGN" "$sw"
done

# ---- ISO SELECT of the MF, sent by another program ----
# The module never selects the MF (doc/card.md §11). Another program may:
# refused after a power-on (6A86, and 6A82 by the MF's id 3F00), accepted
# and changing nothing once an application is current. The module works
# the same after each.
mf_then_module() { # WHAT EXPECTED-ANSWERS PROBE-APDUS...
	_what=$1 _want=$2
	shift 2
	# From the power-on state: the card's answers to SELECT of the MF
	# depend on whether an application is current.
	"$JP_PROBE" -r "$JP_READER" --unpower >/dev/null 2>&1
	_got=$("$JP_PROBE" -r "$JP_READER" "$@" 2>/dev/null | tr '\n' ' ')
	[ "$_got" = "$_want " ]
	tap_ok $? "MF $_what: another program's SELECTs answered $_want"
	m0=$(jp_log_mark)
	out=$(p11 -L 2>&1)
	[ "$out" = "$list_default" ] && sign_ok auth "$JP_LABEL_AUTH" "$JP_PIN_AUTH" &&
		[ "$(count_cmd '00A400' "$m0")" -eq 0 ]
	tap_ok $? "MF $_what: then the module lists as on the default card and signs (verified), without selecting the MF"
}
fresh_card
mf_then_module "refused" "6A86 6A82" 00A40000 00A4000C023F00
mf_then_module "accepted" "9000 9000" 00A4040C0AD392F000260100000001 00A40000

# ---- the sign command's P1 ----
# The module signs PKCS#1 with P1 00 (doc/card.md §4): refused, the
# signature fails cleanly and costs no try; every other P1 refused, it
# still signs.
p1_refused() { # KEY LABEL PIN TRIES
	m0=$(jp_log_mark)
	rm -f "$w/sig"
	out=$(p11 --token-label "$2" --login --pin "$3" --sign -m SHA256-RSA-PKCS -i "$w/doc" -o "$w/sig" 2>&1)
	rc=$?
	jp_clean_fail "$rc" && jp_contains "$out" "failed: rv = CKR_" && [ ! -s "$w/sig" ] &&
		[ "$(count_cmd '802A00' "$m0")" -ge 1 ] && [ "$(count_cmd '802A0[1-9A-F]' "$m0")" -eq 0 ] &&
		! jp_log_from "$m0" | grep -A1 '^> 802A' | grep -q '^< .*9000$' &&
		[ "$(jp_card_state "$1-tries")" = "$4" ]
	tap_ok $? "P1 00 refused: $1 key: exit $rc, no signature, every sign command (P1 00) answered 6A86, $4 tries left"
}
fresh_card --sign-p1-off=00
p1_refused auth "$JP_LABEL_AUTH" "$JP_PIN_AUTH" 3
p1_refused sign "$JP_LABEL_SIGN" "$JP_PIN_SIGN" 5
fresh_card --sign-p1-off=01,02,03,04,05
m0=$(jp_log_mark)
sign_ok auth "$JP_LABEL_AUTH" "$JP_PIN_AUTH" && sign_ok sign "$JP_LABEL_SIGN" "$JP_PIN_SIGN" &&
	[ "$(sign_trace "$m0")" = "802A0097:9000 802A009A:9000 " ]
tap_ok $? "P1 01-05 refused, 00 accepted: both keys sign with P1 00, verified by openssl"

jp_nothing_left_running
tap_done
