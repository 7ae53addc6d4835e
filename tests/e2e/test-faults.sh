#!/bin/sh
# The shipped module under card faults, with real consumers: OpenSSL (libp11's
# engine, pkeyutl), NSS (tstclnt, TLS 1.2 client authentication) and OpenSSH
# (ssh -I to a private sshd). For each, the emulator behind the private pcscd
# is restarted with a fault: every signature garbled, a failing card (6F00)
# at the sign command, the card pulled at the sign command. Each time the
# consumer must fail as a program fails (an ordinary non-zero exit, no
# signal, no sanitizer report) and produce nothing: no signature, no
# handshake, no login; the module's trace shows the signature in flight
# answering CKR_DEVICE_REMOVED for the pulled card and CKR_DEVICE_ERROR for
# the others; then a fresh process with a sound card works. A slow card
# (latency on every APDU) still works.
#
# Where the sign command falls is measured, not assumed: the consumer's run
# with a sound card is logged by the emulator, and the position of its first
# sign command among the APDUs is the n of --fail-nth / --remove-nth (a new
# emulator counts from 1, and the same program sends the same commands).
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"
. "$top_srcdir/tests/e2e/ssh-lib.sh"
. "$top_srcdir/tests/e2e/tls-lib.sh"

jp_need "$OPENSSL" certutil modutil tstclnt ssh ssh-keygen
[ -x "$SSHD" ] || jp_missing "sshd ($SSHD)" "apt-get install openssh-server"
enginesdir=$(jp_openssl_dir engines)
jp_need_file "$enginesdir/pkcs11.so" "libp11's pkcs11 engine" "tools/setup-debian.sh installs it"

jp_consumer_start

card=$JP_CARD_DIR
user=$(id -un)
w=$JP_HARNESS_DIR/faults
mkdir -p "$w"
chmod 0700 "$w"

stop_servers() {
	jp_tls_server_stop
	_jp_kill_wait "$SSHD_PID"
	SSHD_PID=
}
jp_traps stop_servers

# The module's errors, for a look when something fails.
JPKI_PKCS11_DEBUG="level:2,file:$w/p11.log"
export JPKI_PKCS11_DEBUG

# A sanitizer report in a consumer's output is a failure, whatever the exit
# code (ASan's default exit code is an ordinary 1).
no_report() {
	! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|ThreadSanitizer' "$@"
}

# ---- OpenSSL: libp11's engine signs a SHA-256 hash ----
cat >"$w/openssl.cnf" <<EOF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
MODULE_PATH = $JP_MODULE
EOF
AUTH_KEY="$JP_TOKEN_AUTH;object=JPKI%20User%20Authentication;type=private"
printf 'a document\n' >"$w/msg"
"$OPENSSL" dgst -sha256 -binary "$w/msg" >"$w/msg.sha256"
"$OPENSSL" x509 -inform DER -in "$card/auth.der" -pubkey -noout >"$w/auth.pub"

run_openssl() {
	rm -f "$w/sig"
	OPENSSL_CONF=$w/openssl.cnf jp_with_module timeout 60 setsid -w "$OPENSSL" pkeyutl \
		-engine pkcs11 -keyform engine -inkey "$AUTH_KEY;pin-value=$JP_PIN_AUTH" -sign \
		-in "$w/msg.sha256" -pkeyopt digest:sha256 -out "$w/sig" >"$w/out" 2>"$w/err" </dev/null
}
made_openssl() {
	"$OPENSSL" pkeyutl -verify -pubin -inkey "$w/auth.pub" -in "$w/msg.sha256" \
		-sigfile "$w/sig" -pkeyopt digest:sha256 >/dev/null 2>&1
}
none_openssl() { [ ! -s "$w/sig" ]; }
failed_openssl() { jp_clean_fail "$1" && no_report "$w/err"; }

# ---- NSS: tstclnt, TLS 1.2 with the card's authentication key ----
db=sql:$w/db
mkdir -p "$w/db"
nss() { jp_with_module timeout 60 "$@" </dev/null; }
printf '%s:%s\n' "$JP_LABEL_AUTH" "$JP_PIN_AUTH" >"$w/pw"
chmod 0600 "$w/pw"
nick_a="$JP_LABEL_AUTH:JPKI User Authentication"
nss certutil -N --empty-password -d "$db" >/dev/null 2>&1 &&
	nss modutil -dbdir "$db" -add jpki -libfile "$JP_MODULE" -force >/dev/null 2>&1
tap_ok $? "an NSS database with the module added (modutil)"
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-keyout "$w/srv.key" -out "$w/srv.pem" -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 &&
	nss certutil -A -d "$db" -n "test server" -t "C,," -i "$w/srv.pem" >/dev/null 2>&1 &&
	jp_tls_server_start "$JP_CA_DIR/auth-ca.pem" "$w/srv.pem" "$w/srv.key"
tap_ok $? "s_server requiring a client certificate from the authentication CA, trusted by NSS"
printf 'GET / HTTP/1.0\r\n\r\n' >"$w/req"

run_nss() {
	jp_with_module timeout 60 tstclnt -h 127.0.0.1 -p "$JP_TLS_PORT" -V tls1.2:tls1.2 \
		-d "$db" -n "$nick_a" -W "$w/pw" -A "$w/req" >"$w/page" 2>"$w/err" </dev/null
}
made_nss() {
	grep -q 'Protocol  : TLSv1.2' "$w/page" && jp_tls_page_cert "$w/page" "$w/peer.der" &&
		cmp -s "$w/peer.der" "$card/auth.der"
}
none_nss() { ! grep -q 'Protocol  :' "$w/page"; }
# tstclnt exits -1 or -2 (255, 254) for its own errors: beyond any signal
# (128 + at most 64), and with NSS's message for the module's error.
failed_nss() {
	case $1 in
	254 | 255) _r=0 ;;
	*) jp_clean_fail "$1"; _r=$? ;;
	esac
	[ "$_r" -eq 0 ] && grep -q 'SEC_ERROR_\|SSL_ERROR_' "$w/err" && no_report "$w/err"
}

# ---- OpenSSH: ssh -I to a private sshd that knows only the card's key ----
"$OPENSSL" x509 -inform DER -in "$card/auth.der" -pubkey -noout >"$w/auth-ssh.pem"
ssh-keygen -i -m PKCS8 -f "$w/auth-ssh.pem" >"$w/authorized_keys" 2>/dev/null
jp_sshd_start "$w" "$user"
tap_ok $? "private sshd on 127.0.0.1:$SSHD_PORT accepting only the card's key"
port=$SSHD_PORT
printf '#!/bin/sh\necho %s\n' "$JP_PIN_AUTH" >"$w/askpass"
chmod 0700 "$w/askpass"
accepted() { grep -c "Accepted publickey for $user from 127.0.0.1" "$w/sshd.log"; }

run_ssh() {
	a0=$(accepted)
	DISPLAY=${DISPLAY:-:0} SSH_ASKPASS=$w/askpass SSH_ASKPASS_REQUIRE=force \
		jp_with_module timeout 60 ssh -F /dev/null -I "$JP_MODULE" -p "$port" -l "$user" \
		-o UserKnownHostsFile="$w/known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=yes -o IdentityAgent=none \
		-o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
		-o BatchMode=no -o ConnectTimeout=10 -o LogLevel=ERROR \
		127.0.0.1 echo logged-in >"$w/out" 2>"$w/err" </dev/null
}
made_ssh() { [ "$(cat "$w/out")" = logged-in ] && [ "$(accepted)" -eq $((a0 + 1)) ]; }
none_ssh() { [ ! -s "$w/out" ] && [ "$(accepted)" -eq "$a0" ]; }
# ssh exits 255 for every error of its own (connection, authentication):
# that, with the authentication refused, is its ordinary failure.
failed_ssh() { [ "$1" -eq 255 ] && grep -q 'Permission denied' "$w/err" && no_report "$w/err"; }

# ---- the faults, consumer by consumer ----
# faults C WHAT NONE: C's run with a sound card (WHAT it makes), then under
# each fault (NONE: what it must not make).
faults() {
	_c=$1
	_what=$2
	_none=$3
	jp_emu_restart
	_m=$(jp_log_mark)
	run_$_c
	_rc=$?
	[ "$_rc" -eq 0 ] && made_$_c
	tap_ok $? "$_c: a sound card: $_what (rc $_rc)"
	# The first sign command's place among this run's APDUs.
	_n=$(jp_log_from "$_m" | grep '^>' | grep -n '^> 802A' | head -n 1 | cut -d: -f1)
	[ -n "$_n" ] && [ "$(jp_count_sign "$_m")" -eq 1 ]
	tap_ok $? "$_c: one sign command, APDU number ${_n:-none} of the run"
	[ -n "$_n" ] || _n=1
	for _f in --garble-signatures "--fail-nth $_n" "--remove-nth $_n"; do
		# shellcheck disable=SC2086 # an option and its value, split on purpose
		jp_emu_restart $_f
		_m=$(jp_log_mark)
		# The module's trace of this run: what each call answered.
		rm -f "$w/trace.log"
		JPKI_PKCS11_DEBUG="level:5,file:$w/trace.log"
		run_$_c
		_rc=$?
		JPKI_PKCS11_DEBUG="level:2,file:$w/p11.log"
		failed_$_c "$_rc"
		tap_ok $? "$_c, $_f: a clean failure (rc $_rc)"
		sed 's/^/#   /' "$w/err" | head -n 5
		none_$_c
		tap_ok $? "$_c, $_f: $_none"
		# The card got the sign command: the fault hit there, not before;
		# a pulled card left right at it (the emulator logs the command,
		# then the removal).
		case $_f in
		--remove-nth*) [ "$(jp_log_from "$_m" | grep -A 1 '^> 802A' | sed -n 2p)" = "# card removed" ] ;;
		*) [ "$(jp_count_sign "$_m")" -ge 1 ] ;;
		esac
		tap_ok $? "$_c, $_f: the fault hit at the sign command"
		# A pulled card is reported as pulled (CKR_DEVICE_REMOVED, 0x32)
		# by the signature in flight; a failing or garbling card as a
		# device error (CKR_DEVICE_ERROR, 0x30).
		case $_f in
		--remove-nth*) _want=00000032 ;;
		*) _want=00000030 ;;
		esac
		_got=$(grep -o '< C_Sign[A-Za-z]*: 0x[0-9a-f]*' "$w/trace.log" | grep -v ': 0x00000000$' |
			head -n 1)
		[ "${_got##*0x}" = "$_want" ]
		tap_ok $? "$_c, $_f: the signature answered 0x$_want (${_got:-no failed C_Sign in the trace})"
		# The card back (a new emulator: the harness waits until pcscd's
		# event handler saw the pulled card go, doc/pcscd-testing.md).
		jp_emu_restart
		run_$_c
		_rc=$?
		[ "$_rc" -eq 0 ] && made_$_c
		_ok=$?
		tap_ok $_ok "$_c, after $_f: a fresh process with a sound card: $_what (rc $_rc)"
		[ $_ok -eq 0 ] || sed 's/^/#   /' "$w/err" | head -n 5
	done
	jp_emu_restart --latency-us 20000
	run_$_c
	_rc=$?
	[ "$_rc" -eq 0 ] && made_$_c
	tap_ok $? "$_c: a slow card (20 ms per APDU): $_what (rc $_rc)"
}

faults openssl "a signature that verifies" "no signature"
faults nss "a TLS 1.2 handshake with the card's certificate" "no handshake"
faults ssh "a login" "no login"

# No fault cost a PIN try: the PIN was verified before each sign command.
jp_emu_restart
tries=$(jp_pin_tries auth)
[ "$tries" = 63C3 ]
tap_ok $? "the authentication PIN has all its tries ($tries)"

srv="$JP_TLS_SERVER_PID $SSHD_PID"
stop_servers
# shellcheck disable=SC2086 # a list of PIDs
jp_nothing_left_running $srv
tap_done
