# tests/card: rules for this directory (included from the top Makefile.am)
# The card layer against the in-process emulator (tests/emu/libjpemu.la
# provides jp_transport_default_ops).
card_tier_ldadd = src/card/libjpcard.la tests/emu/libjpemu.la \
	src/transport/libjptransport.la src/common/libjpcommon.la \
	$(CRYPTO_LIBS) $(PTHREAD_LIBS)
check_PROGRAMS += tests/card/test-identify
TESTS += tests/card/test-identify
EXTRA_DIST += tests/card/card-test.h
tests_card_test_identify_LDADD = $(card_tier_ldadd)
check_PROGRAMS += tests/card/test-certs
TESTS += tests/card/test-certs
tests_card_test_certs_LDADD = $(card_tier_ldadd)
check_PROGRAMS += tests/card/test-pin
TESTS += tests/card/test-pin
tests_card_test_pin_LDADD = $(card_tier_ldadd)
check_PROGRAMS += tests/card/test-sign
TESTS += tests/card/test-sign
tests_card_test_sign_LDADD = $(card_tier_ldadd)
check_PROGRAMS += tests/card/test-faults
TESTS += tests/card/test-faults
tests_card_test_faults_LDADD = $(card_tier_ldadd)
check_PROGRAMS += tests/card/test-pulled
TESTS += tests/card/test-pulled
tests_card_test_pulled_LDADD = $(card_tier_ldadd)
check_PROGRAMS += tests/card/test-redaction
TESTS += tests/card/test-redaction
tests_card_test_redaction_LDADD = $(card_tier_ldadd)
check_PROGRAMS += tests/card/test-avail
TESTS += tests/card/test-avail
tests_card_test_avail_LDADD = $(card_tier_ldadd)
check_PROGRAMS += tests/card/test-sign-variants
TESTS += tests/card/test-sign-variants
tests_card_test_sign_variants_LDADD = src/crypto/libjpcrypto.la $(card_tier_ldadd)
