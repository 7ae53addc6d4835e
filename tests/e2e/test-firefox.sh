#!/bin/sh
# Firefox itself (headless Firefox ESR driven through Marionette by
# tests/e2e/marionette.py) with the module behind a private pcscd:
#  - the module loaded into a throwaway profile with modutil, both tokens seen
#    by Firefox;
#  - TLS 1.2 client authentication against `openssl s_server -Verify`:
#    Firefox asks for the PIN during the handshake (answered by a test
#    prompter, as a user typing it), picks the card's authentication
#    certificate by itself ("Select Automatically"), the card signs (INS 2A
#    in the emulator's log) and the server verifies the chain against the
#    JPKI authentication CA and the handshake signature;
#  - an explicit login (the Security Devices "Log In" button) after a
#    mistyped PIN, then a new handshake without any PIN question;
#  - the card pulled out and put back: Firefox sees it, logged out;
#  - TLS 1.3 (the card cannot sign RSA-PSS): fails cleanly and quickly, no
#    signature and no PIN try spent; security.tls.version.max = 3 helps;
#  - both retry counters still full, read while Firefox holds the card;
#  - pss=yes in Firefox's section of the user's file, a card that signs
#    RSA-PSS (the emulator's --pss): TLS 1.3 works (RSA-PSS CertificateVerify,
#    P1 04, the server verifies the chain);
#  - pss=yes on a card without PSS (a misconfiguration): TLS 1.3 fails with
#    an error page, the card refusing P1 04 with 6A 86, no PIN try lost;
#    when Firefox retries the handshake by itself (it sometimes does) the
#    module, which no longer offers PSS for that card, refuses it without a
#    card command;
#    the same page again in the same Firefox fails the same way (NSS keeps
#    the mechanism list it read); TLS 1.2 limited by the server to
#    RSA+SHA256 works; TLS 1.2 with the server's default list makes NSS pick
#    RSA-PSS: refused at once, no card command, and Firefox waits for the
#    server without sending anything (no dialog, no module call in flight)
#    until the server closes the connection, then shows an error page;
#  - the Digital Signature slot disabled in the profile (modutil -disable):
#    Firefox restarted, no more signature-token questions, login still works;
#  - the module's built-in default for browsers (tokens=auth): without the
#    user config this test starts with, Firefox sees only the
#    authentication token and is never asked for the signing password;
#  - the PIN blocked by confirming a wrong PIN three times (exactly three
#    VERIFYs), after which a site fails without any APDU; nothing left
#    running.
# With both tokens, Firefox also asks for the signature token's password
# during every client authentication (it looks for certificates on every
# token): the test prompter cancels it, until the slot is disabled. Firefox
# sees both tokens because the test's user config says so (the module shows
# browsers only the authentication token by default; checked at the end).
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"
. "$top_srcdir/tests/e2e/tls-lib.sh"

jp_heavy_program "Firefox"
jp_need firefox-esr certutil modutil python3 openssl ss

MARIONETTE="python3 $top_srcdir/tests/e2e/marionette.py --timeout 20"
CARD=$top_srcdir/tests/emu/cards/card-1
FF_PID=
SRV_PID=
W=

# Firefox by its PID; its content processes follow it, and anything left in
# the process group we gave it goes too.
ff_stop() {
	jp_stop_group "$FF_PID"
	FF_PID=
}

srv_stop() {
	jp_stop_pid "$SRV_PID"
	SRV_PID=
}

cleanup() {
	ff_stop
	srv_stop
	jp_pcscd_stop
	# JP_FF_KEEP=1 keeps the profile and logs for a look.
	[ -n "$W" ] && [ "${JP_FF_KEEP:-0}" != 1 ] && rm -rf "$W"
	W=
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to 10 s for something to listen on 127.0.0.1:$1.
wait_listen() {
	python3 - "$1" <<'EOF'
import socket, sys, time
end = time.monotonic() + 10
while time.monotonic() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
}

# srv_start PORT [s_server options]: a TLS server on 127.0.0.1 that requires
# a client certificate issued by SRV_CA (the JPKI authentication CA) and
# prints the session (with the peer certificate) as its web page.
SRV_CA=$CARD/auth-ca.pem
srv_start() {
	_port=$1
	shift
	openssl s_server -accept "127.0.0.1:$_port" -www -no_cache \
		-cert "$W/server.pem" -key "$W/server.key" \
		-Verify 1 -verify_return_error -CAfile "$SRV_CA" \
		"$@" >"$W/s_server-$_port.log" 2>&1 </dev/null &
	SRV_PID=$!
	wait_listen "$_port"
}

count() {
	# count PATTERN FILE: matching lines (0 when none)
	_c=$(grep -c "$1" "$2" 2>/dev/null)
	echo "${_c:-0}"
}

# apdus verify|sign EF: VERIFYs with a PIN (a PIN EF) or COMPUTE DIGITAL
# SIGNATUREs (a key EF) in the emulator's log after a SELECT of EF, or
# with the key named in P2 (97/9A, doc/card.md §11).
apdus() {
	awk -v kind="$1" -v want="$2" '
		/^> 00A4020C02/ { ef = substr($2, 11, 4) }
		kind == "verify" && /^> 00200080[0-9A-F][0-9A-F] / && ef == want { n++ }
		/^> 802A/ { p2 = substr($2, 7, 2); k = p2 == "97" ? "0017" : p2 == "9A" ? "001A" : ef }
		kind == "sign" && /^> 802A/ && k == want { n++ }
		END { print n + 0 }' "$JP_EMU_LOG"
}

# The emulator's counters at a point: "auth-verifies sign-verifies
# auth-signatures sign-signatures".
counters() {
	echo "$(apdus verify 0018) $(apdus verify 001B) $(apdus sign 0017) $(apdus sign 001A)"
}

jp_consumer_start
jp_traps cleanup

W=$(mktemp -d "${TMPDIR:-/tmp}/jp-firefox.XXXXXX")
P=$W/profile
mkdir -p "$P" "$W/home/.config"
# Firefox's own user config for the module (ff_start sets XDG_CONFIG_HOME):
# both tokens, over the built-in tokens=auth for browsers.
printf '[program firefox-esr firefox]\ntokens=both\n' >"$W/home/.config/jpki-pkcs11.conf"

# The local server's own little PKI: a CA the profile trusts for web sites
# and a certificate for 127.0.0.1.
jp_web_pki "$W"
tap_ok $? "test web server certificate for 127.0.0.1"

# The profile: an NSS database with the web CA trusted and the module added
# (what Settings → Security Devices → Load does).
certutil -N -d "sql:$P" --empty-password >/dev/null 2>&1 &&
certutil -A -d "sql:$P" -n "jpki test web CA" -t "C,," -i "$W/ca.pem" >/dev/null 2>&1
tap_ok $? "profile database with the test web CA"
jp_with_module modutil -dbdir "sql:$P" -add "My Number Card" -libfile "$JP_MODULE" -force \
	>"$W/modutil-add.log" 2>&1
tap_ok $? "modutil -add the module to the profile"
jp_with_module modutil -dbdir "sql:$P" -list "My Number Card" >"$W/modutil.log" 2>&1
grep -q 'Token Name: My Number Card (Authentication)' "$W/modutil.log" &&
	grep -q 'Token Name: My Number Card (Signature)' "$W/modutil.log"
tap_ok $? "modutil lists both tokens of the card"

# Preferences: the certificate is chosen without asking, Marionette on a
# port Firefox picks itself (written to MarionetteActivePort), and nothing
# that talks to the network or shows first-run pages.
cat >"$P/user.js" <<'EOF'
user_pref("security.default_personal_cert", "Select Automatically");
user_pref("marionette.port", 0);
user_pref("network.proxy.type", 0);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.page", 0);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.aboutwelcome.enabled", false);
user_pref("startup.homepage_welcome_url", "about:blank");
user_pref("trailhead.firstrun.didSeeAboutWelcome", true);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("toolkit.telemetry.unified", false);
user_pref("app.update.disabledForTesting", true);
user_pref("app.update.auto", false);
user_pref("app.normandy.enabled", false);
user_pref("messaging-system.rsexperimentloader.enabled", false);
user_pref("services.settings.server", "data:,#remote-settings-off/v1");
user_pref("extensions.update.enabled", false);
user_pref("extensions.getAddons.cache.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("network.dns.disablePrefetch", true);
user_pref("network.prefetch-next", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("browser.safebrowsing.update.enabled", false);
user_pref("browser.newtabpage.enabled", false);
user_pref("browser.newtabpage.activity-stream.feeds.system.topstories", false);
user_pref("browser.ping-centre.telemetry", false);
user_pref("security.OCSP.enabled", 0);
user_pref("security.remote_settings.crlite_filters.enabled", false);
user_pref("security.remote_settings.intermediates.enabled", false);
user_pref("browser.tabs.warnOnClose", false);
EOF

# ff_start: Firefox on the profile, waits (bounded) for Marionette.
# --remote-allow-system-access lets Marionette run chrome scripts (Firefox
# 153; older releases ignore the flag). HOME and the XDG directories are in
# the scratch dir so nothing lands in the real ones.
FF_ALL=
ff_start() {
	rm -f "$P/MarionetteActivePort"
	HOME=$W/home XDG_CACHE_HOME=$W/home/.cache XDG_CONFIG_HOME=$W/home/.config \
	XDG_DATA_HOME=$W/home/.local/share MOZ_CRASHREPORTER_DISABLE=1 MOZ_HEADLESS=1 \
		setsid firefox-esr --headless --marionette \
		-remote-allow-system-access --no-remote --profile "$P" about:blank \
		>>"$W/firefox.log" 2>&1 </dev/null &
	FF_PID=$!
	FF_ALL="$FF_ALL $FF_PID"
	_n=0
	while [ ! -s "$P/MarionetteActivePort" ] && kill -0 "$FF_PID" 2>/dev/null && [ "$_n" -lt 300 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	[ -s "$P/MarionetteActivePort" ]
}

ff_start
tap_ok $? "headless Firefox up with Marionette (port $(cat "$P/MarionetteActivePort" 2>/dev/null))"
if [ ! -s "$P/MarionetteActivePort" ]; then
	sed 's/^/#   /' "$W/firefox.log"
	tap_done
fi
PORTFILE=$P/MarionetteActivePort

# marionette STEP...: the client's output also goes to the TAP log.
marionette() {
	$MARIONETTE "$PORTFILE" "$@" >"$W/m.out" 2>"$W/m.err"
	_rc=$?
	sed 's/^/#   /' "$W/m.out" "$W/m.err"
	return $_rc
}

marionette tokens
grep -q '^token My Number Card (Authentication) loggedin=0 present=1 ' "$W/m.out" &&
	grep -q '^token My Number Card (Signature) loggedin=0 present=1 ' "$W/m.out"
tap_ok $? "Firefox lists both tokens, neither logged in"

# The certificate the page must show: card-1's authentication certificate.
CN=$(openssl x509 -inform der -in "$CARD/auth.der" -noout -subject -nameopt multiline |
	sed -n 's/^ *commonName *= *//p')
openssl x509 -inform der -in "$CARD/auth.der" -outform pem | sed '/^-----/d' >"$W/auth.b64"

# check_page FILE WHAT: the s_server page shows a TLS 1.2 session whose
# client certificate is card-1's authentication certificate, verified.
check_page() {
	grep -q 'Protocol *: *TLSv1.2' "$1"
	tap_ok $? "$2: TLS 1.2 session"
	grep -q "Client certificate" "$1" && grep -q "CN *= *$CN" "$1"
	tap_ok $? "$2: the page shows the client certificate CN=$CN"
	# The PEM the server printed is the card's certificate, byte for byte.
	awk '/BEGIN CERTIFICATE/ { on = 1; next } /END CERTIFICATE/ { exit } on' "$1" >"$W/page.b64"
	cmp -s "$W/page.b64" "$W/auth.b64"
	tap_ok $? "$2: it is exactly card-1's authentication certificate"
}

# questions: the prompter's questions from the last "asked" step.
answered() { count '^question answered: ' "$W/m.out"; }
cancelled() { count '^question cancelled: ' "$W/m.out"; }

# --- TLS 1.2, the PIN asked during the handshake ---------------------------
PORT=$(free_port)
srv_start "$PORT" -tls1_2
tap_ok $? "s_server (TLS 1.2, client certificate required) on 127.0.0.1:$PORT"
set -- $(counters)
t0=$(date +%s)
JP_FF_PIN=$JP_PIN_AUTH marionette "prompter:(Authentication)" \
	"get:https://127.0.0.1:$PORT/:$W/page1.html" asked
t1=$(date +%s)
grep -q '^get ok' "$W/m.out"
tap_ok $? "TLS 1.2 page loaded with client authentication ($((t1 - t0)) s)"
[ "$(answered)" -eq 1 ] && grep -q '^question answered: .*(Authentication)' "$W/m.out"
tap_ok $? "Firefox asked for the authentication PIN once, during the handshake"
# Firefox also asks for the signature token's password while it looks for
# client certificates (the signing key and certificate are only visible
# after a login); a user cancels that. Documented in doc/use/firefox.txt.
nsig=$(cancelled)
[ "$(count '^question cancelled: .*(Signature)' "$W/m.out")" -eq "$nsig" ]
tap_ok $? "the only other questions were for the signature token, cancelled ($nsig)"
check_page "$W/page1.html" "handshake login"
set -- "$@" $(counters)
[ "$7" -gt "$3" ]
tap_ok $? "the card signed with the authentication key (INS 2A: $3 -> $7)"
[ "$5" -eq $(($1 + 1)) ] && [ "$6" -eq "$2" ] && [ "$8" -eq "$4" ]
tap_ok $? "one VERIFY of the authentication PIN, none of the signing password, no signing-key use"
grep -q 'verify return:1' "$W/s_server-$PORT.log" &&
	! grep -qi 'verify error' "$W/s_server-$PORT.log"
tap_ok $? "s_server verified the certificate chain against the JPKI auth CA"
srv_stop

# --- the negative twin: a server that trusts another CA ---------------------
# The same handshake (the token is still logged in) against a server whose
# CA did not issue the card's certificate must fail: the checks above cannot
# tell a verifying server from one that lets any certificate in. The server
# names no CA in its request (-no_ca_names): Firefox would otherwise not
# offer a certificate from another CA at all, and the server's verification
# would not be what is tested.
PORT=$(free_port)
SRV_CA=$JP_CA_DIR/sign-ca.pem
srv_start "$PORT" -tls1_2 -no_ca_names
tap_ok $? "s_server trusting the wrong CA (the signature CA) on 127.0.0.1:$PORT"
SRV_CA=$CARD/auth-ca.pem
marionette asked
marionette "get:https://127.0.0.1:$PORT/:$W/page-wrong-ca.html" asked
grep '^get error' "$W/m.out" | grep -q 'about:neterror' &&
	grep -q '^verify error:num=20:unable to get local issuer certificate' "$W/s_server-$PORT.log"
tap_ok $? "wrong CA: the server refuses the card's certificate, Firefox shows an error page"
srv_stop

# --- explicit login first (Security Devices → Log In), then a handshake ----
marionette logout:Authentication tokens
grep -q '^token My Number Card (Authentication) loggedin=0 present=1 ' "$W/m.out"
tap_ok $? "logged out of the authentication token"
# A mistyped PIN first: Firefox asks again, the right one logs in.
set -- $(counters)
JP_FF_PIN="0000 $JP_PIN_AUTH" marionette "login:(Authentication)" tokens
grep -q '^login loggedin=1 asked=2$' "$W/m.out" &&
	grep -q '^token My Number Card (Authentication) loggedin=1 present=1 ' "$W/m.out" &&
	grep -q '^token My Number Card (Signature) loggedin=0 present=1 ' "$W/m.out"
tap_ok $? "explicit login: a wrong PIN, Firefox asks again, the right one logs in"
set -- "$@" $(counters)
[ "$5" -eq $(($1 + 2)) ] && [ "$6" -eq "$2" ]
tap_ok $? "two VERIFYs of the authentication PIN ($1 -> $5), none of the signing password"
PORT=$(free_port)
srv_start "$PORT" -tls1_2
tap_ok $? "s_server (TLS 1.2) on 127.0.0.1:$PORT"
set -- $(counters)
marionette asked
marionette "get:https://127.0.0.1:$PORT/:$W/page2.html" asked
grep -q '^get ok' "$W/m.out"
tap_ok $? "TLS 1.2 page loaded after the explicit login"
[ "$(answered)" -eq 0 ]
tap_ok $? "no PIN question answered during that handshake ($(cancelled) cancelled)"
check_page "$W/page2.html" "explicit login"
set -- "$@" $(counters)
[ "$7" -gt "$3" ] && [ "$5" -eq "$1" ] && [ "$6" -eq "$2" ]
tap_ok $? "signed without any VERIFY (signatures $3 -> $7, VERIFYs $1 -> $5)"
srv_stop

# --- the card pulled out and put back: logged out ------------------------
jp_card_remove
tap_ok $? "card removed"
# NSS may answer from its cache for a moment, and it notices the removal
# (present=0) before it drops the login state: poll until both show, or
# give up after 10 s.
card_gone() {
	! grep -q '^token .* present=1 ' "$W/m.out" &&
		grep -q '^token My Number Card (Authentication) loggedin=0 present=0 ' "$W/m.out"
}
n=0
while :; do
	marionette tokens
	card_gone || [ "$n" -ge 50 ] && break
	sleep 0.2
	n=$((n + 1))
done
echo "# polled $n times"
card_gone
tap_ok $? "Firefox sees the card gone (slot empty, no longer logged in)"
jp_card_insert
tap_ok $? "card inserted again"
card_back() {
	grep -q '^token My Number Card (Authentication) loggedin=0 present=1 ' "$W/m.out" &&
		grep -q '^token My Number Card (Signature) loggedin=0 present=1 ' "$W/m.out"
}
n=0
while :; do
	marionette tokens
	card_back || [ "$n" -ge 50 ] && break
	sleep 0.2
	n=$((n + 1))
done
card_back
tap_ok $? "the tokens are back, logged out"

# --- TLS 1.3: the card cannot sign RSA-PSS ---------------------------------
# A server that allows TLS 1.2 and 1.3, as most do: Firefox negotiates 1.3,
# where an RSA client key must sign RSA-PSS, which the card cannot do.
# Logged out first: does Firefox make the user type a PIN for nothing?
marionette logout:Authentication
PORT=$(free_port)
srv_start "$PORT"
tap_ok $? "s_server (TLS 1.2 and 1.3, client certificate required) on 127.0.0.1:$PORT"
set -- $(counters)
t0=$(date +%s)
JP_FF_PIN=$JP_PIN_AUTH marionette "prompter:(Authentication)" \
	"get:https://127.0.0.1:$PORT/:$W/page3.html" asked
t1=$(date +%s)
grep '^get error' "$W/m.out" | grep -q 'about:neterror'
tap_ok $? "TLS 1.3 with client authentication fails with an error page, no fallback to 1.2"
[ $((t1 - t0)) -le 10 ]
tap_ok $? "and fails quickly ($((t1 - t0)) s), no hang"
grep -q 'peer did not return a certificate' "$W/s_server-$PORT.log"
tap_ok $? "Firefox sent no certificate (the server says so)"
set -- "$@" $(counters)
[ "$7" -eq "$3" ] && [ "$8" -eq "$4" ]
tap_ok $? "no signature attempted for TLS 1.3"
[ "$6" -eq "$2" ] && [ "$5" -le $(($1 + 1)) ]
tap_ok $? "at most the one correct PIN was typed ($(answered) answered; VERIFYs $1 -> $5)"

# The workaround for such servers: cap Firefox at TLS 1.2
# (about:config security.tls.version.max = 3). Same server, same profile.
set -- $(counters)
marionette "pref:security.tls.version.max=3" "get:https://127.0.0.1:$PORT/:$W/page4.html" asked
grep -q '^get ok' "$W/m.out"
tap_ok $? "with security.tls.version.max = 3 the same server's page loads"
check_page "$W/page4.html" "TLS 1.2 cap"
set -- "$@" $(counters)
[ "$7" -gt "$3" ]
tap_ok $? "the card signed that handshake (INS 2A: $3 -> $7)"
srv_stop

# No PIN try was spent: both counters still full (VERIFY with no data =
# retry query: 63 C3 for the PIN, 63 C5 for the signing password). Asked
# while Firefox holds the card: the module must cope with another program
# selecting files between its own commands.
t=$(jp_pin_tries auth)
[ "$t" = 63C3 ]
tap_ok $? "authentication PIN retry counter still full (answer $t)"
t=$(jp_pin_tries sign)
[ "$t" = 63C5 ]
tap_ok $? "signing password retry counter still full (answer $t)"

# --- pss=yes: TLS 1.3 with a card that signs RSA-PSS ----------------------
# The option in Firefox's section of the user's file, a card that signs
# RSA-PSS (P1 04, doc/card.md §11; the emulator's --pss): NSS sees
# CKM_RSA_PKCS_PSS on the token and signs TLS 1.3's CertificateVerify with
# it. Firefox reads the module's options when it loads it: restarted. The
# module's trace (no PIN in it) shows what NSS asks of it. The profile keeps
# security.tls.version.max = 3 from above: back to 4 (TLS 1.3).
ff_stop
printf '[program firefox-esr firefox]\ntokens=both\npss=yes\n' >"$W/home/.config/jpki-pkcs11.conf"
jp_emu_restart --pss
tap_ok $? "emulator restarted as a card that signs RSA-PSS (--pss)"
JPKI_PKCS11_DEBUG="level:5,file:$W/p11-pss.log"
export JPKI_PKCS11_DEBUG
ff_start
tap_ok $? "Firefox started again, pss=yes in its section of the user's file"
PORT=$(free_port)
srv_start "$PORT"
tap_ok $? "s_server (TLS 1.2 and 1.3, client certificate required) on 127.0.0.1:$PORT"
set -- $(counters)
m0=$(jp_log_mark)
JP_FF_PIN=$JP_PIN_AUTH marionette "pref:security.tls.version.max=4" "prompter:(Authentication)" \
	"get:https://127.0.0.1:$PORT/:$W/page-pss.html" asked
grep -q '^get ok' "$W/m.out" && [ "$(answered)" -eq 1 ]
tap_ok $? "pss=yes, a PSS card: the page loads, the PIN asked once"
grep -q 'Protocol *: *TLSv1.3' "$W/page-pss.html" && grep -q 'Peer signature type: RSA-PSS' "$W/page-pss.html"
tap_ok $? "pss=yes, a PSS card: TLS 1.3 session, RSA-PSS CertificateVerify"
awk '/BEGIN CERTIFICATE/ { on = 1; next } /END CERTIFICATE/ { exit } on' "$W/page-pss.html" >"$W/page.b64"
cmp -s "$W/page.b64" "$W/auth.b64" && grep -q 'Verify return code: 0 (ok)' "$W/page-pss.html" &&
	grep -q 'verify return:1' "$W/s_server-$PORT.log" && ! grep -qi 'verify error' "$W/s_server-$PORT.log"
tap_ok $? "pss=yes, a PSS card: the server verified card-1's authentication certificate against the JPKI auth CA"
# (Firefox may open a second connection to the same server, a second
# handshake: every signature must be a PSS one.)
set -- "$@" $(counters)
seq=$(jp_tls_sign_seq "$m0")
[ "$5" -eq $(($1 + 1)) ] && [ "$6" -eq "$2" ] && [ -n "$seq" ] &&
	! echo "$seq" | tr ' ' '\n' | grep -qvx '0497:9000'
tap_ok $? "one VERIFY; each handshake one sign command, P1 04 by P2 97, signed ($seq)"
srv_stop

# --- pss=yes on a card without RSA-PSS (a misconfiguration) ---------------
# The default card again, the same option. TLS 1.3: NSS signs with
# CKM_SHA256_RSA_PKCS_PSS, the card refuses P1 04 (6A 86, and again after
# the module's fallback to SELECT + P2 80: a fresh process does not know
# yet whether the card refused the short EF identifier or P1), C_SignFinal
# answers CKR_MECHANISM_INVALID; Firefox shows an error page.
ff_stop
jp_emu_restart
tap_ok $? "emulator back to the default card (no RSA-PSS)"
: >"$W/p11-pss.log"
ff_start
tap_ok $? "Firefox started again, still pss=yes"
PORT=$(free_port)
srv_start "$PORT"
tap_ok $? "s_server (TLS 1.2 and 1.3, client certificate required) on 127.0.0.1:$PORT"
tries=$(jp_pin_tries auth)
set -- $(counters)
m0=$(jp_log_mark)
t0=$(date +%s)
JP_FF_PIN=$JP_PIN_AUTH marionette "prompter:(Authentication)" \
	"get:https://127.0.0.1:$PORT/:$W/page-nopss.html" asked
t1=$(date +%s)
grep '^get error' "$W/m.out" | grep -q 'about:neterror'
tap_ok $? "pss=yes, a card without PSS: TLS 1.3 fails with an error page, no hang ($((t1 - t0)) s)"
seq=$(jp_tls_sign_seq "$m0")
[ "$seq" = "0497:6A86 0480:6A86" ]
tap_ok $? "the card refused P1 04 with 6A 86, by P2 97 and after SELECT by P2 80; nothing else signed ($seq)"
set -- "$@" $(counters)
[ "$5" -eq $(($1 + 1)) ] && [ "$6" -eq "$2" ] && [ "$(jp_pin_tries auth)" = "$tries" ]
tap_ok $? "one VERIFY (the PIN typed once), no PIN try lost ($tries → $(jp_pin_tries auth))"
# What Firefox did (its own retry of the handshake, if any), from the
# module's trace and the server's log.
echo "# Firefox: $(grep -c '> C_SignInit .*PSS' "$W/p11-pss.log") PSS C_SignInit, $(grep -c '< C_SignInit: 0x00000070' "$W/p11-pss.log") answered CKR_MECHANISM_INVALID; the server got the certificate $(grep -c '^depth=0 ' "$W/s_server-$PORT.log") times, alert 80 $(grep -c 'SSL alert number 80' "$W/s_server-$PORT.log") times"
# pss_answers FILE [after]: the module's answers, in its trace FILE (from
# the line saying it stopped offering PSS, with "after"), to C_SignInit and
# C_GetMechanismInfo about the PSS mechanisms: "N BAD", BAD those that were
# not CKR_MECHANISM_INVALID (0x70).
pss_answers() {
	awk -v on="$([ "${2:-}" = after ] && echo 0 || echo 1)" '
		/PSS is no longer offered/ { on = 1; next }
		on && /> C_SignInit .*PSS/ { want["C_SignInit"] = 1 }
		on && /> C_GetMechanismInfo .*mechanism=0x(d|43)$/ { want["C_GetMechanismInfo"] = 1 }
		on && /< C_(SignInit|GetMechanismInfo): / {
			f = $(NF - 1); sub(":", "", f)
			if (want[f]) { n++; if ($NF != "0x00000070") bad++; want[f] = 0 }
		}
		END { print n + 0, bad + 0 }' "$1"
}
# After the refusal the module offers no PSS for this card: it says so in
# its log, and whatever NSS asks about PSS after that (Firefox sometimes
# retries the handshake by itself) is answered CKR_MECHANISM_INVALID.
set -- $(pss_answers "$W/p11-pss.log" after)
grep -q 'WARN: p11: the card refused RSA-PSS (6A86).*PSS is no longer offered for it' "$W/p11-pss.log" &&
	[ "$2" -eq 0 ]
tap_ok $? "the module stops offering PSS for this card; later PSS questions refused ($1 asked, $2 not refused)"

# The same page again in the same Firefox: NSS keeps the mechanism list it
# read when the token appeared and asks for RSA-PSS again; the module
# refuses it at once (C_SignInit: CKR_MECHANISM_INVALID), no command reaches
# the card, an error page again (until Firefox restarts or the card is
# reinserted: pss=yes must go for this card).
: >"$W/p11-pss.log"
m0=$(jp_log_mark)
set -- $(counters)
marionette "get:https://127.0.0.1:$PORT/:$W/page-nopss2.html" asked
grep '^get error' "$W/m.out" | grep -q 'about:neterror'
tap_ok $? "the same page again in the same Firefox: an error page again"
set -- "$@" $(counters)
a=$(pss_answers "$W/p11-pss.log")
[ "$(jp_count_sign "$m0")" -eq 0 ] && [ "$5" -eq "$1" ] && grep -q '> C_SignInit .*PSS' "$W/p11-pss.log" &&
	[ "${a#* }" = 0 ]
tap_ok $? "... NSS asked for RSA-PSS again, refused at once ($a): no sign command, no VERIFY"
srv_stop

# TLS 1.2 with the PKCS#1 signature algorithms only (the server asks for
# RSA+SHA256: Firefox has no setting for its own list): works as with
# pss=no, in the same Firefox.
PORT=$(free_port)
srv_start "$PORT" -tls1_2 -client_sigalgs RSA+SHA256
tap_ok $? "s_server (TLS 1.2, client signature RSA+SHA256 only) on 127.0.0.1:$PORT"
m0=$(jp_log_mark)
marionette "get:https://127.0.0.1:$PORT/:$W/page-nopss12.html" asked
grep -q '^get ok' "$W/m.out"
tap_ok $? "pss=yes, a card without PSS: TLS 1.2 with RSA+SHA256 loads"
check_page "$W/page-nopss12.html" "pss=yes, RSA+SHA256"
grep -q 'Verify return code: 0 (ok)' "$W/page-nopss12.html" && grep -q 'Peer signature type: RSA$' "$W/page-nopss12.html"
tap_ok $? "pss=yes, RSA+SHA256: an RSA PKCS#1 CertificateVerify, verified by the server"
seq=$(jp_tls_sign_seq "$m0")
[ -n "$seq" ] && ! echo "$seq" | tr ' ' '\n' | grep -qvx '0097:9000'
tap_ok $? "each handshake one sign command, P1 00 ($seq)"
srv_stop

# TLS 1.2 with the server's default list (rsa_pss_* included): NSS picks
# RSA-PSS in TLS 1.2 too and the module refuses it at once (C_SignInit,
# this card). Firefox then sends nothing more, neither its Certificate
# flight nor an alert, and waits for the server, which waits for the
# client: the page hangs until the server closes the connection (a real
# server's handshake timeout), then Firefox shows an error page at once.
# Not a dialog (Firefox's main thread idles in its event loop, the
# certificate chosen automatically) and not the module (no call in
# flight); Firefox does the same after any failed client signature in
# TLS 1.2, whatever the module answers (seen with CKR_MECHANISM_INVALID,
# CKR_FUNCTION_FAILED and, pss=no, CKR_DEVICE_ERROR on a garbled card
# signature): doc/use/tls13.txt. Last in this Firefox: it is stopped next.
: >"$W/p11-pss.log"
PORT=$(free_port)
srv_start "$PORT" -tls1_2
tap_ok $? "s_server (TLS 1.2, the default signature list) on 127.0.0.1:$PORT"
m0=$(jp_log_mark)
set -- $(counters)
# (bounded by marionette's own timeout, far above the few seconds needed)
python3 "$top_srcdir/tests/e2e/marionette.py" --timeout 60 "$PORTFILE" \
	"get:https://127.0.0.1:$PORT/:$W/page-nopss12b.html" >"$W/m.out" 2>"$W/m.err" &
mpid=$!
# Until the module has refused PSS (at most 20 s), then 5 s more.
_n=0
while ! grep -q '< C_SignInit: 0x00000070' "$W/p11-pss.log" && [ "$_n" -lt 200 ]; do
	sleep 0.1
	_n=$((_n + 1))
done
sleep 5
# The connection to the server, as the kernel sees it: open, nothing queued.
tcp=$(ss -Htn state established "( dport = :$PORT )" | awk '{ print $1 "/" $2 }' | sort -u | paste -sd ' ' -)
kill -0 "$mpid" 2>/dev/null && [ "$tcp" = 0/0 ] &&
	! grep -q '^depth=0 ' "$W/s_server-$PORT.log" && ! grep -qi 'alert' "$W/s_server-$PORT.log"
tap_ok $? "pss=yes, a card without PSS, TLS 1.2 where NSS picks RSA-PSS: Firefox waits 5 s after the refusal, the connection open and idle ($tcp), the server got neither a certificate nor an alert"
# Every call the module was asked has returned (each "> C_x" its "< C_x").
busy=$(awk '/ TRACE: > C_/ { sub(/.* TRACE: > /, ""); n[$1]++ }
	/ TRACE: < C_/ { sub(/.* TRACE: < /, ""); sub(/:.*/, ""); n[$1]-- }
	END { for (f in n) if (n[f]) { printf "%s%s", s, f; s = " " } }' "$W/p11-pss.log")
[ -z "$busy" ] && grep -q '< C_SignInit: 0x00000070' "$W/p11-pss.log"
tap_ok $? "... no PKCS#11 call in flight meanwhile (${busy:-none})"
set -- "$@" $(counters)
a=$(pss_answers "$W/p11-pss.log")
[ "$(jp_count_sign "$m0")" -eq 0 ] && [ "$5" -eq "$1" ] && grep -q '> C_SignInit .*PSS' "$W/p11-pss.log" &&
	[ "${a#* }" = 0 ]
tap_ok $? "... NSS asked for RSA-PSS, refused at once ($a): no sign command, no VERIFY"
# The server gives up (as a real server's handshake timeout would): the
# error page follows.
srv_stop
wait "$mpid"
sed 's/^/#   /' "$W/m.out" "$W/m.err"
grep '^get error' "$W/m.out" | grep -q 'about:neterror' && ! grep -q 'Verify return code' "$W/page-nopss12b.html" 2>/dev/null
tap_ok $? "... the server closes the connection: Firefox shows an error page"
unset JPKI_PKCS11_DEBUG
t=$(jp_pin_tries auth)
[ "$t" = 63C3 ]
tap_ok $? "authentication PIN retry counter still full after the pss=yes runs (answer $t)"
printf '[program firefox-esr firefox]\ntokens=both\n' >"$W/home/.config/jpki-pkcs11.conf"

# --- no more signature-token questions: that slot disabled in the profile -
# NSS lets a profile ignore one slot of a module (modutil -disable ... -slot,
# with Firefox closed); the slot's name is "<reader> Digital Signature".
ff_stop
jp_with_module modutil -dbdir "sql:$P" -disable "My Number Card" \
	-slot "$JP_READER Digital Signature" -force >"$W/modutil-disable.log" 2>&1
tap_ok $? "modutil -disable the card's Digital Signature slot in the profile"
ff_start
tap_ok $? "Firefox started again"
PORT=$(free_port)
srv_start "$PORT" -tls1_2
tap_ok $? "s_server (TLS 1.2) on 127.0.0.1:$PORT"
set -- $(counters)
JP_FF_PIN=$JP_PIN_AUTH marionette "prompter:(Authentication)" \
	"get:https://127.0.0.1:$PORT/:$W/page6.html" asked
grep -q '^get ok' "$W/m.out" && [ "$(answered)" -eq 1 ] && [ "$(cancelled)" -eq 0 ]
tap_ok $? "signature slot disabled: the site loads with one PIN question and no other"
check_page "$W/page6.html" "signature slot disabled"
set -- "$@" $(counters)
[ "$7" -gt "$3" ] && [ "$5" -eq $(($1 + 1)) ] && [ "$6" -eq "$2" ]
tap_ok $? "one VERIFY, card signature made (INS 2A: $3 -> $7)"
srv_stop

# --- the built-in default for browsers: only the authentication token -----
# The slot enabled again and the user config gone: the module itself shows
# firefox-esr only the authentication token (tokens=auth for browsers).
ff_stop
jp_with_module modutil -dbdir "sql:$P" -enable "My Number Card" \
	-slot "$JP_READER Digital Signature" -force >"$W/modutil-enable.log" 2>&1
tap_ok $? "modutil -enable the Digital Signature slot again"
rm -f "$W/home/.config/jpki-pkcs11.conf"
ff_start
tap_ok $? "Firefox started again, without the user config"
marionette tokens
grep -q '^token My Number Card (Authentication) loggedin=0 present=1 ' "$W/m.out" &&
	! grep -q 'My Number Card (Signature)' "$W/m.out"
tap_ok $? "built-in default: Firefox sees only the authentication token"
PORT=$(free_port)
srv_start "$PORT" -tls1_2
tap_ok $? "s_server (TLS 1.2) on 127.0.0.1:$PORT"
set -- $(counters)
JP_FF_PIN=$JP_PIN_AUTH marionette "prompter:(Authentication)" \
	"get:https://127.0.0.1:$PORT/:$W/page7.html" asked
grep -q '^get ok' "$W/m.out" && [ "$(answered)" -eq 1 ] && [ "$(cancelled)" -eq 0 ]
tap_ok $? "built-in default: the site loads with one PIN question and no other"
check_page "$W/page7.html" "built-in default"
set -- "$@" $(counters)
[ "$7" -gt "$3" ] && [ "$5" -eq $(($1 + 1)) ] && [ "$6" -eq "$2" ] && [ "$8" -eq "$4" ]
tap_ok $? "one VERIFY of the PIN, none of the signing password (INS 2A: $3 -> $7)"
srv_stop

# --- the PIN blocked through Firefox ---------------------------------------
# A user who keeps confirming the same wrong PIN: NSS asks again after every
# wrong PIN, so three wrong answers block the card's authentication PIN.
marionette logout:Authentication
set -- $(counters)
JP_FF_PIN=0000 marionette "login:(Authentication)" tokens
grep -q '^login loggedin=0 ' "$W/m.out" &&
	grep -q '^token My Number Card (Authentication) loggedin=0 present=1 ' "$W/m.out"
tap_ok $? "the same wrong PIN confirmed again and again: not logged in"
set -- "$@" $(counters)
[ "$5" -eq $(($1 + 3)) ]
tap_ok $? "exactly three VERIFYs reached the card, none once it was blocked ($1 -> $5)"
t=$(jp_pin_tries auth)
case "$t" in 63C0 | 6984) st=0 ;; *) st=1 ;; esac
tap_ok $st "the authentication PIN is blocked (answer $t)"
# With the PIN blocked, client authentication fails without a VERIFY or a
# signature, whatever the user types.
PORT=$(free_port)
srv_start "$PORT" -tls1_2
tap_ok $? "s_server (TLS 1.2) on 127.0.0.1:$PORT"
set -- $(counters)
marionette asked
t0=$(date +%s)
JP_FF_PIN=$JP_PIN_AUTH marionette "prompter:(Authentication)" \
	"get:https://127.0.0.1:$PORT/:$W/page5.html" asked
t1=$(date +%s)
grep -q '^get error' "$W/m.out" && [ $((t1 - t0)) -le 10 ]
tap_ok $? "blocked PIN: the site fails with an error page ($((t1 - t0)) s)"
set -- "$@" $(counters)
[ "$5" -eq "$1" ] && [ "$7" -eq "$3" ]
tap_ok $? "blocked PIN: no VERIFY and no signature ($(answered) PIN questions answered)"
srv_stop

ff_stop

pids="$JP_PCSCD_PID $JP_EMU_PID $FF_ALL"
cleanup
# shellcheck disable=SC2086 # a list of PIDs
left=$(jp_still_running $pids)
# Firefox's content processes were in its process group (zombies waiting
# for whoever reaps orphans do not count).
for g in $FF_ALL; do
	left="$left $(ps -eo pid=,pgid=,stat= | awk -v g="$g" '$2 == g && $3 !~ /^Z/ { printf "%s ", $1 }')"
done
left=$(echo $left)
[ -z "$left" ] || ps -o pid,pgid,stat,args -p "$(echo "$left" | tr ' ' ,)" | sed 's/^/#   /'
[ -z "$left" ]
tap_ok $? "nothing left running (pcscd, emulator, Firefox and its children)"
tap_done
