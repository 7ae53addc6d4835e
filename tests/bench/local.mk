# tests/bench: rules for this directory (included from the top Makefile.am)
#
# Benchmarks, run on demand (`make bench` or tests/bench/run.sh), never by
# make check. The programs are built by make check (so they keep compiling
# warning-free) but are not in TESTS.
#   bench-inproc  the test build of the module + the in-process emulator:
#                 host overhead, APDUs per phase, host CPU per signature
#   bench-module  dlopen()s the real module; run.sh puts it behind the
#                 private pcscd + vpcd + emulator (pcscd-harness.sh)
check_PROGRAMS += tests/bench/bench-inproc tests/bench/bench-module
tests_bench_bench_inproc_SOURCES = tests/bench/bench-p11.c
tests_bench_bench_inproc_CPPFLAGS = $(AM_CPPFLAGS) -DBENCH_INPROC
tests_bench_bench_inproc_LDADD = src/p11/libjpki-test.la $(CRYPTO_LIBS) $(PTHREAD_LIBS)
tests_bench_bench_module_SOURCES = tests/bench/bench-p11.c
tests_bench_bench_module_CPPFLAGS = $(AM_CPPFLAGS)
dist_noinst_SCRIPTS += tests/bench/run.sh

.PHONY: bench
bench: tests/bench/bench-inproc tests/bench/bench-module src/p11/jpki-pkcs11.la \
		tests/emu/jpki-emu-vpcd tests/e2e/pcsc-probe
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
		$(SHELL) $(srcdir)/tests/bench/run.sh
