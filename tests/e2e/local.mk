# tests/e2e: rules for this directory (included from the top Makefile.am)
#
# A private pcscd + vpcd + the emulator program (tests/emu/jpki-emu-vpcd),
# brought up and torn down by tests/e2e/pcscd-harness.sh for each test.

e2e_pcsc_ldadd = src/transport/libjptransport-pcsc.la src/transport/libjptransport.la \
	src/common/libjpcommon.la $(PCSC_LIBS) $(PTHREAD_LIBS)

# A second PC/SC client over the real backend (and the harness's card probe).
check_PROGRAMS += tests/e2e/pcsc-probe
tests_e2e_pcsc_probe_LDADD = $(e2e_pcsc_ldadd)

dist_check_SCRIPTS += tests/e2e/pcscd-harness.sh
dist_check_SCRIPTS += tests/e2e/tap-sh.sh

# The transport through pcscd: the shell part (no daemon, late daemon,
# teardown) runs the C part against the harness.
check_PROGRAMS += tests/e2e/transport-pcsc
tests_e2e_transport_pcsc_LDADD = $(e2e_pcsc_ldadd)
dist_check_SCRIPTS += tests/e2e/test-transport-pcsc.sh
TESTS += tests/e2e/test-transport-pcsc.sh

# The card layer through pcscd.
check_PROGRAMS += tests/e2e/card-pcsc
tests_e2e_card_pcsc_LDADD = src/card/libjpcard.la $(e2e_pcsc_ldadd) $(CRYPTO_LIBS)
dist_check_SCRIPTS += tests/e2e/test-card-pcsc.sh
TESTS += tests/e2e/test-card-pcsc.sh

# Shared by the tests that drive real programs (consumers of the module).
dist_check_SCRIPTS += tests/e2e/consumer-lib.sh

# Real programs against the real module (consumers engineer).
dist_check_SCRIPTS += tests/e2e/test-pkcs11-tool.sh
TESTS += tests/e2e/test-pkcs11-tool.sh
# The card variants of doc/card.md §11 (SFI addressing, EF 0008, EF 0006,
# smartphones, old and foreign cards, blocked PINs, the MF, the sign P1)
# through pkcs11-tool, the emulator restarted per variant.
dist_check_SCRIPTS += tests/e2e/test-card-variants.sh
TESTS += tests/e2e/test-card-variants.sh
dist_check_SCRIPTS += tests/e2e/test-p11tool.sh
TESTS += tests/e2e/test-p11tool.sh
dist_check_SCRIPTS += tests/e2e/test-p11-kit.sh
TESTS += tests/e2e/test-p11-kit.sh

# p11-kit remoting: p11-kit server exports the module's tokens on a Unix
# socket, pkcs11-tool signs through p11-kit-client.so (p11-kit/OpenSSH
# engineer).
dist_check_SCRIPTS += tests/e2e/test-p11-kit-remote.sh
TESTS += tests/e2e/test-p11-kit-remote.sh

# NSS (Firefox's and Thunderbird's library): modutil, certutil, TLS client
# authentication with tstclnt, S/MIME signatures with cmsutil (NSS engineer).
dist_check_SCRIPTS += tests/e2e/test-nss.sh
TESTS += tests/e2e/test-nss.sh

# OpenSSL (libp11's pkcs11 engine), curl and GnuTLS (p11tool, gnutls-cli)
# against the module, with a local openssl s_server for TLS client
# authentication (OpenSSL/curl/GnuTLS engineer).
dist_check_SCRIPTS += tests/e2e/tls-lib.sh
# The private sshd of test-ssh and test-faults.
dist_check_SCRIPTS += tests/e2e/ssh-lib.sh
dist_check_SCRIPTS += tests/e2e/test-openssl.sh
TESTS += tests/e2e/test-openssl.sh

# pkcs11-provider loading the module from openssl.cnf: storeutl, dgst and
# pkcs11-tool return (the module's own OpenSSL never goes through the host's
# providers; it used to hang). pkcs11-provider dlopen()s the module with
# RTLD_DEEPBIND, which the sanitizer runtime refuses: the plain build runs
# it; the sanitizer build runs the in-process tests/p11/test-host-*.
dist_check_SCRIPTS += tests/e2e/test-provider-hang.sh
if !ENABLE_SANITIZERS
TESTS += tests/e2e/test-provider-hang.sh
endif
dist_check_SCRIPTS += tests/e2e/test-gnutls.sh
TESTS += tests/e2e/test-gnutls.sh
# OpenSSL 3 through pkcs11-provider, the modern path (Debian 12: from
# bookworm-backports, tools/setup-debian.sh), TLS against s_server too.
# pkcs11-provider dlopens the module with RTLD_DEEPBIND, which the ASan
# runtime refuses: not in the sanitizer build (the plain build and
# distcheck run it).
dist_check_SCRIPTS += tests/e2e/test-openssl-provider.sh
if !ENABLE_SANITIZERS
TESTS += tests/e2e/test-openssl-provider.sh
endif

# Java's SunPKCS11 (keytool, jarsigner: what Java document signers such as
# JSignPdf use); the signing key through the per-program option. The JVM
# runs with the sanitizer runtime preloaded, so both builds run it.
dist_check_SCRIPTS += tests/e2e/test-java.sh
TESTS += tests/e2e/test-java.sh

# OpenSSH: ssh-keygen -D, ssh -I and ssh-agent against a private sshd, and
# a p11-kit server socket forwarded with ssh -R (p11-kit/OpenSSH engineer).
dist_check_SCRIPTS += tests/e2e/test-ssh.sh
TESTS += tests/e2e/test-ssh.sh

# Card faults (garbled signatures, a failing or pulled card at the sign
# command, latency) under OpenSSL, NSS and OpenSSH with the shipped module.
dist_check_SCRIPTS += tests/e2e/test-faults.sh
TESTS += tests/e2e/test-faults.sh

# PDF signing with poppler's pdfsig through NSS (NSS engineer).
dist_check_SCRIPTS += tests/e2e/test-pdfsig.sh
TESTS += tests/e2e/test-pdfsig.sh

# Firefox ESR, headless, driven through Marionette (tests/e2e/marionette.py):
# TLS client authentication with the card, TLS 1.3 limits (Firefox engineer).
dist_check_SCRIPTS += tests/e2e/marionette.py
dist_check_SCRIPTS += tests/e2e/test-firefox.sh
# Big third-party programs are not run with the sanitizer runtime preloaded
# (their own allocators and setgid helpers fight it): the plain build and
# distcheck run them; the sanitizer build checks our code with the rest.
if !ENABLE_SANITIZERS
TESTS += tests/e2e/test-firefox.sh
endif

# LibreOffice headless signing PDF and ODF through NSS; tests/e2e/lo-sign.py
# drives it over UNO and answers the token password requests (LibreOffice
# engineer).
dist_check_SCRIPTS += tests/e2e/lo-sign.py
dist_check_SCRIPTS += tests/e2e/test-libreoffice.sh
if !ENABLE_SANITIZERS
TESTS += tests/e2e/test-libreoffice.sh
endif

# The program's end (exit without C_Finalize) and always-authenticate's
# signature leave the card unverified, through pcscd (tests/e2e/exit-client
# is an application that ends like Chromium).
check_PROGRAMS += tests/e2e/exit-client
dist_check_SCRIPTS += tests/e2e/test-exit-pcsc.sh
TESTS += tests/e2e/test-exit-pcsc.sh

# jpki(1), the built program, in English and Japanese (companion).
dist_check_SCRIPTS += tests/e2e/test-jpki.sh
TESTS += tests/e2e/test-jpki.sh
# jpki register into throwaway Firefox, Thunderbird and Chromium profiles.
dist_check_SCRIPTS += tests/e2e/test-jpki-register.sh
TESTS += tests/e2e/test-jpki-register.sh
