#!/bin/sh
# Java's SunPKCS11 provider (what Java document signers such as JSignPdf
# use), with the module behind a private pcscd: keytool lists and exports
# each token's certificate, jarsigner signs a jar with each key. Every
# signature is checked twice: by jarsigner -verify against the test CAs, and
# by openssl (the PKCS#7 in META-INF/*.RSA over the .SF file, the .SF over
# the manifest, the manifest over the file, the signer = the card's
# certificate). Java never performs the context-specific login the signing
# key asks for (CKA_ALWAYS_AUTHENTICATE), so the signing key needs the
# module's per-program option "[program ...] always-authenticate=no" in the
# per-user configuration file; without it the signature fails cleanly and
# no try of the signing password is lost. The JVM runs under the sanitizer
# runtime too (jp_with_module).
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"

jp_need keytool jarsigner jar unzip openssl

jp_consumer_start

D=$JP_HARNESS_DIR/java
CARD=$JP_CARD_DIR
mkdir -p "$D"
AUTH_ALIAS="JPKI User Authentication"
SIGN_ALIAS="JPKI Digital Signature"
# The per-user configuration file the module reads
# ($XDG_CONFIG_HOME/jpki-pkcs11.conf); empty until the test writes it. HOME
# too, so nothing of the user running the tests is read (Java keeps its
# preferences under it).
XDG_CONFIG_HOME=$D/xdg
HOME=$D/home
export XDG_CONFIG_HOME HOME
mkdir -p "$XDG_CONFIG_HOME" "$HOME"
USER_CONF=$XDG_CONFIG_HOME/jpki-pkcs11.conf
# The module's errors, for a look when something fails.
JPKI_PKCS11_DEBUG="level:1,file:$D/p11.log"
export JPKI_PKCS11_DEBUG

# One SunPKCS11 configuration per token (doc/use/java.txt): slotListIndex
# counts the module's slots, two per reader, the authentication one first;
# the harness's card is in the first reader.
printf 'name = JPKIAuth\nlibrary = %s\nslotListIndex = 0\n' "$JP_MODULE" >"$D/auth.cfg"
printf 'name = JPKISign\nlibrary = %s\nslotListIndex = 1\n' "$JP_MODULE" >"$D/sign.cfg"

# p11 auth|sign TOOL ARGS...: a Java tool with the token's keystore, its PIN
# as the store password (bounded: a JVM that hangs must not hang the test).
p11() {
	_cfg=$D/$1.cfg
	case $1 in
	auth) _pin=$JP_PIN_AUTH ;;
	sign) _pin=$JP_PIN_SIGN ;;
	esac
	_tool=$2
	shift 2
	jp_with_module timeout 120 "$_tool" -keystore NONE -storetype PKCS11 \
		-addprovider SunPKCS11 -providerArg "$_cfg" -storepass "$_pin" "$@" </dev/null
}

# fingerprint DER: "AB:CD:..." as keytool prints SHA-256 fingerprints.
fingerprint() {
	openssl x509 -inform der -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=//'
}

# b64sha256 FILE: the digest as the manifest and the .SF file write it.
b64sha256() {
	openssl dgst -sha256 -binary "$1" | openssl base64 -A
}

# jar_checks WHO NAME CA CERT.der: openssl's view of a jar signed as NAME
# (-sigfile): the PKCS#7 block over the .SF file verifies against CA with
# the card's certificate as signer; the .SF holds the manifest's digest; the
# manifest holds the file's.
jar_checks() {
	_x=$D/x-$2
	rm -rf "$_x"
	mkdir -p "$_x"
	unzip -q -o -d "$_x" "$D/$2.jar" || { tap_ok 1 "unzip $2.jar"; return; }
	openssl cms -verify -binary -inform der -in "$_x/META-INF/$2.RSA" \
		-content "$_x/META-INF/$2.SF" -CAfile "$3" -purpose any \
		-signer "$_x/signer.pem" -out /dev/null >/dev/null 2>&1
	tap_ok $? "$1: openssl verifies META-INF/$2.RSA over META-INF/$2.SF against the CA"
	openssl x509 -in "$_x/signer.pem" -outform der 2>/dev/null | cmp -s - "$4"
	tap_ok $? "$1: the PKCS#7 signer is the card's certificate"
	grep -q "^SHA-256-Digest-Manifest: $(b64sha256 "$_x/META-INF/MANIFEST.MF")" "$_x/META-INF/$2.SF" &&
		grep -q "^SHA-256-Digest: $(b64sha256 "$D/hello.txt")" "$_x/META-INF/MANIFEST.MF"
	tap_ok $? "$1: the .SF holds the manifest's SHA-256, the manifest the file's"
}

# jar_verify NAME: jarsigner -verify with the test CAs as the trust store;
# "jar verified." with a certification path to them (the only warnings left
# are the missing timestamp and the key usage, which is not code signing).
jar_verify() {
	jp_with_module timeout 120 jarsigner -verify -verbose -certs \
		-keystore "$D/trust.p12" -storepass changeit "$D/$1.jar" </dev/null >"$D/verify.out" 2>&1 &&
		grep -q '^jar verified\.' "$D/verify.out" &&
		! grep -q 'certificate chain is invalid' "$D/verify.out" &&
		grep -q 'SHA256withRSA, 2048-bit key' "$D/verify.out"
}

# The SIGN APDU that carried DigestInfo(SHA-256, ...): CKM_SHA256_RSA_PKCS.
last_sign_sha256() {
	case $(jp_last_signed) in
	"> 802A0080333031300D060960864801650304020105000420"*) return 0 ;;
	esac
	return 1
}

printf 'A file to sign in a jar.\n' >"$D/hello.txt"
(cd "$D" && jar cf unsigned.jar hello.txt)
tap_ok $? "jar cf: an unsigned jar"
# The test CAs as a Java trust store, for jarsigner -verify.
rm -f "$D/trust.p12"
keytool -importcert -noprompt -keystore "$D/trust.p12" -storetype pkcs12 -storepass changeit \
	-alias auth-ca -file "$CARD/auth-ca.pem" >/dev/null 2>&1 &&
	keytool -importcert -noprompt -keystore "$D/trust.p12" -storetype pkcs12 -storepass changeit \
		-alias sign-ca -file "$CARD/sign-ca.pem" >/dev/null 2>&1
tap_ok $? "keytool -importcert: the test CAs in a PKCS#12 trust store"

echo "# keytool, the authentication token"
n0=$(jp_log_mark)
p11 auth keytool -list >"$D/list.out" 2>&1
rc=$?
tap_ok $rc "keytool -list -storetype PKCS11 (slotListIndex 0) (rc $rc)"
grep -q "^$AUTH_ALIAS, PrivateKeyEntry," "$D/list.out" &&
	grep -q 'contains 1 entry' "$D/list.out"
tap_ok $? "one entry: '$AUTH_ALIAS', a private key with its certificate"
grep -q "^Certificate fingerprint (SHA-256): $(fingerprint "$CARD/auth.der")\$" "$D/list.out"
tap_ok $? "its SHA-256 fingerprint is the card's authentication certificate's"
[ "$(jp_count_verify "$n0")" -eq 1 ]
tap_ok $? "the store password was the PIN: one VERIFY"
p11 auth keytool -exportcert -alias "$AUTH_ALIAS" -file "$D/auth-export.der" >/dev/null 2>&1 &&
	cmp -s "$D/auth-export.der" "$CARD/auth.der"
tap_ok $? "keytool -exportcert: the certificate byte for byte"
p11 auth keytool -list -v -alias "$AUTH_ALIAS" >"$D/list-v.out" 2>&1 &&
	grep -q '^Certificate chain length: 2$' "$D/list-v.out"
tap_ok $? "keytool -list -v: the chain holds the CA certificate from the token too"

echo "# keytool, the signing token"
n0=$(jp_log_mark)
p11 sign keytool -list >"$D/list.out" 2>&1
rc=$?
tap_ok $rc "keytool -list (slotListIndex 1) (rc $rc)"
grep -q "^$SIGN_ALIAS, PrivateKeyEntry," "$D/list.out" &&
	grep -q 'contains 1 entry' "$D/list.out"
tap_ok $? "one entry: '$SIGN_ALIAS'"
grep -q "^Certificate fingerprint (SHA-256): $(fingerprint "$CARD/sign.der")\$" "$D/list.out"
tap_ok $? "its fingerprint is the card's signing certificate's (shown after the password)"
[ "$(jp_count_verify "$n0")" -eq 1 ] && [ "$(jp_count_sign "$n0")" -eq 0 ]
tap_ok $? "one VERIFY, no signature"
p11 sign keytool -exportcert -alias "$SIGN_ALIAS" -file "$D/sign-export.der" >/dev/null 2>&1 &&
	cmp -s "$D/sign-export.der" "$CARD/sign.der"
tap_ok $? "keytool -exportcert: the signing certificate byte for byte"

echo "# a wrong PIN: one try, no retry by Java; a malformed one: none"
# keytool -v prints the exception's causes (the PKCS#11 return value).
n0=$(jp_log_mark)
jp_with_module timeout 120 keytool -list -v -keystore NONE -storetype PKCS11 -addprovider SunPKCS11 \
	-providerArg "$D/auth.cfg" -storepass 0000 </dev/null >"$D/bad.out" 2>&1
rc=$?
jp_clean_fail $rc && grep -q 'CKR_PIN_INCORRECT' "$D/bad.out"
tap_ok $? "keytool with a wrong PIN: CKR_PIN_INCORRECT (rc $rc)"
tries=$(jp_pin_tries auth)
[ "$(jp_count_verify "$n0")" -eq 1 ] && [ "$tries" = 63C2 ]
tap_ok $? "exactly one VERIFY, one try used ($tries)"
n0=$(jp_log_mark)
jp_with_module timeout 120 keytool -list -v -keystore NONE -storetype PKCS11 -addprovider SunPKCS11 \
	-providerArg "$D/auth.cfg" -storepass 12 </dev/null >"$D/bad.out" 2>&1
rc=$?
jp_clean_fail $rc && grep -q 'CKR_PIN_LEN_RANGE' "$D/bad.out" && [ "$(jp_count_verify "$n0")" -eq 0 ]
tap_ok $? "a 2-digit PIN: CKR_PIN_LEN_RANGE, refused before the card saw it (rc $rc)"
p11 auth keytool -list >/dev/null 2>&1
tries=$(jp_pin_tries auth)
[ "$tries" = 63C3 ]
tap_ok $? "the right PIN gives the 3 tries back ($tries)"

echo "# jarsigner with the authentication key"
n0=$(jp_log_mark)
p11 auth jarsigner -sigfile AUTH -signedjar "$D/AUTH.jar" "$D/unsigned.jar" "$AUTH_ALIAS" >"$D/sign.out" 2>&1
rc=$?
tap_ok $rc "jarsigner -sigfile AUTH (rc $rc)"
grep -q '^jar signed\.' "$D/sign.out"
tap_ok $? "jarsigner: 'jar signed.'"
[ "$(jp_count_sign "$n0")" -eq 1 ] && last_sign_sha256
tap_ok $? "one SIGN APDU, DigestInfo(SHA-256) (SHA256withRSA = CKM_SHA256_RSA_PKCS)"
jar_verify AUTH
tap_ok $? "jarsigner -verify: 'jar verified.', SHA256withRSA, a path to the test CA"
jar_checks "AUTH.jar" AUTH "$CARD/auth-ca.pem" "$CARD/auth.der"

echo "# jarsigner with the signing key, no per-program option: a clean failure"
tries_before=$(jp_pin_tries sign)
n0=$(jp_log_mark)
rm -f "$D/SIGN.jar"
p11 sign jarsigner -sigfile SIGN -signedjar "$D/SIGN.jar" "$D/unsigned.jar" "$SIGN_ALIAS" >"$D/sign.out" 2>&1
rc=$?
jp_clean_fail $rc && grep -q 'CKR_USER_NOT_LOGGED_IN' "$D/sign.out" && [ ! -f "$D/SIGN.jar" ]
tap_ok $? "jarsigner fails with CKR_USER_NOT_LOGGED_IN (Java skips the context-specific login) (rc $rc)"
[ "$(jp_count_sign "$n0")" -eq 0 ]
tap_ok $? "nothing was sent to the card for signing"
tries=$(jp_pin_tries sign)
[ "$tries" = "$tries_before" ] && [ "$tries" = 63C5 ]
tap_ok $? "no signing-password try lost ($tries_before -> $tries)"

echo "# the same with a section for another program name: still refused"
# The process is the launcher itself (/proc/self/exe is .../bin/jarsigner,
# not .../bin/java): a section naming only java does not apply.
printf '[program java]\nalways-authenticate=no\n' >"$USER_CONF"
n0=$(jp_log_mark)
p11 sign jarsigner -sigfile SIGN -signedjar "$D/SIGN.jar" "$D/unsigned.jar" "$SIGN_ALIAS" >"$D/sign.out" 2>&1
rc=$?
jp_clean_fail $rc && grep -q 'CKR_USER_NOT_LOGGED_IN' "$D/sign.out" && [ "$(jp_count_sign "$n0")" -eq 0 ]
tap_ok $? "[program java] does not apply to jarsigner: CKR_USER_NOT_LOGGED_IN, no SIGN APDU (rc $rc)"

echo "# jarsigner with the signing key, [program java keytool jarsigner] always-authenticate=no"
printf '# Java never performs the context-specific login.\n[program java keytool jarsigner]\nalways-authenticate=no\n' >"$USER_CONF"
n0=$(jp_log_mark)
rm -f "$D/SIGN.jar"
p11 sign jarsigner -sigfile SIGN -signedjar "$D/SIGN.jar" "$D/unsigned.jar" "$SIGN_ALIAS" >"$D/sign.out" 2>&1
rc=$?
tap_ok $rc "jarsigner -sigfile SIGN with the per-user section (rc $rc)"
[ "$(jp_count_verify "$n0")" -eq 1 ] && [ "$(jp_count_sign "$n0")" -eq 1 ] && last_sign_sha256
tap_ok $? "one VERIFY (the store password), one SIGN APDU with DigestInfo(SHA-256)"
jar_verify SIGN
tap_ok $? "jarsigner -verify: 'jar verified.', a path to the signature CA"
jar_checks "SIGN.jar" SIGN "$CARD/sign-ca.pem" "$CARD/sign.der"
tries=$(jp_pin_tries sign)
[ "$tries" = 63C5 ]
tap_ok $? "the signing password has all its tries ($tries)"
rm -f "$USER_CONF"

jp_nothing_left_running
tap_done
