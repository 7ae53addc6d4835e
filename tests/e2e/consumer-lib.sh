# shellcheck shell=sh
# Shared by the e2e tests that drive real programs (pkcs11-tool, NSS, OpenSSL,
# GnuTLS, p11-kit, OpenSSH, Firefox, LibreOffice...) against the built module
# behind a private pcscd. Source it after setting nothing; it sources the
# harness and the TAP helpers.
#
#   jp_need PROG...         a missing program: SKIP the whole test locally,
#                           FAIL it in CI (tap_skip_all: CI=true installs
#                           everything)
#   jp_need_file FILE WHAT HOW
#                           the same for a file (a plugin, a library): WHAT
#                           names it, HOW says how to install it
#   jp_missing WHAT HOW     what both do when something is missing; for
#                           other kinds of checks
#   jp_openssl_dir modules|engines
#                           OpenSSL's provider (MODULESDIR) or engine
#                           (ENGINESDIR) directory
#   jp_provider_conf FILE [LINE...]
#                           writes an openssl.cnf that loads the default
#                           provider and pkcs11-provider with JP_MODULE;
#                           LINEs go into pkcs11-provider's section
#   jp_traps CMD            EXIT/INT/TERM run CMD (stop the test's own
#                           servers), then jp_pcscd_stop; call after
#                           jp_consumer_start
#   jp_with_module CMD...   runs CMD with what a program loading the module
#                           needs (the sanitizer runtime when the module was
#                           built with --enable-sanitizers)
#   jp_web_pki DIR          a local web server's own little PKI for a
#                           browser test: DIR/ca.pem (a CA to trust for web
#                           sites), DIR/server.pem + DIR/server.key (for
#                           127.0.0.1, issued by it)
#   jp_stop_pid PID         SIGTERM, wait for it (SIGKILL after ~3 s)
#   jp_stop_group PID       the same with ~5 s (a browser writing its
#                           profile), then SIGKILL to what is left of its
#                           process group (started with setsid: the
#                           browser's helper processes)
#   jp_heavy_program NAME   call in tests of big third-party programs
#                           (Firefox, LibreOffice): make check does not run
#                           them in a sanitizer build (tests/e2e/local.mk);
#                           run by hand there, the test SKIPs saying why
#   jp_sanitizer_note PART  prints a TAP comment that PART of a test does
#                           not run in a sanitizer build (the plain build
#                           runs it); true in a sanitizer build
#   JP_MODULE               the built module (the real one, PC/SC backend)
#   jp_card_pin N auth|sign the fixture card N's PIN / signing password
#   JP_LABEL_AUTH, JP_LABEL_SIGN
#                           the labels of the card's two tokens
#   JP_TOKEN_AUTH, JP_TOKEN_SIGN
#                           pkcs11: URIs naming them
#   JP_PIN_AUTH, JP_PIN_SIGN
#                           the PIN and the signing password of the card in
#                           the reader (set by jp_consumer_start)
#   jp_card_serial          the tokens' serial number (the first 8 bytes of
#                           the SHA-256 of the authentication certificate)
#   jp_key_id CERT.der      CKA_ID of the certificate's key (SHA-1 of the
#                           RSAPublicKey), 40 hex digits, lower case
#
# The harness around a test:
#   jp_consumer_start [EMULATOR OPTIONS...]
#                           SKIPs the whole test when the harness cannot run
#                           here (a failure under CI=true); else
#                           jp_pcscd_start (one TAP line), and a test with
#                           no card ends there; sets JP_PIN_*
#   jp_still_running PID... prints those of the PIDs that are still alive
#   jp_nothing_left_running [PID...]
#                           jp_pcscd_stop, then one TAP line: its pcscd and
#                           emulator, and the PIDs given (the test's own
#                           servers, stopped before), are all gone
#
# What the card saw and what programs said:
#   jp_contains TEXT STRING true when STRING (fixed) is in TEXT
#   jp_log_mark             the emulator log's length now (a MARK for below)
#   jp_log_from MARK        the emulator log after MARK (0: all of it)
#   jp_count_apdus [MARK]   commands the card received (after MARK)
#   jp_count_verify [MARK]  VERIFY commands that carried a PIN (the retry
#                           query has no body and does not count)
#   jp_count_sign [MARK]    COMPUTE DIGITAL SIGNATURE commands
#   jp_last_sign            the last of them, as logged ("> 802A...")
#   jp_last_signed          the same with the key's P2 written 80 however the
#                           key was named (P2 97/9A by short EF identifier,
#                           or SELECT + 80, doc/card.md §11): what was signed
#   jp_card_state KEY       a value from the emulator's state file
#                           (auth-tries, sign-pin...)
#   jp_pin_tries auth|sign  the card's retry counter answer (63Cx), asked
#                           over a second PC/SC client: it costs no try
#   jp_clean_fail RC        true when RC is an ordinary failure: not 0, not
#                           timeout's 124-127 (timed out, could not run,
#                           not found), not a signal (>= 128), not a
#                           sanitizer report (TAP_SAN_EXIT, tap-sh.sh)
#
# p11-kit remoting (test-p11-kit-remote.sh, test-ssh.sh):
#   JP_P11KIT_CLIENT        p11-kit-client.so (package p11-kit-modules)
#   jp_p11kit_server_start SOCKET URI
#                           p11-kit server exporting the module's tokens
#                           that match URI on SOCKET, in the foreground and
#                           bounded to 120 s; stdout (the shell assignments)
#                           in SOCKET.out, stderr in SOCKET.err; sets
#                           JP_P11KIT_SERVER_PID (timeout's, the server is
#                           its child); waits up to 10 s for the socket
#   jp_p11kit_server_stop   kills it by PID (idempotent)
#   jp_wait_socket PATH PID waits up to 10 s, while PID lives, for PATH to
#                           be a socket; false if it is not
#
# Signed PDFs (the test PKI's CAs are in JP_CA_DIR):
#   jp_pdf_cms_verify PDF   openssl verifies the last signature's PKCS#7
#                           blob over its /ByteRange bytes against the
#                           signature CA; the signer lands in JP_PDF_SIGNER
#   jp_pdf_checks PDF NSSDB five TAP lines on a PDF the card signed: pdfsig
#                           (its trust from NSSDB) says valid, whole document,
#                           the card's signer, trusted, SHA-256 detached
#                           PKCS#7; jp_pdf_cms_verify; the signer is the
#                           card's signing certificate

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$top_builddir}"
. "$top_srcdir/tests/e2e/tap-sh.sh"
. "$top_srcdir/tests/e2e/pcscd-harness.sh"

JP_MODULE="$top_builddir/src/p11/.libs/jpki-pkcs11.so"
# shellcheck disable=SC2034 # for the tests that source this file
{
	JP_LABEL_AUTH="My Number Card (Authentication)"
	JP_LABEL_SIGN="My Number Card (Signature)"
	JP_TOKEN_AUTH="pkcs11:token=My%20Number%20Card%20%28Authentication%29"
	JP_TOKEN_SIGN="pkcs11:token=My%20Number%20Card%20%28Signature%29"
	JP_CA_DIR=$top_srcdir/tests/emu/cards/ca
}

jp_missing() {
	tap_skip_all "$1 not installed ($2)"
}

jp_need() {
	for _p in "$@"; do
		command -v "$_p" >/dev/null 2>&1 ||
			jp_missing "program '$_p'" "tools/setup-debian.sh installs it"
	done
}

jp_need_file() {
	[ -f "$1" ] || jp_missing "$2 ($1)" "$3"
}

jp_openssl_dir() {
	case $1 in
	modules) "${OPENSSL:-openssl}" version -m | sed -n 's/^MODULESDIR: "\(.*\)"$/\1/p' ;;
	engines) "${OPENSSL:-openssl}" version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p' ;;
	esac
}

jp_provider_conf() {
	_f=$1
	shift
	# An explicit provider list replaces the implicit default provider:
	# name it too (it does everything but the card's signatures).
	cat >"$_f" <<-EOF
		openssl_conf = openssl_init
		[openssl_init]
		providers = provider_sect
		[provider_sect]
		default = default_sect
		pkcs11 = pkcs11_sect
		[default_sect]
		activate = 1
		[pkcs11_sect]
		module = $(jp_openssl_dir modules)/pkcs11.so
		pkcs11-module-path = $JP_MODULE
		activate = 1
	EOF
	for _l in "$@"; do
		printf '%s\n' "$_l" >>"$_f"
	done
}

jp_traps() {
	# shellcheck disable=SC2064 # CMD is expanded now, on purpose
	trap "$1; jp_pcscd_stop" EXIT
	# shellcheck disable=SC2064
	trap "$1; jp_pcscd_stop; trap - EXIT; exit 130" INT
	# shellcheck disable=SC2064
	trap "$1; jp_pcscd_stop; trap - EXIT; exit 143" TERM
}

# Whether the module was linked with AddressSanitizer.
jp_module_sanitized() {
	ldd "$JP_MODULE" 2>/dev/null | grep -q 'libasan'
}

jp_with_module() {
	if jp_module_sanitized; then
		LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)${LD_PRELOAD:+ $LD_PRELOAD}" \
		ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" "$@"
	else
		"$@"
	fi
}

jp_heavy_program() {
	if jp_module_sanitized; then
		tap_skip_all "sanitizer build: $1 is not run with the sanitizer runtime preloaded (the plain build runs this test)"
	fi
}

jp_sanitizer_note() {
	if jp_module_sanitized; then
		echo "# sanitizer build: $1 is not run here (the plain build runs it)"
		return 0
	fi
	return 1
}

# _jp_pin_in PINS.TXT auth|sign
_jp_pin_in() {
	case $2 in
	auth | sign) awk -v k="$2" '$1 == k { print $2; exit }' "$1" ;;
	esac
}

# jp_card_pin N auth|sign → prints the fixture PIN
jp_card_pin() {
	_jp_pin_in "$top_srcdir/tests/emu/cards/card-$1/pins.txt" "$2"
}

jp_card_serial() {
	openssl sha256 -r "$JP_CARD_DIR/auth.der" | cut -c1-16 | tr a-f A-F
}

jp_key_id() {
	openssl x509 -inform DER -in "$1" -pubkey -noout |
		openssl rsa -pubin -RSAPublicKey_out -outform DER 2>/dev/null | openssl sha1 -r | cut -c1-40
}

jp_contains() {
	printf '%s\n' "$1" | grep -qF -- "$2"
}

jp_log_mark() {
	wc -l <"$JP_EMU_LOG"
}

jp_log_from() {
	sed -n "$((${1:-0} + 1)),\$p" "$JP_EMU_LOG"
}

# The emulator logs "> CLA INS P1 P2 Lc" of a VERIFY and masks the PIN
# (tests/emu/emu-core.c): P2 = 8x is a PIN reference (doc/card.md).
jp_count_apdus() {
	jp_log_from "${1:-0}" | grep -c '^>'
}

jp_count_verify() {
	jp_log_from "${1:-0}" | grep -cE '^> 0020008[0-9A-F]{3} '
}

jp_count_sign() {
	jp_log_from "${1:-0}" | grep -c '^> 802A'
}

jp_last_sign() {
	grep '^> 802A' "$JP_EMU_LOG" | tail -n 1
}

jp_last_signed() {
	jp_last_sign | sed -E 's/^> 802A(..)(97|9A)/> 802A\180/'
}

jp_card_state() {
	awk -v k="$1" '$1 == k { print $2 }' "$JP_HARNESS_DIR/card.state"
}

# The retry query (VERIFY without data) on the key's PIN file.
jp_pin_tries() {
	case $1 in
	auth) _ef=0018 ;;
	sign) _ef=001B ;;
	esac
	"$JP_PROBE" -r "$JP_READER" 00A4040C0AD392F000260100000001 "00A4020C02$_ef" 00200080 2>&1 |
		tail -n 1
}

jp_clean_fail() {
	[ "$1" -ne 0 ] && [ "$1" -lt 124 ] && [ "$1" -ne "$TAP_SAN_EXIT" ]
}

# p11-kit-client.so sits in p11-kit's module directory.
_jp_p11_dir=$(pkg-config --variable=p11_module_path p11-kit-1 2>/dev/null)
# shellcheck disable=SC2034 # for the tests
JP_P11KIT_CLIENT=${_jp_p11_dir:-/usr/lib/x86_64-linux-gnu/pkcs11}/p11-kit-client.so
JP_P11KIT_SERVER_PID=

jp_p11kit_server_start() {
	rm -f "$1" "$1.out"
	# exec: $! must be timeout's PID, not a subshell's (jp_with_module is a
	# function, run in a background subshell).
	jp_with_module exec timeout 120 p11-kit server -f --provider "$JP_MODULE" -n "$1" "$2" \
		>"$1.out" 2>"$1.err" </dev/null &
	JP_P11KIT_SERVER_PID=$!
	jp_wait_socket "$1" "$JP_P11KIT_SERVER_PID" || { sed 's/^/#   server: /' "$1.err"; return 1; }
}

jp_wait_socket() {
	_n=0
	while [ ! -S "$1" ] && [ "$_n" -lt 100 ] && kill -0 "$2" 2>/dev/null; do
		sleep 0.1
		_n=$((_n + 1))
	done
	[ -S "$1" ]
}

jp_p11kit_server_stop() {
	if [ -n "$JP_P11KIT_SERVER_PID" ]; then
		_jp_kill_wait "$JP_P11KIT_SERVER_PID"
		JP_P11KIT_SERVER_PID=
	fi
}

jp_pdf_cms_verify() {
	JP_PDF_SIGNER=$JP_HARNESS_DIR/pdf-signer.pem
	_br=$(grep -a -o '/ByteRange *\[[0-9 ]*\]' "$1" | tail -n 1 | tr -dc '0-9 ' | tr -s ' ')
	# shellcheck disable=SC2086 # four numbers, split on purpose
	set -- "$1" $_br
	[ $# -eq 5 ] && [ "$2" -eq 0 ] || return 1
	{
		head -c "$3" "$1"
		tail -c "+$(($4 + 1))" "$1" | head -c "$5"
	} >"$JP_HARNESS_DIR/pdf-signed.bin"
	# Between the ranges: "<hex...>", zero-padded after the blob (NSS
	# writes indefinite-length BER, which ends in zero octets itself:
	# openssl stops at the end of the outer element).
	tail -c "+$(($3 + 1))" "$1" | head -c "$(($4 - $3))" |
		perl -ne 's/[<>\s]//g; print pack("H*", $_)' >"$JP_HARNESS_DIR/pdf-sig.p7s"
	rm -f "$JP_PDF_SIGNER"
	openssl cms -verify -binary -inform DER -in "$JP_HARNESS_DIR/pdf-sig.p7s" \
		-content "$JP_HARNESS_DIR/pdf-signed.bin" -CAfile "$JP_CA_DIR/sign-ca.pem" -purpose any \
		-signer "$JP_PDF_SIGNER" -out /dev/null >/dev/null 2>&1
}

jp_pdf_checks() {
	_out=$(jp_with_module timeout 60 pdfsig -nssdir "$2" "$1" 2>&1 </dev/null)
	_cn=$(openssl x509 -inform DER -in "$JP_CARD_DIR/sign.der" -noout -subject -nameopt multiline |
		sed -n 's/^ *commonName *= *//p')
	jp_contains "$_out" "Signature Validation: Signature is Valid." &&
		jp_contains "$_out" "Total document signed"
	tap_ok $? "pdfsig: 'Signature is Valid', total document signed"
	jp_contains "$_out" "Signer Certificate Common Name: $_cn" &&
		jp_contains "$_out" "Certificate Validation: Certificate is Trusted."
	tap_ok $? "pdfsig: signer $_cn, certificate trusted through the signature CA"
	jp_contains "$_out" "Signing Hash Algorithm: SHA-256" && jp_contains "$_out" "adbe.pkcs7.detached"
	tap_ok $? "pdfsig: SHA-256, adbe.pkcs7.detached"
	jp_pdf_cms_verify "$1"
	tap_ok $? "openssl cms -verify of /Contents over the /ByteRange bytes against the signature CA"
	openssl x509 -in "$JP_PDF_SIGNER" -outform DER 2>/dev/null | cmp -s - "$JP_CARD_DIR/sign.der"
	tap_ok $? "the signer in the PDF is the card's signing certificate"
}

jp_consumer_start() {
	_reason=$(jp_harness_skip_reason)
	[ -z "$_reason" ] || tap_skip_all "$_reason"
	jp_pcscd_start "$@"
	tap_ok $? "private pcscd + vpcd + emulator up"
	[ -n "$JP_READER" ] || tap_done
	# shellcheck disable=SC2034 # for the test
	{
		JP_PIN_AUTH=$(_jp_pin_in "$JP_CARD_DIR/pins.txt" auth)
		JP_PIN_SIGN=$(_jp_pin_in "$JP_CARD_DIR/pins.txt" sign)
	}
}

jp_still_running() {
	for _p in "$@"; do
		kill -0 "$_p" 2>/dev/null && printf '%s ' "$_p"
	done
}

jp_web_pki() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1/ca.key" -out "$1/ca.pem" -days 2 -subj "/CN=jpki-pkcs11 test web CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
		>/dev/null 2>&1 &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1/server.key" -out "$1/server.csr" -subj "/CN=127.0.0.1" >/dev/null 2>&1 &&
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
		>"$1/server.ext" &&
	openssl x509 -req -in "$1/server.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" -CAcreateserial \
		-days 2 -extfile "$1/server.ext" -out "$1/server.pem" >/dev/null 2>&1
}

jp_stop_pid() {
	_jp_kill_wait "$1"
}

jp_stop_group() {
	[ -n "$1" ] || return 0
	_jp_kill_wait "$1" 50
	# procps' kill: dash's builtin cannot signal a process group.
	/bin/kill -s KILL -- "-$1" 2>/dev/null
	return 0
}

jp_nothing_left_running() {
	_pids="$JP_PCSCD_PID $JP_EMU_PID $*"
	jp_pcscd_stop
	# shellcheck disable=SC2086 # a list of PIDs, split on purpose
	_left=$(jp_still_running $_pids)
	[ -z "$_left" ] || echo "# still running: $_left"
	[ -z "$_left" ]
	tap_ok $? "nothing left running"
}

[ -f "$JP_MODULE" ] || { tap_ok 1 "module not built: $JP_MODULE"; tap_done; }
