/* Certificate reads and their cache (doc/card.md §3-4 READ BINARY).
 * Extended length: SELECT EF + one READ BINARY with Le = 65536 reads the
 * whole EF; short: 256 bytes, size from the DER header, then the rest in
 * 256-byte chunks. Either way the certificate is sized from its DER header,
 * never from what the EF holds (filler may follow). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jpki/log.h"
#include "card-int.h"

static const uint16_t cert_fid[JP_CERT__COUNT] = {
	[JP_CERT_AUTH] = JP_FID_AUTH_CERT,
	[JP_CERT_AUTH_CA] = JP_FID_AUTH_CA,
	[JP_CERT_SIGN] = JP_FID_SIGN_CERT,
	[JP_CERT_SIGN_CA] = JP_FID_SIGN_CA,
};

#define SHORT_CHUNK 256
#define EXT_CHUNK 65536

/* Whether a failed extended READ BINARY means "not supported here": the
 * card says 6700, or the reader/driver refused the exchange. */
static int ext_refused(jp_err rc, uint16_t sw)
{
	return rc == JP_E_UNSUPPORTED || rc == JP_E_TRANSPORT ||
	       (rc == JP_OK && sw == 0x6700);
}

/* Reads the DER object at the start of the selected EF into *out.
 * *denied: the JP_E_NO_KEY came from a 6982 after our VERIFY. */
static jp_err read_object_inlock(jp_card *card, jp_cert_id which, jp_buf *out, int *denied)
{
	jp_err rc = JP_E_NO_MEMORY, r;
	uint8_t *rsp = malloc(JP_RSP_MAX), *buf = malloc(JP_CERT_MAX);
	uint8_t cmd[16];
	size_t have = 0, total = 0, cmd_len, rsp_len, le, room, take;
	uint16_t sw;
	int ext;
	jp_key key;

	if (!rsp || !buf)
		goto out;
	for (;;) {
		ext = (card->ext != JP_EXT_REFUSED);
		if (ext)
			le = EXT_CHUNK;
		else if (total)
			le = (total - have < SHORT_CHUNK) ? total - have : SHORT_CHUNK;
		else
			le = SHORT_CHUNK;
		/* have < JP_CERT_MAX <= 0x7FFF: a valid 15-bit offset. */
		cmd_len = sizeof(cmd);
		rc = jp_apdu_build(cmd, &cmd_len, 0x00, 0xB0, (uint8_t)(have >> 8),
		                   (uint8_t)have, NULL, 0, le, ext);
		if (rc != JP_OK)
			goto out;
		rsp_len = JP_RSP_MAX;
		sw = 0;
		rc = jp_card_xfer_inlock(card, cmd, cmd_len, rsp, &rsp_len, &sw);
		if (ext && card->ext == JP_EXT_UNKNOWN) {
			if (ext_refused(rc, sw)) {
				JP_INFO("card: extended READ BINARY refused (%s, SW %04X); "
				        "using short reads for this card", jp_err_str(rc), sw);
				card->ext = JP_EXT_REFUSED;
				continue;
			}
			if (rc == JP_OK && jp_sw_to_err(sw) == JP_OK)
				card->ext = JP_EXT_WORKS;
		}
		if (rc != JP_OK)
			goto out;
		rc = jp_sw_to_err(sw);
		if (rc == JP_E_OFFSET) {
			/* Past the end: an empty EF, or one shorter than its
			 * DER header says. */
			rc = have ? JP_E_BAD_RESPONSE : JP_E_NO_KEY;
			goto out;
		}
		if (rc == JP_E_SECURITY_STATUS && jp_card_cert_needs_pin(card, which, &key) &&
		    card->verified[key]) {
			/* 6982 although we verified the PIN it needs: this card
			 * has no such certificate (doc/card.md §3). */
			*denied = 1;
			rc = JP_E_NO_KEY;
			goto out;
		}
		if (rc != JP_OK)
			goto out;
		if (rsp_len == 0) {
			rc = have ? JP_E_BAD_RESPONSE : JP_E_NO_KEY;
			goto out;
		}
		if (rsp_len > le) {
			rc = JP_E_BAD_RESPONSE;   /* more than we asked for */
			goto out;
		}
		room = (total ? total : JP_CERT_MAX) - have;
		take = rsp_len < room ? rsp_len : room;
		memcpy(buf + have, rsp, take);
		have += take;
		if (!total) {
			/* An erased (00 or FF) EF: no certificate. Anything
			 * else that is not a SEQUENCE is garbage. */
			if (buf[0] == 0x00 || buf[0] == 0xFF) {
				rc = JP_E_NO_KEY;
				goto out;
			}
			if (buf[0] != 0x30) {
				rc = JP_E_BAD_RESPONSE;
				goto out;
			}
			r = jp_der_object_size(buf, have, JP_CERT_MAX, &total);
			if (r == JP_E_ARGS) {
				total = 0;        /* header incomplete: read on */
				continue;
			}
			if (r != JP_OK) {
				rc = r;
				goto out;
			}
			if (have > total)
				have = total;     /* filler */
		}
		if (have >= total)
			break;
	}
	rc = jp_buf_set(out, buf, total);
out:
	if (rc == JP_E_NO_KEY)
		JP_DEBUG("card: EF %04X holds no certificate", cert_fid[which]);
	else if (rc != JP_OK)
		JP_DEBUG("card: reading EF %04X failed: %s", cert_fid[which], jp_err_str(rc));
	/* The signing certificate is personal data: no copies left behind. */
	if (buf) {
		jp_wipe(buf, JP_CERT_MAX);
		free(buf);
	}
	if (rsp) {
		jp_wipe(rsp, JP_RSP_MAX);
		free(rsp);
	}
	return rc;
}

/* The card said (EF 0008, or SELECT in avail.c) it lacks this holder's
 * certificate: no APDU, and no question about a PIN that cannot help. */
static int said_absent(const jp_card *card, jp_cert_id which)
{
	return (which == JP_CERT_SIGN && card->cert_avail[JP_KEY_SIGN] == JP_AVAIL_ABSENT) ||
	       (which == JP_CERT_AUTH && card->cert_avail[JP_KEY_AUTH] == JP_AVAIL_ABSENT);
}

int jp_card_cert_needs_pin(const jp_card *card, jp_cert_id which, jp_key *key)
{
	int needs = 0;

	if (!card || !key)
		goto out;
	if (which == JP_CERT_SIGN) {
		*key = JP_KEY_SIGN;
		needs = 1;
	} else if (which == JP_CERT_AUTH && jp_card_is_smartphone(card)) {
		/* doc/card.md §11: on the phone tokens the authentication
		 * certificate too needs the authentication PIN. */
		*key = JP_KEY_AUTH;
		needs = 1;
	}
out:
	return needs;
}

jp_err jp_card_read_cert(jp_card *card, jp_cert_id which, const uint8_t **der, size_t *len)
{
	jp_err rc = JP_E_ARGS;
	int locked = 0, denied = 0;

	if (!card || !der || !len || (unsigned)which >= JP_CERT__COUNT)
		goto out;
	if (card->cert_state[which] == JP_CERT_CACHED) {
		rc = JP_OK;
		goto done;
	}
	if (card->cert_state[which] == JP_CERT_ABSENT || said_absent(card, which)) {
		rc = JP_E_NO_KEY;
		goto out;
	}
	rc = jp_card_begin(card);
	if (rc != JP_OK)
		goto out;
	locked = 1;
	rc = jp_card_select_ef_inlock(card, cert_fid[which]);
	if (rc == JP_E_FILE_NOT_FOUND) {
		card->cert_state[which] = JP_CERT_ABSENT;
		rc = JP_E_NO_KEY;
		goto out;
	}
	if (rc != JP_OK)
		goto out;
	rc = read_object_inlock(card, which, &card->cert[which], &denied);
	if (rc == JP_E_NO_KEY && !denied) {
		/* Missing or erased: a property of the card, remembered.
		 * (A 6982 after our VERIFY is not remembered: someone else
		 * may have cleared the card's state.) */
		card->cert_state[which] = JP_CERT_ABSENT;
	}
	if (rc != JP_OK)
		goto out;
	card->cert_state[which] = JP_CERT_CACHED;
done:
	*der = card->cert[which].data;
	*len = card->cert[which].len;
out:
	if (locked)
		jp_card_end(card);
	return rc;
}

void jp_card_forget_cert(jp_card *card, jp_cert_id which)
{
	if (!card || (unsigned)which >= JP_CERT__COUNT)
		return;
	if (card->cert_state[which] == JP_CERT_CACHED) {
		jp_buf_free(&card->cert[which]);
		card->cert_state[which] = JP_CERT_UNREAD;
	}
}
