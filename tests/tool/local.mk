# tests/tool: rules for this directory (included from the top Makefile.am)
# jpki's logic and commands in-process against the emulator (card tier):
# tests/emu/libjpemu.la provides jp_transport_default_ops.
tool_tier_ldadd = src/tool/libjptool.la src/card/libjpcard.la src/crypto/libjpcrypto.la \
	tests/emu/libjpemu.la src/transport/libjptransport.la src/common/libjpcommon.la \
	$(CRYPTO_LIBS) $(PTHREAD_LIBS)
EXTRA_DIST += tests/tool/tool-test.h
check_PROGRAMS += tests/tool/test-validity
TESTS += tests/tool/test-validity
tests_tool_test_validity_LDADD = $(tool_tier_ldadd)
check_PROGRAMS += tests/tool/test-status
TESTS += tests/tool/test-status
tests_tool_test_status_LDADD = $(tool_tier_ldadd)
check_PROGRAMS += tests/tool/test-change-pin
TESTS += tests/tool/test-change-pin
tests_tool_test_change_pin_LDADD = $(tool_tier_ldadd)
check_PROGRAMS += tests/tool/test-i18n
TESTS += tests/tool/test-i18n
tests_tool_test_i18n_LDADD = $(tool_tier_ldadd)
check_PROGRAMS += tests/tool/test-probe
TESTS += tests/tool/test-probe
tests_tool_test_probe_LDADD = $(tool_tier_ldadd)
