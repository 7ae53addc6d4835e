/* The libFuzzer entry point, shared by the fuzz targets and the replay
 * program (replay-main.c) that runs a corpus without libFuzzer. */
#ifndef JPKI_FUZZ_H
#define JPKI_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: crash loudly so libFuzzer keeps the input and the
 * replay fails. */
#define FUZZ_ASSERT(cond) do { \
	if (!(cond)) \
		fuzz_fail(__FILE__, __LINE__, #cond); \
} while (0)

struct jp_link;
/* fuzz-card-scenario.c: the card layer over link (takes ownership). */
void fuzz_card_scenario(struct jp_link *link);

void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

#endif
