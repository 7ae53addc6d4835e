# tests/p11: rules for this directory (included from the top Makefile.am)
# Programs that call C_GetFunctionList of the test build of the module
# (src/p11/libjpki-test.la: same sources, emulator transport).
p11_test_ldadd = src/p11/libjpki-test.la $(CRYPTO_LIBS) $(PTHREAD_LIBS)
EXTRA_DIST += tests/p11/p11-test.h

# Tokens, slots, sessions, login.
check_PROGRAMS += tests/p11/test-token
TESTS += tests/p11/test-token
tests_p11_test_token_LDADD = $(p11_test_ldadd)

# Objects, attributes, find, mechanisms, sign, verify, digest; and more of the above.
check_PROGRAMS += tests/p11/test-attributes
TESTS += tests/p11/test-attributes
tests_p11_test_attributes_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-init
TESTS += tests/p11/test-init
tests_p11_test_init_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-session
TESTS += tests/p11/test-session
tests_p11_test_session_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-sign
TESTS += tests/p11/test-sign
tests_p11_test_sign_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-login
TESTS += tests/p11/test-login
tests_p11_test_login_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-lockout
TESTS += tests/p11/test-lockout
tests_p11_test_lockout_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-digest tests/p11/test-verify
TESTS += tests/p11/test-digest tests/p11/test-verify
tests_p11_test_digest_LDADD = $(p11_test_ldadd)
tests_p11_test_verify_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-find
TESTS += tests/p11/test-find
tests_p11_test_find_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-slots
TESTS += tests/p11/test-slots
tests_p11_test_slots_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-mechanisms
TESTS += tests/p11/test-mechanisms
tests_p11_test_mechanisms_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-removal
TESTS += tests/p11/test-removal
tests_p11_test_removal_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-pulled
TESTS += tests/p11/test-pulled
tests_p11_test_pulled_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-fork
TESTS += tests/p11/test-fork
tests_p11_test_fork_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-objects
TESTS += tests/p11/test-objects
tests_p11_test_objects_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-threads
TESTS += tests/p11/test-threads
tests_p11_test_threads_LDADD = $(p11_test_ldadd)
# Races: configure --enable-tsan builds everything with ThreadSanitizer;
# tools/test-all.sh runs the unit, emu, card and p11 programs that way.
TESTS += tests/p11/test-exports.sh
dist_check_SCRIPTS += tests/p11/test-exports.sh

# Module options that change what is shown (tokens=).
check_PROGRAMS += tests/p11/test-options
TESTS += tests/p11/test-options
tests_p11_test_options_LDADD = $(p11_test_ldadd)

# Hardening: what logout leaves behind (objects and caches wiped, card unverified).
check_PROGRAMS += tests/p11/test-logout
TESTS += tests/p11/test-logout
tests_p11_test_logout_LDADD = $(p11_test_ldadd)

# Hardening: readers replugged more times than the reader table holds.
check_PROGRAMS += tests/p11/test-replug
TESTS += tests/p11/test-replug
tests_p11_test_replug_LDADD = $(p11_test_ldadd)

# The shipped module, loaded by a host that exports every C_* name itself:
# calls through the module's lists and dlsym reach the module only.
check_PROGRAMS += tests/p11/test-interpose
TESTS += tests/p11/test-interpose
tests_p11_test_interpose_LDFLAGS = $(AM_LDFLAGS) -export-dynamic
tests_p11_test_interpose_LDADD = -ldl

# What the card cannot do: checked like any call first (table-driven).
check_PROGRAMS += tests/p11/test-unsupported
TESTS += tests/p11/test-unsupported
tests_p11_test_unsupported_LDADD = $(p11_test_ldadd)

# The PKCS#11 v3.0 interface: interfaces, C_GetInfo per list, C_LoginUser,
# C_SessionCancel.
check_PROGRAMS += tests/p11/test-interface
TESTS += tests/p11/test-interface
tests_p11_test_interface_LDADD = $(p11_test_ldadd)

# The trace log says which slot, session, mechanism; never a PIN or data.
check_PROGRAMS += tests/p11/test-trace
TESTS += tests/p11/test-trace
tests_p11_test_trace_LDADD = $(p11_test_ldadd)

# The life of an operation: which calls end it (PKCS#11 v2.40 §5.10-5.12).
check_PROGRAMS += tests/p11/test-oplife
TESTS += tests/p11/test-oplife
tests_p11_test_oplife_LDADD = $(p11_test_ldadd)

# A program's end leaves the card unverified (exit without C_Finalize), and
# always-authenticate's password serves one signature.
check_PROGRAMS += tests/p11/test-exit
TESTS += tests/p11/test-exit
tests_p11_test_exit_LDADD = $(p11_test_ldadd)

# The module never uses the host's default OpenSSL context: a provider there
# that records (and then calls back into the module and fails) is never
# asked anything; and the host's config starting a provider that uses the
# module during C_Initialize does not hang.
EXTRA_DIST += tests/p11/host-provider.h
check_PROGRAMS += tests/p11/test-host-openssl
TESTS += tests/p11/test-host-openssl
tests_p11_test_host_openssl_LDADD = $(p11_test_ldadd)
# The same for an ENGINE the host made the default for SHA digests and RSA.
# Building one needs OpenSSL's ENGINE and low-level SHA API, deprecated
# since 3.0 but still what such hosts use: the deprecation warnings are
# turned off for this program only.
check_PROGRAMS += tests/p11/test-host-engine
TESTS += tests/p11/test-host-engine
tests_p11_test_host_engine_CFLAGS = $(AM_CFLAGS) -Wno-deprecated-declarations
tests_p11_test_host_engine_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-host-config
TESTS += tests/p11/test-host-config
tests_p11_test_host_config_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-variants
TESTS += tests/p11/test-variants
tests_p11_test_variants_LDADD = $(p11_test_ldadd)
check_PROGRAMS += tests/p11/test-pss
TESTS += tests/p11/test-pss
tests_p11_test_pss_LDADD = $(p11_test_ldadd)
