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

/* A certificate being read: the bytes so far, and its size once the DER
 * header is in (0 before). */
typedef struct cert_read {
	jp_card *card;
	jp_cert_id which;
	uint8_t *rsp;          /* JP_RSP_MAX: one READ BINARY's answer */
	uint8_t *buf;          /* JP_CERT_MAX: the object */
	size_t have;
	size_t total;
} cert_read;

/* Le of the next READ BINARY: the whole EF at once with extended length;
 * else 256 bytes, or what is left of an object of known size. */
static size_t next_le(const cert_read *cr, int ext)
{
	size_t le = SHORT_CHUNK;

	if (ext)
		le = EXT_CHUNK;
	else if (cr->total && cr->total - cr->have < SHORT_CHUNK)
		le = cr->total - cr->have;
	return le;
}

/* The first extended READ BINARY on a card tells whether extended length
 * works there. Returns 1 when it was refused (read again, short). */
static int probe_ext(jp_card *card, jp_err rc, uint16_t sw)
{
	int refused = ext_refused(rc, sw);

	if (refused) {
		JP_INFO("card: extended READ BINARY refused (%s, SW %04X); "
		        "using short reads for this card", jp_err_str(rc), sw);
		card->ext = JP_EXT_REFUSED;
	} else if (rc == JP_OK && jp_sw_to_err(sw) == JP_OK) {
		card->ext = JP_EXT_WORKS;
	}
	return refused;
}

/* What a READ BINARY's status word and length say about the object.
 * *denied: the JP_E_NO_KEY came from a 6982 after our VERIFY. */
static jp_err check_chunk(const cert_read *cr, uint16_t sw, size_t rsp_len, size_t le,
                          int *denied)
{
	jp_err rc = jp_sw_to_err(sw);
	jp_key key;

	if (rc == JP_E_OFFSET) {
		/* Past the end: an empty EF, or one shorter than its DER
		 * header says. */
		rc = cr->have ? JP_E_BAD_RESPONSE : JP_E_NO_KEY;
	} else if (rc == JP_E_SECURITY_STATUS && jp_card_cert_needs_pin(cr->card, cr->which, &key) &&
	           cr->card->verified[key]) {
		/* 6982 although we verified the PIN it needs: this card has no
		 * such certificate (doc/card.md §3). */
		*denied = 1;
		rc = JP_E_NO_KEY;
	} else if (rc == JP_OK && rsp_len == 0) {
		rc = cr->have ? JP_E_BAD_RESPONSE : JP_E_NO_KEY;
	} else if (rc == JP_OK && rsp_len > le) {
		rc = JP_E_BAD_RESPONSE;   /* more than we asked for */
	}
	return rc;
}

/* Appends an answer, never past the object's end (or JP_CERT_MAX while
 * its size is unknown). */
static void take_chunk(cert_read *cr, size_t rsp_len)
{
	size_t room = (cr->total ? cr->total : JP_CERT_MAX) - cr->have;
	size_t take = rsp_len < room ? rsp_len : room;

	memcpy(cr->buf + cr->have, cr->rsp, take);
	cr->have += take;
}

/* The object's size from its DER header, once enough of it is in. An
 * erased (00 or FF) EF holds no certificate; anything else that is not a
 * SEQUENCE is garbage. */
static jp_err size_from_header(cert_read *cr)
{
	jp_err rc;

	if (cr->buf[0] == 0x00 || cr->buf[0] == 0xFF) {
		rc = JP_E_NO_KEY;
	} else if (cr->buf[0] != 0x30) {
		rc = JP_E_BAD_RESPONSE;
	} else {
		rc = jp_der_object_size(cr->buf, cr->have, JP_CERT_MAX, &cr->total);
		if (rc == JP_E_ARGS) {
			cr->total = 0;        /* header incomplete: read on */
			rc = JP_OK;
		} else if (rc == JP_OK && cr->have > cr->total) {
			cr->have = cr->total; /* filler */
		}
	}
	return rc;
}

/* One READ BINARY and what it brought. *done once the whole object is in. */
static jp_err read_step_inlock(cert_read *cr, int *denied, int *done)
{
	jp_card *card = cr->card;
	const int ext = card->ext != JP_EXT_REFUSED;
	const size_t le = next_le(cr, ext);
	uint8_t cmd[16];
	size_t cmd_len = sizeof(cmd), rsp_len = JP_RSP_MAX;
	uint16_t sw = 0;
	jp_err rc;

	/* have < JP_CERT_MAX <= 0x7FFF: a valid 15-bit offset. */
	rc = jp_apdu_build(cmd, &cmd_len, 0x00, 0xB0, (uint8_t)(cr->have >> 8), (uint8_t)cr->have,
	                   NULL, 0, le, ext);
	if (rc != JP_OK)
		goto out;
	rc = jp_card_xfer_inlock(card, cmd, cmd_len, cr->rsp, &rsp_len, &sw);
	if (ext && card->ext == JP_EXT_UNKNOWN && probe_ext(card, rc, sw)) {
		rc = JP_OK;               /* again, with short reads */
		goto out;
	}
	if (rc == JP_OK)
		rc = check_chunk(cr, sw, rsp_len, le, denied);
	if (rc != JP_OK)
		goto out;
	take_chunk(cr, rsp_len);
	if (!cr->total)
		rc = size_from_header(cr);
	if (rc == JP_OK)
		*done = cr->total && cr->have >= cr->total;
out:
	return rc;
}

/* Reads the DER object at the start of the selected EF into *out.
 * *denied: the JP_E_NO_KEY came from a 6982 after our VERIFY. */
static jp_err read_object_inlock(jp_card *card, jp_cert_id which, jp_buf *out, int *denied)
{
	cert_read cr = { card, which, malloc(JP_RSP_MAX), malloc(JP_CERT_MAX), 0, 0 };
	jp_err rc = JP_E_NO_MEMORY;
	int done = 0;

	if (!cr.rsp || !cr.buf)
		goto out;
	do
		rc = read_step_inlock(&cr, denied, &done);
	while (rc == JP_OK && !done);
	if (rc == JP_OK)
		rc = jp_buf_set(out, cr.buf, cr.total);
out:
	if (rc == JP_E_NO_KEY)
		JP_DEBUG("card: EF %04X holds no certificate", cert_fid[which]);
	else if (rc != JP_OK)
		JP_DEBUG("card: reading EF %04X failed: %s", cert_fid[which], jp_err_str(rc));
	/* The signing certificate is personal data: no copies left behind. */
	if (cr.buf) {
		jp_wipe(cr.buf, JP_CERT_MAX);
		free(cr.buf);
	}
	if (cr.rsp) {
		jp_wipe(cr.rsp, JP_RSP_MAX);
		free(cr.rsp);
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
