# src/common: rules for this directory (included from the top Makefile.am)
# libjpcommon.la: error strings, logging with redaction, memory wiping,
# sleeping.
# Users link it themselves next to the other convenience libraries (it is
# not LIBADDed into them, so a program never gets two copies).
noinst_LTLIBRARIES += src/common/libjpcommon.la
src_common_libjpcommon_la_SOURCES = \
	src/common/error.c \
	src/common/log.c \
	src/common/log-apdu.c \
	src/common/mem.c \
	src/common/sleep.c
src_common_libjpcommon_la_LIBADD = $(CRYPTO_LIBS) $(PTHREAD_LIBS)
