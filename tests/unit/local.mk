# tests/unit: rules for this directory (included from the top Makefile.am)

# --- src/common and src/crypto (common/crypto engineer) ---
check_PROGRAMS += tests/unit/test-log
TESTS += tests/unit/test-log
tests_unit_test_log_LDADD = src/common/libjpcommon.la $(PTHREAD_LIBS)

# --- src/card (card engineer) ---
check_PROGRAMS += tests/unit/test-apdu tests/unit/test-sw tests/unit/test-pin-policy \
	tests/unit/test-der
TESTS += tests/unit/test-apdu tests/unit/test-sw tests/unit/test-pin-policy \
	tests/unit/test-der
card_unit_ldadd = src/card/libjpcard.la src/common/libjpcommon.la $(CRYPTO_LIBS) $(PTHREAD_LIBS)
tests_unit_test_apdu_LDADD = $(card_unit_ldadd)
tests_unit_test_sw_LDADD = $(card_unit_ldadd)
tests_unit_test_pin_policy_LDADD = $(card_unit_ldadd)
tests_unit_test_der_LDADD = $(card_unit_ldadd)
check_PROGRAMS += tests/unit/test-crypto
TESTS += tests/unit/test-crypto
tests_unit_test_crypto_LDADD = src/crypto/libjpcrypto.la src/common/libjpcommon.la $(CRYPTO_LIBS)

# --- src/transport (transport engineer) ---
check_PROGRAMS += tests/unit/test-transmit tests/unit/test-pcsc-error
TESTS += tests/unit/test-transmit tests/unit/test-pcsc-error
tests_unit_test_transmit_LDADD = src/transport/libjptransport.la src/common/libjpcommon.la
tests_unit_test_pcsc_error_LDADD = src/transport/libjptransport-pcsc.la src/common/libjpcommon.la

# The PC/SC backend leaves its locks as it found them on refused arguments
# (no daemon needed).
check_PROGRAMS += tests/unit/test-pcsc-args
TESTS += tests/unit/test-pcsc-args
tests_unit_test_pcsc_args_LDADD = src/transport/libjptransport-pcsc.la src/common/libjpcommon.la \
	$(PCSC_LIBS) $(PTHREAD_LIBS)
