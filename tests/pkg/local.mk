# tests/pkg: the installed Debian package (included from the top Makefile.am)
#
# Not make check tests: they need the package installed (apt-get install
# ./jpki-pkcs11_*.deb) and root. tools/test-all.sh (package build) builds
# and installs the package and runs them in this order, with the package
# build's tree lending the emulator to the harness:
#  - test-chromium.sh: headful Chromium under Xvfb after the installed
#    `jpki register --chromium` (TLS 1.2 client authentication, the TLS 1.3
#    failure and its workaround, TLS 1.3 with an RSA-PSS card). Root,
#    because Chromium reads policies only from /etc/chromium/policies (the
#    test writes its own file there and removes it).
#  - test-installed.sh: the installed files, p11-kit, jpki; it purges the
#    package at the end, so it runs last.
dist_noinst_SCRIPTS += tests/pkg/test-chromium.sh
dist_noinst_SCRIPTS += tests/pkg/test-installed.sh
