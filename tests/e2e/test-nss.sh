#!/bin/sh
# NSS, the library of Firefox and Thunderbird, with the real module behind a
# private pcscd + vpcd + the emulated card (card-1):
#  - a fresh NSS database, the module added with modutil, both tokens listed;
#  - certutil lists the public certificates without a password (no VERIFY on
#    the card) and the signing certificate only after the signature token's
#    login; the certificates and key ids NSS sees are the card's; the
#    authentication token is "friendly" (its v3.0 public-certificates
#    profile): no login to list its certificates even with the PIN at hand;
#  - TLS client authentication with the authentication key through NSS's
#    tstclnt against openssl s_server: TLS 1.2 works (one SIGN APDU, the
#    server sees the card's certificate and an RSA PKCS#1 signature); TLS 1.3
#    fails cleanly (the card has no RSA-PSS), without a hang, a signature or
#    a lost PIN try;
#  - the option pss=yes (the user's file) on that card, which has no PSS (a
#    misconfiguration): TLS 1.2 limited to rsa_pkcs1_sha256 (-J) works; TLS
#    1.2 with NSS's default schemes and TLS 1.3 pick RSA-PSS, the card
#    refuses it (6A 86) and tstclnt fails cleanly, no PIN try lost;
#  - pss=yes on a card that signs RSA-PSS (the emulator's --pss): TLS 1.3
#    client authentication works (RSA-PSS CertificateVerify, chain verified
#    by the server, one sign command with P1 04);
#  - S/MIME signatures through cmsutil, i.e. NSS's CMS code that Thunderbird
#    calls (opaque, and detached with signing time and S/MIME capabilities
#    like Thunderbird's), verified by openssl against the signature CA, with
#    the context-specific login of CKA_ALWAYS_AUTHENTICATE (two VERIFY per
#    signing run); a wrong password costs exactly one try; the module option
#    always-authenticate=no passed as NSS's module parameter string
#    (modutil -string) gives one VERIFY.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"
. "$top_srcdir/tests/e2e/tls-lib.sh"

jp_need certutil modutil cmsutil tstclnt openssl

jp_consumer_start

card=$JP_CARD_DIR
nick_a="$JP_LABEL_AUTH:JPKI User Authentication"
nick_s="$JP_LABEL_SIGN:JPKI Digital Signature"
w=$JP_HARNESS_DIR/nss
db=sql:$w/db
mkdir -p "$w/db"
chmod 0700 "$w"

jp_tls_traps

# Every NSS tool loads the module: the sanitizer runtime when needed, a time
# bound, no terminal to prompt on.
nss() { jp_with_module timeout 60 "$@" </dev/null; }

# NSS password files: one "token:password" line per token.
printf '%s:%s\n%s:%s\n' "$JP_LABEL_AUTH" "$JP_PIN_AUTH" "$JP_LABEL_SIGN" "$JP_PIN_SIGN" >"$w/pw"
printf '%s:%s\n' "$JP_LABEL_SIGN" "$JP_PIN_SIGN" >"$w/pw-sign"
printf '%s:%s\n' "$JP_LABEL_SIGN" "WRONG99" >"$w/pw-wrong"
chmod 0600 "$w"/pw*

# ---- database and module ----
nss certutil -N --empty-password -d "$db" >/dev/null 2>&1
tap_ok $? "certutil -N: a fresh NSS database"
out=$(nss modutil -dbdir "$db" -add jpki -libfile "$JP_MODULE" -force 2>&1)
tap_ok $? "modutil -add jpki -libfile jpki-pkcs11.so"
out=$(nss modutil -dbdir "$db" -list jpki 2>&1)
jp_contains "$out" "Library file: $JP_MODULE" && jp_contains "$out" "Status: Enabled"
tap_ok $? "modutil -list jpki: the module is loaded and enabled"
jp_contains "$out" "Slot: $JP_READER User Authentication" &&
	jp_contains "$out" "Slot: $JP_READER Digital Signature" &&
	jp_contains "$out" "Token Name: $JP_LABEL_AUTH" && jp_contains "$out" "Token Name: $JP_LABEL_SIGN"
tap_ok $? "modutil -list: both slots of '$JP_READER' with tokens '$JP_LABEL_AUTH' and '$JP_LABEL_SIGN'"
[ "$(printf '%s\n' "$out" | grep -c 'Token Name:')" -eq 2 ]
tap_ok $? "modutil -list: no other token (the second, empty vpcd reader has none)"

# ---- certificates ----
n0=$(jp_log_mark)
out=$(nss certutil -L -h all -d "$db" 2>/dev/null)
jp_contains "$out" "$nick_a" && jp_contains "$out" "$JP_LABEL_AUTH:JPKI User Authentication CA" &&
	jp_contains "$out" "$JP_LABEL_SIGN:JPKI Digital Signature CA"
tap_ok $? "certutil -L -h all without a password: the authentication certificate and both CAs"
# (certutil -L: nickname, blanks, trust flags; "...:JPKI Digital Signature CA"
# must not count, so compare whole nicknames)
! printf '%s\n' "$out" | sed 's/  *[^ ]*$//' | grep -qxF -- "$nick_s"
tap_ok $? "... and not the signing certificate (personal data, only after the password)"
[ "$(jp_count_verify "$n0")" -eq 0 ]
tap_ok $? "... and no PIN went to the card"
printf '%s\n' "$out" | grep -F "$nick_a" | grep -q 'u,u,u'
tap_ok $? "the authentication certificate is a user certificate (u,u,u: NSS found its key)"

out=$(nss certutil -L -h "$JP_LABEL_SIGN" -f "$w/pw-sign" -d "$db" 2>/dev/null)
jp_contains "$out" "$nick_s"
tap_ok $? "certutil -L -h '$JP_LABEL_SIGN' -f pwfile: the signing certificate after login"
nss certutil -L -h "$JP_LABEL_SIGN" -n "$nick_s" -r -f "$w/pw-sign" -d "$db" >"$w/sign.der" 2>/dev/null &&
	cmp -s "$w/sign.der" "$card/sign.der"
tap_ok $? "the signing certificate NSS reads is the card's, byte for byte"
nss certutil -L -h "$JP_LABEL_AUTH" -n "$nick_a" -r -f "$w/pw" -d "$db" >"$w/auth.der" 2>/dev/null &&
	cmp -s "$w/auth.der" "$card/auth.der"
tap_ok $? "the authentication certificate NSS reads is the card's, byte for byte"
nss certutil -L -h "$JP_LABEL_AUTH" -n "$JP_LABEL_AUTH:JPKI User Authentication CA" -r -f "$w/pw" -d "$db" \
	>"$w/auth-ca.der" 2>/dev/null && cmp -s "$w/auth-ca.der" "$card/auth-ca.der"
tap_ok $? "the authentication CA certificate NSS reads is the card's"

# The authentication token publishes the PKCS#11 v3.0 profile
# CKP_PUBLIC_CERTIFICATES_TOKEN (a CKO_PROFILE object): NSS then treats it
# as "friendly" and lists its certificates without logging in, even with
# its PIN at hand; the signature token (no such profile, a private
# certificate) still logs in to list its own.
printf '%s:%s\n' "$JP_LABEL_AUTH" "$JP_PIN_AUTH" >"$w/pw-auth"
chmod 0600 "$w/pw-auth"
n0=$(jp_log_mark)
out=$(nss certutil -L -h "$JP_LABEL_AUTH" -f "$w/pw-auth" -d "$db" 2>/dev/null)
jp_contains "$out" "$nick_a" && [ "$(jp_count_verify "$n0")" -eq 0 ]
tap_ok $? "friendly: certutil -L with the PIN at hand lists the authentication certificate without a login"
n0=$(jp_log_mark)
out=$(nss certutil -L -h all -f "$w/pw" -d "$db" 2>/dev/null)
printf '%s\n' "$out" | sed 's/  *[^ ]*$//' | grep -qxF -- "$nick_s" && jp_contains "$out" "$nick_a" &&
	[ "$(jp_count_verify "$n0")" -eq 1 ]
tap_ok $? "certutil -L -h all with both PINs: one login (the signature token's), both certificates"

# Key ids: NSS prints CKA_ID, the SHA-1 of the public key, which is the
# certificates' subject key identifier in the test PKI.
ski() {
	openssl x509 -inform DER -in "$1" -noout -ext subjectKeyIdentifier 2>/dev/null |
		sed -n '2s/[ :]//gp' | tr A-F a-f
}
out=$(nss certutil -K -h all -f "$w/pw" -d "$db" 2>&1)
ka=$(printf '%s\n' "$out" | awk '/JPKI User Authentication/ { print $4 }')
ks=$(printf '%s\n' "$out" | awk '/JPKI Digital Signature/ { print $4 }')
[ -n "$ka" ] && [ "$ka" = "$(ski "$card/auth.der")" ] && [ -n "$ks" ] && [ "$ks" = "$(ski "$card/sign.der")" ]
tap_ok $? "certutil -K with a token:password file: both RSA keys, ids $ka / $ks match the certificates"

# ---- TLS client authentication (tstclnt) ----
# A throwaway CA and server certificate, made now; NSS trusts the CA for TLS.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-keyout "$w/tca.key" -out "$w/tca.pem" -subj "/CN=jpki-pkcs11 test server CA" >/dev/null 2>&1 &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$w/srv.key" -out "$w/srv.csr" -subj /CN=127.0.0.1 >/dev/null 2>&1 &&
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$w/srv.ext" &&
	openssl x509 -req -in "$w/srv.csr" -CA "$w/tca.pem" -CAkey "$w/tca.key" -CAcreateserial \
		-days 1 -extfile "$w/srv.ext" -out "$w/srv.pem" >/dev/null 2>&1 &&
	nss certutil -A -d "$db" -n "test server CA" -t "C,," -i "$w/tca.pem" >/dev/null 2>&1
tap_ok $? "a throwaway server CA (trusted in the NSS database) and server certificate"

# s_server requiring a client certificate from the authentication CA; -www
# answers with a page that shows the session and the client certificate.
jp_tls_server_start "$JP_CA_DIR/auth-ca.pem" "$w/srv.pem" "$w/srv.key"
tap_ok $? "openssl s_server -Verify 1 -CAfile auth-ca.pem listens on 127.0.0.1:$JP_TLS_PORT"

printf 'GET / HTTP/1.0\r\n\r\n' >"$w/req"
# tstclnt reads the request from a file (-A): with a pipe it spins on the
# closed stdin.
tls() {
	_v=$1
	shift
	jp_with_module timeout 60 tstclnt -h 127.0.0.1 -p "$JP_TLS_PORT" -V "$_v:$_v" -d "$db" \
		-n "$nick_a" -A "$w/req" "$@" </dev/null
}

n0=$(jp_log_mark)
tls tls1.2 -W "$w/pw" >"$w/tls12.out" 2>&1
rc=$?
tap_ok $rc "tstclnt -V tls1.2:tls1.2 -n '$nick_a' -W pwfile (rc $rc)"
grep -q 'Protocol  : TLSv1.2' "$w/tls12.out"
tap_ok $? "the server's page: a TLS 1.2 session"
jp_tls_page_cert "$w/tls12.out" "$w/peer.der" && cmp -s "$w/peer.der" "$card/auth.der"
tap_ok $? "the client certificate the server received is the card's authentication certificate"
subj=$(openssl x509 -inform DER -in "$card/auth.der" -noout -subject -nameopt oneline | sed 's/^subject=//')
jp_tls_verified "$subj"
tap_ok $? "s_server verified the client '$subj' against the authentication CA"
grep -q 'Peer signature type: RSA$' "$w/tls12.out"
tap_ok $? "the client's CertificateVerify is RSA PKCS#1 v1.5 (not PSS)"
[ "$(jp_count_sign "$n0")" -eq 1 ] &&
	jp_log_from "$n0" | grep '^> 802A' | grep -qE '^> 802A00(80|97|9A)3330313[0-9A-F]*$'
tap_ok $? "the handshake cost exactly one SIGN APDU, a SHA-256 DigestInfo"

# TLS 1.3 needs RSA-PSS for the client's signature; the card cannot, the
# module does not advertise it: NSS sends no certificate and the server
# refuses. It must fail quickly and cleanly, without a signature and without
# costing a PIN try.
tries_a=$(jp_pin_tries auth)
n0=$(jp_log_mark)
tls tls1.3 -W "$w/pw" >"$w/tls13.out" 2>&1
rc=$?
jp_clean_fail "$rc"
tap_ok $? "tstclnt -V tls1.3:tls1.3 fails cleanly (rc $rc, no timeout)"
[ "$(jp_count_sign "$n0")" -eq 0 ]
tap_ok $? "TLS 1.3: no SIGN APDU"
grep -q 'peer did not return a certificate' "$JP_TLS_SERVER_LOG"
tap_ok $? "TLS 1.3: the server saw no client certificate"
[ "$tries_a" = 63C3 ] && [ "$(jp_pin_tries auth)" = 63C3 ]
tap_ok $? "TLS 1.3: the authentication PIN still has all its tries ($tries_a → $(jp_pin_tries auth))"

# pss=yes (the user's file) on this card, which has no RSA-PSS: a
# misconfiguration. NSS sees CKM_RSA_PKCS_PSS on the token and prefers
# rsa_pss_rsae_* to rsa_pkcs1_* even in TLS 1.2; limited to the PKCS#1
# schemes (-J, with the server's ECDSA one) TLS 1.2 works as before.
jp_tls_pss_conf "$w/xdg-pss"
pss_tls() {
	XDG_CONFIG_HOME=$w/xdg-pss tls "$@"
}
n0=$(jp_log_mark)
pss_tls tls1.2 -W "$w/pw" -J ecdsa_secp256r1_sha256,rsa_pkcs1_sha256 >"$w/pss-tls12.out" 2>&1
rc=$?
tap_ok $rc "pss=yes, a card without PSS: tstclnt -V tls1.2 -J ecdsa_secp256r1_sha256,rsa_pkcs1_sha256 (rc $rc)"
grep -q 'Protocol  : TLSv1.2' "$w/pss-tls12.out" && grep -q 'Peer signature type: RSA$' "$w/pss-tls12.out" &&
	grep -q 'Verify return code: 0 (ok)' "$w/pss-tls12.out" && jp_tls_page_cert "$w/pss-tls12.out" "$w/peer.der" && cmp -s "$w/peer.der" "$card/auth.der" &&
	jp_tls_verified "$subj"
tap_ok $? "... the server saw TLS 1.2, an RSA PKCS#1 CertificateVerify and the card's certificate, verified"
[ "$(jp_count_sign "$n0")" -eq 1 ] && jp_log_from "$n0" | grep '^> 802A' | grep -qE '^> 802A00(80|97)3330313'
tap_ok $? "... one SIGN APDU, P1 00 (a SHA-256 DigestInfo)"

# Without -J NSS picks rsa_pss_rsae_sha256 in TLS 1.2 too. The card
# refuses P1 04 with 6A 86; in a fresh process the module does not know yet
# whether that is about the key's short EF identifier (P2 97) or about P1,
# so it tries SELECT + P2 80 at once (doc/card.md §11), refused again: no
# PSS on this card. C_Sign answers CKR_MECHANISM_INVALID, which NSS reports
# as SEC_ERROR_INVALID_ALGORITHM, and tstclnt ends with 254
# (EXIT_CODE_HANDSHAKE_FAILED). The module then offers no PSS for this card
# (tests/p11/test-pss), but tstclnt makes one handshake per process and a
# new process tries PSS again: each case below starts from a fresh one.
tries_a=$(jp_pin_tries auth)
n0=$(jp_log_mark)
pss_tls tls1.2 -W "$w/pw" >"$w/pss-tls12-default.out" 2>&1
rc=$?
[ "$rc" -eq 254 ] && grep -q 'SEC_ERROR_INVALID_ALGORITHM' "$w/pss-tls12-default.out" &&
	! grep -q 'Protocol  :' "$w/pss-tls12-default.out"
tap_ok $? "pss=yes, a card without PSS: tstclnt -V tls1.2 with NSS's default schemes fails cleanly (rc $rc)"
jp_tls_pss_refused "$n0" "$tries_a"

n0=$(jp_log_mark)
pss_tls tls1.3 -W "$w/pw" >"$w/pss-tls13.out" 2>&1
rc=$?
[ "$rc" -eq 254 ] && grep -q 'SEC_ERROR_INVALID_ALGORITHM' "$w/pss-tls13.out" &&
	! grep -q 'Protocol  :' "$w/pss-tls13.out"
tap_ok $? "pss=yes, a card without PSS: tstclnt -V tls1.3 fails cleanly (rc $rc, no timeout)"
jp_tls_pss_refused "$n0" "$tries_a"

# A card that signs RSA-PSS (P1 04, doc/card.md §11) with pss=yes: TLS 1.3
# client authentication works through NSS.
jp_emu_restart --pss
tap_ok $? "emulator restarted as a card that signs RSA-PSS (--pss)"
n0=$(jp_log_mark)
pss_tls tls1.3 -W "$w/pw" >"$w/pss-card-tls13.out" 2>&1
rc=$?
tap_ok $rc "pss=yes, a PSS card: tstclnt -V tls1.3:tls1.3 (rc $rc)"
grep -q 'Protocol  : TLSv1.3' "$w/pss-card-tls13.out" &&
	grep -q 'Peer signature type: RSA-PSS' "$w/pss-card-tls13.out" &&
	jp_tls_page_cert "$w/pss-card-tls13.out" "$w/peer.der" && cmp -s "$w/peer.der" "$card/auth.der"
tap_ok $? "... the server saw TLS 1.3, an RSA-PSS CertificateVerify and the card's certificate"
grep -q 'Verify return code: 0 (ok)' "$w/pss-card-tls13.out" && jp_tls_verified "$subj"
tap_ok $? "... and verified the client '$subj' against the authentication CA"
jp_tls_pss_signed "$n0"
tap_ok $? "... one SIGN APDU: P1 04 (PSS over the host's SHA-256 hash), key named by P2 97"
jp_emu_restart
tap_ok $? "emulator back to the default card"
jp_tls_server_stop

# The negative twin: a server that trusts another CA must end the handshake
# (the checks above cannot tell a verifying server from one that lets any
# certificate in).
jp_tls_server_start "$JP_TLS_WRONG_CA" "$w/srv.pem" "$w/srv.key"
tap_ok $? "s_server trusting the wrong CA (the signature CA) on 127.0.0.1:$JP_TLS_PORT"
tls tls1.2 -W "$w/pw" >"$w/tls12-wrong-ca.out" 2>&1
rc=$?
# 254: tstclnt's exit status for a failed handshake (EXIT_CODE_HANDSHAKE_FAILED).
[ "$rc" -eq 254 ] && jp_tls_refused && grep -q 'SSL_ERROR_UNKNOWN_CA_ALERT' "$w/tls12-wrong-ca.out" &&
	! grep -q 'Protocol  :' "$w/tls12-wrong-ca.out"
tap_ok $? "wrong CA: the server refuses the card's certificate, tstclnt's handshake fails (rc $rc)"
jp_tls_server_stop

# ---- S/MIME with cmsutil (Thunderbird's NSS path) ----
printf 'From: taro@example.jp\r\nSubject: test\r\n\r\nSigned with my My Number Card.\r\n' >"$w/msg"

# Opaque signedData. -Y NONE: no SMIMEEncryptionKeyPreference (the signing
# certificate cannot encrypt; Thunderbird adds one only for an encryption
# certificate).
n0=$(jp_log_mark)
nss cmsutil -S -d "$db" -N "$nick_s" -Y NONE -f "$w/pw-sign" -i "$w/msg" -o "$w/msg.p7m" \
	>"$w/cms.out" 2>&1
tap_ok $? "cmsutil -S -N '$nick_s' -f pwfile (opaque signedData)"
openssl cms -verify -binary -inform DER -in "$w/msg.p7m" -CAfile "$JP_CA_DIR/sign-ca.pem" -purpose any \
	-signer "$w/cms-signer.pem" -out "$w/msg.out" >/dev/null 2>&1 && cmp -s "$w/msg.out" "$w/msg"
tap_ok $? "openssl cms -verify against the signature CA: valid, content intact"
openssl x509 -in "$w/cms-signer.pem" -outform DER 2>/dev/null | cmp -s - "$card/sign.der"
tap_ok $? "the signer is the card's signing certificate"
[ "$(jp_count_verify "$n0")" -eq 2 ] && [ "$(jp_count_sign "$n0")" -eq 1 ]
tap_ok $? "always-authenticate: login + context-specific login = 2 VERIFY, 1 SIGN ($(jp_count_verify "$n0")/$(jp_count_sign "$n0"))"

# Detached, with signing time and S/MIME capabilities, as Thunderbird sends
# in multipart/signed.
nss cmsutil -S -d "$db" -N "$nick_s" -Y NONE -T -G -P -H SHA256 -f "$w/pw-sign" -i "$w/msg" \
	-o "$w/msg.p7s" >"$w/cms.out" 2>&1
tap_ok $? "cmsutil -S -T -G -P (detached, signingTime, SMIMECapabilities)"
openssl cms -verify -binary -inform DER -in "$w/msg.p7s" -content "$w/msg" \
	-CAfile "$JP_CA_DIR/sign-ca.pem" -purpose any -out /dev/null >/dev/null 2>&1
tap_ok $? "openssl cms -verify of the detached signature over the message"
attrs=$(openssl cms -cmsout -print -inform DER -in "$w/msg.p7s" 2>/dev/null)
jp_contains "$attrs" "signingTime" && jp_contains "$attrs" "S/MIME Capabilities" &&
	jp_contains "$attrs" "rsaEncryption" && ! jp_contains "$attrs" "rsassaPss"
tap_ok $? "signed attributes: signingTime and SMIMECapabilities; RSA PKCS#1 v1.5"
printf 'Tampered.\r\n' >>"$w/msg"
! openssl cms -verify -binary -inform DER -in "$w/msg.p7s" -content "$w/msg" \
	-CAfile "$JP_CA_DIR/sign-ca.pem" -purpose any -out /dev/null >/dev/null 2>&1
tap_ok $? "a tampered message does not verify"

# A wrong signing password costs one try, not more (NSS does not repeat it),
# and the right one restores the counter.
n0=$(jp_log_mark)
nss cmsutil -S -d "$db" -N "$nick_s" -Y NONE -f "$w/pw-wrong" -i "$w/msg" -o "$w/bad.p7m" \
	>"$w/cms.out" 2>&1
rc=$?
jp_clean_fail "$rc" && [ "$(jp_count_sign "$n0")" -eq 0 ]
tap_ok $? "cmsutil with a wrong password fails cleanly, no signature (rc $rc)"
t=$(jp_pin_tries sign)
[ "$t" = 63C4 ] && [ "$(jp_count_verify "$n0")" -eq 1 ]
tap_ok $? "... exactly one VERIFY, one try lost ($t)"
nss cmsutil -S -d "$db" -N "$nick_s" -Y NONE -f "$w/pw-sign" -i "$w/msg" -o "$w/msg2.p7m" \
	>"$w/cms.out" 2>&1 && [ "$(jp_pin_tries sign)" = 63C5 ]
tap_ok $? "the right password signs again and the counter is back to 5 ($(jp_pin_tries sign))"

# always-authenticate=no through NSS's module parameter string: NSS hands it
# to C_Initialize in pReserved (its LibraryParameters), as p11-kit does.
nss modutil -dbdir "$db" -delete jpki -force >/dev/null 2>&1 &&
	nss modutil -dbdir "$db" -add jpki -libfile "$JP_MODULE" -string "always-authenticate=no" \
		-force >/dev/null 2>&1
tap_ok $? "modutil -add jpki -string always-authenticate=no"
n0=$(jp_log_mark)
nss cmsutil -S -d "$db" -N "$nick_s" -Y NONE -f "$w/pw-sign" -i "$w/msg" -o "$w/msg3.p7m" \
	>"$w/cms.out" 2>&1 &&
	openssl cms -verify -binary -inform DER -in "$w/msg3.p7m" -CAfile "$JP_CA_DIR/sign-ca.pem" \
		-purpose any -out /dev/null >/dev/null 2>&1
tap_ok $? "cmsutil signs with always-authenticate=no; openssl verifies"
[ "$(jp_count_verify "$n0")" -eq 1 ] && [ "$(jp_count_sign "$n0")" -eq 1 ]
tap_ok $? "always-authenticate=no: 1 VERIFY, 1 SIGN ($(jp_count_verify "$n0")/$(jp_count_sign "$n0"))"

# The signing password typed in lower case: the module upper-cases it, as
# J-LIS's software does (doc/card.md), so it signs and costs no try.
printf '%s:%s\n' "$JP_LABEL_SIGN" "$(printf '%s' "$JP_PIN_SIGN" | tr '[:upper:]' '[:lower:]')" >"$w/pw-lower"
n0=$(jp_log_mark)
nss cmsutil -S -d "$db" -N "$nick_s" -Y NONE -f "$w/pw-lower" -i "$w/msg" -o "$w/msg4.p7m" \
	>"$w/cms.out" 2>&1 && [ "$(jp_count_sign "$n0")" -eq 1 ] && [ "$(jp_pin_tries sign)" = 63C5 ]
tap_ok $? "a lower-case signing password in the NSS password file signs, no try lost"

# tokens=auth (module option through -string): a browser profile that
# only logs in to websites sees the authentication token alone, so NSS has
# no signature token to ask a password for; the hidden one costs no APDU.
db2=sql:$w/db-auth
mkdir -p "$w/db-auth"
nss certutil -N --empty-password -d "$db2" >/dev/null 2>&1 &&
	nss modutil -dbdir "$db2" -add jpki -libfile "$JP_MODULE" -string "tokens=auth" \
		-force >/dev/null 2>&1
tap_ok $? "modutil -add jpki -string tokens=auth"
out=$(nss modutil -dbdir "$db2" -list jpki 2>&1)
jp_contains "$out" "Token Name: $JP_LABEL_AUTH" && ! jp_contains "$out" "$JP_LABEL_SIGN"
tap_ok $? "tokens=auth: modutil lists the authentication token only"
out=$(nss certutil -L -h all -d "$db2" 2>/dev/null)
jp_contains "$out" "$nick_a" && ! jp_contains "$out" "$JP_LABEL_SIGN"
tap_ok $? "tokens=auth: certutil -L -h all without a password sees no signature token"

srv=$JP_TLS_SERVER_PID
jp_tls_server_stop
jp_nothing_left_running $srv
tap_done
