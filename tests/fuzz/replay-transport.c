/* The replay transport (replay-transport.h). It deliberately does NOT
 * define jp_transport_default_ops(): fuzz targets make their link
 * themselves and hand it to jp_card_open. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "replay-transport.h"

typedef struct replay_link {
	jp_link base;
	const uint8_t *data;
	size_t size, pos;
	unsigned long commands;
} replay_link;

/* What a transport's transmit may fail with (transport.h); the card
 * layer's own errors never come from below. */
static const jp_err replay_errors[] = {
	JP_E_TRANSPORT, JP_E_NO_CARD, JP_E_CARD_RESET, JP_E_NO_READER, JP_E_SHARING,
	JP_E_TIMEOUT, JP_E_UNSUPPORTED, JP_E_NO_MEMORY, JP_E_NO_SERVICE, JP_E_BAD_RESPONSE,
};

static jp_err replay_establish(jp_transport **out)
{
	(void)out;
	return JP_E_UNSUPPORTED;
}

static void replay_release(jp_transport *t) { (void)t; }

static jp_err replay_list(jp_transport *t, jp_reader_status **out, size_t *count)
{
	(void)t;
	*out = NULL;
	*count = 0;
	return JP_OK;
}

static jp_err replay_wait(jp_transport *t, const jp_reader_status *known, size_t count,
                          unsigned timeout_ms)
{
	/* The parameters are the ops table's (jp_transport_ops). */
	(void)t;
	(void)known;
	(void)count;
	(void)timeout_ms;
	return JP_E_TIMEOUT;
}

static jp_err replay_cancel(jp_transport *t)
{
	(void)t;
	return JP_OK;
}

static jp_err replay_connect(jp_transport *t, const char *reader, jp_link **out)
{
	(void)t;
	(void)reader;
	(void)out;
	return JP_E_NO_READER;
}

static void replay_disconnect(jp_link *l) { free(l); }

static jp_err replay_transmit(jp_link *l, const uint8_t *cmd, size_t cmd_len,
                              uint8_t *rsp, size_t *rsp_len)
{
	replay_link *r = (replay_link *)l;
	jp_err rc = JP_E_NO_CARD;
	size_t n;

	/* The layers above must never hand us a malformed command. */
	if (cmd == NULL || cmd_len < 4 || cmd_len > JP_CMD_MAX || rsp == NULL || rsp_len == NULL)
		abort();
	r->commands++;
	if (r->size - r->pos < 2)
		goto out;
	n = ((size_t)r->data[r->pos] << 8) | r->data[r->pos + 1];
	r->pos += 2;
	if (n >= 0x8000) {
		rc = replay_errors[(n & 0xFF) % (sizeof(replay_errors) / sizeof(replay_errors[0]))];
		goto out;
	}
	if (n > r->size - r->pos)
		n = r->size - r->pos;
	if (n > *rsp_len) {
		/* PC/SC's SCARD_E_INSUFFICIENT_BUFFER. */
		r->pos += n;
		rc = JP_E_TRANSPORT;
		goto out;
	}
	memcpy(rsp, r->data + r->pos, n);
	r->pos += n;
	*rsp_len = n;
	rc = JP_OK;
out:
	return rc;
}

static jp_err replay_ok(jp_link *l)
{
	(void)l;
	return JP_OK;
}

static jp_err replay_atr(jp_link *l, uint8_t *out, size_t *len)
{
	static const uint8_t atr[] = { 0x3B, 0x80, 0x80, 0x01, 0x01 };
	jp_err rc = JP_E_ARGS;

	(void)l;
	if (*len >= sizeof(atr)) {
		memcpy(out, atr, sizeof(atr));
		*len = sizeof(atr);
		rc = JP_OK;
	}
	return rc;
}

static const jp_transport_ops replay_ops = {
	.name = "replay",
	.establish = replay_establish,
	.release = replay_release,
	.forget = replay_release,
	.list_readers = replay_list,
	.wait_change = replay_wait,
	.cancel = replay_cancel,
	.connect = replay_connect,
	.disconnect = replay_disconnect,
	.forget_link = replay_disconnect,
	.transmit = replay_transmit,
	.begin = replay_ok,
	.end = replay_ok,
	.unpower = replay_ok,
	.status = replay_ok,
	.atr = replay_atr,
};

jp_link *replay_link_new(const uint8_t *data, size_t size)
{
	replay_link *r = calloc(1, sizeof(*r));

	if (r != NULL) {
		r->base.ops = &replay_ops;
		r->base.transport = NULL;
		r->data = data;
		r->size = size;
	}
	return r != NULL ? &r->base : NULL;
}

unsigned long replay_link_commands(const jp_link *l)
{
	return ((const replay_link *)l)->commands;
}
