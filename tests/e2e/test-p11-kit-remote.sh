#!/bin/sh
# p11-kit's remoting: `p11-kit server` loads the real module (behind a
# private pcscd + vpcd + the emulated card) and exports its tokens on a Unix
# socket; OpenSC's pkcs11-tool, loading p11-kit-client.so with
# P11_KIT_SERVER_ADDRESS, lists the tokens, reads the certificate and signs
# with both keys through the socket. Signatures are verified by openssl
# against the card's certificates, the card's log must show each sign
# command. This is the path a card on a laptop takes to sign for a process on
# another machine (the socket forwarded with ssh -R; test-ssh.sh drives that).
# A server restricted to one token by a PKCS#11 URI exports only that one.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"

jp_need p11-kit pkcs11-tool openssl

jp_need_file "$JP_P11KIT_CLIENT" p11-kit-client.so "apt-get install p11-kit-modules"

jp_consumer_start

card=$JP_CARD_DIR
w=$JP_HARNESS_DIR/remote
mkdir -p "$w"
chmod 0700 "$w"

# Our server goes first, then the harness's processes.
jp_traps jp_p11kit_server_stop

cli() {
	P11_KIT_SERVER_ADDRESS=$addr pkcs11-tool --module "$JP_P11KIT_CLIENT" "$@"
}

# ---- every token exported ----
sock=$w/p11kit.sock
jp_p11kit_server_start "$sock" "pkcs11:"
tap_ok $? "p11-kit server --provider jpki-pkcs11.so 'pkcs11:' listens on $sock"
addr=$(sed -n 's/^P11_KIT_SERVER_ADDRESS=\([^;]*\);.*/\1/p' "$sock.out")
[ "$addr" = "unix:path=$sock" ]
tap_ok $? "the server prints P11_KIT_SERVER_ADDRESS=unix:path=$sock"
[ "$(stat -c %a "$sock")" = 711 ] || [ "$(stat -c %a "$sock")" = 700 ] || [ "$(stat -c %a "$sock")" = 600 ]
tap_ok $? "the socket is not open to other users (mode $(stat -c %a "$sock"))"

out=$(cli -L 2>&1)
rc=$?
tap_ok $rc "pkcs11-tool -L through p11-kit-client.so"
jp_contains "$out" "token label        : $JP_LABEL_AUTH" && jp_contains "$out" "token label        : $JP_LABEL_SIGN"
tap_ok $? "-L remote: both tokens, '$JP_LABEL_AUTH' and '$JP_LABEL_SIGN'"
serial=$(jp_card_serial)
[ "$(printf '%s\n' "$out" | grep -c "serial num         : $serial")" -eq 2 ] &&
	jp_contains "$out" "token manufacturer : J-LIS (JPKI)"
tap_ok $? "-L remote: the card's serial $serial and manufacturer J-LIS (JPKI)"
printf '%s\n' "$out" | grep -q 'pin min/max        : 4/4' &&
	printf '%s\n' "$out" | grep -q 'pin min/max        : 6/16'
tap_ok $? "-L remote: PIN lengths 4/4 and 6/16 pass through"

# The authentication certificate, read through the socket, byte for byte.
id_a=$(jp_key_id "$card/auth.der")
cli --token-label "$JP_LABEL_AUTH" --read-object --type cert --id "$id_a" -o "$w/auth.der" >/dev/null 2>&1 &&
	cmp -s "$w/auth.der" "$card/auth.der"
tap_ok $? "the authentication certificate read remotely equals the card's"
out=$(cli --token-label "$JP_LABEL_SIGN" -O 2>&1)
! jp_contains "$out" "Key Object" && ! jp_contains "$out" "TST1SIGN"
tap_ok $? "signature token remotely, not logged in: no key, nothing of the holder's certificate"

openssl x509 -inform DER -in "$card/auth.der" -pubkey -noout >"$w/auth.pub"
openssl x509 -inform DER -in "$card/sign.der" -pubkey -noout >"$w/sign.pub"
printf 'Signed on the laptop for a process elsewhere.\n' >"$w/doc"

# ---- signatures through the socket ----
s0=$(jp_count_sign)
rm -f "$w/sig"
cli --token-label "$JP_LABEL_AUTH" --login --pin "$JP_PIN_AUTH" --sign -m SHA256-RSA-PKCS \
	-i "$w/doc" -o "$w/sig" >"$w/out" 2>&1 &&
	openssl dgst -sha256 -verify "$w/auth.pub" -signature "$w/sig" "$w/doc" >/dev/null 2>&1
tap_ok $? "authentication key: SHA256-RSA-PKCS remotely, verified by openssl against the certificate"
[ "$(jp_count_sign)" -eq $((s0 + 1)) ]
tap_ok $? "the card saw exactly one sign command for it"

rm -f "$w/sig"
cli --token-label "$JP_LABEL_AUTH" --login --pin "$JP_PIN_AUTH" --sign -m SHA512-RSA-PKCS \
	-i "$w/doc" -o "$w/sig" >"$w/out" 2>&1 &&
	openssl dgst -sha512 -verify "$w/auth.pub" -signature "$w/sig" "$w/doc" >/dev/null 2>&1
tap_ok $? "authentication key: SHA512-RSA-PKCS remotely, verified"

# The signing key (CKA_ALWAYS_AUTHENTICATE): pkcs11-tool answers the
# context-specific login with the same password, through the socket too.
: >"$JP_EMU_LOG"
rm -f "$w/sig"
cli --token-label "$JP_LABEL_SIGN" --login --pin "$JP_PIN_SIGN" --sign -m SHA256-RSA-PKCS \
	-i "$w/doc" -o "$w/sig" >"$w/out" 2>&1 &&
	openssl dgst -sha256 -verify "$w/sign.pub" -signature "$w/sig" "$w/doc" >/dev/null 2>&1
tap_ok $? "signing key: SHA256-RSA-PKCS remotely (login + context-specific login), verified against the signing certificate"
[ "$(jp_count_verify)" -eq 2 ] && [ "$(jp_count_sign)" -eq 1 ]
tap_ok $? "signing key remotely: two password VERIFYs (login, context-specific) and one sign command"
cli --token-label "$JP_LABEL_SIGN" --login --pin "$JP_PIN_SIGN" --read-object --type cert \
	--id "$(jp_key_id "$card/sign.der")" \
	-o "$w/sign.der" >/dev/null 2>&1 && cmp -s "$w/sign.der" "$card/sign.der"
tap_ok $? "the signing certificate read remotely after login equals the card's"

# ---- a wrong PIN through the socket counts on the card, like locally ----
out=$(cli --token-label "$JP_LABEL_AUTH" --login --pin 9999 -O 2>&1)
[ $? -ne 0 ] && jp_contains "$out" CKR_PIN_INCORRECT && [ "$(jp_card_state auth-tries)" = 2 ]
tap_ok $? "a wrong PIN remotely: CKR_PIN_INCORRECT, the card has 2 tries left"
# The listing's module has not been told the count by a VERIFY of its own
# and spends no APDU only for the PIN flags (doc/design.md §3): no flag,
# no retry query, although the card has 2 tries.
m0=$(jp_log_mark)
out=$(cli -L 2>&1)
jp_contains "$out" "token label        : $JP_LABEL_AUTH" &&
	! printf '%s\n' "$out" | grep -qE 'count low|final user PIN try|PIN locked' &&
	! jp_log_from "$m0" | grep -q '^> 00200080$'
tap_ok $? "-L remote: no PIN flag and no retry query (the module was not told the count)"
cli --token-label "$JP_LABEL_AUTH" --login --pin "$JP_PIN_AUTH" -O >/dev/null 2>&1 && [ "$(jp_card_state auth-tries)" = 3 ]
tap_ok $? "the right PIN remotely restores 3 tries"
v0=$(jp_count_verify)
out=$(cli --token-label "$JP_LABEL_AUTH" --login --pin 12345 -O 2>&1)
[ $? -ne 0 ] && jp_contains "$out" CKR_PIN_LEN_RANGE && [ "$(jp_count_verify)" -eq "$v0" ]
tap_ok $? "a 5-digit PIN remotely: CKR_PIN_LEN_RANGE, never sent to the card"

# ---- the server goes away ----
spid=$JP_P11KIT_SERVER_PID
# The server itself (timeout's child): it must go with timeout.
srv=$(ps -o pid= --ppid "$spid" | tr -d ' ')
jp_p11kit_server_stop
! kill -0 "$spid" 2>/dev/null && [ -n "$srv" ] && ! kill -0 "$srv" 2>/dev/null
tap_ok $? "p11-kit server (PID $srv, under timeout $spid) stopped by its PID"
out=$(cli -L 2>&1)
! jp_contains "$out" "$JP_LABEL_AUTH"
tap_ok $? "without the server the client module shows no token"

# ---- one token exported by URI ----
sock1=$w/auth-only.sock
jp_p11kit_server_start "$sock1" "pkcs11:token=My%20Number%20Card%20(Authentication)"
tap_ok $? "p11-kit server exporting pkcs11:token=My%20Number%20Card%20(Authentication)"
addr=unix:path=$sock1
out=$(cli -L 2>&1)
jp_contains "$out" "token label        : $JP_LABEL_AUTH" && ! jp_contains "$out" "$JP_LABEL_SIGN"
tap_ok $? "-L remote: only the authentication token is exported"
rm -f "$w/sig"
cli --token-label "$JP_LABEL_AUTH" --login --pin "$JP_PIN_AUTH" --sign -m SHA256-RSA-PKCS \
	-i "$w/doc" -o "$w/sig" >"$w/out" 2>&1 &&
	openssl dgst -sha256 -verify "$w/auth.pub" -signature "$w/sig" "$w/doc" >/dev/null 2>&1
tap_ok $? "authentication key through the one-token server: signature verified"
srv1=$(ps -o pid= --ppid "$JP_P11KIT_SERVER_PID" | tr -d ' ')
jp_p11kit_server_stop

jp_nothing_left_running $spid $srv $srv1
tap_done
