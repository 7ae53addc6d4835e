# shellcheck shell=sh
# Shared by test-openssl.sh, test-openssl-provider.sh, test-gnutls.sh and
# test-nss.sh (test-firefox.sh uses the RSA-PSS helpers): a local TLS server that
# requires a client certificate. Source it after consumer-lib.sh (the card's
# counters and jp_clean_fail are there); start the server after
# jp_consumer_start (it uses $JP_HARNESS_DIR).
#
#   jp_tls_server_start CAFILE [CERT KEY]
#                                openssl s_server -www on 127.0.0.1, a free
#                                port (the kernel picks it), -Verify 1
#                                -verify_return_error against CAFILE (a
#                                client certificate that does not chain to
#                                CAFILE ends the handshake: without
#                                -verify_return_error s_server only logs the
#                                error and serves the page); its own
#                                certificate CERT
#                                (default: a self-signed one made now); sets
#                                JP_TLS_PORT, JP_TLS_SERVER_PID,
#                                JP_TLS_SERVER_CERT (for -CAfile) and
#                                JP_TLS_SERVER_LOG (its output)
#   jp_tls_server_stop           kills it by PID (idempotent)
#   jp_tls_traps                 EXIT/INT/TERM: server, then the harness
#   jp_tls_page_cert PAGE OUT    the client certificate the server printed
#                                in its -www page, as DER into OUT
#   jp_tls_verified SUBJECT      the server's log shows it verified the
#                                client certificate SUBJECT (one line) and
#                                its issuer, with no verify error
#   jp_tls_refused               the server's log shows it refused the
#                                client's certificate: no chain to its CA
#                                (the negative twin of each client-auth
#                                test: the server started with the wrong CA)
#   JP_TLS_WRONG_CA              that wrong CA: the test PKI's signature CA,
#                                which did not issue the authentication
#                                certificate
#   jp_tls_pss_signed MARK       after MARK the card got exactly one sign
#                                command, RSA-PSS (P1 04) with the
#                                authentication key named by P2 97, and
#                                signed (doc/card.md §11)
#   jp_tls_sign_seq MARK         the sign commands the card got after MARK
#                                and its answers, as "P1P2:SW" words, e.g.
#                                "0497:9000" (RSA-PSS by the key's short EF
#                                identifier, signed) or "0497:6A86 0480:6A86"
#                                (refused, then the module's fallback to
#                                SELECT + P2 80, refused again: a card
#                                without PSS, doc/card.md §11)
#   jp_tls_pss_refused MARK N    two checks: the card refused RSA-PSS the
#                                way above, and only the login's VERIFY
#                                was sent (the PIN's counter still N)
#   jp_tls_pss_conf DIR          writes DIR/jpki-pkcs11.conf with the one
#                                line pss=yes (for XDG_CONFIG_HOME=DIR)
#   jp_san_exit_hang PROG        true (and a TAP comment saying so) in a
#                                sanitizer build for programs that hang at
#                                exit with the ASan runtime preloaded

: "${OPENSSL:=openssl}"

JP_TLS_SERVER_PID=
JP_TLS_PORT=
JP_TLS_SERVER_CERT=
JP_TLS_SERVER_LOG=

jp_tls_server_start() {
	_ca=$1
	_d=$JP_HARNESS_DIR
	JP_TLS_SERVER_LOG=$_d/s_server.out
	if [ -n "${2:-}" ]; then
		JP_TLS_SERVER_CERT=$2
		_key=$3
	else
		JP_TLS_SERVER_CERT=$_d/server.pem
		_key=$_d/server.key
		# An EC key: generated in milliseconds, and the server's own
		# signature has nothing to do with the card.
		"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$_key" -out "$JP_TLS_SERVER_CERT" -days 1 \
			-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || return 1
	fi
	: >"$JP_TLS_SERVER_LOG"
	# OPENSSL_CONF=/dev/null: the server must not load the engine.
	OPENSSL_CONF=/dev/null setsid "$OPENSSL" s_server -accept 127.0.0.1:0 \
		-key "$_key" -cert "$JP_TLS_SERVER_CERT" \
		-Verify 1 -verify_return_error -CAfile "$_ca" -www \
		>"$JP_TLS_SERVER_LOG" 2>&1 </dev/null &
	JP_TLS_SERVER_PID=$!
	_n=0
	while [ "$_n" -lt 100 ]; do
		JP_TLS_PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$JP_TLS_SERVER_LOG")
		[ -n "$JP_TLS_PORT" ] && return 0
		kill -0 "$JP_TLS_SERVER_PID" 2>/dev/null || break
		sleep 0.1
		_n=$((_n + 1))
	done
	echo "# s_server did not start:" >&2
	sed 's/^/#   /' "$JP_TLS_SERVER_LOG" >&2
	return 1
}

jp_tls_server_stop() {
	if [ -n "$JP_TLS_SERVER_PID" ]; then
		_jp_kill_wait "$JP_TLS_SERVER_PID"
		JP_TLS_SERVER_PID=
	fi
}

JP_TLS_WRONG_CA=$JP_CA_DIR/sign-ca.pem

jp_tls_verified() {
	! grep -q '^verify error' "$JP_TLS_SERVER_LOG" &&
		grep -A1 -F "depth=0 $1" "$JP_TLS_SERVER_LOG" | grep -q '^verify return:1$' &&
		grep -A1 '^depth=1 ' "$JP_TLS_SERVER_LOG" | grep -q '^verify return:1$'
}

jp_tls_refused() {
	grep -q '^verify error:num=20:unable to get local issuer certificate' "$JP_TLS_SERVER_LOG" &&
		grep -q 'certificate verify failed' "$JP_TLS_SERVER_LOG"
}

jp_tls_traps() {
	jp_traps jp_tls_server_stop
}

# s_server -www prints the peer's certificate in PEM after "Client
# certificate".
jp_tls_page_cert() {
	sed -n '/^Client certificate/,$p' "$1" |
		sed -n '/^-----BEGIN CERTIFICATE-----/,/^-----END CERTIFICATE-----/p' |
		"$OPENSSL" x509 -outform der -out "$2" 2>/dev/null
}

# The sign command and the card's answer, as the emulator logged them:
# "> 802A" P1 P2 ..., then "< " the answer.
_jp_tls_sign_answers() {
	jp_log_from "$1" | grep -A1 '^> 802A' | grep -v '^--$'
}

jp_tls_pss_signed() {
	[ "$(jp_count_sign "$1")" -eq 1 ] &&
		_jp_tls_sign_answers "$1" | sed -n 1p | grep -q '^> 802A0497' &&
		_jp_tls_sign_answers "$1" | sed -n 2p | grep -qE '^< [0-9A-F]{512}9000$'
}

jp_tls_sign_seq() {
	_jp_tls_sign_answers "$1" | awk '
		/^> 802A/ { cmd = substr($2, 5, 4) }
		/^< / && cmd != "" { printf "%s%s:%s", sep, cmd, substr($2, length($2) - 3); sep = " "; cmd = "" }'
}

# jp_tls_pss_refused MARK TRIES: two checks after a handshake with pss=yes
# on a card without PSS: since MARK the card refused P1 04 by P2 97 and,
# after SELECT, by P2 80 (the module cannot tell which parameter the card
# refused, doc/card.md §11), and only the login's VERIFY was sent, the
# authentication PIN's retry counter still TRIES.
jp_tls_pss_refused() {
	_seq=$(jp_tls_sign_seq "$1")
	[ "$_seq" = "0497:6A86 0480:6A86" ]
	tap_ok $? "... the card refused RSA-PSS (P1 04) with 6A 86 by P2 97 and after SELECT by P2 80 ($_seq)"
	[ "$(jp_count_verify "$1")" -eq 1 ] && [ "$(jp_pin_tries auth)" = "$2" ]
	tap_ok $? "... one VERIFY (the login), no PIN try lost ($2 → $(jp_pin_tries auth))"
}

jp_tls_pss_conf() {
	mkdir -p "$1" && echo "pss=yes" >"$1/jpki-pkcs11.conf"
}

# With libasan preloaded, curl and gnutls-cli (Debian 12) deadlock at exit in
# p11-kit's destructor (freelocale waits on glibc's locale lock), even
# without our module: `gnutls-cli --port 1 127.0.0.1` alone hangs. Like
# jp_heavy_program, but for one part of a test: the plain build (and
# distcheck) runs that part for real.
jp_san_exit_hang() {
	jp_sanitizer_note "$1 (it hangs at exit under the ASan preload, module or not)"
}
