# src/transport: rules for this directory (included from the top Makefile.am)

# jp_transport_transmit (61xx/6Cxx plumbing): backend-independent, linked
# together with either the PC/SC backend or the emulator transport.
noinst_LTLIBRARIES += src/transport/libjptransport.la
src_transport_libjptransport_la_SOURCES = src/transport/transmit.c

# The real backend: defines jp_transport_default_ops().
noinst_LTLIBRARIES += src/transport/libjptransport-pcsc.la
src_transport_libjptransport_pcsc_la_SOURCES = \
	src/transport/pcsc.c \
	src/transport/pcsc-error.c \
	src/transport/pcsc-error.h
src_transport_libjptransport_pcsc_la_LIBADD = $(PCSC_LIBS) $(PTHREAD_LIBS)
