# tests/pkg: the installed Debian package (included from the top Makefile.am)
#
# Not a make check test: it needs the package installed (apt-get install
# ./jpki-pkcs11_*.deb) and root, and it purges the package at the end.
# tools/test-all.sh (package build) builds, installs and runs it, with the
# package build's tree lending the emulator to the harness.
dist_noinst_SCRIPTS += tests/pkg/test-installed.sh
