#!/bin/sh
# GnuTLS with the module behind a private pcscd: p11tool (tokens, public
# certificates before login, the signing certificate only after it, exports
# compared byte for byte with the card's, --test-sign on both keys including
# the always-authenticate signing key), gnutls-cli client authentication with
# pkcs11: URIs against a local openssl s_server (TLS 1.2 works: GnuTLS sees
# no CKM_RSA_PKCS_PSS and signs RSA+SHA256; TLS 1.3 fails cleanly); with the
# option pss=yes on that card (a misconfiguration) TLS 1.2 limited to
# SIGN-RSA-SHA256 works and a handshake where GnuTLS picks RSA-PSS (TLS 1.2
# by default, TLS 1.3) fails cleanly, the card refusing P1 04 with 6A 86, no
# PIN try lost; TLS 1.3 with pss=yes on a card that signs RSA-PSS (the
# emulator's --pss); a wrong PIN costing exactly one try.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"
. "$top_srcdir/tests/e2e/tls-lib.sh"

jp_need p11tool gnutls-cli "$OPENSSL"

jp_consumer_start
jp_tls_traps

D=$JP_HARNESS_DIR
CARD=$JP_CARD_DIR
AUTH_KEY="$JP_TOKEN_AUTH;object=JPKI%20User%20Authentication;type=private"
AUTH_CERT="$JP_TOKEN_AUTH;object=JPKI%20User%20Authentication;type=cert"
# GnuTLS reads no other configuration: keep the user's out of the way.
unset GNUTLS_PIN GNUTLS_SO_PIN

p11() {
	jp_with_module timeout 30 p11tool --provider "$JP_MODULE" "$@"
}
# der_of OUT: PEM on stdin -> DER
der_of() {
	"$OPENSSL" x509 -outform der -out "$1" 2>/dev/null
}

echo "# p11tool: tokens"
p11 --list-tokens >"$D/tokens" 2>&1
tap_ok $? "p11tool --list-tokens"
grep -qxF "	Label: $JP_LABEL_AUTH" "$D/tokens" &&
	grep -qxF "	Label: $JP_LABEL_SIGN" "$D/tokens"
tap_ok $? "both tokens listed with their labels"
[ "$(grep -c '^	Manufacturer: J-LIS (JPKI)$' "$D/tokens")" -eq 2 ] &&
	[ "$(grep -c '^	Type: Hardware token$' "$D/tokens")" -eq 2 ]
tap_ok $? "manufacturer J-LIS (JPKI), hardware tokens"
serials=$(sed -n 's/^	Serial: //p' "$D/tokens" | sort -u)
echo "$serials" | grep -Eqx '[0-9A-F]{16}'
tap_ok $? "one 16-hex-digit serial for the card's two tokens ($serials)"

echo "# p11tool: certificates without login"
p11 --list-all-certs pkcs11: >"$D/certs" 2>&1
tap_ok $? "p11tool --list-all-certs pkcs11:"
labels=$(sed -n 's/^	Label: //p' "$D/certs" | sort | tr '\n' '|')
[ "$labels" = "JPKI Digital Signature CA|JPKI User Authentication|JPKI User Authentication CA|" ]
tap_ok $? "three public certificates, the signing certificate not among them ($labels)"
p11 --export "$AUTH_CERT" 2>/dev/null | der_of "$D/auth.der" && cmp -s "$D/auth.der" "$CARD/auth.der"
tap_ok $? "exported authentication certificate = the card's"
p11 --export "$JP_TOKEN_AUTH;object=JPKI%20User%20Authentication%20CA;type=cert" 2>/dev/null |
	der_of "$D/auth-ca.der" && cmp -s "$D/auth-ca.der" "$CARD/auth-ca.der"
tap_ok $? "exported authentication CA = the card's"
p11 --export "$JP_TOKEN_SIGN;object=JPKI%20Digital%20Signature%20CA;type=cert" 2>/dev/null |
	der_of "$D/sign-ca.der" && cmp -s "$D/sign-ca.der" "$CARD/sign-ca.der"
tap_ok $? "exported signing CA = the card's"

echo "# p11tool: the signing token after login"
GNUTLS_PIN=$JP_PIN_SIGN p11 --login --export "$JP_TOKEN_SIGN;object=JPKI%20Digital%20Signature;type=cert" \
	2>/dev/null | der_of "$D/sign.der" && cmp -s "$D/sign.der" "$CARD/sign.der"
tap_ok $? "after login the signing certificate is there and = the card's"

echo "# p11tool --test-sign (signs, then verifies with the key's public parts)"
# By id only: p11tool looks for the public key with the same URL and
# type=public, and the key pair's labels differ.
key_url() { # TOKEN PIN
	GNUTLS_PIN=$2 p11 --login --list-privkeys --only-urls "$1" 2>/dev/null |
		head -n 1 | sed 's/;object=[^;]*//'
}
test_sign() { # URL PIN
	GNUTLS_PIN=$2 p11 --login --test-sign "$1" >"$D/ts.out" 2>&1
}
signed_ok() {
	grep -q 'Signing using RSA-SHA256... ok' "$D/ts.out" &&
		grep -q 'Verifying against public key in the token... ok' "$D/ts.out"
}
url=$(key_url "$JP_TOKEN_AUTH" "$JP_PIN_AUTH")
n0=$(jp_count_sign)
test_sign "$url" "$JP_PIN_AUTH"
rc=$?
[ $rc -eq 0 ] && signed_ok
tap_ok $? "authentication key: RSA-SHA256 signature verified against the token's public key (rc $rc)"
[ "$(jp_count_sign)" -eq $((n0 + 1)) ]
tap_ok $? "one SIGN APDU"
url=$(key_url "$JP_TOKEN_SIGN" "$JP_PIN_SIGN")
n0=$(jp_count_sign)
v0=$(grep -c '^> 0020008006' "$JP_EMU_LOG")
test_sign "$url" "$JP_PIN_SIGN"
rc=$?
[ $rc -eq 0 ] && signed_ok
tap_ok $? "signing key (always-authenticate, GnuTLS logs in again with the password): verified (rc $rc)"
[ "$(jp_count_sign)" -eq $((n0 + 1)) ]
tap_ok $? "one SIGN APDU"
v=$(($(grep -c '^> 0020008006' "$JP_EMU_LOG") - v0))
[ "$v" -eq 2 ]
tap_ok $? "the password reached the card twice: C_Login, then the context-specific login ($v VERIFYs)"

echo "# gnutls-cli client authentication against openssl s_server"
if ! jp_san_exit_hang gnutls-cli; then
	jp_tls_server_start "$CARD/auth-ca.pem"
	tap_ok $? "s_server on 127.0.0.1:$JP_TLS_PORT requiring a client certificate"
	g_cli() {
		printf 'GET / HTTP/1.0\r\n\r\n' | jp_with_module timeout 30 gnutls-cli \
			--port "$JP_TLS_PORT" --x509cafile "$JP_TLS_SERVER_CERT" \
			--provider "$JP_MODULE" "$@" 127.0.0.1 >"$D/page" 2>&1
	}
	page_ok() {
		grep -q "Protocol  : $1" "$D/page" &&
			grep -q 'Peer signature type: RSA$' "$D/page" &&
			grep -q 'Peer signing digest: SHA256' "$D/page" &&
			jp_tls_page_cert "$D/page" "$D/peer.der" && cmp -s "$D/peer.der" "$CARD/auth.der"
	}
	n0=$(jp_count_sign)
	GNUTLS_PIN=$JP_PIN_AUTH g_cli --x509keyfile "$AUTH_KEY" --x509certfile "$AUTH_CERT" \
		--priority NORMAL:-VERS-TLS1.3
	rc=$?
	tap_ok $rc "gnutls-cli --priority NORMAL:-VERS-TLS1.3, PIN from GNUTLS_PIN (rc $rc)"
	page_ok TLSv1.2
	tap_ok $? "the server saw TLS 1.2, an RSA/SHA-256 CertificateVerify and the card's certificate"
	last=$(jp_last_signed)
	[ "$(jp_count_sign)" -eq $((n0 + 1)) ] &&
		case "$last" in "> 802A0080333031300D060960864801650304020105000420"*) true ;; *) false ;; esac
	tap_ok $? "one SIGN APDU, a SHA-256 DigestInfo (rsa_pkcs1_sha256, not PSS)"

	g_cli --x509keyfile "$AUTH_KEY;pin-value=$JP_PIN_AUTH" --x509certfile "$AUTH_CERT" \
		--priority NORMAL:-VERS-TLS1.3
	rc=$?
	tap_ok $rc "the same with pin-value= in the key's URI (rc $rc)"
	page_ok TLSv1.2
	tap_ok $? "the server saw the card's certificate"

	echo "# TLS 1.3: GnuTLS offers no certificate (no RSA-PSS on the token)"
	n0=$(jp_count_sign)
	GNUTLS_PIN=$JP_PIN_AUTH g_cli --x509keyfile "$AUTH_KEY" --x509certfile "$AUTH_CERT"
	rc=$?
	jp_clean_fail $rc && grep -q 'Protocol  : TLSv1.3\|TLS1.3' "$D/page" &&
		grep -q 'Certificate is required' "$D/page"
	tap_ok $? "default priority negotiates TLS 1.3 and fails with the server's 'certificate required' (rc $rc)"
	[ "$(jp_count_sign)" -eq "$n0" ]
	tap_ok $? "no SIGN APDU: GnuTLS does not fall back to TLS 1.2 by itself"

	# pss=yes (the user's file) on this card, which has no RSA-PSS: a
	# misconfiguration. TLS 1.2 limited to the PKCS#1 signature (and the
	# server's ECDSA one) works as before.
	echo "# pss=yes on a card without RSA-PSS"
	jp_tls_pss_conf "$D/xdg-pss"
	pkcs1=NORMAL:-VERS-TLS1.3:-SIGN-ALL:+SIGN-RSA-SHA256:+SIGN-ECDSA-SHA256
	m0=$(jp_log_mark)
	GNUTLS_PIN=$JP_PIN_AUTH XDG_CONFIG_HOME=$D/xdg-pss g_cli --x509keyfile "$AUTH_KEY" \
		--x509certfile "$AUTH_CERT" --priority "$pkcs1"
	rc=$?
	tap_ok $rc "pss=yes, a card without PSS: gnutls-cli --priority $pkcs1 (rc $rc)"
	page_ok TLSv1.2 && grep -q 'Verify return code: 0 (ok)' "$D/page"
	tap_ok $? "... the server saw TLS 1.2, an RSA/SHA-256 CertificateVerify and the card's certificate, verified"
	[ "$(jp_count_sign "$m0")" -eq 1 ] && jp_log_from "$m0" | grep '^> 802A' | grep -qE '^> 802A00(80|97)3330313'
	tap_ok $? "... one SIGN APDU, P1 00 (a SHA-256 DigestInfo)"

	# GnuTLS picks RSA-PSS when the token offers it, in TLS 1.2 (the
	# server lists rsa_pss_* first) and in TLS 1.3: the card refuses P1 04
	# with 6A 86; in a fresh process the module does not know yet whether
	# that is about the key's short EF identifier (P2 97) or about P1, so
	# it tries SELECT + P2 80 at once (doc/card.md §11), refused again:
	# CKR_MECHANISM_INVALID, which GnuTLS reports as "PKCS #11
	# unsupported feature", the handshake fails. One handshake per
	# gnutls-cli process: the module's "no more PSS for this card"
	# (tests/p11/test-pss) does not outlive it.
	tries=$(jp_pin_tries auth)
	m0=$(jp_log_mark)
	GNUTLS_PIN=$JP_PIN_AUTH XDG_CONFIG_HOME=$D/xdg-pss g_cli --x509keyfile "$AUTH_KEY" \
		--x509certfile "$AUTH_CERT" --priority NORMAL:-VERS-TLS1.3
	rc=$?
	jp_clean_fail $rc && grep -q 'Fatal error: PKCS #11 unsupported feature' "$D/page" &&
		! grep -q 'Protocol  :' "$D/page"
	tap_ok $? "pss=yes, a card without PSS: gnutls-cli --priority NORMAL:-VERS-TLS1.3 fails cleanly: 'PKCS #11 unsupported feature' (rc $rc)"
	jp_tls_pss_refused "$m0" "$tries"
	m0=$(jp_log_mark)
	GNUTLS_PIN=$JP_PIN_AUTH XDG_CONFIG_HOME=$D/xdg-pss g_cli --x509keyfile "$AUTH_KEY" \
		--x509certfile "$AUTH_CERT"
	rc=$?
	jp_clean_fail $rc && grep -q 'Fatal error: PKCS #11 unsupported feature' "$D/page" &&
		! grep -q 'Protocol  :' "$D/page"
	tap_ok $? "pss=yes, a card without PSS: gnutls-cli, default priority (TLS 1.3), fails cleanly: 'PKCS #11 unsupported feature' (rc $rc)"
	jp_tls_pss_refused "$m0" "$tries"

	# TLS 1.3 needs RSA-PSS: a card that signs it (P1 04, doc/card.md §11)
	# and the option pss=yes (the user's file, as a citizen would set it).
	echo "# TLS 1.3 with RSA-PSS: a card that does P1 04, pss=yes"
	jp_emu_restart --pss
	tap_ok $? "emulator restarted as a card that signs RSA-PSS (--pss)"
	m0=$(jp_log_mark)
	GNUTLS_PIN=$JP_PIN_AUTH XDG_CONFIG_HOME=$D/xdg-pss g_cli --x509keyfile "$AUTH_KEY" \
		--x509certfile "$AUTH_CERT"
	rc=$?
	tap_ok $rc "pss=yes: gnutls-cli, default priority (TLS 1.3) (rc $rc)"
	grep -q 'Protocol  : TLSv1.3' "$D/page" && grep -q 'Peer signature type: RSA-PSS' "$D/page" &&
		grep -q 'Verify return code: 0 (ok)' "$D/page" &&
		jp_tls_page_cert "$D/page" "$D/peer.der" && cmp -s "$D/peer.der" "$CARD/auth.der"
	tap_ok $? "the server saw TLS 1.3, an RSA-PSS CertificateVerify and the card's certificate, verified"
	jp_tls_pss_signed "$m0"
	tap_ok $? "one SIGN APDU: P1 04 (PSS over the host's SHA-256 hash), key named by P2 97"
	jp_emu_restart
	tap_ok $? "emulator back to the default card"

	# The negative twin of the client authentication: a server that trusts
	# another CA ends the handshake (the checks above cannot tell a
	# verifying server from one that lets any certificate in).
	echo "# a server trusting the wrong CA refuses the card's certificate"
	jp_tls_server_stop
	jp_tls_server_start "$JP_TLS_WRONG_CA"
	tap_ok $? "s_server trusting the wrong CA (the signature CA) on 127.0.0.1:$JP_TLS_PORT"
	GNUTLS_PIN=$JP_PIN_AUTH g_cli --x509keyfile "$AUTH_KEY" --x509certfile "$AUTH_CERT" \
		--priority NORMAL:-VERS-TLS1.3
	rc=$?
	jp_clean_fail $rc && jp_tls_refused && grep -q 'Received alert \[48\]: CA is unknown' "$D/page" &&
		! grep -q 'Protocol  :' "$D/page"
	tap_ok $? "wrong CA: gnutls-cli fails with the server's 'CA is unknown' alert (rc $rc)"
	jp_tls_server_stop
	jp_tls_server_start "$CARD/auth-ca.pem"
	tap_ok $? "s_server trusting the authentication CA again on 127.0.0.1:$JP_TLS_PORT"

	echo "# a wrong PIN costs one try, and GnuTLS does not retry it"
	GNUTLS_PIN=0000 g_cli --x509keyfile "$AUTH_KEY" --x509certfile "$AUTH_CERT" \
		--priority NORMAL:-VERS-TLS1.3 </dev/null
	rc=$?
	jp_clean_fail $rc
	tap_ok $? "gnutls-cli with a wrong PIN fails cleanly (rc $rc)"
	tries=$(jp_pin_tries auth)
	[ "$tries" = 63C2 ]
	tap_ok $? "exactly one try used ($tries)"
	GNUTLS_PIN=$JP_PIN_AUTH g_cli --x509keyfile "$AUTH_KEY" --x509certfile "$AUTH_CERT" \
		--priority NORMAL:-VERS-TLS1.3
	tap_ok $? "the right PIN works again"
	tries=$(jp_pin_tries auth)
	[ "$tries" = 63C3 ]
	tap_ok $? "and the counter is back to 3 ($tries)"
fi
tries=$(jp_pin_tries sign)
[ "$tries" = 63C5 ]
tap_ok $? "the signing password still has 5 tries ($tries)"

srv=$JP_TLS_SERVER_PID
jp_tls_server_stop
jp_nothing_left_running $srv
tap_done
