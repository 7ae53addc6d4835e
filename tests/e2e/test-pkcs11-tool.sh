#!/bin/sh
# OpenSC's pkcs11-tool driving the real module (src/p11/.libs/jpki-pkcs11.so)
# through a private pcscd + vpcd + the emulated card (pcscd-harness.sh):
# token listing and its APDU count, objects before and after login (the
# signing certificate only after the signing password), the certificates
# read back byte for byte, every signature mechanism with both keys checked
# by openssl against the certificate, pkcs11-tool --test, PIN change, a wrong
# PIN (tries decremented on the card, token flags), malformed PINs refused
# before the card sees them.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"

jp_need pkcs11-tool openssl
jp_consumer_start

card=$JP_CARD_DIR
w=$JP_HARNESS_DIR/work
mkdir -p "$w"

p11() {
	jp_with_module pkcs11-tool --module "$JP_MODULE" "$@"
}
hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | tr a-f A-F; }

# ---- listing ----
n0=$(jp_count_apdus)
m0=$(jp_log_mark)
out=$(p11 -L 2>&1)
rc=$?
n1=$(jp_count_apdus)
tap_ok $rc "pkcs11-tool -L"
jp_contains "$out" "token label        : $JP_LABEL_AUTH"
tap_ok $? "-L: '$JP_LABEL_AUTH' token"
jp_contains "$out" "token label        : $JP_LABEL_SIGN"
tap_ok $? "-L: '$JP_LABEL_SIGN' token"
jp_contains "$out" "$JP_READER User Authentication" && jp_contains "$out" "$JP_READER Digital Signature"
tap_ok $? "-L: slot descriptions are reader name + purpose"
jp_contains "$out" "token manufacturer : J-LIS (JPKI)"
tap_ok $? "-L: manufacturer J-LIS (JPKI)"
serial=$(jp_card_serial)
[ "$(printf '%s\n' "$out" | grep -c "serial num         : $serial")" -eq 2 ]
tap_ok $? "-L: both tokens carry the card's serial $serial (SHA-256 of the auth certificate)"
printf '%s\n' "$out" | grep -q 'pin min/max        : 4/4' &&
	printf '%s\n' "$out" | grep -q 'pin min/max        : 6/16'
tap_ok $? "-L: PIN lengths 4/4 and 6/16"
[ "$(printf '%s\n' "$out" | grep -c 'token flags .*login required.*token initialized.*PIN initialized')" -eq 2 ]
tap_ok $? "-L: token flags login required, token initialized, PIN initialized"
# What -L sends, command by command. A regression guard on the listing's
# card traffic (each APDU costs milliseconds on a real card), not a target:
# a change to what a listing reads must change this list knowingly.
#   SELECT the JPKI AP; SELECT EF 0006 + READ its 32-byte label (is it a My
#   Number Card); SELECT EF 000A + READ (the authentication certificate, for
#   the serial number, and the authentication token is there); SELECT EF
#   0008 + READ 3 bytes (does the card carry a signing certificate,
#   doc/card.md §3). No retry query: the PIN flags ("count low", "final
#   try", "locked") show what a VERIFY has told this process, and a fresh
#   process has been told nothing (doc/design.md §3).
list=$(jp_log_from "$m0" | sed -n 's/^> //p' | tr '\n' ' ')
[ "$list" = "00A4040C0AD392F000260100000001 00A4020C020006 00B0000020 00A4020C02000A 00B00000000000 00A4020C020008 00B0000003 " ]
tap_ok $? "-L sends exactly: SELECT AP, SELECT+READ EF 0006, SELECT+READ the auth certificate, SELECT+READ EF 0008 ($((n1 - n0)) APDUs: $list)"

# ---- objects ----
m0=$(jp_log_mark)
out=$(p11 --token-label "$JP_LABEL_AUTH" -O 2>&1)
tap_ok $? "-O on the authentication token"
# What -O on one token sends in a fresh process: the card (SELECT AP, EF
# 0006), the serial (the authentication certificate, also the holder's
# object and proof that the token is there), its CA certificate; nothing
# about the other token (no EF 0008) and no PIN status, which -O does not
# ask about (pkcs11-tool reads the token info only to match the label).
list=$(jp_log_from "$m0" | sed -n 's/^> //p' | tr '\n' ' ')
[ "$list" = "00A4040C0AD392F000260100000001 00A4020C020006 00B0000020 00A4020C02000A 00B00000000000 00A4020C02000B 00B00000000000 " ]
tap_ok $? "-O on the authentication token sends exactly: SELECT AP, SELECT+READ EF 0006, SELECT+READ the auth certificate, SELECT+READ the CA certificate ($(jp_count_apdus "$m0") APDUs: $list)"
[ "$(printf '%s\n' "$out" | grep -c '^Certificate Object')" -eq 2 ]
tap_ok $? "auth token: two certificates (holder + CA)"
jp_contains "$out" "Public Key Object; RSA 2048 bits"
tap_ok $? "auth token: the RSA-2048 public key"
# CKA_ID = SHA-1 of the public key (RSAPublicKey DER), shared by the pair.
id_a=$(jp_key_id "$card/auth.der")
[ "$(printf '%s\n' "$out" | grep -c "ID:         $id_a")" -eq 2 ]
tap_ok $? "auth token: certificate and public key share CKA_ID = SHA-1 of the key ($id_a)"

out=$(p11 --token-label "$JP_LABEL_SIGN" -O 2>&1)
tap_ok $? "-O on the signature token, not logged in"
[ "$(printf '%s\n' "$out" | grep -c '^Certificate Object')" -eq 1 ] && jp_contains "$out" "JPKI for digital signature"
tap_ok $? "signature token before login: only the CA certificate"
! jp_contains "$out" "Key Object" && ! jp_contains "$out" "TST1SIGN" && ! jp_contains "$out" "Sample-shi"
tap_ok $? "signature token before login: no key, nothing of the holder's certificate"

out=$(p11 --token-label "$JP_LABEL_SIGN" --login --pin "$JP_PIN_SIGN" -O 2>&1)
tap_ok $? "-O on the signature token after login"
id_s=$(jp_key_id "$card/sign.der")
[ "$(printf '%s\n' "$out" | grep -c '^Certificate Object')" -eq 2 ] &&
	[ "$(printf '%s\n' "$out" | grep -c "ID:         $id_s")" -eq 3 ]
tap_ok $? "signature token after login: holder certificate, public and private key share CKA_ID $id_s"
jp_contains "$out" "always authenticate"
tap_ok $? "signing key: CKA_ALWAYS_AUTHENTICATE"

out=$(p11 --token-label "$JP_LABEL_AUTH" --login --pin "$JP_PIN_AUTH" -O 2>&1)
jp_contains "$out" "Private Key Object" && jp_contains "$out" "Usage:      sign" &&
	! printf '%s\n' "$out" | grep -A4 'Private Key Object' | grep -q 'always authenticate'
tap_ok $? "auth token after login: the private key, sign only, no always-authenticate"

# ---- certificates read back ----
p11 --token-label "$JP_LABEL_AUTH" --read-object --type cert --id "$id_a" -o "$w/auth.der" >/dev/null 2>&1 &&
	cmp -s "$w/auth.der" "$card/auth.der"
tap_ok $? "the authentication certificate read from the token equals the card's"
p11 --token-label "$JP_LABEL_SIGN" --read-object --type cert --id "$id_s" -o "$w/nologin.der" >/dev/null 2>&1
[ $? -ne 0 ] && [ ! -s "$w/nologin.der" ]
tap_ok $? "the signing certificate cannot be read without the signing password"
p11 --token-label "$JP_LABEL_SIGN" --login --pin "$JP_PIN_SIGN" --read-object --type cert --id "$id_s" \
	-o "$w/sign.der" >/dev/null 2>&1 && cmp -s "$w/sign.der" "$card/sign.der"
tap_ok $? "the signing certificate read after login equals the card's"
openssl x509 -inform DER -in "$w/auth.der" -pubkey -noout >"$w/auth.pub" 2>/dev/null
openssl x509 -inform DER -in "$w/sign.der" -pubkey -noout >"$w/sign.pub" 2>/dev/null

# ---- signatures ----
printf 'A document to sign with the My Number Card.\n' >"$w/doc"
# DigestInfo prefixes (RFC 8017 §9.2 note 1), for CKM_RSA_PKCS.
di_prefix() {
	case $1 in
	sha1) echo 3021300906052b0e03021a05000414 ;;
	sha224) echo 302d300d06096086480165030402040500041c ;;
	sha256) echo 3031300d060960864801650304020105000420 ;;
	sha384) echo 3041300d060960864801650304020205000430 ;;
	sha512) echo 3051300d060960864801650304020305000440 ;;
	esac
}
hex2bin() { printf '%s' "$1" | sed 's/../\\\\x&/g' | xargs printf '%b'; }
unhex() { od -An -tx1 | tr -d ' \n'; }

sign_and_verify() { # key label pin mech hash
	_in=$w/doc
	if [ "$4" = RSA-PKCS ]; then
		_d=$(openssl dgst -"$5" -binary "$w/doc" | unhex)
		hex2bin "$(di_prefix "$5")$_d" >"$w/di"
		_in=$w/di
	fi
	rm -f "$w/sig"
	p11 --token-label "$2" --login --pin "$3" --sign -m "$4" -i "$_in" -o "$w/sig" >"$w/sign.out" 2>&1 &&
		[ "$(wc -c <"$w/sig")" -eq 256 ] &&
		openssl dgst -"$5" -verify "$w/$1.pub" -signature "$w/sig" "$w/doc" >/dev/null 2>&1
	tap_ok $? "$1 key: $4${6:+ ($6)} signature verified by openssl against the certificate"
}

for key in auth sign; do
	if [ $key = auth ]; then lbl=$JP_LABEL_AUTH; pin=$JP_PIN_AUTH; else lbl=$JP_LABEL_SIGN; pin=$JP_PIN_SIGN; fi
	for h in sha1 sha224 sha256 sha384 sha512; do
		m=$(echo $h | tr a-z A-Z)-RSA-PKCS
		sign_and_verify $key "$lbl" "$pin" "$m" $h
		sign_and_verify $key "$lbl" "$pin" RSA-PKCS $h "DigestInfo $h"
	done
	# Raw CKM_RSA_PKCS: 245 bytes is the most PKCS#1 v1.5 allows in 256.
	head -c 245 /dev/urandom >"$w/raw245"
	p11 --token-label "$lbl" --login --pin "$pin" --sign -m RSA-PKCS -i "$w/raw245" -o "$w/sig" >/dev/null 2>&1 &&
		openssl pkeyutl -verifyrecover -pubin -inkey "$w/$key.pub" -in "$w/sig" -out "$w/rec" 2>/dev/null &&
		cmp -s "$w/rec" "$w/raw245"
	tap_ok $? "$key key: RSA-PKCS over 245 bytes, recovered intact by openssl"
	head -c 246 /dev/urandom >"$w/raw246"
	out=$(p11 --token-label "$lbl" --login --pin "$pin" --sign -m RSA-PKCS -i "$w/raw246" -o "$w/sig" 2>&1)
	[ $? -ne 0 ] && jp_contains "$out" CKR_DATA_LEN_RANGE
	tap_ok $? "$key key: RSA-PKCS over 246 bytes refused with CKR_DATA_LEN_RANGE"
done

# A fresh process that logs in and signs once, APDU by APDU (each costs
# milliseconds on a real card). Authentication key: the probe of that token
# as for -O, SELECT+VERIFY (no retry query first: a blocked PIN answers it
# without counting), one signature by short EF identifier (doc/card.md
# §11). No CA certificate: pkcs11-tool --sign never asks for its content,
# which is read only when a caller does (doc/design.md §3).
m0=$(jp_log_mark)
p11 --token-label "$JP_LABEL_AUTH" --login --pin "$JP_PIN_AUTH" --sign -m SHA256-RSA-PKCS -i "$w/doc" -o "$w/sig" >/dev/null 2>&1
list=$(jp_log_from "$m0" | sed -n 's/^> //p' | sed -E 's/^(802A0097).*/\1/; s/^(0020008004) .*/\1/' | tr '\n' ' ')
[ "$list" = "00A4040C0AD392F000260100000001 00A4020C020006 00B0000020 00A4020C02000A 00B00000000000 00A4020C020018 0020008004 802A0097 " ]
tap_ok $? "--login --sign, authentication key, fresh process: exactly 8 APDUs ($list)"
# Signing key: pkcs11-tool reads both tokens' info to match the label (the
# authentication token's serial, then EF 0008), SELECT+VERIFY, the signing
# certificate (its objects appear at login; no CA certificate),
# then SELECT+VERIFY for the context-specific login and the signature.
m0=$(jp_log_mark)
p11 --token-label "$JP_LABEL_SIGN" --login --pin "$JP_PIN_SIGN" --sign -m SHA256-RSA-PKCS -i "$w/doc" -o "$w/sig" >/dev/null 2>&1
list=$(jp_log_from "$m0" | sed -n 's/^> //p' | sed -E 's/^(802A009A).*/\1/; s/^(0020008006) .*/\1/' | tr '\n' ' ')
[ "$list" = "00A4040C0AD392F000260100000001 00A4020C020006 00B0000020 00A4020C02000A 00B00000000000 00A4020C020008 00B0000003 00A4020C02001B 0020008006 00A4020C020001 00B00000000000 00A4020C02001B 0020008006 802A009A " ]
tap_ok $? "--login --sign, signing key, fresh process: exactly 14 APDUs ($list)"

# pkcs11-tool answers the context-specific login with the same --pin: each
# signature with the signing key sent the password twice (login, then
# CKU_CONTEXT_SPECIFIC), never more.
: >"$JP_EMU_LOG"
p11 --token-label "$JP_LABEL_SIGN" --login --pin "$JP_PIN_SIGN" --sign -m SHA256-RSA-PKCS -i "$w/doc" -o "$w/sig" >/dev/null 2>&1
[ "$(jp_count_verify)" -eq 2 ] && [ "$(jp_count_sign)" -eq 1 ]
tap_ok $? "signing key: one signature = login VERIFY + context-specific VERIFY + one sign command"

# ---- pkcs11-tool's own test ----
out=$(p11 --token-label "$JP_LABEL_AUTH" --login --pin "$JP_PIN_AUTH" --test 2>&1)
echo "$out" | sed 's/^/#   /'
sig_ok=$(printf '%s\n' "$out" | grep -cE '^    (RSA-PKCS|SHA[0-9]*-RSA-PKCS): OK')
errs=$(printf '%s\n' "$out" | grep -E '^ *ERR' | grep -v 'C_GenerateRandom')
[ "$sig_ok" -ge 5 ] && [ -z "$errs" ] && jp_contains "$out" "all 4 signature functions seem to work" &&
	jp_contains "$out" "all 4 digest functions seem to work"
tap_ok $? "pkcs11-tool --test --login: digests, signatures and verifications OK ($sig_ok mechanism checks)"
# C_SeedRandom/C_GenerateRandom answer CKR_RANDOM_NO_RNG: pkcs11-tool then
# says "not implemented" and counts no error.
jp_contains "$out" "No errors"
tap_ok $? "pkcs11-tool --test: No errors"

# ---- PIN change ----
new_a=4321
p11 --token-label "$JP_LABEL_AUTH" --change-pin --pin "$JP_PIN_AUTH" --new-pin "$new_a" >/dev/null 2>&1 &&
	[ "$(jp_card_state auth-pin)" = "$(hexof $new_a)" ]
tap_ok $? "--change-pin: the card's authentication PIN is now $new_a"
sign_and_verify auth "$JP_LABEL_AUTH" "$new_a" SHA256-RSA-PKCS sha256 "new PIN"
p11 --token-label "$JP_LABEL_AUTH" --change-pin --pin "$new_a" --new-pin "$JP_PIN_AUTH" >/dev/null 2>&1 &&
	[ "$(jp_card_state auth-pin)" = "$(hexof "$JP_PIN_AUTH")" ] && [ "$(jp_card_state auth-tries)" = 3 ]
tap_ok $? "--change-pin back to the original PIN, tries 3"
# The signing password in lower case: the module upper-cases it.
new_s=xyz789
p11 --token-label "$JP_LABEL_SIGN" --change-pin --pin "$JP_PIN_SIGN" --new-pin "$new_s" >/dev/null 2>&1 &&
	[ "$(jp_card_state sign-pin)" = "$(hexof XYZ789)" ]
tap_ok $? "--change-pin on the signing password: lower-case '$new_s' stored upper-cased"
sign_and_verify sign "$JP_LABEL_SIGN" XYZ789 SHA256-RSA-PKCS sha256 "new password"
p11 --token-label "$JP_LABEL_SIGN" --change-pin --pin "$new_s" --new-pin "$JP_PIN_SIGN" >/dev/null 2>&1 &&
	[ "$(jp_card_state sign-pin)" = "$(hexof "$JP_PIN_SIGN")" ] && [ "$(jp_card_state sign-tries)" = 5 ]
tap_ok $? "--change-pin back (old password typed in lower case), tries 5"

# ---- wrong PIN ----
out=$(p11 --token-label "$JP_LABEL_AUTH" --login --pin 9999 -O 2>&1)
[ $? -ne 0 ] && jp_contains "$out" CKR_PIN_INCORRECT
tap_ok $? "a wrong authentication PIN: CKR_PIN_INCORRECT"
[ "$(jp_card_state auth-tries)" = 2 ] && [ "$(grep '^<' "$JP_EMU_LOG" | tail -n 1)" = "< 63C2" ]
tap_ok $? "the card counted it: 2 tries left (state file and the VERIFY answer 63C2)"
# A fresh process has been told nothing about the counters and spends no
# APDU only to fill the PIN flags (doc/design.md §3; jpki status reads
# them): -L shows none, and sends no retry query (00 20 00 80 without a
# PIN), although the card has fewer tries. The flags after a VERIFY in
# the same process are checked at the p11 tier (test-token, test-lockout).
m0=$(jp_log_mark)
out=$(p11 -L 2>&1)
! printf '%s\n' "$out" | grep -qE 'count low|final user PIN try|PIN locked' &&
	! jp_log_from "$m0" | grep -q '^> 00200080$'
tap_ok $? "-L in a fresh process: no PIN flag and no retry query (the card has $(jp_card_state auth-tries) tries)"
p11 --token-label "$JP_LABEL_AUTH" --login --pin 9998 -O >/dev/null 2>&1
m0=$(jp_log_mark)
out=$(p11 -L 2>&1)
[ "$(jp_card_state auth-tries)" = 1 ] &&
	! printf '%s\n' "$out" | grep -qE 'count low|final user PIN try|PIN locked' &&
	! jp_log_from "$m0" | grep -q '^> 00200080$'
tap_ok $? "second wrong PIN: 1 try left on the card; a fresh -L still shows no flag, asks nothing"
p11 --token-label "$JP_LABEL_AUTH" --login --pin "$JP_PIN_AUTH" -O >/dev/null 2>&1 && [ "$(jp_card_state auth-tries)" = 3 ] &&
	! p11 -L 2>&1 | grep -qE 'count low|final user PIN try'
tap_ok $? "the right PIN restores 3 tries and clears the flags"
out=$(p11 --token-label "$JP_LABEL_SIGN" --login --pin ABC124 -O 2>&1)
[ $? -ne 0 ] && jp_contains "$out" CKR_PIN_INCORRECT && [ "$(jp_card_state sign-tries)" = 4 ]
tap_ok $? "a wrong signing password: CKR_PIN_INCORRECT, 4 tries left"
p11 --token-label "$JP_LABEL_SIGN" --login --pin "$JP_PIN_SIGN" -O >/dev/null 2>&1 && [ "$(jp_card_state sign-tries)" = 5 ]
tap_ok $? "the right password restores 5 tries"

# ---- malformed PINs never reach the card ----
v0=$(jp_count_verify)
t0="$(jp_card_state auth-tries)/$(jp_card_state sign-tries)"
bad() { # label pin expected-error
	out=$(p11 --token-label "$1" --login --pin "$2" -O 2>&1)
	[ $? -ne 0 ] && jp_contains "$out" "$3"
	tap_ok $? "malformed PIN '$2' on '$1': $3"
}
bad "$JP_LABEL_AUTH" 12345 CKR_PIN_LEN_RANGE
bad "$JP_LABEL_AUTH" 123 CKR_PIN_LEN_RANGE
bad "$JP_LABEL_AUTH" 12a4 CKR_PIN_INVALID
bad "$JP_LABEL_SIGN" AB12 CKR_PIN_LEN_RANGE
bad "$JP_LABEL_SIGN" ABCDEFGHIJKLMNOPQ CKR_PIN_LEN_RANGE
bad "$JP_LABEL_SIGN" ABCDEF CKR_PIN_INVALID
bad "$JP_LABEL_SIGN" 123456 CKR_PIN_INVALID
bad "$JP_LABEL_SIGN" ABC-123 CKR_PIN_INVALID
[ "$(jp_count_verify)" -eq "$v0" ] && [ "$(jp_card_state auth-tries)/$(jp_card_state sign-tries)" = "$t0" ]
tap_ok $? "no VERIFY carried a malformed PIN; tries unchanged ($t0)"

# PINs never appear in the emulator's log (it masks bodies) nor in the
# module's debug log.
JPKI_PKCS11_DEBUG="level:5,file:$w/debug.log" p11 --token-label "$JP_LABEL_SIGN" --login --pin "$JP_PIN_SIGN" \
	--sign -m SHA256-RSA-PKCS -i "$w/doc" -o "$w/sig" >/dev/null 2>&1
[ -s "$w/debug.log" ] && ! grep -qiF "$JP_PIN_SIGN" "$w/debug.log" && ! grep -qi "$(hexof "$JP_PIN_SIGN")" "$w/debug.log" &&
	! grep -q 'TST1SIGN' "$w/debug.log"
tap_ok $? "JPKI_PKCS11_DEBUG=level:5: a trace of login + signature holds no password and no holder data"

jp_nothing_left_running
tap_done
