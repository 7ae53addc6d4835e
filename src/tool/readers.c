/* The readers and the cards in them, through the transport this program
 * was linked with (PC/SC; the emulator in the card tier). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tool.h"

jp_err jp_readers_open(jp_readers *r)
{
	jp_err e;

	memset(r, 0, sizeof(*r));
	e = jp_transport_default_ops()->establish(&r->t);
	if (e != JP_OK)
		goto out;
	e = r->t->ops->list_readers(r->t, &r->list, &r->count);
out:
	if (e != JP_OK)
		jp_readers_close(r);
	return e;
}

void jp_readers_close(jp_readers *r)
{
	free(r->list);
	if (r->t != NULL)
		r->t->ops->release(r->t);
	memset(r, 0, sizeof(*r));
}

jp_err jp_readers_card(jp_readers *r, size_t i, jp_card **card)
{
	jp_link *link = NULL;
	jp_err e;

	*card = NULL;
	if (i >= r->count) {
		e = JP_E_ARGS;
		goto out;
	}
	e = r->t->ops->connect(r->t, r->list[i].name, &link);
	if (e == JP_OK)
		e = jp_card_open(link, card);   /* owns the link from here */
out:
	return e;
}

long jp_readers_pick(const jp_readers *r, const char *name)
{
	long found = -1;
	size_t i, partial = 0;

	for (i = 0; i < r->count && found < 0; i++) {
		if (name == NULL && r->list[i].present)
			found = (long)i;
		else if (name != NULL && strcmp(r->list[i].name, name) == 0)
			found = (long)i;
	}
	/* A unique part of a name is enough ("--reader Sony"). */
	if (found < 0 && name != NULL) {
		for (i = 0; i < r->count; i++) {
			if (strstr(r->list[i].name, name) != NULL) {
				found = (long)i;
				partial++;
			}
		}
		if (partial != 1)
			found = -1;
	}
	return found;
}
