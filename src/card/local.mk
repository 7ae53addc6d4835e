# src/card: rules for this directory (included from the top Makefile.am)
# The JPKI card layer: plain bytes and jp_err, no Cryptoki.
noinst_LTLIBRARIES += src/card/libjpcard.la
src_card_libjpcard_la_SOURCES = \
	include/jpki/card.h \
	src/card/card-int.h \
	src/card/apdu.c \
	src/card/sw.c \
	src/card/der.c \
	src/card/pin-policy.c \
	src/card/card.c \
	src/card/cert.c \
	src/card/avail.c \
	src/card/pin.c \
	src/card/sign.c
