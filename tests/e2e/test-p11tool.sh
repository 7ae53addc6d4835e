#!/bin/sh
# GnuTLS's p11tool driving the real module through a private pcscd + vpcd +
# the emulated card: token list (labels, manufacturer, model, serial, URLs),
# certificates before and after login, a certificate exported byte for
# byte, the private keys, and signatures through GnuTLS (--test-sign signs,
# then verifies against the key and the token's public key) with both keys,
# the signing key's per-signature login answered by GnuTLS's PIN callback.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"

jp_need p11tool openssl
jp_consumer_start

card=$JP_CARD_DIR
w=$JP_HARNESS_DIR/work
mkdir -p "$w"

pt() {
	jp_with_module p11tool --provider "$JP_MODULE" "$@"
}
count() { printf '%s\n' "$1" | grep -cF -- "$2"; }
# %XX-encoded CKA_ID (SHA-1 of the RSAPublicKey) of a fixture certificate.
uri_id() {
	jp_key_id "$1" | tr a-f A-F | sed 's/../%&/g'
}

serial=$(jp_card_serial)

# ---- tokens ----
out=$(pt --list-tokens 2>&1)
tap_ok $? "p11tool --list-tokens"
jp_contains "$out" "Label: $JP_LABEL_AUTH" && jp_contains "$out" "Label: $JP_LABEL_SIGN"
tap_ok $? "both tokens, by label"
[ "$(count "$out" "Manufacturer: J-LIS (JPKI)")" -eq 2 ] && [ "$(count "$out" "Model: My Number Card")" -eq 2 ] &&
	[ "$(count "$out" "Serial: $serial")" -eq 2 ]
tap_ok $? "manufacturer, model and the card's serial $serial on both"
[ "$(count "$out" "Type: Hardware token")" -eq 2 ] && [ "$(count "$out" "Flags: Requires login")" -eq 2 ]
tap_ok $? "hardware tokens that require login"
jp_contains "$out" "URL: pkcs11:model=My%20Number%20Card;manufacturer=J-LIS%20%28JPKI%29;serial=$serial;token=My%20Number%20Card%20%28Authentication%29"
tap_ok $? "the token URL GnuTLS builds from the token info"

# ---- certificates ----
out=$(pt --list-all-certs "pkcs11:model=My%20Number%20Card" 2>&1)
tap_ok $? "--list-all-certs, not logged in"
[ "$(count "$out" "Type: X.509 Certificate (RSA-2048)")" -eq 3 ] &&
	jp_contains "$out" "Label: JPKI User Authentication" &&
	[ "$(count "$out" "Flags: CKA_CERTIFICATE_CATEGORY=CA")" -eq 2 ] &&
	! printf '%s\n' "$out" | grep -qx '[[:space:]]*Label: JPKI Digital Signature'
tap_ok $? "three certificates (auth, two CAs); no signing certificate before login"
out=$(pt --login --set-pin="$JP_PIN_SIGN" --list-all-certs "$JP_TOKEN_SIGN" 2>&1)
jp_contains "$out" "Label: JPKI Digital Signature" && [ "$(count "$out" "Type: X.509 Certificate")" -eq 2 ]
tap_ok $? "after login with the signing password: the signing certificate appears"
pt --export "$JP_TOKEN_AUTH;type=cert;object=JPKI%20User%20Authentication" >"$w/auth.pem" 2>/dev/null &&
	openssl x509 -in "$w/auth.pem" -outform DER -out "$w/auth.der" 2>/dev/null &&
	cmp -s "$w/auth.der" "$card/auth.der"
tap_ok $? "--export of the authentication certificate equals the card's"
pt --login --set-pin="$JP_PIN_SIGN" --export "$JP_TOKEN_SIGN;type=cert;object=JPKI%20Digital%20Signature" \
	>"$w/sign.pem" 2>/dev/null &&
	openssl x509 -in "$w/sign.pem" -outform DER -out "$w/sign.der" 2>/dev/null &&
	cmp -s "$w/sign.der" "$card/sign.der"
tap_ok $? "--export of the signing certificate (after login) equals the card's"

# ---- private keys ----
out=$(pt --login --set-pin="$JP_PIN_AUTH" --list-all-privkeys "$JP_TOKEN_AUTH" 2>&1)
[ "$(count "$out" "Type: Private key (RSA-2048)")" -eq 1 ] && jp_contains "$out" "CKA_SENSITIVE" &&
	jp_contains "$out" "CKA_NEVER_EXTRACTABLE" && ! jp_contains "$out" "CKA_EXTRACTABLE;"
tap_ok $? "auth token after login: one RSA-2048 private key, sensitive, never extractable"

# ---- signatures through GnuTLS ----
id_a=$(uri_id "$card/auth.der")
id_s=$(uri_id "$card/sign.der")
: >"$JP_EMU_LOG"
out=$(pt --debug 2 --login --set-pin="$JP_PIN_AUTH" --test-sign "$JP_TOKEN_AUTH;id=$id_a;type=private" 2>&1)
rc=$?
n=$(jp_count_apdus)
printf '%s\n' "$out" | grep -v '^|' | sed 's/^/#   /'
[ $rc -eq 0 ] && jp_contains "$out" "Signing using RSA-SHA256... ok" &&
	jp_contains "$out" "Verifying against private key parameters... ok" &&
	jp_contains "$out" "Verifying against public key in the token... ok"
tap_ok $? "--test-sign with the authentication key: signed and verified twice"
echo "# p11tool --test-sign (auth), whole process: $n APDUs, $(jp_count_sign) signature(s)"
jp_contains "$out" "incompatible with TLS1.3 RSA key"
tap_ok $? "GnuTLS sees no RSA-PSS: the key is reported unusable for TLS 1.3 (as documented)"
out=$(pt --login --set-pin="$JP_PIN_SIGN" --test-sign "$JP_TOKEN_SIGN;id=$id_s;type=private" 2>&1)
rc=$?
[ $rc -eq 0 ] && jp_contains "$out" "Signing using RSA-SHA256... ok" &&
	jp_contains "$out" "Verifying against public key in the token... ok"
tap_ok $? "--test-sign with the signing key (always-authenticate answered by GnuTLS's PIN callback)"

# A wrong PIN through GnuTLS: refused, counted once, nothing retried.
out=$(pt --login --set-pin=0000 --test-sign "$JP_TOKEN_AUTH;id=$id_a;type=private" 2>&1)
[ $? -ne 0 ] && [ "$(jp_card_state auth-tries)" = 2 ]
tap_ok $? "--test-sign with a wrong PIN fails; the card counted exactly one try (2 left)"
pt --login --set-pin="$JP_PIN_AUTH" --list-all-privkeys "$JP_TOKEN_AUTH" >/dev/null 2>&1 && [ "$(jp_card_state auth-tries)" = 3 ]
tap_ok $? "the right PIN restores 3 tries"

jp_nothing_left_running
tap_done
