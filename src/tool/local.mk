# src/tool: rules for this directory (included from the top Makefile.am)
# jpki(1): the citizen's companion on the card layer. Its commands are
# compiled once into libjptool.la, linked into the installed program (PC/SC
# backend) and into the card tier's tests (tests/tool, in-process emulator).
noinst_LTLIBRARIES += src/tool/libjptool.la
src_tool_libjptool_la_CPPFLAGS = $(AM_CPPFLAGS) -DLOCALEDIR='"$(localedir)"' \
	-DJP_MODULE_PATH='"$(p11_module_path)/jpki-pkcs11.so"'
src_tool_libjptool_la_SOURCES = \
	src/tool/tool.h \
	src/tool/run.c \
	src/tool/validity.c \
	src/tool/readers.c \
	src/tool/open-card.c \
	src/tool/report.c \
	src/tool/json.c \
	src/tool/pin-input.c \
	src/tool/status.c \
	src/tool/change-pin.c \
	src/tool/export.c \
	src/tool/diagnose.c \
	src/tool/probe.c \
	src/tool/register.c

# The layers below, in link order (common last).
tool_lower_libs = src/tool/libjptool.la src/card/libjpcard.la src/crypto/libjpcrypto.la \
	src/transport/libjptransport.la

bin_PROGRAMS = src/tool/jpki
src_tool_jpki_SOURCES = src/tool/main.c
src_tool_jpki_LDADD = $(tool_lower_libs) src/transport/libjptransport-pcsc.la \
	src/common/libjpcommon.la $(PCSC_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)
