/* Helpers for the card tier: an emulated card in an in-process reader,
 * opened through the card layer (PINs and files: tests/fixture.h).
 * Header-only, like tests/tap.h. */
#ifndef JPKI_CARD_TEST_H
#define JPKI_CARD_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpki/card.h"
#include "tests/fixture.h"
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

static int ct_verify(ct *c, jp_key key, const char *pin, int *tries) __attribute__((unused));
static int ct_verify(ct *c, jp_key key, const char *pin, int *tries)
{
	return jp_card_verify(c->card, key, (const uint8_t *)pin, strlen(pin), tries);
}

#define CT_START(c, no, opts) do { \
	if (ct_start((c), (no), (opts)) != 0) \
		bail_out("cannot set up the emulated card"); \
} while (0)

#endif
