/* The emulator's fixture cards (tests/emu/cards) as every tier's tests use
 * them: a key's PIN and a file's bytes, or a bail-out when they are missing.
 * Header-only, like tests/tap.h. */
#ifndef JPKI_TEST_FIXTURE_H
#define JPKI_TEST_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/tap.h"
#include "tests/emu/emu.h"

/* The PIN of key (0 auth, 1 sign) on fixture card card_no. The string
 * stays valid for the program's life (one buffer per card and key, so two
 * PINs can be used in one call). */
static const char *fixture_pin(int card_no, int key) __attribute__((unused));
static const char *fixture_pin(int card_no, int key)
{
	static char buf[2][4][32];
	char *pin = buf[key & 1][card_no & 3];

	if (jp_emu_fixture_pin(card_no, key, pin, sizeof(buf[0][0])) != 0)
		bail_out("no PIN for card %d key %d", card_no, key);
	return pin;
}

/* A fixture file's bytes (malloc'd; the caller frees them). */
static uint8_t *fixture_file(int card_no, const char *name, size_t *len) __attribute__((unused));
static uint8_t *fixture_file(int card_no, const char *name, size_t *len)
{
	char path[4300];
	FILE *f;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", jp_emu_fixture_dir(card_no), name);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0)
		bail_out("cannot read %s", path);
	buf = malloc((size_t)n);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		bail_out("cannot read %s", path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

#endif
