/* jp_transport_transmit: one APDU exchange plus the ISO 7816-4 response
 * plumbing (§5.1.3 / §7.1: 61xx "more bytes available" is answered with
 * GET RESPONSE, 6Cxx "wrong Le, xx available" with the same command and
 * Le = xx). Backend-independent: the PC/SC backend and the emulator
 * transport both sit below it. */
#include "config.h"

#include <string.h>

#include "jpki/log.h"
#include "jpki/mem.h"
#include "jpki/transport.h"

/* 256 GET RESPONSE rounds of 256 bytes fill JP_RSP_MAX: a card that keeps
 * answering 61xx beyond that is broken or hostile. */
#define JP_GET_RESPONSE_MAX 256

static int is_read_binary(uint8_t ins)
{
	/* READ BINARY data may be the signing certificate, which is personal
	 * data (doc/card.md §7): its bytes never reach a log. */
	return ins == 0xB0 || ins == 0xB1;
}

/* VERIFY and CHANGE REFERENCE DATA carry a PIN (doc/card.md §4). */
static int is_pin_command(uint8_t ins)
{
	return ins == 0x20 || ins == 0x24;
}

static void log_response(uint8_t ins, const uint8_t *rsp, size_t len)
{
	/* jp_log_apdu hides READ BINARY data too; this is a second lock on the
	 * same door, cheap enough to keep. */
	if (jp_log_level() < JP_LOG_TRACE)
		goto out;
	if (is_read_binary(ins) && len > 2)
		JP_TRACE("<< [%zu data bytes not logged] %02X %02X", len - 2, rsp[len - 2],
		         rsp[len - 1]);
	else
		jp_log_apdu("<<", rsp, len);
out:
	return;
}

/* Rewrites the short command cmd (cmd_len bytes) with Le = le into out.
 * Returns the new length, 0 if the command is not a short APDU we can
 * rewrite (extended or malformed). */
static size_t set_short_le(const uint8_t *cmd, size_t cmd_len, uint8_t le, uint8_t *out,
                           size_t out_cap)
{
	size_t n = 0;
	size_t lc;

	if (cmd_len < 4 || cmd_len + 1 > out_cap)
		goto out;
	memcpy(out, cmd, cmd_len);
	if (cmd_len == 4) {                      /* case 1: append Le */
		out[4] = le;
		n = 5;
		goto out;
	}
	if (cmd_len == 5) {                      /* case 2: replace Le */
		out[4] = le;
		n = 5;
		goto out;
	}
	lc = cmd[4];
	if (lc == 0)                             /* extended: not ours to touch */
		goto out;
	if (cmd_len == 5 + lc) {                 /* case 3: append Le */
		out[cmd_len] = le;
		n = cmd_len + 1;
	} else if (cmd_len == 6 + lc) {          /* case 4: replace Le */
		out[cmd_len - 1] = le;
		n = cmd_len;
	}
out:
	return n;
}

jp_err jp_transport_transmit(jp_link *l, const uint8_t *cmd, size_t cmd_len,
                             uint8_t *rsp, size_t *rsp_len)
{
	jp_err rc = JP_OK;
	uint8_t cur[JP_CMD_MAX + 1];   /* the command being sent now (may hold a PIN) */
	size_t cur_len;
	size_t cap, have = 0, n;
	unsigned rounds = 0;
	int retried_le = 0;
	uint8_t ins, sw1, sw2;

	if (!l || !l->ops || !l->ops->transmit || !cmd || cmd_len < 4 || cmd_len > JP_CMD_MAX ||
	    !rsp || !rsp_len || *rsp_len < 2) {
		rc = JP_E_ARGS;
		goto out;
	}
	cap = *rsp_len;
	ins = cmd[1];
	memcpy(cur, cmd, cmd_len);
	cur_len = cmd_len;

	for (;;) {
		/* have = response data collected so far; the next chunk goes
		 * right after it and must leave room for its status word. */
		if (cap - have < 2) {
			rc = JP_E_BAD_RESPONSE;
			goto out;
		}
		n = cap - have;
		jp_log_apdu(">>", cur, cur_len);
		rc = l->ops->transmit(l, cur, cur_len, rsp + have, &n);
		if (rc != JP_OK)
			goto out;
		if (n < 2 || n > cap - have) {
			rc = JP_E_BAD_RESPONSE;
			goto out;
		}
		log_response(ins, rsp + have, n);
		sw1 = rsp[have + n - 2];
		sw2 = rsp[have + n - 1];

		if (sw1 == 0x61) {
			/* More data waiting: keep what came and fetch the rest
			 * (its SW overwrites this one). */
			if (++rounds > JP_GET_RESPONSE_MAX) {
				rc = JP_E_BAD_RESPONSE;
				goto out;
			}
			have += n - 2;
			cur[0] = 0x00;
			cur[1] = 0xC0;
			cur[2] = 0x00;
			cur[3] = 0x00;
			cur[4] = sw2;            /* 00 = 256 */
			cur_len = 5;
			continue;
		}
		if (sw1 == 0x6C && !retried_le && !is_pin_command(ins)) {
			/* Wrong Le: the card says how many bytes it has. Resend
			 * once; a second 6Cxx is returned to the caller. Never
			 * for a command that carries a PIN: a try may already be
			 * gone, and a PIN is sent once per call (doc/design.md §3). */
			uint8_t again[JP_CMD_MAX + 1];
			size_t again_len = set_short_le(cur, cur_len, sw2, again, sizeof(again));

			retried_le = 1;
			if (again_len == 0) {
				have += n;
				break;
			}
			memcpy(cur, again, again_len);
			jp_wipe(again, sizeof(again));
			cur_len = again_len;
			continue;
		}
		have += n;
		break;
	}
	*rsp_len = have;
out:
	/* cur is a copy of the command: for VERIFY and CHANGE REFERENCE
	 * DATA, the PIN. No copy outlives the call. */
	jp_wipe(cur, sizeof(cur));
	if (rc != JP_OK && rc != JP_E_ARGS)
		JP_DEBUG("transmit: %s", jp_err_str(rc));
	return rc;
}
