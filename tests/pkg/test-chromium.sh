#!/bin/sh
# Chromium itself, headful under Xvfb, with the INSTALLED Debian package's
# module registered by its `jpki register --chromium` (Chromium's ~/.pki/nssdb, tokens=auth) and the
# emulated card behind a private pcscd:
#  - TLS 1.2 client authentication against `openssl s_server -Verify
#    -verify_return_error -tls1_2`: Chromium asks for the PIN in its
#    "Unlock Security Device" dialog (typed with xdotool, as a user would),
#    an AutoSelectCertificateForUrls policy picks the certificate, the card
#    signs with the authentication key (one VERIFY, the signing PIN never
#    touched) and the server verifies the chain against the JPKI
#    authentication CA;
#  - a server that offers TLS 1.3: the card cannot sign RSA-PSS (pss=no), so
#    Chromium fails after the PIN — cleanly: the handshake ends at once, no
#    signature, no PIN try lost (the retry counter read from the card);
#  - the workaround, --ssl-version-max=tls1.2, against that same server;
#  - the other way: a card that signs RSA-PSS and pss=yes for Chromium in the
#    user's configuration: TLS 1.3 against a TLS 1.3-only server.
# Chromium reads policies only from /etc/chromium/policies (there is no
# per-profile policy directory): the test writes its own file there and
# removes it on exit, whatever happens, which needs root: so this test is
# not part of make check (distcheck runs make check as an ordinary user)
# but of tools/test-all.sh's package build, which installs the package as
# root (tests/pkg/local.mk). Chromium runs as root there, hence
# --no-sandbox. The build tree (top_builddir) only lends the emulator and
# pcsc-probe for the harness; the module and jpki are the installed ones.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"

pkg="jpki-pkcs11"
[ "$(id -u)" = 0 ] || tap_skip_all "needs root: Chromium reads policies only from /etc/chromium/policies"
jp_need chromium Xvfb xdotool modutil certutil openssl dpkg-query pkg-config
[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] ||
	tap_skip_all "package $pkg not installed (apt-get install ./${pkg}_*.deb)"
# The installed module (where p11-kit looks for modules) and command.
JP_MODULE=$(pkg-config --variable=p11_module_path p11-kit-1)/jpki-pkcs11.so
JPKI=/usr/bin/jpki
jp_need_file "$JP_MODULE" jpki-pkcs11.so "apt-get install ./${pkg}_*.deb"
POLICY_DIR=/etc/chromium/policies/managed
POLICY=
W=
X_PID=
CR_PID=
SRV_PID=

# Chromium and its helper processes (zygote, renderers, GPU), which share
# the process group setsid gave it.
cr_stop() {
	jp_stop_group "$CR_PID"
	CR_PID=
}

srv_stop() {
	jp_stop_pid "$SRV_PID"
	SRV_PID=
}

cleanup() {
	cr_stop
	srv_stop
	[ -n "$X_PID" ] && kill "$X_PID" 2>/dev/null && wait "$X_PID" 2>/dev/null
	X_PID=
	[ -n "$POLICY" ] && rm -f "$POLICY"
	POLICY=
	# The directories too, when this test made them (and they are empty).
	[ -n "$POLICY_MADE" ] && rmdir "$POLICY_DIR" /etc/chromium/policies 2>/dev/null
	POLICY_MADE=
	# JP_CR_KEEP=1 keeps the profile and logs for a look.
	[ -n "$W" ] && [ "${JP_CR_KEEP:-0}" != 1 ] && rm -rf "$W"
	W=
}

jp_consumer_start
jp_traps cleanup

W=$(mktemp -d "${TMPDIR:-/tmp}/jp-chromium.XXXXXX")
mkdir -p "$W/home"
HOME=$W/home
XDG_CONFIG_HOME=$W/home/.config
XDG_CACHE_HOME=$W/home/.cache
export HOME XDG_CONFIG_HOME XDG_CACHE_HOME

# --- jpki register --chromium -------------------------------------------
jp_with_module "$JPKI" register --chromium --module "$JP_MODULE" >"$W/register.out" 2>&1
rc=$?
sed 's/^/# /' "$W/register.out"
awk '/^name=My Number Card$/ { f = 1; next } f && /^parameters=/ { print; exit } /^$/ { f = 0 }' \
	"$HOME/.pki/nssdb/pkcs11.txt" >"$W/params" 2>/dev/null
[ "$rc" -eq 0 ] && [ "$(cat "$W/params")" = "parameters=tokens=auth" ]
tap_ok $? "jpki register --chromium: ~/.pki/nssdb with the module, tokens=auth"
jp_with_module modutil -force -dbdir "sql:$HOME/.pki/nssdb" -list "My Number Card" >"$W/modutil.log" 2>&1
grep -q 'Token Name: My Number Card (Authentication)' "$W/modutil.log" &&
	! grep -q 'Token Name: My Number Card (Signature)' "$W/modutil.log"
tap_ok $? "modutil -list: the authentication token only"

# The local server's own PKI: a CA Chromium trusts through ~/.pki/nssdb.
jp_web_pki "$W" &&
certutil -A -d "sql:$HOME/.pki/nssdb" -n "jpki test web CA" -t "C,," -i "$W/ca.pem" >/dev/null 2>&1
tap_ok $? "test web server certificate, its CA trusted in ~/.pki/nssdb"

# srv_start [s_server options]: a TLS server on 127.0.0.1 (a port the
# kernel picks) that requires a client certificate issued by the JPKI
# authentication CA; sets PORT and SRV_LOG.
srv_start() {
	SRV_LOG=$W/s_server-$#-$(date +%s%N).log
	: >"$SRV_LOG"
	OPENSSL_CONF=/dev/null setsid openssl s_server -accept 127.0.0.1:0 -www -no_cache \
		-cert "$W/server.pem" -key "$W/server.key" \
		-Verify 1 -verify_return_error -CAfile "$JP_CARD_DIR/auth-ca.pem" \
		"$@" >"$SRV_LOG" 2>&1 </dev/null &
	SRV_PID=$!
	_n=0
	while [ "$_n" -lt 100 ]; do
		PORT=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$SRV_LOG")
		[ -n "$PORT" ] && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# The policy that picks the card's certificate for the test server without
# asking (Chromium's certificate selector is not part of this test).
POLICY_MADE=
policy() {
	if [ ! -d "$POLICY_DIR" ]; then
		mkdir -p "$POLICY_DIR" || return 1
		POLICY_MADE=1
	fi
	POLICY=$POLICY_DIR/jpki-pkcs11-test-$$.json
	printf '{"AutoSelectCertificateForUrls": ["{\\"pattern\\":\\"https://127.0.0.1:%s\\",\\"filter\\":{}}"]}\n' \
		"$1" >"$POLICY"
}

# An X server of its own (-displayfd: the first free display).
Xvfb -displayfd 9 -screen 0 1280x1024x24 -nolisten tcp 9>"$W/display" >"$W/xvfb.log" 2>&1 &
X_PID=$!
_n=0
while [ ! -s "$W/display" ] && [ "$_n" -lt 100 ]; do
	sleep 0.1
	_n=$((_n + 1))
done
DISPLAY=:$(cat "$W/display")
export DISPLAY
xdotool getmouselocation >/dev/null 2>&1
tap_ok $? "Xvfb on $DISPLAY"

# cr_start URL [flags]: Chromium, headful, on a private profile directory.
cr_start() {
	_url=$1
	shift
	setsid chromium --no-sandbox --user-data-dir="$W/profile" --no-first-run \
		--no-default-browser-check --password-store=basic --disable-sync \
		--disable-background-networking --disable-component-update \
		--disable-features=Translate,MediaRouter --disable-gpu "$@" "$_url" \
		>>"$W/chromium.log" 2>&1 </dev/null &
	CR_PID=$!
}

# unlock PIN: waits (bounded, 120 s: a loaded machine starts Chromium
# slowly) for the "Unlock Security Device"
# dialog and types the PIN into it, then Return.
unlock() {
	_n=0
	while [ "$_n" -lt 240 ]; do
		_w=$(xdotool search --onlyvisible --name '^Unlock Security Device$' 2>/dev/null | head -n 1)
		[ -n "$_w" ] && break
		kill -0 "$CR_PID" 2>/dev/null || return 1
		sleep 0.5
		_n=$((_n + 1))
	done
	[ -n "$_w" ] || return 1
	sleep 0.5
	xdotool windowfocus --sync "$_w" type --delay 30 "$1" &&
		xdotool key --delay 30 Return
}

# wait_log PATTERN FILE: up to 30 s (only to catch a hang).
wait_log() {
	_n=0
	while [ "$_n" -lt 300 ]; do
		grep -q "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# title_wait_quick TEXT: a Chromium window whose title starts with TEXT,
# now. The s_server page has no <title>: Chromium shows the URL; its error
# page is titled with the host alone.
title_wait_quick() {
	for _w in $(xdotool search --class chromium 2>/dev/null); do
		case $(xdotool getwindowname "$_w" 2>/dev/null) in
		"$1"*) return 0 ;;
		esac
	done
	return 1
}

# title_wait TEXT: the same within 30 s (only to catch a hang); the
# windows' titles into the TAP log when none matched.
title_wait() {
	_n=0
	while [ "$_n" -lt 60 ]; do
		title_wait_quick "$1" && return 0
		sleep 0.5
		_n=$((_n + 1))
	done
	for _w in $(xdotool search --class chromium 2>/dev/null); do
		echo "# window: $(xdotool getwindowname "$_w" 2>/dev/null)"
	done
	return 1
}

SUBJECT=$(openssl x509 -inform der -in "$JP_CARD_DIR/auth.der" -noout -subject | sed 's/^subject=//')
ISSUER=$(openssl x509 -inform der -in "$JP_CARD_DIR/auth.der" -noout -issuer | sed 's/^issuer=//')

# server_saw_card: the server verified exactly the card's authentication
# certificate (its subject at depth 0, its issuer at depth 1), no error.
server_saw_card() {
	! grep -q '^verify error' "$SRV_LOG" &&
		grep -A1 -xF "depth=0 $SUBJECT" "$SRV_LOG" | grep -q '^verify return:1$' &&
		grep -A1 -xF "depth=1 $ISSUER" "$SRV_LOG" | grep -q '^verify return:1$'
}

# --- TLS 1.2 -----------------------------------------------------------------
srv_start -tls1_2
tap_ok $? "s_server (TLS 1.2 only, client certificate required) on 127.0.0.1:$PORT"
policy "$PORT"
tap_ok $? "AutoSelectCertificateForUrls policy for https://127.0.0.1:$PORT"
m0=$(jp_log_mark)
cr_start "https://127.0.0.1:$PORT/"
unlock "$JP_PIN_AUTH"
tap_ok $? "Chromium asked for the PIN in \"Unlock Security Device\"; typed in with xdotool"
wait_log '^verify return:1' "$SRV_LOG" && sleep 2
server_saw_card
tap_ok $? "s_server verified the card's authentication certificate and its chain"
title_wait "127.0.0.1:$PORT"
tap_ok $? "the page loaded: the window is titled with the server's address"
[ "$(jp_count_verify "$m0")" -eq 1 ]
tap_ok $? "exactly one VERIFY"
jp_log_from "$m0" | awk '/^> 00A4020C02/ { ef = substr($2, 11, 4) } /^> 0020008/ { print ef }' >"$W/verified-efs"
[ "$(sort -u "$W/verified-efs")" = "0018" ]
tap_ok $? "the VERIFY was of the authentication PIN (EF 0018), never the signing password"
nsig=$(jp_log_from "$m0" | grep -c '^> 802A..\(97\|80\)')
nsig_sign=$(jp_log_from "$m0" | grep -c '^> 802A..9A')
[ "$nsig" -ge 1 ] && [ "$nsig_sign" -eq 0 ]
tap_ok $? "the card signed with the authentication key ($nsig signature(s)), never the signing key"
cr_stop
srv_stop
cr_stop
srv_stop

# --- a server that offers TLS 1.3 --------------------------------------------
# TLS 1.3 signs the handshake with RSA-PSS only; the card (pss=no, the
# default) offers PKCS#1 v1.5 alone. Chromium asks for the PIN (it logs in
# to read the token's keys) and then cannot sign: the connection fails.
srv_start
tap_ok $? "s_server (TLS 1.3 offered, client certificate required) on 127.0.0.1:$PORT"
policy "$PORT"
tries0=$(jp_pin_tries auth)
m0=$(jp_log_mark)
cr_start "https://127.0.0.1:$PORT/"
unlock "$JP_PIN_AUTH"
tap_ok $? "TLS 1.3: Chromium asked for the PIN; typed in"
# The handshake fails at once (a bound only to catch a hang): the server
# gets Chromium's handshake_failure alert, Chromium shows its error page
# (titled with the host alone, not the page's URL).
wait_log 'alert handshake failure' "$SRV_LOG"
tap_ok $? "TLS 1.3: the handshake ends with Chromium's handshake_failure alert, no hang"
title_wait "127.0.0.1 - " && ! title_wait_quick "127.0.0.1:$PORT"
tap_ok $? "TLS 1.3: Chromium shows its error page, not the server's page"
! grep -q '^depth=0' "$SRV_LOG"
tap_ok $? "TLS 1.3: the server never received a client certificate"
[ "$(jp_count_verify "$m0")" -eq 1 ] && [ "$(jp_count_sign "$m0")" -eq 0 ]
tap_ok $? "TLS 1.3: one VERIFY (the PIN typed), no signature"
tries1=$(jp_pin_tries auth)
[ "$tries0" = 63C3 ] && [ "$tries1" = 63C3 ]
tap_ok $? "TLS 1.3: no PIN try lost (retry counter $tries0 before, $tries1 after)"
kill -0 "$CR_PID" 2>/dev/null
tap_ok $? "TLS 1.3: Chromium still running"
cr_stop

# --- the workaround: --ssl-version-max=tls1.2, the same server ----------------
m0=$(jp_log_mark)
lines0=$(wc -l <"$SRV_LOG")
cr_start "https://127.0.0.1:$PORT/" --ssl-version-max=tls1.2
unlock "$JP_PIN_AUTH"
tap_ok $? "--ssl-version-max=tls1.2: Chromium asked for the PIN; typed in"
title_wait "127.0.0.1:$PORT"
tap_ok $? "--ssl-version-max=tls1.2: the page loaded from the TLS 1.3-capable server"
sed -n "$((lines0 + 1)),\$p" "$SRV_LOG" >"$SRV_LOG.new"
SRV_LOG=$SRV_LOG.new
server_saw_card
tap_ok $? "--ssl-version-max=tls1.2: s_server verified the card's certificate and its chain"
[ "$(jp_count_verify "$m0")" -eq 1 ] && [ "$(jp_log_from "$m0" | grep -c '^> 802A..\(97\|80\)')" -ge 1 ] &&
	[ "$(jp_log_from "$m0" | grep -c '^> 802A..9A')" -eq 0 ]
tap_ok $? "--ssl-version-max=tls1.2: one VERIFY, signed with the authentication key"
[ "$(jp_pin_tries auth)" = 63C3 ] && [ "$(jp_pin_tries sign)" = 63C5 ]
tap_ok $? "both retry counters still full"
cr_stop
srv_stop

# --- TLS 1.3 with a card that signs RSA-PSS and pss=yes ------------------------
# The other way to TLS 1.3 (doc/use/tls13.txt): the user's configuration
# offers PSS to Chromium, and the card (here: an emulated one that knows
# P1 04) signs rsa_pss_rsae_sha256.
jp_emu_restart --pss
tap_ok $? "emulator restarted as a card that signs RSA-PSS (--pss)"
mkdir -p "$XDG_CONFIG_HOME"
printf '[program chromium]\npss=yes\n' >"$XDG_CONFIG_HOME/jpki-pkcs11.conf"
srv_start -tls1_3
tap_ok $? "s_server (TLS 1.3 only, client certificate required) on 127.0.0.1:$PORT"
policy "$PORT"
m0=$(jp_log_mark)
cr_start "https://127.0.0.1:$PORT/"
unlock "$JP_PIN_AUTH"
tap_ok $? "pss=yes: Chromium asked for the PIN; typed in"
title_wait "127.0.0.1:$PORT"
tap_ok $? "pss=yes: the page loaded from a TLS 1.3-only server, no flag"
server_saw_card
tap_ok $? "pss=yes: s_server verified the card's certificate and its chain"
[ "$(jp_count_verify "$m0")" -eq 1 ] && [ "$(jp_log_from "$m0" | grep -c '^> 802A04\(97\|80\)')" -ge 1 ]
tap_ok $? "pss=yes: one VERIFY, an RSA-PSS signature (P1 04) with the authentication key"
cr_stop
srv_stop

_pids="$X_PID"
made=$POLICY_MADE
cleanup
[ ! -e "$POLICY_DIR/jpki-pkcs11-test-$$.json" ] && { [ -z "$made" ] || [ ! -d /etc/chromium/policies ]; }
tap_ok $? "the policy file (and the directories the test made) removed"
jp_nothing_left_running $_pids
tap_done
