# src/crypto: rules for this directory (included from the top Makefile.am)
# libjpcrypto.la: digests, DigestInfo, X.509 fields, RSA verification.
# Needs src/common/libjpcommon.la (jp_wipe, jp_buf) at link time: users
# link both (not LIBADDed, so no program gets two copies).
noinst_LTLIBRARIES += src/crypto/libjpcrypto.la
src_crypto_libjpcrypto_la_SOURCES = \
	src/crypto/crypto-int.h \
	src/crypto/libctx.c \
	src/crypto/digest.c \
	src/crypto/digestinfo.c \
	src/crypto/x509.c \
	src/crypto/verify.c
src_crypto_libjpcrypto_la_LIBADD = $(CRYPTO_LIBS)
