#!/bin/sh
# The module under pkcs11-provider (OpenSSL 3's PKCS#11 provider) loaded by
# the host's openssl.cnf, behind the private pcscd: the reported hang. The
# module's own OpenSSL used to go through the application's default library
# context, i.e. through that same provider, which called back into the
# module while it held its lock (certificate parsing in C_OpenSession).
# Minimal on purpose (the consumer tests cover pkcs11-provider at large):
#   openssl storeutl -certs 'pkcs11:' with the provider loaded lazily and
#   early (then OpenSSL loads the config, and the module, while the module
#   itself makes its OpenSSL context in C_Initialize);
#   openssl dgst with the digest fetched from the provider (C_Digest);
#   pkcs11-tool -L, a program that loads the module itself, with that
#   config in force.
# Every program runs under timeout: a hang is a failure (rc 124), never a
# stuck run.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"

jp_need openssl pkcs11-tool
# pkcs11-provider dlopen()s the module with RTLD_DEEPBIND, which the
# sanitizer runtime refuses (make check does not run this test there).
jp_heavy_program "pkcs11-provider (RTLD_DEEPBIND)"
jp_need_file "$(jp_openssl_dir modules)/pkcs11.so" "pkcs11-provider" "apt-get install pkcs11-provider (Debian 12: bookworm-backports)"
jp_consumer_start

w=$JP_HARNESS_DIR/work
mkdir -p "$w"
limit=60

jp_provider_conf "$w/lazy.cnf"
jp_provider_conf "$w/early.cnf" "pkcs11-module-load-behavior = early"

# run CONF CMD...: CMD with OPENSSL_CONF=CONF, bounded; output in $out.
run() {
	_conf=$1
	shift
	out=$(OPENSSL_CONF=$_conf jp_with_module timeout "$limit" "$@" 2>&1)
	rc=$?
	[ $rc -ne 124 ] || echo "# hung: killed after $limit s: $*"
	[ $rc -eq 0 ] || printf '%s\n' "$out" | sed 's/^/#   /' | tail -n 15
	return $rc
}

openssl x509 -inform DER -in "$JP_CARD_DIR/auth.der" -out "$w/auth.pem" 2>/dev/null
openssl x509 -inform DER -in "$JP_CARD_DIR/auth-ca.der" -out "$w/auth-ca.pem" 2>/dev/null

# has_cert PEM: the certificate's base64 body is in $out.
has_cert() {
	_body=$(sed -e '1d' -e '$d' "$1" | tr -d '\n')
	printf '%s\n' "$out" | sed -e '/-----BEGIN/,/-----END/!d' -e '/-----/d' | tr -d '\n' |
		grep -qF "$_body"
}

for mode in lazy early; do
	run "$w/$mode.cnf" openssl storeutl -certs 'pkcs11:'
	tap_ok $? "$mode: openssl storeutl -certs 'pkcs11:' returns (no hang)"
	has_cert "$w/auth.pem"
	tap_ok $? "$mode: it lists the card's authentication certificate"
	has_cert "$w/auth-ca.pem"
	tap_ok $? "$mode: it lists the authentication CA certificate"
done

# A digest from the provider (it offers the token's digest mechanisms once
# the module is loaded, so early): it hashes with C_Digest on our token.
printf 'the quick brown fox\n' >"$w/data"
want=$(OPENSSL_CONF=/dev/null openssl dgst -sha256 -r "$w/data" | cut -d' ' -f1)
run "$w/early.cnf" openssl dgst -sha256 -r -propquery 'provider=pkcs11' "$w/data"
got=$(printf '%s\n' "$out" | tail -n 1 | cut -d' ' -f1)
tap_ok $rc "openssl dgst -sha256 from the provider (C_Digest) returns (no hang)"
[ -n "$want" ] && [ "$got" = "$want" ]
tap_ok $? "its SHA-256 is right ($got)"

# A program loading the module itself, with the config starting the provider
# (early) on the same module in the same process.
run "$w/early.cnf" pkcs11-tool --module "$JP_MODULE" -L
tap_ok $? "pkcs11-tool -L under the early config returns (no hang)"
jp_contains "$out" "token label        : $JP_LABEL_AUTH" && jp_contains "$out" "token label        : $JP_LABEL_SIGN"
tap_ok $? "pkcs11-tool -L lists both tokens"

jp_nothing_left_running
tap_done
