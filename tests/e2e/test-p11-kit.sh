#!/bin/sh
# The module as p11-kit users get it: `make install` into a scratch DESTDIR,
# the installed .module file registered through a private p11-kit user
# configuration (a scratch HOME), then `p11-kit list-modules` and
# pkcs11-tool through p11-kit-proxy.so against the private pcscd + the
# emulated card, including the x-init-reserved option
# "always-authenticate=no" travelling from the .module file to the module.
#
# p11-kit ignores user configuration in programs running as root, so when
# run as root the p11-kit programs run as the unprivileged user 65534
# (setpriv), with the private pcscd's socket opened to it.
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/consumer-lib.sh"

jp_need p11-kit pkcs11-tool openssl
proxy=$(pkg-config --variable=proxy_module p11-kit-1 2>/dev/null)
[ -n "$proxy" ] && [ -f "$proxy" ] || proxy=/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so
jp_need_file "$proxy" p11-kit-proxy.so "apt-get install p11-kit-modules"
# As root, p11-kit runs as a user through setpriv (util-linux).
[ "$(id -u)" != 0 ] || jp_need setpriv
jp_consumer_start

card=$JP_CARD_DIR
w=$JP_HARNESS_DIR/work
dest=$JP_HARNESS_DIR/destdir
home=$JP_HARNESS_DIR/home
mkdir -p "$w" "$dest" "$home/.config/pkcs11/modules"

# Runs a p11-kit client with the scratch HOME, unprivileged when we are root.
as_user() {
	if [ "$(id -u)" = 0 ]; then
		jp_with_module setpriv --reuid=65534 --regid=65534 --clear-groups \
			env HOME="$home" XDG_CONFIG_HOME="$home/.config" "$@"
	else
		jp_with_module env HOME="$home" XDG_CONFIG_HOME="$home/.config" "$@"
	fi
}
p11proxy() { as_user pkcs11-tool --module "$proxy" "$@"; }

# ---- install ----
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" install DESTDIR="$dest" >"$w/install.log" 2>&1
tap_ok $? "make install DESTDIR=<scratch>"
so=$(find "$dest" -name jpki-pkcs11.so -type f | head -n 1)
conf=$(find "$dest" -name jpki-pkcs11.module -type f | head -n 1)
[ -n "$so" ] && [ -n "$conf" ]
tap_ok $? "installed: ${so#"$dest"} and ${conf#"$dest"}"
[ -n "$(find "$dest" -path '*/man8/jpki-pkcs11.8' -type f)" ]
tap_ok $? "installed: jpki-pkcs11(8)"
[ "$(awk -F': *' '$1 == "module" { print $2 }' "$conf")" = "${so#"$dest"}" ]
tap_ok $? "the .module file names the installed module's path"
! nm -D --defined-only "$so" 2>/dev/null | awk '{ print $3 }' | grep -v '^C_' | grep -q .
tap_ok $? "the installed module exports only C_* symbols"

# The installed .module, moved into the scratch DESTDIR, as a user config.
sed "s|^module:.*|module: $so|" "$conf" >"$home/.config/pkcs11/modules/jpki-pkcs11.module"
# The system's own modules stay out of it (OpenSC would probe our card too).
for f in /usr/share/p11-kit/modules/*.module /etc/pkcs11/modules/*.module; do
	[ -f "$f" ] || continue
	[ "$(basename "$f")" = jpki-pkcs11.module ] && continue
	printf 'disable-in: p11-kit, p11-kit-proxy, pkcs11-tool\n' \
		>"$home/.config/pkcs11/modules/$(basename "$f")"
done
chmod -R a+rX "$JP_HARNESS_DIR"
# Our private pcscd's socket, for the unprivileged user.
[ "$(id -u)" = 0 ] && chmod 0666 "$PCSCLITE_CSOCK_NAME"

# ---- p11-kit list-modules ----
out=$(as_user p11-kit list-modules 2>&1)
printf '%s\n' "$out" | sed -n '/^jpki-pkcs11/,/^[^ ]/p' | sed 's/^/#   /'
jp_contains "$out" "jpki-pkcs11: $so"
tap_ok $? "p11-kit list-modules finds jpki-pkcs11 from the user configuration"
jp_contains "$out" "token: $JP_LABEL_AUTH" && jp_contains "$out" "token: $JP_LABEL_SIGN" && jp_contains "$out" "manufacturer: J-LIS (JPKI)"
tap_ok $? "p11-kit list-modules shows both tokens of the card"
! jp_contains "$out" "opensc-pkcs11:"
tap_ok $? "no other smart-card module in this configuration"

# ---- pkcs11-tool through p11-kit-proxy.so ----
out=$(p11proxy -L 2>&1)
jp_contains "$out" "token label        : $JP_LABEL_AUTH" && jp_contains "$out" "token label        : $JP_LABEL_SIGN"
tap_ok $? "pkcs11-tool -L through p11-kit-proxy.so: both tokens"
printf 'Signed through p11-kit-proxy.\n' >"$w/doc"
openssl x509 -inform DER -in "$card/auth.der" -pubkey -noout >"$w/auth.pub"
openssl x509 -inform DER -in "$card/sign.der" -pubkey -noout >"$w/sign.pub"
chmod -R a+rwX "$w"
proxy_sign() { # key label pin
	rm -f "$w/sig"
	p11proxy --token-label "$2" --login --pin "$3" --sign -m SHA256-RSA-PKCS -i "$w/doc" -o "$w/sig" \
		>"$w/out" 2>&1 &&
		openssl dgst -sha256 -verify "$w/$1.pub" -signature "$w/sig" "$w/doc" >/dev/null 2>&1
}
proxy_sign auth "$JP_LABEL_AUTH" "$JP_PIN_AUTH"
tap_ok $? "authentication key through the proxy: signature verified by openssl"
: >"$JP_EMU_LOG"
proxy_sign sign "$JP_LABEL_SIGN" "$JP_PIN_SIGN"
tap_ok $? "signing key through the proxy (context-specific login passed through): verified"
[ "$(jp_count_verify)" -eq 2 ]
tap_ok $? "always-authenticate (default): login + per-signature VERIFY = 2 on the card"
out=$(p11proxy --token-label "$JP_LABEL_SIGN" --login --pin "$JP_PIN_SIGN" -O --type privkey 2>&1)
jp_contains "$out" "always authenticate"
tap_ok $? "the signing key carries CKA_ALWAYS_AUTHENTICATE by default"

# ---- x-init-reserved: always-authenticate=no, from the .module file ----
printf 'x-init-reserved: always-authenticate=no\n' >>"$home/.config/pkcs11/modules/jpki-pkcs11.module"
out=$(p11proxy --token-label "$JP_LABEL_SIGN" --login --pin "$JP_PIN_SIGN" -O --type privkey 2>&1)
jp_contains "$out" "Private Key Object" && ! jp_contains "$out" "always authenticate"
tap_ok $? "x-init-reserved always-authenticate=no: the signing key has no CKA_ALWAYS_AUTHENTICATE"
: >"$JP_EMU_LOG"
proxy_sign sign "$JP_LABEL_SIGN" "$JP_PIN_SIGN"
tap_ok $? "signing key with always-authenticate=no: signature verified"
[ "$(jp_count_verify)" -eq 1 ]
tap_ok $? "always-authenticate=no: one VERIFY (the login) for the signature"

jp_nothing_left_running
tap_done
