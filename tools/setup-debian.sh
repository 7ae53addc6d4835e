#!/bin/sh
# Installs everything jpki-pkcs11 needs to build, test and demo on Debian 12.
# Run as root, or as a user who may sudo. Safe to run again.
set -eu

PACKAGES="
  build-essential autoconf automake libtool pkg-config clang
  libpcsclite-dev libssl-dev libp11-kit-dev p11-kit p11-kit-modules
  pcscd vsmartcard-vpcd pcsc-tools systemd iproute2 util-linux procps
  openssl opensc gnutls-bin libengine-pkcs11-openssl valgrind
  openssh-client openssh-server
  libnss3-tools poppler-utils
  curl
  firefox-esr python3
  chromium xvfb xdotool
  libreoffice-writer-nogui python3-uno xmlsec1 unzip
  openjdk-17-jdk-headless
  debhelper lintian fakeroot
  gettext
"
# openssh-client openssh-server: tests/e2e/test-ssh.sh (ssh -I, ssh-agent and
# a private sshd on 127.0.0.1; Debian may start the system sshd, unused).
# libnss3-tools poppler-utils: tests/e2e/test-nss.sh (modutil, certutil,
# tstclnt, cmsutil) and tests/e2e/test-pdfsig.sh (pdfsig).
# curl: tests/e2e/test-openssl.sh (client authentication through libp11's
# engine; gnutls-bin and libengine-pkcs11-openssl above serve it too).
# firefox-esr python3: tests/e2e/test-firefox.sh (headless Firefox driven
# through Marionette by tests/e2e/marionette.py; modutil/certutil above).
# chromium xvfb xdotool: tests/pkg/test-chromium.sh (Chromium with its
# window on Xvfb, the PIN typed into its dialog with xdotool).
# libreoffice-writer-nogui python3-uno xmlsec1 unzip:
# tests/e2e/test-libreoffice.sh (headless LibreOffice signing PDF and ODF
# through NSS, driven by tests/e2e/lo-sign.py; xmlsec1 checks the ODF
# signature; modutil/certutil/pdfsig above).
# openjdk-17-jdk-headless: tests/e2e/test-java.sh (SunPKCS11: keytool,
# jarsigner).
# debhelper lintian fakeroot: the Debian package (debian/, README
# "Install"): tools/test-all.sh builds it with dpkg-buildpackage (dpkg-dev,
# part of build-essential) and checks it with lintian; fakeroot is
# dpkg-buildpackage's way to root for a build that needs it (ours declares
# Rules-Requires-Root: no).
# gettext: msgfmt builds jpki's Japanese catalogue (po/ja.po; configure
# needs it).
# pkcs11-provider (OpenSSL 3's PKCS#11 provider, tests/e2e/
# test-openssl-provider.sh) is installed below: Debian 12 has it only in
# bookworm-backports.

APT_DIR=${JP_SETUP_APT_DIR:-/etc/apt}
BACKPORTS_FILE=$APT_DIR/sources.list.d/jpki-backports.sources

# The machine's own Debian archive: "URI SIGNED-BY" (SIGNED-BY "-" when
# none, or an inline key) of the first source that serves the suite $1, from
# deb822 files (*.sources) or one-line ones (sources.list, *.list). The
# address is the machine's, so a mirror or a proxy it uses serves
# backports too; nothing is hard-coded here.
archive_of_suite() {
	for _f in "$APT_DIR"/sources.list.d/*.sources; do
		[ -f "$_f" ] || continue
		# Stanzas are separated by blank lines; continuation lines
		# (an inline Signed-By key) start with a space.
		awk -v suite="$1" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") &&
				    enabled != "no" && uri != "" && !found) {
					print uri, (signed ~ /^\// ? signed : "-")
					found = 1
				}
				types = suites = uri = signed = enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]/ { next }
			{
				key = tolower($1); sub(/:$/, "", key)
				val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
				if (key == "types") types = val
				else if (key == "suites") suites = val
				else if (key == "uris") { split(val, u, /[ \t]+/); uri = u[1] }
				else if (key == "signed-by") signed = val
				else if (key == "enabled") enabled = tolower(val)
			}
			END { flush() }
		' "$_f"
	done
	for _f in "$APT_DIR/sources.list" "$APT_DIR"/sources.list.d/*.list; do
		[ -f "$_f" ] || continue
		# deb [opt=val ...] URI SUITE COMPONENT...
		awk -v suite="$1" '
			$1 != "deb" { next }
			{
				signed = "-"; i = 2
				if ($2 ~ /^\[/) {
					while (i <= NF) {
						o = $i; sub(/^\[/, "", o); sub(/\]$/, "", o)
						if (o ~ /^signed-by=\//) { signed = o; sub(/^signed-by=/, "", signed) }
						if ($i ~ /\]$/) { i++; break }
						i++
					}
				}
				if ($(i + 1) == suite) { print $i, signed; exit }
			}
		' "$_f"
	done
}

# The deb822 stanza that adds SUITE-backports from the archive serving
# SUITE; nothing when some source already has SUITE-backports (ours from an
# earlier run, or the machine's own), or when no source serves SUITE.
backports_stanza() {
	if [ -n "$(archive_of_suite "$1-backports" | head -n 1)" ]; then
		return 0
	fi
	# shellcheck disable=SC2046 # "URI SIGNED-BY", split on purpose
	set -- "$1" $(archive_of_suite "$1" | head -n 1)
	[ $# -eq 3 ] || return 0
	printf 'Types: deb\nURIs: %s\nSuites: %s-backports\nComponents: main\n' "$2" "$1"
	[ "$3" = - ] || printf 'Signed-By: %s\n' "$3"
}

codename=$(sed -n 's/^VERSION_CODENAME="\{0,1\}\([a-z]*\).*/\1/p' /etc/os-release 2>/dev/null)

# For checking the logic on a copy of the sources (no root needed):
#   JP_SETUP_APT_DIR=/tmp/apt sh tools/setup-debian.sh --print-backports
if [ "${1:-}" = --print-backports ]; then
	backports_stanza "${2:-$codename}"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	as_root=""
elif command -v sudo >/dev/null 2>&1; then
	as_root="sudo"
else
	echo "setup-debian.sh: needs root (or sudo) to install packages" >&2
	exit 1
fi

# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null

# pkcs11-provider: Debian 12 has it in bookworm-backports only. Add that
# suite (pinned at 100 by its Release file, so nothing else is taken from
# it) and install only this one package from it: "pkg/suite" selects that
# package's version; its dependencies come from bookworm. Later releases
# have it in the main suite.
if [ "$codename" = bookworm ]; then
	stanza=$(backports_stanza bookworm)
	if [ -n "$stanza" ]; then
		printf '%s\n' "$stanza" | $as_root tee "$BACKPORTS_FILE" >/dev/null
		echo "setup-debian.sh: added bookworm-backports ($BACKPORTS_FILE)"
		$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	fi
	$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		pkcs11-provider/bookworm-backports >/dev/null
else
	$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		pkcs11-provider >/dev/null
fi
# Debian starts pcscd through socket activation; our tests and demo never use
# it (they run a private one), so nothing else is configured here.
echo "setup-debian.sh: packages installed"
