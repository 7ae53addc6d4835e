#!/bin/sh
# OpenSSL 3 through pkcs11-provider (the modern path; test-openssl.sh covers
# libp11's engine), with the module behind a private pcscd: storeutl lists
# the tokens' certificates without a PIN (the signing certificate only after
# the signing password), pkeyutl and req with the authentication key, the
# signing key through the provider's context-specific login (typed at its
# prompt, or from pkcs11-module-token-pin), cms -sign, TLS 1.2 client
# authentication against a strictly verifying s_server (only with
# RSA+SHA256: the card cannot do PSS), the clean failure without that
# setting; with the option pss=yes on that card (a misconfiguration) TLS 1.2
# with RSA+SHA256 still works and a handshake where OpenSSL picks RSA-PSS
# (TLS 1.2 by default, TLS 1.3) fails cleanly, the card refusing P1 04 with
# 6A 86, no PIN try lost; TLS 1.3 with pss=yes on a card that signs RSA-PSS
# (the emulator's --pss); a server trusting another CA, a process that has
# the provider AND uses libp11's engine, a wrong PIN. Every signature is checked by openssl against the card's
# certificates; the retry counters say no PIN try was lost; every call runs
# under timeout (the module once hung under the provider: its own OpenSSL
# calls went back into the provider, and so into the module).
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"
. "$top_srcdir/tests/e2e/tls-lib.sh"

jp_need "$OPENSSL" script setsid timeout
# pkcs11-provider 1.0 dlopens the module with RTLD_DEEPBIND, which the ASan
# runtime refuses (it aborts the process): the plain build runs this test.
jp_heavy_program "pkcs11-provider (it loads the module with RTLD_DEEPBIND, which the ASan runtime refuses)"

# pkcs11-provider (Debian: pkcs11-provider, from bookworm-backports on
# Debian 12) in OpenSSL's module directory; libp11's engine for the mixed
# process.
jp_need_file "$(jp_openssl_dir modules)/pkcs11.so" "pkcs11-provider" "tools/setup-debian.sh installs it"
jp_need_file "$(jp_openssl_dir engines)/pkcs11.so" "libp11's pkcs11 engine" "tools/setup-debian.sh installs it"

jp_consumer_start
jp_tls_traps

D=$JP_HARNESS_DIR
CARD=$JP_CARD_DIR
AUTH_OBJ="$JP_TOKEN_AUTH;object=JPKI%20User%20Authentication"
SIGN_OBJ="$JP_TOKEN_SIGN;object=JPKI%20Digital%20Signature"
# pkcs11-provider takes the PIN as a query attribute (after "?").
AUTH_KEY="$AUTH_OBJ;type=private?pin-value=$JP_PIN_AUTH"
SIGN_KEY="$SIGN_OBJ;type=private?pin-value=$JP_PIN_SIGN"

# The configuration a user writes (doc/use/openssl.txt): the default
# provider for everything else, pkcs11-provider with the module.
# write_conf FILE [EXTRA PKCS11 SECTION LINES...]
write_conf() {
	jp_provider_conf "$@"
	printf '[req]\ndistinguished_name = req_dn\n[req_dn]\n' >>"$1"
}
write_conf "$D/prov.cnf"
# Interactive use of the signing key: the password typed once is reused for
# the context-specific login.
write_conf "$D/prov-cache.cnf" "pkcs11-module-cache-pins = cache"
# Unattended: the provider reads the password from a file for both logins.
printf '%s\n' "$JP_PIN_SIGN" >"$D/sign.pin"
write_conf "$D/prov-pinfile.cnf" "pkcs11-module-token-pin = file:$D/sign.pin"
# Log in before looking for certificates (the module shows the signing
# certificate only after the password).
write_conf "$D/prov-login.cnf" "pkcs11-module-login-behavior = always"
# The provider, initialised at start-up, and libp11's engine on the same
# module in one process.
write_conf "$D/prov-engine.cnf" "pkcs11-module-load-behavior = early"
sed 's/^providers = provider_sect$/&\nengines = engine_sect/' "$D/prov-engine.cnf" >"$D/both.cnf"
printf '[engine_sect]\npkcs11 = engine_pkcs11_sect\n[engine_pkcs11_sect]\nengine_id = pkcs11\nMODULE_PATH = %s\n' \
	"$JP_MODULE" >>"$D/both.cnf"
OPENSSL_CONF=$D/prov.cnf
export OPENSSL_CONF
# The module's trace: which interface the provider took, never a PIN (and
# the module's errors, for a look when something fails).
JPKI_PKCS11_DEBUG="level:5,file:$D/p11.log"
export JPKI_PKCS11_DEBUG

# The checks run with OpenSSL's own configuration only: nothing of the
# provider or the module can make them pass.
plain() {
	OPENSSL_CONF=/dev/null "$OPENSSL" "$@"
}
plain x509 -inform der -in "$CARD/auth.der" -out "$D/auth.pem"
plain x509 -inform der -in "$CARD/sign.der" -out "$D/sign.pem"
plain x509 -in "$D/auth.pem" -pubkey -noout >"$D/auth.pub"
plain x509 -in "$D/sign.pem" -pubkey -noout >"$D/sign.pub"

# ossl CMD...: openssl with the module, no terminal, bounded.
ossl() {
	jp_with_module timeout 60 setsid -w "$OPENSSL" "$@" </dev/null
}

# fingerprints FILE: the SHA-256 fingerprints of the PEM certificates in
# FILE (storeutl's output), sorted, one a line.
fingerprints() {
	awk -v d="$D" '
		/^-----BEGIN CERTIFICATE-----$/ { n++; f = d "/fp-" n ".pem" }
		f != "" { print > f }
		/^-----END CERTIFICATE-----$/ { close(f); f = "" }
		END { print n + 0 > (d "/fp-count") }
	' "$1"
	_i=1
	while [ "$_i" -le "$(cat "$D/fp-count")" ]; do
		plain x509 -in "$D/fp-$_i.pem" -noout -fingerprint -sha256
		rm -f "$D/fp-$_i.pem"
		_i=$((_i + 1))
	done | sort
}
fp() {
	plain x509 -inform "$1" -in "$2" -noout -fingerprint -sha256
}

echo "# the provider"
out=$(ossl list -providers 2>&1)
jp_contains "$out" "PKCS#11 Provider" && jp_contains "$out" "status: active"
tap_ok $? "openssl list -providers: pkcs11-provider active"

echo "# storeutl: the certificates, without a PIN"
n0=$(jp_log_mark)
ossl storeutl -certs "pkcs11:" >"$D/certs.out" 2>&1
rc=$?
tap_ok $rc "openssl storeutl -certs pkcs11: (rc $rc)"
fingerprints "$D/certs.out" >"$D/got.fp"
{
	fp der "$CARD/auth.der"
	fp pem "$CARD/auth-ca.pem"
	fp pem "$CARD/sign-ca.pem"
} | sort >"$D/want.fp"
cmp -s "$D/got.fp" "$D/want.fp"
tap_ok $? "exactly the authentication certificate and both CA certificates, byte for byte"
! grep -q "$(fp der "$CARD/sign.der")" "$D/got.fp"
tap_ok $? "not the signing certificate (its personal data needs the password)"
[ "$(jp_count_verify "$n0")" -eq 0 ]
tap_ok $? "no PIN was sent to the card"
# C_GetInfo of the 3.0 list is its own entry: pkcs11-provider asks for the
# newest interface first.
grep -q '> C_GetInfo30' "$D/p11.log"
tap_ok $? "pkcs11-provider reached the module through the PKCS#11 3.0 interface"
n0=$(jp_log_mark)
OPENSSL_CONF=$D/prov-login.cnf ossl storeutl -certs "$JP_TOKEN_SIGN?pin-value=$JP_PIN_SIGN" >"$D/certs.out" 2>&1
rc=$?
fingerprints "$D/certs.out" >"$D/got.fp"
{
	fp der "$CARD/sign.der"
	fp pem "$CARD/sign-ca.pem"
} | sort >"$D/want.fp"
[ "$rc" -eq 0 ] && cmp -s "$D/got.fp" "$D/want.fp" && [ "$(jp_count_verify "$n0")" -eq 1 ]
tap_ok $? "login-behavior = always and the password: the signature token's two certificates, one VERIFY (rc $rc)"

echo "# pkeyutl with the authentication key"
printf 'jpki-pkcs11 provider test\n' >"$D/msg"
plain dgst -sha256 -binary "$D/msg" >"$D/msg.sha256"
n0=$(jp_log_mark)
ossl pkeyutl -sign -inkey "$AUTH_KEY" -in "$D/msg.sha256" -pkeyopt digest:sha256 \
	-out "$D/msg.sig" >"$D/out" 2>&1
rc=$?
tap_ok $rc "pkeyutl -sign -inkey pkcs11:...?pin-value=... -pkeyopt digest:sha256 (rc $rc)"
plain pkeyutl -verify -pubin -inkey "$D/auth.pub" -in "$D/msg.sha256" \
	-sigfile "$D/msg.sig" -pkeyopt digest:sha256 >/dev/null 2>&1
tap_ok $? "the signature verifies with the certificate's key"
hash=$(od -An -v -tx1 "$D/msg.sha256" | tr -d ' \n' | tr a-f A-F)
[ "$(jp_count_sign "$n0")" -eq 1 ] && [ "$(jp_count_verify "$n0")" -eq 1 ] &&
	[ "$(jp_last_signed)" = "> 802A0080333031300D060960864801650304020105000420${hash}00" ]
tap_ok $? "one VERIFY, one SIGN APDU carrying DigestInfo(SHA-256, hash)"

echo "# req -new -x509 with the authentication key"
ossl req -new -x509 -key "$AUTH_KEY" -subj "/CN=jpki-pkcs11 provider self-signed" \
	-sha256 -days 1 -out "$D/self.pem" >"$D/out" 2>&1
tap_ok $? "openssl req -new -x509 -key pkcs11:..."
plain verify -check_ss_sig -CAfile "$D/self.pem" "$D/self.pem" >/dev/null 2>&1
tap_ok $? "the self-signed certificate's signature verifies (-check_ss_sig)"
plain x509 -in "$D/self.pem" -pubkey -noout 2>/dev/null | cmp -s - "$D/auth.pub"
tap_ok $? "its key is the card's authentication key"
plain x509 -in "$D/self.pem" -noout -text 2>/dev/null |
	grep -q 'Signature Algorithm: sha256WithRSAEncryption'
tap_ok $? "signed with sha256WithRSAEncryption"

echo "# the signing key (CKA_ALWAYS_AUTHENTICATE): the provider's context-specific login"
# pin-value serves the first login only; the provider asks for the
# context-specific one at the terminal. Without one: a clean failure.
tries_before=$(jp_pin_tries sign)
n0=$(jp_log_mark)
ossl pkeyutl -sign -inkey "$SIGN_KEY" -in "$D/msg.sha256" -pkeyopt digest:sha256 \
	-out "$D/nosig" >"$D/out" 2>&1
rc=$?
jp_clean_fail $rc && [ "$(jp_count_sign "$n0")" -eq 0 ]
tap_ok $? "no terminal for the second question: a clean failure, no SIGN APDU (rc $rc)"
tries=$(jp_pin_tries sign)
[ "$tries" = "$tries_before" ] && [ "$tries" = 63C5 ]
tap_ok $? "no signing-password try lost ($tries_before -> $tries)"

# With pkcs11-module-cache-pins = cache the password typed at the
# provider's (first) prompt serves both logins: one question. "script"
# gives the process a terminal and types it.
n0=$(jp_log_mark)
printf '%s\n' "$JP_PIN_SIGN" | OPENSSL_CONF=$D/prov-cache.cnf jp_with_module timeout 60 script -qec \
	"'$OPENSSL' pkeyutl -sign -inkey '$SIGN_OBJ;type=private' -in '$D/msg.sha256' -pkeyopt digest:sha256 -out '$D/sign.sig'" \
	/dev/null >"$D/typed.out" 2>&1
rc=$?
tap_ok $rc "pkeyutl -sign with the signing key, the password typed once (cache-pins) (rc $rc)"
[ "$(grep -c 'Enter pass phrase for' "$D/typed.out")" -eq 1 ] && ! grep -q 'Enter PIN for' "$D/typed.out"
tap_ok $? "one question at the terminal"
plain pkeyutl -verify -pubin -inkey "$D/sign.pub" -in "$D/msg.sha256" \
	-sigfile "$D/sign.sig" -pkeyopt digest:sha256 >/dev/null 2>&1
tap_ok $? "the signature verifies with the signing certificate's key"
[ "$(jp_count_verify "$n0")" -eq 2 ] && [ "$(jp_count_sign "$n0")" -eq 1 ]
tap_ok $? "two VERIFY (login, context-specific login), one SIGN APDU"

echo "# cms -sign with the signing key, the password from pkcs11-module-token-pin"
printf 'A document to sign.\n' >"$D/doc.txt"
n0=$(jp_log_mark)
OPENSSL_CONF=$D/prov-pinfile.cnf ossl cms -sign -inkey "$SIGN_OBJ;type=private" -signer "$D/sign.pem" \
	-md sha256 -binary -nodetach -in "$D/doc.txt" -outform der -out "$D/doc.p7s" >"$D/out" 2>&1
rc=$?
tap_ok $rc "openssl cms -sign -inkey pkcs11:... (rc $rc)"
rm -f "$D/cms-signer.pem"
plain cms -verify -inform der -in "$D/doc.p7s" -CAfile "$CARD/sign-ca.pem" -purpose any \
	-signer "$D/cms-signer.pem" -out "$D/doc.out" >/dev/null 2>&1 && cmp -s "$D/doc.txt" "$D/doc.out"
tap_ok $? "the CMS verifies against the signing CA and holds the document"
plain x509 -in "$D/cms-signer.pem" -outform der 2>/dev/null | cmp -s - "$CARD/sign.der"
tap_ok $? "its signer is the card's signing certificate"
[ "$(jp_count_verify "$n0")" -eq 2 ] && [ "$(jp_count_sign "$n0")" -eq 1 ]
tap_ok $? "two VERIFY, one SIGN APDU"
tries=$(jp_pin_tries sign)
[ "$tries" = 63C5 ]
tap_ok $? "the signing password has all its tries ($tries)"

echo "# TLS 1.2 client authentication against openssl s_server"
# The server verifies the client's chain strictly (-Verify 1
# -verify_return_error, tls-lib.sh).
jp_tls_server_start "$CARD/auth-ca.pem"
tap_ok $? "s_server on 127.0.0.1:$JP_TLS_PORT requiring a client certificate"
s_client() {
	printf 'GET / HTTP/1.0\r\n\r\n' | jp_with_module timeout 60 "$OPENSSL" s_client \
		-connect "127.0.0.1:$JP_TLS_PORT" -CAfile "$JP_TLS_SERVER_CERT" \
		-key "$AUTH_KEY" -cert "$D/auth.pem" -quiet "$@" >"$D/page" 2>"$D/err"
}
# page_ok: the server's page names TLS 1.2, an RSA+SHA256 client signature,
# the card's certificate, and its verification of the client's chain.
page_ok() {
	grep -q "Protocol  : TLSv1.2" "$D/page" &&
		grep -q 'Peer signature type: RSA$' "$D/page" &&
		grep -q 'Peer signing digest: SHA256' "$D/page" &&
		grep -q 'Verify return code: 0 (ok)' "$D/page" &&
		jp_tls_page_cert "$D/page" "$D/peer.der" && cmp -s "$D/peer.der" "$CARD/auth.der"
}
subj=$(plain x509 -inform der -in "$CARD/auth.der" -noout -subject -nameopt oneline | sed 's/^subject=//')
n0=$(jp_log_mark)
s_client -tls1_2 -client_sigalgs RSA+SHA256
rc=$?
tap_ok $rc "s_client -tls1_2 -client_sigalgs RSA+SHA256 -key pkcs11:... (rc $rc)"
page_ok
tap_ok $? "the server saw TLS 1.2, an RSA/SHA-256 CertificateVerify and the card's certificate"
jp_tls_verified "$subj"
tap_ok $? "s_server verified the client '$subj' against the authentication CA"
[ "$(jp_count_sign "$n0")" -eq 1 ]
tap_ok $? "the handshake cost one SIGN APDU"

echo "# without the setting OpenSSL picks RSA-PSS: a clean failure"
n0=$(jp_log_mark)
s_client -tls1_2
rc=$?
jp_clean_fail $rc && grep -q 'CKM_RSA_PKCS_PSS unavailable' "$D/err"
tap_ok $? "s_client -tls1_2: fails with 'CKM_RSA_PKCS_PSS unavailable' (rc $rc)"
tries=$(jp_pin_tries auth)
[ "$(jp_count_sign "$n0")" -eq 0 ] && [ "$tries" = 63C3 ]
tap_ok $? "nothing sent to the card for signing, no PIN try lost ($tries)"

# pss=yes (the user's file) on this card, which has no RSA-PSS: a
# misconfiguration. Limited to RSA+SHA256, TLS 1.2 works as before.
echo "# pss=yes on a card without RSA-PSS"
jp_tls_pss_conf "$D/xdg-pss"
n0=$(jp_log_mark)
XDG_CONFIG_HOME=$D/xdg-pss s_client -tls1_2 -client_sigalgs RSA+SHA256
rc=$?
tap_ok $rc "pss=yes, a card without PSS: s_client -tls1_2 -client_sigalgs RSA+SHA256 (rc $rc)"
page_ok && jp_tls_verified "$subj"
tap_ok $? "... the server saw TLS 1.2, an RSA/SHA-256 CertificateVerify and the card's certificate, verified"
[ "$(jp_count_sign "$n0")" -eq 1 ] && jp_log_from "$n0" | grep '^> 802A' | grep -qE '^> 802A00(80|97)3330313'
tap_ok $? "... one SIGN APDU, P1 00 (a SHA-256 DigestInfo)"

# Without -client_sigalgs OpenSSL picks RSA-PSS (TLS 1.2 and 1.3 alike):
# the card refuses P1 04 with 6A 86; in a fresh process the module does not
# know yet whether that is about the key's short EF identifier (P2 97) or
# about P1, so it tries SELECT + P2 80 at once (doc/card.md §11), refused
# again: C_Sign answers CKR_MECHANISM_INVALID and the handshake fails. One
# handshake per s_client process: the module's "no more PSS for this card"
# (tests/p11/test-pss) does not outlive it.
tries=$(jp_pin_tries auth)
n0=$(jp_log_mark)
XDG_CONFIG_HOME=$D/xdg-pss s_client -tls1_2
rc=$?
jp_clean_fail $rc && grep -q 'tls_construct_cert_verify' "$D/err" && ! grep -q 'Protocol  :' "$D/page"
tap_ok $? "pss=yes, a card without PSS: s_client -tls1_2 (OpenSSL picks RSA-PSS) fails cleanly in its CertificateVerify (rc $rc)"
jp_tls_pss_refused "$n0" "$tries"
n0=$(jp_log_mark)
XDG_CONFIG_HOME=$D/xdg-pss s_client
rc=$?
jp_clean_fail $rc && grep -q 'tls_construct_cert_verify' "$D/err" && ! grep -q 'Protocol  :' "$D/page"
tap_ok $? "pss=yes, a card without PSS: s_client with OpenSSL's defaults (TLS 1.3) fails cleanly in its CertificateVerify (rc $rc)"
jp_tls_pss_refused "$n0" "$tries"

# TLS 1.3 needs RSA-PSS: a card that signs it (P1 04, doc/card.md §11) and
# the option pss=yes (the user's file). OpenSSL's default sigalgs then work.
echo "# TLS 1.3 with RSA-PSS: a card that does P1 04, pss=yes"
jp_emu_restart --pss
tap_ok $? "emulator restarted as a card that signs RSA-PSS (--pss)"
n0=$(jp_log_mark)
XDG_CONFIG_HOME=$D/xdg-pss s_client
rc=$?
tap_ok $rc "pss=yes: s_client with OpenSSL's defaults (TLS 1.3) (rc $rc)"
[ $rc -eq 0 ] || sed 's/^/#   /' "$D/err" | head -n 8
grep -q "Protocol  : TLSv1.3" "$D/page" && grep -q 'Peer signature type: RSA-PSS' "$D/page" &&
	grep -q 'Verify return code: 0 (ok)' "$D/page" &&
	jp_tls_page_cert "$D/page" "$D/peer.der" && cmp -s "$D/peer.der" "$CARD/auth.der"
tap_ok $? "the server saw TLS 1.3, an RSA-PSS CertificateVerify, the card's certificate, and verified it"
jp_tls_pss_signed "$n0"
tap_ok $? "one SIGN APDU: P1 04 by P2 97"
jp_emu_restart
tap_ok $? "emulator back to the default card"

# The negative twin: a server that trusts another CA ends the handshake
# (the checks above cannot tell a verifying server from one that lets any
# certificate in).
echo "# a server trusting the wrong CA refuses the card's certificate"
srv1=$JP_TLS_SERVER_PID
jp_tls_server_stop
jp_tls_server_start "$JP_TLS_WRONG_CA"
tap_ok $? "s_server trusting the wrong CA (the signature CA) on 127.0.0.1:$JP_TLS_PORT"
s_client -tls1_2 -client_sigalgs RSA+SHA256
rc=$?
jp_clean_fail $rc && jp_tls_refused && grep -q 'alert unknown ca' "$D/err" &&
	! grep -q 'Protocol  :' "$D/page"
tap_ok $? "wrong CA: s_client fails with the server's 'unknown ca' alert (rc $rc)"
srv2=$JP_TLS_SERVER_PID
jp_tls_server_stop

echo "# the provider and libp11's engine in one process"
# The provider initialises the module at start-up and loads the signer's
# certificate; the engine signs with the key. (The reverse, a provider key
# in a process with libp11's engine configured, crashes in OpenSSL 3.0's
# RSA_sign whatever the module: doc/use/openssl.txt.)
n0=$(jp_log_mark)
OPENSSL_CONF=$D/both.cnf ossl cms -sign -engine pkcs11 -keyform engine \
	-inkey "$AUTH_OBJ;type=private;pin-value=$JP_PIN_AUTH" -signer "$AUTH_OBJ;type=cert" \
	-md sha256 -binary -nodetach -in "$D/doc.txt" -outform der -out "$D/mixed.p7s" >"$D/out" 2>&1
rc=$?
tap_ok $rc "cms -sign: the signer certificate through the provider, the key through the engine (rc $rc)"
rm -f "$D/cms-signer.pem"
plain cms -verify -inform der -in "$D/mixed.p7s" -CAfile "$CARD/auth-ca.pem" -purpose any \
	-signer "$D/cms-signer.pem" -out /dev/null >/dev/null 2>&1 &&
	plain x509 -in "$D/cms-signer.pem" -outform der 2>/dev/null | cmp -s - "$CARD/auth.der"
tap_ok $? "the CMS verifies against the authentication CA, signed by the card's certificate"
[ "$(jp_count_sign "$n0")" -eq 1 ]
tap_ok $? "one SIGN APDU"

echo "# a wrong PIN: one try, no retry by the provider"
n0=$(jp_log_mark)
ossl pkeyutl -sign -inkey "$AUTH_OBJ;type=private?pin-value=0000" -in "$D/msg.sha256" \
	-pkeyopt digest:sha256 -out "$D/bad.sig" >"$D/out" 2>&1
rc=$?
tries=$(jp_pin_tries auth)
jp_clean_fail $rc && [ "$(jp_count_verify "$n0")" -eq 1 ] && [ "$tries" = 63C2 ]
tap_ok $? "pkeyutl with a wrong pin-value fails; one VERIFY, one try used ($tries) (rc $rc)"
ossl pkeyutl -sign -inkey "$AUTH_KEY" -in "$D/msg.sha256" -pkeyopt digest:sha256 \
	-out "$D/msg2.sig" >"$D/out" 2>&1
tries=$(jp_pin_tries auth)
[ "$tries" = 63C3 ]
tap_ok $? "the right PIN signs again and the PIN has its 3 tries back ($tries)"

# (the messages only: a time stamp may hold a PIN's digits by chance)
grep -q '> C_Login ' "$D/p11.log" &&
	! sed 's/^[^]]*] [A-Z]*: //' "$D/p11.log" | grep -qF -e "$JP_PIN_AUTH" -e "$JP_PIN_SIGN"
tap_ok $? "the module's trace shows the logins, never a PIN"

jp_nothing_left_running "$srv1" "$srv2"
tap_done
