#!/bin/sh
# OpenSSL through libp11's pkcs11 engine, and curl, with the module behind a
# private pcscd: pkeyutl (what libp11 sends to the card), req -x509, cms
# with the signing key (always-authenticate), TLS 1.2 client authentication
# against a local s_server (only with RSA+SHA256: the card cannot do PSS),
# the clean failures without that setting and with TLS 1.3; with the option
# pss=yes on that card (a misconfiguration) TLS 1.2 with RSA+SHA256 still
# works and a handshake where OpenSSL picks RSA-PSS (TLS 1.2 by default,
# TLS 1.3) fails cleanly, the card refusing P1 04 with 6A 86, no PIN try
# lost; with pss=yes on a card that signs RSA-PSS (the emulator's --pss)
# TLS 1.3 and 1.2 work through libp11's CKM_RSA_PKCS_PSS (the module's trace
# says which mechanisms libp11 asked for); curl the same way as s_client.
# Every signature is checked by openssl against the card's certificates;
# the emulator's log says what reached the card; the retry counters say no
# PIN try was lost.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"
. "$top_srcdir/tests/e2e/tls-lib.sh"

jp_need "$OPENSSL" curl script

# libp11's engine (Debian: libengine-pkcs11-openssl) in OpenSSL's engine
# directory.
enginesdir=$(jp_openssl_dir engines)
jp_need_file "$enginesdir/pkcs11.so" "libp11's pkcs11 engine" "tools/setup-debian.sh installs it"

jp_consumer_start
jp_tls_traps

D=$JP_HARNESS_DIR
CARD=$JP_CARD_DIR
AUTH_KEY="$JP_TOKEN_AUTH;object=JPKI%20User%20Authentication;type=private"
SIGN_KEY="$JP_TOKEN_SIGN;object=JPKI%20Digital%20Signature;type=private"

# The engine configuration a user writes (doc/use/openssl.txt), and the same
# with the TLS setting that keeps OpenSSL off RSA-PSS for the client
# certificate (what curl needs, having no option of its own for it).
cat >"$D/openssl.cnf" <<EOF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
MODULE_PATH = $JP_MODULE
[req]
distinguished_name = req_dn
[req_dn]
EOF
sed 's/^engines = engine_section$/&\nssl_conf = ssl_section/' "$D/openssl.cnf" >"$D/openssl-tls.cnf"
cat >>"$D/openssl-tls.cnf" <<EOF
[ssl_section]
system_default = tls_defaults
[tls_defaults]
ClientSignatureAlgorithms = RSA+SHA256
EOF
OPENSSL_CONF=$D/openssl.cnf
export OPENSSL_CONF
# The module's errors, for a look when something fails.
P11LOG=$D/p11.log
JPKI_PKCS11_DEBUG="level:1,file:$P11LOG"
export JPKI_PKCS11_DEBUG

"$OPENSSL" x509 -inform der -in "$CARD/auth.der" -out "$D/auth.pem"
"$OPENSSL" x509 -inform der -in "$CARD/sign.der" -out "$D/sign.pem"
"$OPENSSL" x509 -in "$D/auth.pem" -pubkey -noout >"$D/auth.pub"

# The engine becomes OpenSSL's default RSA implementation in these
# processes: the module's own host check of every card signature must not
# depend on it (it once did, and every signature here failed with
# CKR_DEVICE_ERROR). The results below are plain passes or failures.

echo "# the engine"
out=$(jp_with_module "$OPENSSL" engine -t pkcs11 2>&1)
case "$out" in
*"[ available ]"*) st=0 ;;
*) st=1 ;;
esac
tap_ok $st "openssl engine -t pkcs11: available"

echo "# pkeyutl with -pkeyopt digest:sha256: libp11 sends a DigestInfo"
printf 'jpki-pkcs11 pkeyutl test\n' >"$D/msg"
"$OPENSSL" dgst -sha256 -binary "$D/msg" >"$D/msg.sha256"
n0=$(jp_count_sign)
jp_with_module "$OPENSSL" pkeyutl -engine pkcs11 -keyform engine \
	-inkey "$AUTH_KEY;pin-value=$JP_PIN_AUTH" -sign -in "$D/msg.sha256" \
	-pkeyopt digest:sha256 -out "$D/msg.sig" >"$D/out" 2>&1
rc=$?
tap_ok $rc "pkeyutl -sign -pkeyopt digest:sha256 (rc $rc)"
"$OPENSSL" pkeyutl -verify -pubin -inkey "$D/auth.pub" -in "$D/msg.sha256" \
	-sigfile "$D/msg.sig" -pkeyopt digest:sha256 >/dev/null 2>&1
tap_ok $? "the signature verifies with the certificate's key"
hash=$(od -An -v -tx1 "$D/msg.sha256" | tr -d ' \n' | tr a-f A-F)
last=$(jp_last_signed)
[ "$(jp_count_sign)" -eq $((n0 + 1)) ] &&
	[ "$last" = "> 802A0080333031300D060960864801650304020105000420${hash}00" ]
tap_ok $? "one SIGN APDU, carrying DigestInfo(SHA-256, hash) (CKM_RSA_PKCS)"

echo "# pkeyutl without a digest: the input is signed as it is"
printf 'raw input of thirty-six bytes.......' >"$D/raw"
jp_with_module "$OPENSSL" pkeyutl -engine pkcs11 -keyform engine \
	-inkey "$AUTH_KEY;pin-value=$JP_PIN_AUTH" -sign -in "$D/raw" -out "$D/raw.sig" >"$D/out" 2>&1
tap_ok $? "pkeyutl -sign of 36 raw bytes"
"$OPENSSL" pkeyutl -verifyrecover -pubin -inkey "$D/auth.pub" -in "$D/raw.sig" \
	-out "$D/raw.rec" >/dev/null 2>&1 && cmp -s "$D/raw" "$D/raw.rec"
tap_ok $? "the signature recovers exactly the input (PKCS#1 v1.5 type 1)"
raw=$(od -An -v -tx1 "$D/raw" | tr -d ' \n' | tr a-f A-F)
[ "$(jp_last_signed)" = "> 802A008024${raw}00" ]
tap_ok $? "the card got the raw input"

echo "# req -new -x509 with the authentication key"
jp_with_module "$OPENSSL" req -new -x509 -engine pkcs11 -keyform engine \
	-key "$AUTH_KEY;pin-value=$JP_PIN_AUTH" -subj "/CN=jpki-pkcs11 self-signed" \
	-sha256 -days 1 -out "$D/self.pem" >"$D/out" 2>&1
tap_ok $? "openssl req -new -x509 -engine pkcs11"
"$OPENSSL" verify -check_ss_sig -CAfile "$D/self.pem" "$D/self.pem" >/dev/null 2>&1
tap_ok $? "the self-signed certificate's signature verifies (-check_ss_sig)"
"$OPENSSL" x509 -in "$D/self.pem" -pubkey -noout 2>/dev/null | cmp -s - "$D/auth.pub"
tap_ok $? "its key is the card's authentication key"
"$OPENSSL" x509 -in "$D/self.pem" -noout -text 2>/dev/null |
	grep -q 'Signature Algorithm: sha256WithRSAEncryption'
tap_ok $? "signed with sha256WithRSAEncryption"

echo "# cms -sign with the signing key (always-authenticate)"
printf 'A document to sign.\n' >"$D/doc.txt"
# libp11 asks for the password again at the terminal for the
# context-specific login; "script" gives it one and types it.
cms_sign() {
	printf '%s\n' "$JP_PIN_SIGN" | jp_with_module timeout 30 script -qec "$1" /dev/null >"$D/cms.out" 2>&1
}
tries_before=$(jp_pin_tries sign)
n0=$(jp_count_sign)
cms_sign "$OPENSSL cms -sign -engine pkcs11 -keyform engine -inkey '$SIGN_KEY;pin-value=$JP_PIN_SIGN' \
	-signer '$D/sign.pem' -md sha256 -binary -nodetach -in '$D/doc.txt' -outform der -out '$D/doc.p7s'"
rc=$?
tap_ok $rc "openssl cms -sign, password typed at libp11's context-specific prompt (rc $rc)"
grep -q 'Enter PKCS#11 key PIN for JPKI Digital Signature' "$D/cms.out"
tap_ok $? "libp11 prompted for the signing key's password (CKA_ALWAYS_AUTHENTICATE)"
"$OPENSSL" cms -verify -inform der -in "$D/doc.p7s" -CAfile "$CARD/sign-ca.pem" -purpose any \
	-signer "$D/cms-signer.pem" -out "$D/doc.out" >/dev/null 2>&1 && cmp -s "$D/doc.txt" "$D/doc.out"
tap_ok $? "the CMS verifies against the signing CA and holds the document"
"$OPENSSL" x509 -in "$D/cms-signer.pem" -outform der 2>/dev/null | cmp -s - "$CARD/sign.der"
tap_ok $? "its signer is the card's signing certificate"
[ "$(jp_count_sign)" -eq $((n0 + 1)) ]
tap_ok $? "exactly one SIGN APDU"
# setsid: no controlling terminal, so the prompt cannot wait on one.
printf '' | jp_with_module timeout 30 setsid -w "$OPENSSL" cms -sign -engine pkcs11 -keyform engine \
	-inkey "$SIGN_KEY;pin-value=$JP_PIN_SIGN" -signer "$D/sign.pem" -md sha256 -binary \
	-nodetach -in "$D/doc.txt" -outform der -out "$D/doc2.p7s" >"$D/out" 2>&1
rc=$?
jp_clean_fail $rc
tap_ok $? "without a terminal for the second prompt: a clean failure (rc $rc)"
tries=$(jp_pin_tries sign)
[ "$tries" = "$tries_before" ] && [ "$tries" = 63C5 ]
tap_ok $? "no signing-password try lost ($tries_before -> $tries)"

echo "# TLS 1.2 client authentication against openssl s_server"
jp_tls_server_start "$CARD/auth-ca.pem"
tap_ok $? "s_server on 127.0.0.1:$JP_TLS_PORT requiring a client certificate"
s_client() {
	printf 'GET / HTTP/1.0\r\n\r\n' | jp_with_module timeout 30 "$OPENSSL" s_client \
		-connect "127.0.0.1:$JP_TLS_PORT" -CAfile "$JP_TLS_SERVER_CERT" \
		-engine pkcs11 -keyform engine -key "$AUTH_KEY;pin-value=$JP_PIN_AUTH" \
		-cert "$D/auth.pem" -quiet "$@" >"$D/page" 2>"$D/err"
}
# page_ok PROTO: the server's page names the protocol, an RSA+SHA256
# client signature and the card's certificate.
page_ok() {
	grep -q "Protocol  : $1" "$D/page" &&
		grep -q 'Peer signature type: RSA$' "$D/page" &&
		grep -q 'Peer signing digest: SHA256' "$D/page" &&
		jp_tls_page_cert "$D/page" "$D/peer.der" && cmp -s "$D/peer.der" "$CARD/auth.der"
}
n0=$(jp_count_sign)
s_client -tls1_2 -client_sigalgs RSA+SHA256
rc=$?
tap_ok $rc "s_client -tls1_2 -client_sigalgs RSA+SHA256 (rc $rc)"
page_ok TLSv1.2
tap_ok $? "the server saw TLS 1.2, an RSA/SHA-256 CertificateVerify and the card's certificate"
[ "$(jp_count_sign)" -eq $((n0 + 1)) ]
tap_ok $? "the handshake cost one SIGN APDU"

echo "# without the setting OpenSSL picks RSA-PSS: a clean failure"
n0=$(jp_count_sign)
s_client -tls1_2
rc=$?
jp_clean_fail $rc && grep -q 'Mechanism invalid' "$D/err"
tap_ok $? "s_client -tls1_2: fails with 'Mechanism invalid' (rc $rc)"
[ "$(jp_count_sign)" -eq "$n0" ]
tap_ok $? "nothing was sent to the card for signing"

echo "# TLS 1.3: CertificateVerify must be RSA-PSS, the card cannot"
s_client -tls1_3
rc=$?
jp_clean_fail $rc && grep -q 'Mechanism invalid' "$D/err"
tap_ok $? "s_client -tls1_3: fails with 'Mechanism invalid' (rc $rc)"
s_client -tls1_3 -client_sigalgs RSA+SHA256
rc=$?
jp_clean_fail $rc && grep -q 'certificate required' "$D/err"
tap_ok $? "s_client -tls1_3 -client_sigalgs RSA+SHA256: no usable certificate, the server's 'certificate required' alert (rc $rc)"
[ "$(jp_count_sign)" -eq "$n0" ]
tap_ok $? "no SIGN APDU for either"

# With pss=yes the module offers CKM_RSA_PKCS_PSS. What libp11 does with
# it shows in the module's trace (level 5, one file per handshake):
# sign_calls FILE lists its C_SignInit mechanisms and C_Sign calls with
# their return codes, e.g. "CKM_RSA_PKCS_PSS:0 C_Sign:0" (hex, no 0x).
sign_calls() {
	awk 'function rc(x) { sub(/^0x0*/, "", x); return x == "" ? "0" : x }
		/> C_SignInit / { m = $0; sub(/.*\(/, "", m); sub(/\).*/, "", m) }
		/< C_SignInit: / { printf "%s%s:%s", sep, m, rc($NF); sep = " " }
		/< C_Sign: / { printf "%sC_Sign:%s", sep, rc($NF); sep = " " }
		END { print "" }' "$1"
}
# pss_client ARGS: s_client with pss=yes (the user's file) and the trace.
jp_tls_pss_conf "$D/xdg-pss"
pss_client() {
	: >"$D/trace"
	JPKI_PKCS11_DEBUG="level:5,file:$D/trace" XDG_CONFIG_HOME=$D/xdg-pss s_client "$@"
}
subj=$(OPENSSL_CONF=/dev/null "$OPENSSL" x509 -inform der -in "$CARD/auth.der" -noout -subject -nameopt oneline |
	sed 's/^subject=//')

# pss=yes on this card, which has no RSA-PSS: a misconfiguration.
# Limited to RSA+SHA256, TLS 1.2 works as before.
echo "# pss=yes on a card without RSA-PSS"
tries=$(jp_pin_tries auth)
n0=$(jp_log_mark)
pss_client -tls1_2 -client_sigalgs RSA+SHA256
rc=$?
tap_ok $rc "pss=yes, a card without PSS: s_client -tls1_2 -client_sigalgs RSA+SHA256 (rc $rc)"
page_ok TLSv1.2 && grep -q 'Verify return code: 0 (ok)' "$D/page" && jp_tls_verified "$subj"
tap_ok $? "... the server saw TLS 1.2, an RSA/SHA-256 CertificateVerify and the card's certificate, verified"
calls=$(sign_calls "$D/trace")
[ "$(jp_count_sign "$n0")" -eq 1 ] && jp_log_from "$n0" | grep '^> 802A' | grep -qE '^> 802A00(80|97)3330313' &&
	[ "$calls" = "CKM_RSA_PKCS:0 C_Sign:0" ]
tap_ok $? "... one SIGN APDU, P1 00 (a SHA-256 DigestInfo by CKM_RSA_PKCS: $calls)"

# Without -client_sigalgs (TLS 1.2) and in TLS 1.3 OpenSSL picks RSA-PSS
# and libp11 asks the token for it: C_SignInit with CKM_RSA_PKCS_PSS, then
# C_Sign. The card refuses P1 04 with 6A 86; a fresh process does not know
# yet whether that is about the key's short EF identifier (P2 97) or about
# P1, so the module tries SELECT + P2 80 at once (doc/card.md §11), refused
# again, and C_Sign answers CKR_MECHANISM_INVALID. libp11 then falls back
# to OpenSSL's own PSS padding and a raw RSA operation (CKM_RSA_X_509),
# which the module refuses at C_SignInit (the card has no raw RSA,
# doc/card.md §4): no further card command. One handshake per process, so
# the module's "no more PSS for this card" (tests/p11/test-pss) does not
# outlive it.
for v in 1_2 1_3; do
	n0=$(jp_log_mark)
	pss_client -tls$v
	rc=$?
	jp_clean_fail $rc && grep -q 'Mechanism invalid' "$D/err" &&
		grep -q 'tls_construct_cert_verify' "$D/err" && ! grep -q 'Protocol  :' "$D/page"
	tap_ok $? "pss=yes, a card without PSS: s_client -tls$v (OpenSSL picks RSA-PSS) fails cleanly with 'Mechanism invalid' in its CertificateVerify (rc $rc)"
	calls=$(sign_calls "$D/trace")
	[ "$calls" = "CKM_RSA_PKCS_PSS:0 C_Sign:70 CKM_RSA_X_509:70" ]
	tap_ok $? "... libp11: CKM_RSA_PKCS_PSS, C_Sign refused, then raw RSA refused at C_SignInit ($calls)"
	jp_tls_pss_refused "$n0" "$tries"
done

# TLS 1.3 needs RSA-PSS: a card that signs it (P1 04, doc/card.md §11) and
# pss=yes. libp11 0.4.12 signs through the token's CKM_RSA_PKCS_PSS
# (C_SignInit, then C_Sign: the trace shows no other mechanism); OpenSSL's
# default signature lists then work, in TLS 1.2 too (RSA-PSS first).
echo "# TLS 1.3 with RSA-PSS: a card that does P1 04, pss=yes"
# The emulator links OpenSSL too: started with this test's OPENSSL_CONF it
# would load libp11's engine (whose allocations LeakSanitizer reports at
# its exit in a sanitizer build). It gets none, like the first one.
emu_restart() {
	OPENSSL_CONF=/dev/null
	jp_emu_restart "$@"
	_rc=$?
	OPENSSL_CONF=$D/openssl.cnf
	return $_rc
}
emu_restart --pss
tap_ok $? "emulator restarted as a card that signs RSA-PSS (--pss)"
for v in 1_3 1_2; do
	n0=$(jp_log_mark)
	ver=$(echo "$v" | tr _ .)
	pss_client -tls$v
	rc=$?
	tap_ok $rc "pss=yes, a card with PSS: s_client -tls$v, OpenSSL's default signature lists (rc $rc)"
	[ $rc -eq 0 ] || sed 's/^/#   /' "$D/err" | head -n 8
	grep -q "Protocol  : TLSv$ver" "$D/page" && grep -q 'Peer signature type: RSA-PSS' "$D/page" &&
		grep -q 'Peer signing digest: SHA256' "$D/page" && grep -q 'Verify return code: 0 (ok)' "$D/page" &&
		jp_tls_page_cert "$D/page" "$D/peer.der" && cmp -s "$D/peer.der" "$CARD/auth.der" &&
		jp_tls_verified "$subj"
	tap_ok $? "... the server saw TLS $ver, an RSA-PSS/SHA-256 CertificateVerify, the card's certificate, and verified its chain"
	calls=$(sign_calls "$D/trace")
	jp_tls_pss_signed "$n0" && [ "$calls" = "CKM_RSA_PKCS_PSS:0 C_Sign:0" ] &&
		[ "$(jp_count_verify "$n0")" -eq 1 ] && [ "$(jp_pin_tries auth)" = "$tries" ]
	tap_ok $? "... one SIGN APDU, P1 04 by P2 97, by CKM_RSA_PKCS_PSS ($calls); one VERIFY, no PIN try lost"
done
emu_restart
tap_ok $? "emulator back to the default card"

# The negative twin of the TLS 1.2 client authentication: a server that
# trusts another CA ends the handshake (the checks above cannot tell a
# verifying server from one that lets any certificate in).
echo "# a server trusting the wrong CA refuses the card's certificate"
jp_tls_server_stop
jp_tls_server_start "$JP_TLS_WRONG_CA"
tap_ok $? "s_server trusting the wrong CA (the signature CA) on 127.0.0.1:$JP_TLS_PORT"
s_client -tls1_2 -client_sigalgs RSA+SHA256
rc=$?
jp_clean_fail $rc && jp_tls_refused && grep -q 'alert unknown ca' "$D/err" &&
	! grep -q 'Protocol  :' "$D/page"
tap_ok $? "wrong CA: s_client fails with the server's 'unknown ca' alert (rc $rc)"
if ! jp_san_exit_hang curl; then
	OPENSSL_CONF=$D/openssl-tls.cnf jp_with_module timeout 30 curl -sS --engine pkcs11 --key-type ENG \
		--key "$AUTH_KEY;pin-value=$JP_PIN_AUTH" --cert "$D/auth.pem" \
		--cacert "$JP_TLS_SERVER_CERT" --tlsv1.2 --tls-max 1.2 "https://127.0.0.1:$JP_TLS_PORT/" \
		>"$D/page" 2>"$D/err"
	rc=$?
	jp_clean_fail $rc && jp_tls_refused && grep -q 'unknown ca' "$D/err"
	tap_ok $? "wrong CA: curl fails with the server's 'unknown ca' alert (rc $rc)"
fi
jp_tls_server_stop
jp_tls_server_start "$CARD/auth-ca.pem"
tap_ok $? "s_server trusting the authentication CA again on 127.0.0.1:$JP_TLS_PORT"

echo "# curl"
if ! jp_san_exit_hang curl; then
	c_url() {
		jp_with_module timeout 30 curl -sS --engine pkcs11 --key-type ENG \
			--key "$AUTH_KEY;pin-value=$JP_PIN_AUTH" --cert "$D/auth.pem" \
			--cacert "$JP_TLS_SERVER_CERT" "$@" "https://127.0.0.1:$JP_TLS_PORT/" \
			>"$D/page" 2>"$D/err"
	}
	n0=$(jp_count_sign)
	OPENSSL_CONF=$D/openssl-tls.cnf c_url --tlsv1.2 --tls-max 1.2
	rc=$?
	tap_ok $rc "curl --tls-max 1.2 with ClientSignatureAlgorithms = RSA+SHA256 in OPENSSL_CONF (rc $rc)"
	page_ok TLSv1.2
	tap_ok $? "the server saw TLS 1.2, RSA/SHA-256 and the card's certificate"
	[ "$(jp_count_sign)" -eq $((n0 + 1)) ]
	tap_ok $? "one SIGN APDU"
	n0=$(jp_count_sign)
	c_url --tlsv1.2 --tls-max 1.2
	rc=$?
	jp_clean_fail $rc && grep -q 'Mechanism invalid' "$D/err"
	tap_ok $? "curl without the setting: fails with 'Mechanism invalid' (rc $rc)"
	OPENSSL_CONF=$D/openssl-tls.cnf c_url --tlsv1.3
	rc=$?
	jp_clean_fail $rc && grep -q 'certificate required' "$D/err"
	tap_ok $? "curl --tlsv1.3: fails with the server's 'certificate required' (rc $rc)"
	[ "$(jp_count_sign)" -eq "$n0" ]
	tap_ok $? "no SIGN APDU for either"
fi

echo "# a wrong PIN: one try, a clear message, no retry by libp11"
jp_with_module timeout 30 setsid -w "$OPENSSL" pkeyutl -engine pkcs11 -keyform engine \
	-inkey "$AUTH_KEY;pin-value=0000" -sign -in "$D/msg.sha256" \
	-pkeyopt digest:sha256 -out "$D/bad.sig" </dev/null >"$D/out" 2>&1
rc=$?
jp_clean_fail $rc && grep -q 'PIN incorrect' "$D/out"
tap_ok $? "pkeyutl with a wrong pin-value fails with 'PIN incorrect' (rc $rc)"
tries=$(jp_pin_tries auth)
[ "$tries" = 63C2 ]
tap_ok $? "exactly one try used ($tries)"
jp_with_module "$OPENSSL" pkeyutl -engine pkcs11 -keyform engine \
	-inkey "$AUTH_KEY;pin-value=$JP_PIN_AUTH" -sign -in "$D/msg.sha256" \
	-pkeyopt digest:sha256 -out "$D/msg2.sig" >"$D/out" 2>&1
tap_ok $? "the right PIN signs again"

tries=$(jp_pin_tries auth)
[ "$tries" = 63C3 ]
tap_ok $? "the authentication PIN has its 3 tries back ($tries)"

srv=$JP_TLS_SERVER_PID
jp_tls_server_stop
jp_nothing_left_running $srv
tap_done
