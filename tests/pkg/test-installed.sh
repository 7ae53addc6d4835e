#!/bin/sh
# The INSTALLED Debian package (tools/test-all.sh, package build, installs
# it with `apt-get install ./jpki-pkcs11_*.deb` first) against a private
# pcscd + vpcd + the emulated card: the files where p11-kit and man look
# for them and nothing of the tests among them; the system-wide p11-kit
# registration (`p11-kit list-modules`, pkcs11-tool through
# p11-kit-proxy.so) with signatures verified by openssl against the card's
# certificates; `jpki status` (JSON, and in Japanese from the installed
# catalogue) reading the card; then `apt-get purge` and nothing left behind.
#
# Root only: it purges the package (and CI runs as root). The build tree
# (top_builddir) only lends the emulator and pcsc-probe for the harness;
# every check is on the installed files.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"

pkg="jpki-pkcs11"
[ "$(id -u)" = 0 ] || tap_skip_all "needs root: it purges the installed package"
jp_need dpkg-query apt-get p11-kit pkcs11-tool openssl pkg-config nm
[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] ||
	tap_skip_all "package $pkg not installed (apt-get install ./${pkg}_*.deb)"

# Where p11-kit looks, as its own pkg-config file says.
moddir=$(pkg-config --variable=p11_module_path p11-kit-1)
confdir=$(pkg-config --variable=p11_module_configs p11-kit-1)
proxy=$(pkg-config --variable=proxy_module p11-kit-1)
jp_need_file "$proxy" p11-kit-proxy.so "apt-get install p11-kit-modules"
# From here on the module under test is the installed one.
JP_MODULE=$moddir/jpki-pkcs11.so

jp_consumer_start
card=$JP_CARD_DIR
# Our own scratch directory: the harness's goes with pcscd, before the purge.
w=$(mktemp -d "${TMPDIR:-/tmp}/jp-pkg.XXXXXX") || { tap_ok 1 "mktemp"; tap_done; }
# shellcheck disable=SC2016 # $w is expanded when the trap runs
jp_traps 'rm -rf "$w"'
files=$w/files
dpkg-query -L "$pkg" >"$files"

# ---- what the package installed ----
grep -qxF "$JP_MODULE" "$files" && [ -f "$JP_MODULE" ]
tap_ok $? "the module is installed where p11-kit looks for modules: $JP_MODULE"
conf=$confdir/$pkg.module
grep -qxF "$conf" "$files" &&
	[ "$(awk -F': *' '$1 == "module" { print $2 }' "$conf")" = "$JP_MODULE" ]
tap_ok $? "$conf names the installed module"
grep -qE '^/usr/share/man/man8/jpki-pkcs11\.8(\.gz)?$' "$files"
tap_ok $? "the manual page jpki-pkcs11(8) is installed"
ndoc=$(grep -cE "^/usr/share/doc/$pkg/[a-z0-9-]+\.txt(\.gz)?$" "$files")
ntxt=$(find "$top_srcdir/doc/use" -name '*.txt' | wc -l)
echo "# doc/use notes installed: $ndoc of $ntxt"
[ "$ndoc" -gt 0 ] && [ "$ndoc" -eq "$ntxt" ]
tap_ok $? "every doc/use/*.txt is in /usr/share/doc/$pkg"
# Only the shipped things: nothing from the tests (emulator, test module,
# test programs), no libtool archives, nothing outside these places.
odd=$(
	grep -v -E "^/\.$|^/usr(/lib(/[^/]+(/pkcs11(/jpki-pkcs11\.so)?)?)?)?$|^/usr/bin(/jpki)?$|^/usr/share(/(doc|man|locale|p11-kit|lintian)(/.*)?)?$" "$files"
	grep -i -E 'emu|test|\.la$|\.a$' "$files"
)
[ -z "$odd" ] || printf '%s\n' "$odd" | sed 's/^/# unexpected: /'
[ -z "$odd" ]
tap_ok $? "nothing else in the package (no test program, no emulator, no .la)"
! nm -D --defined-only "$JP_MODULE" 2>/dev/null | awk '{ print $3 }' | grep -v '^C_' | grep -q . &&
	nm -D --defined-only "$JP_MODULE" | grep -q ' C_GetFunctionList$'
tap_ok $? "the installed module exports C_GetFunctionList and only C_* symbols"

# ---- p11-kit: the system-wide registration ----
# As root p11-kit reads only the system configuration: what every user
# gets from the package.
out=$(p11-kit list-modules 2>&1)
printf '%s\n' "$out" | sed -n '/^jpki-pkcs11/,/^[^ ]/p' | sed 's/^/#   /'
jp_contains "$out" "jpki-pkcs11: $JP_MODULE"
tap_ok $? "p11-kit list-modules shows the module by its name: jpki-pkcs11: $JP_MODULE"
jp_contains "$out" "token: $JP_LABEL_AUTH" && jp_contains "$out" "token: $JP_LABEL_SIGN"
tap_ok $? "p11-kit list-modules shows both tokens of the card"

# ---- pkcs11-tool through p11-kit-proxy.so ----
p11proxy() { timeout 60 pkcs11-tool --module "$proxy" "$@"; }
out=$(p11proxy -L 2>&1)
jp_contains "$out" "token label        : $JP_LABEL_AUTH" &&
	jp_contains "$out" "token label        : $JP_LABEL_SIGN"
tap_ok $? "pkcs11-tool --module $proxy -L: both tokens"
printf 'Signed by the installed package through p11-kit-proxy.\n' >"$w/doc"
for k in auth sign; do
	openssl x509 -inform DER -in "$card/$k.der" -pubkey -noout >"$w/$k.pub"
done
# proxy_sign KEY LABEL PIN: a SHA256-RSA-PKCS signature, then openssl
# verifies it with the public key of the fixture's certificate.
proxy_sign() {
	rm -f "$w/sig"
	p11proxy --token-label "$2" --login --pin "$3" --sign -m SHA256-RSA-PKCS \
		-i "$w/doc" -o "$w/sig" >"$w/out" 2>&1 &&
		openssl dgst -sha256 -verify "$w/$1.pub" -signature "$w/sig" "$w/doc" >/dev/null 2>&1
}
mark=$(jp_log_mark)
proxy_sign auth "$JP_LABEL_AUTH" "$JP_PIN_AUTH" || sed 's/^/#   /' "$w/out"
tap_ok $? "authentication key through the proxy: verified against the card's certificate"
[ "$(jp_count_sign "$mark")" -eq 1 ]
tap_ok $? "the card made that signature (one sign command)"
proxy_sign sign "$JP_LABEL_SIGN" "$JP_PIN_SIGN" || sed 's/^/#   /' "$w/out"
tap_ok $? "signing key through the proxy: verified against the card's certificate"

# ---- jpki, the companion, on the card layer (not through PKCS#11) ----
jpki=/usr/bin/jpki
grep -qxF "$jpki" "$files" && [ -x "$jpki" ] &&
	grep -qE '^/usr/share/man/man1/jpki\.1(\.gz)?$' "$files" &&
	grep -qxF /usr/share/locale/ja/LC_MESSAGES/jpki-pkcs11.mo "$files"
tap_ok $? "jpki, jpki(1) and the Japanese catalogue are installed"
# The fixture's authentication certificate, as jpki must report it: the
# serial the module shows, notAfter as a JST (UTC+9) calendar day.
end=$(openssl x509 -inform DER -in "$card/auth.der" -noout -enddate | sed 's/^notAfter=//')
end_jst=$(date -u -d "@$(($(date -u -d "$end" +%s) + 9 * 3600))" +%F)
mark=$(jp_log_mark)
env -u LC_ALL -u LANGUAGE LANG=C.UTF-8 timeout 60 "$jpki" status --json >"$w/status.json" 2>"$w/status.err"
rc=$?
sed 's/^/#   /' "$w/status.json" "$w/status.err"
python3 - "$w/status.json" "$JP_READER" "$(jp_card_serial)" "$end_jst" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
r = [x for x in doc["readers"] if x["reader"] == sys.argv[2]][0]
a = r["auth"]
ok = (r["card"] == "mynumber" and r["serial"] == sys.argv[3] and
      a["certificate"] == "present" and a["not_after"] == sys.argv[4] and
      a["pin"]["tries_left"] == 3 and a["pin"]["blocked"] is False and
      r["sign"]["certificate"] == "present" and r["sign"]["pin"]["tries_left"] == 5)
sys.exit(0 if ok else 1)
PY
tap_ok $? "jpki status --json reads the card: mynumber, its serial, auth valid until $end_jst, 3 and 5 tries left"
[ "$rc" -eq 0 ] && [ "$(jp_count_verify "$mark")" -eq 0 ]
tap_ok $? "jpki status: exit status 0 (nothing to do: $rc), no PIN sent to the card"
out=$(env -u LC_ALL -u LANGUAGE -u JPKI_LOCALEDIR LANG=ja_JP.UTF-8 timeout 60 "$jpki" status 2>&1)
printf '%s\n' "$out" | sed -n '1,3s/^/#   /p'
jp_contains "$out" "マイナンバーカード" && ! jp_contains "$out" "My Number Card"
tap_ok $? "LANG=ja_JP.UTF-8 jpki status speaks Japanese from the installed catalogue"

jp_nothing_left_running

# ---- apt-get purge: nothing left behind ----
apt-get purge -y "$pkg" >"$w/purge.log" 2>&1 || sed 's/^/#   /' "$w/purge.log"
tap_ok $? "apt-get purge -y $pkg"
st=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)
[ -z "$st" ] || [ "$st" = not-installed ]
tap_ok $? "dpkg knows nothing of $pkg any more (status: ${st:-none})"
# Every file the package had is gone (directories shared with other
# packages stay, as they should).
left=$(while read -r f; do
	if [ ! -d "$f" ] && { [ -e "$f" ] || [ -L "$f" ]; }; then echo "$f"; fi
done <"$files")
[ -z "$left" ] || printf '%s\n' "$left" | sed 's/^/# left: /'
[ -z "$left" ] && [ -s "$files" ]
tap_ok $? "every file of the package is gone ($(wc -l <"$files") paths checked)"
left=$(find /etc /usr/share/doc /usr/share/p11-kit /var/lib/dpkg/info -iname "*$pkg*" 2>/dev/null)
[ -z "$left" ] || printf '%s\n' "$left" | sed 's/^/# left: /'
[ -z "$left" ] && [ ! -e "/usr/share/doc/$pkg" ]
tap_ok $? "nothing left in /etc, /usr/share/doc, /usr/share/p11-kit or dpkg's own records"
! p11-kit list-modules 2>/dev/null | grep -q '^jpki-pkcs11:'
tap_ok $? "p11-kit list-modules no longer shows jpki-pkcs11"

tap_done
