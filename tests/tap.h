/* A tiny TAP producer for the C tests (automake's tap-driver reads it).
 * Header-only so each test program stays one file. */
#ifndef JPKI_TAP_H
#define JPKI_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n;
static int tap_failed;

static int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5), unused));
static int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* Compare integers and show both on failure. */
#define is_int(got, want, ...) do { \
	long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
	if (!tap_ok(tap_g_ == tap_w_, __FILE__, __LINE__, __VA_ARGS__)) \
		printf("#   got %lld, want %lld\n", tap_g_, tap_w_); \
} while (0)
#define is_mem(got, want, len, ...) \
	tap_ok(memcmp((got), (want), (len)) == 0, __FILE__, __LINE__, __VA_ARGS__)
/* Skips the whole test. Under CI=true a skip is a failure (CI installs
 * everything, so a test that does not run there has stopped being a test):
 * then it is one failing result. */
static void tap_skip_all(const char *why) __attribute__((noreturn, unused));
static void tap_skip_all(const char *why)
{
	const char *ci = getenv("CI");
	int in_ci = ci && strcmp(ci, "true") == 0;
	int status = 0;

	/* After results a skip-all is no longer valid TAP either. */
	if (in_ci || tap_n > 0) {
		tap_n++;
		printf("not ok %d - the rest of the test not run: %s%s\n", tap_n, why,
		       in_ci ? " (under CI=true a skip is a failure)" : "");
		printf("1..%d\n", tap_n);
		status = 1;
	} else {
		printf("1..0 # SKIP %s\n", why);
	}
	fflush(stdout);
	exit(status);
}
#define skip_all(why) tap_skip_all(why)
/* Stops the test: the setup it needs failed, so no result after this one
 * would mean anything. Exit status 99 is automake's "hard error". */
static void bail_out(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn, unused));
static void bail_out(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(99);
}
#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)
/* Ends the test: prints the plan, exit status 1 if anything failed. */
#define done_testing() do { printf("1..%d\n", tap_n); return tap_failed ? 1 : 0; } while (0)

#endif
