# tests/unit: rules for this directory (included from the top Makefile.am)

# --- src/common and src/crypto (common/crypto engineer) ---
check_PROGRAMS += tests/unit/test-log
TESTS += tests/unit/test-log
tests_unit_test_log_LDADD = src/common/libjpcommon.la $(PTHREAD_LIBS)
