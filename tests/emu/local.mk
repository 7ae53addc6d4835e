# tests/emu: rules for this directory (included from the top Makefile.am)
#
# libjpemucore.la: the card emulator core (needs only OpenSSL).
# libjpemu.la:     core + the in-process transport; tests link it INSTEAD of
#                  src/transport/libjptransport-pcsc.la (it defines
#                  jp_transport_default_ops()).
noinst_LTLIBRARIES += tests/emu/libjpemucore.la tests/emu/libjpemu.la
tests_emu_libjpemucore_la_SOURCES = \
	tests/emu/emu.h \
	tests/emu/emu-int.h \
	tests/emu/emu-core.c \
	tests/emu/emu-cmd.c \
	tests/emu/emu-files.c \
	tests/emu/emu-validity.c \
	tests/emu/emu-state.c
tests_emu_libjpemucore_la_LIBADD = $(CRYPTO_LIBS) $(PTHREAD_LIBS)
tests_emu_libjpemu_la_SOURCES = \
	tests/emu/emu-transport.h \
	tests/emu/emu-transport.c
tests_emu_libjpemu_la_LIBADD = tests/emu/libjpemucore.la $(PTHREAD_LIBS)

# The vpcd front end: built by default (the e2e tier and the demo run it).
noinst_PROGRAMS += tests/emu/jpki-emu-vpcd
tests_emu_jpki_emu_vpcd_SOURCES = tests/emu/jpki-emu-vpcd.c
tests_emu_jpki_emu_vpcd_LDADD = tests/emu/libjpemucore.la $(CRYPTO_LIBS) $(PTHREAD_LIBS)

check_PROGRAMS += tests/emu/test-emu
TESTS += tests/emu/test-emu
tests_emu_test_emu_LDADD = tests/emu/libjpemucore.la $(CRYPTO_LIBS) $(PTHREAD_LIBS)

check_PROGRAMS += tests/emu/test-emu-transport
TESTS += tests/emu/test-emu-transport
tests_emu_test_emu_transport_LDADD = tests/emu/libjpemu.la $(CRYPTO_LIBS) $(PTHREAD_LIBS)

# The vpcd front end behind a private pcscd (uses the e2e harness and
# tests/e2e/pcsc-probe; SKIPs where pcscd/vpcd/namespaces are missing).
TESTS += tests/emu/test-emu-vpcd.sh
dist_check_SCRIPTS += tests/emu/test-emu-vpcd.sh

# The test PKI: made once by make-test-pki.sh, committed.
EXTRA_DIST += tests/emu/make-test-pki.sh \
	tests/emu/cards/ca/auth-ca.der \
	tests/emu/cards/ca/auth-ca.key.pem \
	tests/emu/cards/ca/auth-ca.pem \
	tests/emu/cards/ca/sign-ca.der \
	tests/emu/cards/ca/sign-ca.key.pem \
	tests/emu/cards/ca/sign-ca.pem \
	tests/emu/cards/card-1/auth-ca.der \
	tests/emu/cards/card-1/auth-ca.pem \
	tests/emu/cards/card-1/auth.der \
	tests/emu/cards/card-1/auth.key.der \
	tests/emu/cards/card-1/pins.txt \
	tests/emu/cards/card-1/sign-ca.der \
	tests/emu/cards/card-1/sign-ca.pem \
	tests/emu/cards/card-1/sign.der \
	tests/emu/cards/card-1/sign.key.der \
	tests/emu/cards/card-2/auth-ca.der \
	tests/emu/cards/card-2/auth-ca.pem \
	tests/emu/cards/card-2/auth.der \
	tests/emu/cards/card-2/auth.key.der \
	tests/emu/cards/card-2/pins.txt \
	tests/emu/cards/card-2/sign-ca.der \
	tests/emu/cards/card-2/sign-ca.pem \
	tests/emu/cards/card-2/sign.der \
	tests/emu/cards/card-2/sign.key.der
