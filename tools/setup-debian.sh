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
  libreoffice-writer-nogui python3-uno xmlsec1 unzip
"
# openssh-client openssh-server: tests/e2e/test-ssh.sh (ssh -I, ssh-agent and
# a private sshd on 127.0.0.1; Debian may start the system sshd, unused).
# libnss3-tools poppler-utils: tests/e2e/test-nss.sh (modutil, certutil,
# tstclnt, cmsutil) and tests/e2e/test-pdfsig.sh (pdfsig).
# curl: tests/e2e/test-openssl.sh (client authentication through libp11's
# engine; gnutls-bin and libengine-pkcs11-openssl above serve it too).
# firefox-esr python3: tests/e2e/test-firefox.sh (headless Firefox driven
# through Marionette by tests/e2e/marionette.py; modutil/certutil above).
# libreoffice-writer-nogui python3-uno xmlsec1 unzip:
# tests/e2e/test-libreoffice.sh (headless LibreOffice signing PDF and ODF
# through NSS, driven by tests/e2e/lo-sign.py; xmlsec1 checks the ODF
# signature; modutil/certutil/pdfsig above).

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
# Debian starts pcscd through socket activation; our tests and demo never use
# it (they run a private one), so nothing else is configured here.
echo "setup-debian.sh: packages installed"
