# tests/fuzz: rules for this directory (included from the top Makefile.am)
#
# Every target is built twice from the same source:
#   tests/fuzz/replay-<t>  in every build: replay-main.c feeds each file of
#                          tests/fuzz/corpus/<t>/ to LLVMFuzzerTestOneInput;
#                          test-replay.sh runs them under `make check`;
#   tests/fuzz/fuzz-<t>    with --enable-fuzzing (clang): the libFuzzer binary.
fuzz_util = tests/fuzz/fuzz.h tests/fuzz/fuzz-util.c
fuzz_replay_transport = tests/fuzz/replay-transport.h tests/fuzz/replay-transport.c \
	tests/fuzz/fuzz-card-scenario.c
fuzz_card_ldadd = src/card/libjpcard.la src/transport/libjptransport.la \
	src/crypto/libjpcrypto.la src/common/libjpcommon.la $(CRYPTO_LIBS) $(PTHREAD_LIBS)
fuzz_crypto_ldadd = src/crypto/libjpcrypto.la src/common/libjpcommon.la $(CRYPTO_LIBS) \
	$(PTHREAD_LIBS)

check_PROGRAMS += tests/fuzz/replay-der tests/fuzz/replay-cert tests/fuzz/replay-apdu-response \
	tests/fuzz/replay-p11-calls
tests_fuzz_replay_der_SOURCES = tests/fuzz/fuzz-der.c tests/fuzz/replay-main.c $(fuzz_util)
tests_fuzz_replay_der_LDADD = $(fuzz_card_ldadd)
tests_fuzz_replay_cert_SOURCES = tests/fuzz/fuzz-cert.c tests/fuzz/replay-main.c $(fuzz_util)
tests_fuzz_replay_cert_LDADD = $(fuzz_crypto_ldadd)
tests_fuzz_replay_apdu_response_SOURCES = tests/fuzz/fuzz-apdu-response.c \
	tests/fuzz/replay-main.c $(fuzz_replay_transport) $(fuzz_util)
tests_fuzz_replay_apdu_response_LDADD = $(fuzz_card_ldadd)
# Sequences of Cryptoki calls against the test build of the module.
tests_fuzz_replay_p11_calls_SOURCES = tests/fuzz/fuzz-p11-calls.c tests/fuzz/replay-main.c \
	$(fuzz_util)
tests_fuzz_replay_p11_calls_LDADD = src/p11/libjpki-test.la $(CRYPTO_LIBS) $(PTHREAD_LIBS)

# Seed recorder for fuzz-apdu-response (make-corpus.sh builds it on demand):
# the same scenario against the emulator core, responses written out.
EXTRA_PROGRAMS += tests/fuzz/replay-record
tests_fuzz_replay_record_SOURCES = tests/fuzz/replay-record.c tests/fuzz/fuzz-card-scenario.c \
	$(fuzz_util)
tests_fuzz_replay_record_LDADD = $(fuzz_card_ldadd) tests/emu/libjpemucore.la

TESTS += tests/fuzz/test-replay.sh
dist_check_SCRIPTS += tests/fuzz/test-replay.sh
dist_noinst_SCRIPTS += tests/fuzz/make-corpus.sh
# The corpora (directories: automake copies them whole).
EXTRA_DIST += tests/fuzz/corpus

if ENABLE_FUZZING
# -Xcompiler: libtool passes the flag to the clang driver at link time.
fuzz_ldflags = $(AM_LDFLAGS) -Xcompiler -fsanitize=fuzzer
noinst_PROGRAMS += tests/fuzz/fuzz-der tests/fuzz/fuzz-cert tests/fuzz/fuzz-apdu-response \
	tests/fuzz/fuzz-p11-calls
tests_fuzz_fuzz_der_SOURCES = tests/fuzz/fuzz-der.c $(fuzz_util)
tests_fuzz_fuzz_der_LDADD = $(fuzz_card_ldadd)
tests_fuzz_fuzz_der_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_cert_SOURCES = tests/fuzz/fuzz-cert.c $(fuzz_util)
tests_fuzz_fuzz_cert_LDADD = $(fuzz_crypto_ldadd)
tests_fuzz_fuzz_cert_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_apdu_response_SOURCES = tests/fuzz/fuzz-apdu-response.c \
	$(fuzz_replay_transport) $(fuzz_util)
tests_fuzz_fuzz_apdu_response_LDADD = $(fuzz_card_ldadd)
tests_fuzz_fuzz_apdu_response_LDFLAGS = $(fuzz_ldflags)
tests_fuzz_fuzz_p11_calls_SOURCES = tests/fuzz/fuzz-p11-calls.c $(fuzz_util)
tests_fuzz_fuzz_p11_calls_LDADD = src/p11/libjpki-test.la $(CRYPTO_LIBS) $(PTHREAD_LIBS)
tests_fuzz_fuzz_p11_calls_LDFLAGS = $(fuzz_ldflags)
endif
