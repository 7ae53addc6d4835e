/* Helpers for the card tier: an emulated card in an in-process reader,
 * opened through the card layer. Header-only, like tests/tap.h. */
#ifndef JPKI_CARD_TEST_H
#define JPKI_CARD_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpki/card.h"
#include "tests/emu/emu.h"
#include "tests/emu/emu-transport.h"

#define CT_READER "JPKI Test Reader 00 00"

typedef struct ct {
	jp_emu *e;
	int reader;
	jp_transport *t;
	jp_card *card;
	jp_err open_rc;
} ct;

/* Creates card card_no (fixture) with opts (NULL: defaults), inserts it,
 * connects and opens it. c->open_rc says how jp_card_open went. Returns 0
 * when the emulator and reader exist (whatever open said). */
static int ct_start(ct *c, int card_no, const jp_emu_options *opts)
	__attribute__((unused));
static int ct_start(ct *c, int card_no, const jp_emu_options *opts)
{
	jp_link *link = NULL;
	jp_err rc;

	memset(c, 0, sizeof(*c));
	c->reader = -1;
	c->open_rc = JP_E_INTERNAL;
	c->e = jp_emu_new(jp_emu_fixture_dir(card_no), opts, NULL);
	if (!c->e)
		return -1;
	c->reader = jp_emu_reader_add(CT_READER);
	if (c->reader < 0)
		return -1;
	jp_emu_reader_insert(c->reader, c->e);
	rc = jp_transport_default_ops()->establish(&c->t);
	if (rc != JP_OK)
		return -1;
	rc = c->t->ops->connect(c->t, CT_READER, &link);
	if (rc != JP_OK)
		return -1;
	c->open_rc = jp_card_open(link, &c->card);
	return 0;
}

static void ct_stop(ct *c) __attribute__((unused));
static void ct_stop(ct *c)
{
	jp_card_close(c->card);
	c->card = NULL;
	if (c->t)
		c->t->ops->release(c->t);
	c->t = NULL;
	jp_emu_readers_clear();
	jp_emu_free(c->e);
	c->e = NULL;
}

/* The fixture's PIN for key (0 auth, 1 sign), or exit. */
static const char *ct_pin(int card_no, int key) __attribute__((unused));
static const char *ct_pin(int card_no, int key)
{
	static char pins[2][32];

	if (jp_emu_fixture_pin(card_no, key, pins[key], sizeof(pins[key])) != 0) {
		printf("Bail out! no PIN for card %d key %d\n", card_no, key);
		exit(99);
	}
	return pins[key];
}

/* A fixture file's bytes (malloc'd), or exit. */
static uint8_t *ct_file(int card_no, const char *name, size_t *len) __attribute__((unused));
static uint8_t *ct_file(int card_no, const char *name, size_t *len)
{
	char path[4300];
	FILE *f;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", jp_emu_fixture_dir(card_no), name);
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) {
		printf("Bail out! cannot read %s\n", path);
		exit(99);
	}
	buf = malloc((size_t)n);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		printf("Bail out! cannot read %s\n", path);
		exit(99);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int ct_verify(ct *c, jp_key key, const char *pin, int *tries) __attribute__((unused));
static int ct_verify(ct *c, jp_key key, const char *pin, int *tries)
{
	return jp_card_verify(c->card, key, (const uint8_t *)pin, strlen(pin), tries);
}

#define CT_START(c, no, opts) do { \
	if (ct_start((c), (no), (opts)) != 0) { \
		printf("Bail out! cannot set up the emulated card\n"); \
		exit(99); \
	} \
} while (0)

#endif
