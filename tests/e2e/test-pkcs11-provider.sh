#!/bin/sh
# OpenSSL 3 through pkcs11-provider (Debian: bookworm-backports), which asks
# a module for the PKCS#11 v3.0 interface first: with the real module
# behind a private pcscd + vpcd + the emulated card (card-1), it reaches
# the module through the 3.0 list, lists the authentication token's
# certificates without a PIN, and signs with the authentication key (one
# VERIFY, one SIGN), a signature openssl verifies with the card's
# certificate.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"

jp_need openssl
modulesdir=$(openssl version -m | sed -n 's/^MODULESDIR: "\(.*\)"$/\1/p')
jp_need_file "$modulesdir/pkcs11.so" "pkcs11-provider" \
	"tools/setup-debian.sh installs it from bookworm-backports"

jp_consumer_start

w=$JP_HARNESS_DIR/provider
mkdir -p "$w"
chmod 0700 "$w"
cat >"$w/openssl.cnf" <<EOC
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
pkcs11 = pkcs11_sect
[default_sect]
activate = 1
[pkcs11_sect]
module = $modulesdir/pkcs11.so
pkcs11-module-path = $JP_MODULE
activate = 1
EOC
trace=$w/trace.log
# The module's trace says which list the provider called through
# (C_GetInfo of the 3.0 list is its own entry).
prov() {
	OPENSSL_CONF="$w/openssl.cnf" JPKI_PKCS11_DEBUG="level:5,file:$trace" \
		jp_with_module timeout 60 openssl "$@" </dev/null
}
enc() { printf '%s' "$1" | sed 's/ /%20/g; s/(/%28/g; s/)/%29/g'; }
tok=$(enc "$JP_LABEL_AUTH")

n0=$(jp_log_mark)
out=$(prov storeutl -certs "pkcs11:token=$tok" 2>&1)
jp_contains "$out" "Total found: 2"
tap_ok $? "storeutl: the authentication token's two certificates"
[ "$(jp_count_verify "$n0")" -eq 0 ]
tap_ok $? "... without a PIN (no VERIFY)"
grep -q '> C_GetInfo30' "$trace"
tap_ok $? "pkcs11-provider reached the module through the PKCS#11 3.0 interface"

printf 'to be signed by pkcs11-provider' >"$w/data"
n0=$(jp_log_mark)
key="pkcs11:token=$tok;object=$(enc 'JPKI User Authentication');type=private?pin-value=$JP_PIN_AUTH"
prov pkeyutl -sign -digest sha256 -rawin -inkey "$key" -in "$w/data" -out "$w/sig" >/dev/null 2>&1
tap_ok $? "pkeyutl -sign with the authentication key"
[ "$(jp_count_verify "$n0")" -eq 1 ] && [ "$(jp_count_sign "$n0")" -eq 1 ]
tap_ok $? "... one VERIFY, one SIGN on the card"
openssl x509 -inform DER -in "$JP_CARD_DIR/auth.der" -pubkey -noout >"$w/pub.pem" &&
	OPENSSL_CONF=/dev/null openssl dgst -sha256 -verify "$w/pub.pem" -signature "$w/sig" \
		"$w/data" >/dev/null 2>&1
tap_ok $? "the signature verifies with the card's authentication certificate"
grep -q '> C_SignInit .*mechanism=0x40 (CKM_SHA256_RSA_PKCS)' "$trace"
tap_ok $? "... made with CKM_SHA256_RSA_PKCS"
# (the messages only: a time stamp may hold the PIN's digits by chance)
grep -q '> C_Login ' "$trace" && ! sed 's/^[^]]*] [A-Z]*: //' "$trace" | grep -qF "$JP_PIN_AUTH"
tap_ok $? "the trace shows the login, never the PIN"

tap_done
