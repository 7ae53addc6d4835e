# src/p11: rules for this directory (included from the top Makefile.am)
# The Cryptoki front. Its sources are compiled ONCE into libjpp11.la, which
# is linked into both the shipped module (PC/SC backend) and the test
# library (in-process emulator backend).

noinst_LTLIBRARIES += src/p11/libjpp11.la
src_p11_libjpp11_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DJP_CONFIG_FILE='"$(sysconfdir)/jpki-pkcs11.conf"'
src_p11_libjpp11_la_SOURCES = \
	src/p11/p11.h \
	src/p11/module.c \
	src/p11/fn-table.h \
	src/p11/entry.h \
	src/p11/entry.c \
	src/p11/entry30.c \
	src/p11/init.c \
	src/p11/exit.c \
	src/p11/lock.c \
	src/p11/rv.c \
	src/p11/options.c \
	src/p11/slot.c \
	src/p11/token.c \
	src/p11/io.c \
	src/p11/session.c \
	src/p11/login.c \
	src/p11/unsupported.c \
	src/p11/object.c \
	src/p11/attr.c \
	src/p11/find.c \
	src/p11/mechanism.c \
	src/p11/sign.c \
	src/p11/verify.c \
	src/p11/digest.c \
	src/p11/op.c

# The layers below the front, in link order (common last: everybody uses it).
p11_lower_libs = src/card/libjpcard.la src/crypto/libjpcrypto.la \
	src/transport/libjptransport.la

# The shipped module: only C_* leave it (-fvisibility=hidden + JP_EXPORT +
# the regex below; tests/p11/test-exports.sh checks). No emulator in it.
# -Bsymbolic: a reference inside the module binds to the module's own
# definition at link time, never to a same-named symbol of the host or of
# another library (tests/p11/test-interpose checks).
p11moduledir = $(p11_module_path)
p11module_LTLIBRARIES = src/p11/jpki-pkcs11.la
src_p11_jpki_pkcs11_la_SOURCES =
src_p11_jpki_pkcs11_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-no-undefined -export-symbols-regex '^C_' -Wl,-Bsymbolic
src_p11_jpki_pkcs11_la_LIBADD = src/p11/libjpp11.la $(p11_lower_libs) \
	src/transport/libjptransport-pcsc.la src/common/libjpcommon.la \
	$(PCSC_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)

# The test build of the same module: the emulator transport instead of
# PC/SC. tests/p11 programs link it and call C_GetFunctionList directly.
check_LTLIBRARIES += src/p11/libjpki-test.la
src_p11_libjpki_test_la_SOURCES =
src_p11_libjpki_test_la_LIBADD = src/p11/libjpp11.la $(p11_lower_libs) \
	tests/emu/libjpemu.la src/common/libjpcommon.la \
	$(CRYPTO_LIBS) $(PTHREAD_LIBS)
