/* Which certificates the card carries, found without a PIN (doc/card.md
 * §3, §11). Holders under 15 and those who opted out have no signing
 * certificate; asking them for a password that cannot sign would only
 * cost tries. EF 0008 (3 bytes, byte 0 signing, byte 1 authentication,
 * 8F = present) says it where the card has that EF [one source]; where it
 * does not, the certificate EF itself answers SELECT with 6A82 when it is
 * missing (SELECT needs no PIN, doc/card.md §2). */
#include "config.h"

#include "jpki/log.h"
#include "card-int.h"

#define AVAIL_PRESENT_BYTE 0x8F

static const char *avail_word(jp_avail a)
{
	return a == JP_AVAIL_PRESENT ? "present" : a == JP_AVAIL_ABSENT ? "absent" : "unknown";
}

static const char *key_word(jp_key key)
{
	return key == JP_KEY_SIGN ? "signing" : "authentication";
}

/* Reads EF 0008 into card->cert_avail. *found: 0 when the card has no
 * usable EF 0008 (6A82, a refused read, fewer than 2 bytes), which is not
 * an error: the caller asks the certificate EF instead. */
static jp_err read_ef0008_inlock(jp_card *card, int *found)
{
	jp_err rc;
	uint8_t rsp[16];
	size_t rsp_len = sizeof(rsp);
	uint16_t sw = 0;
	int k;

	*found = 0;
	rc = jp_card_select_ef_inlock(card, JP_FID_CERT_AVAIL);
	if (rc == JP_E_FILE_NOT_FOUND) {
		JP_DEBUG("card: no EF 0008 on this card");
		rc = JP_OK;
		goto out;
	}
	if (rc != JP_OK)
		goto out;
	rc = jp_card_apdu_inlock(card, 0x00, 0xB0, 0x00, 0x00, NULL, 0, 3, rsp, &rsp_len, &sw);
	if (rc != JP_OK)
		goto out;
	if (jp_sw_to_err(sw) != JP_OK || rsp_len < 2 || rsp_len > 3) {
		JP_DEBUG("card: READ BINARY EF 0008 answered %04X with %zu bytes; not used",
		         sw, rsp_len);
		goto out;
	}
	for (k = JP_KEY_AUTH; k <= JP_KEY_SIGN; k++) {
		uint8_t b = rsp[k == JP_KEY_SIGN ? 0 : 1];
		card->cert_avail[k] = (b == AVAIL_PRESENT_BYTE) ? JP_AVAIL_PRESENT : JP_AVAIL_ABSENT;
	}
	*found = 1;
	JP_DEBUG("card: EF 0008 = %02X %02X: signing certificate %s, authentication "
	         "certificate %s", rsp[0], rsp[1], avail_word(card->cert_avail[JP_KEY_SIGN]),
	         avail_word(card->cert_avail[JP_KEY_AUTH]));
out:
	return rc;
}

/* No EF 0008: SELECT of the certificate EF. Selecting is free (no PIN, no
 * try) even for EF 0001, whose content needs the signing password. */
static jp_err select_cert_inlock(jp_card *card, jp_key key)
{
	jp_err rc;
	uint16_t fid = key == JP_KEY_SIGN ? JP_FID_SIGN_CERT : JP_FID_AUTH_CERT;

	rc = jp_card_select_ef_inlock(card, fid);
	if (rc == JP_OK) {
		card->cert_avail[key] = JP_AVAIL_PRESENT;
	} else if (rc == JP_E_FILE_NOT_FOUND) {
		card->cert_avail[key] = JP_AVAIL_ABSENT;
		rc = JP_OK;
	}
	if (rc == JP_OK)
		JP_DEBUG("card: SELECT EF %04X: %s certificate %s", fid, key_word(key),
		         avail_word(card->cert_avail[key]));
	return rc;
}

jp_err jp_card_cert_avail(jp_card *card, jp_key key, jp_avail *avail)
{
	jp_err rc = JP_E_ARGS;
	jp_cert_id cert;
	int locked = 0, found = 0;

	if (avail)
		*avail = JP_AVAIL_UNKNOWN;
	if (!card || !avail || (key != JP_KEY_AUTH && key != JP_KEY_SIGN))
		goto out;
	rc = JP_OK;
	cert = jp_key_cert(key);
	if (card->cert_avail[key] != JP_AVAIL_UNKNOWN)
		goto done;
	/* A certificate already read (or found missing) answers it. */
	if (card->cert_state[cert] == JP_CERT_CACHED) {
		card->cert_avail[key] = JP_AVAIL_PRESENT;
		goto done;
	}
	if (card->cert_state[cert] == JP_CERT_ABSENT) {
		card->cert_avail[key] = JP_AVAIL_ABSENT;
		goto done;
	}
	rc = jp_card_begin(card);
	if (rc != JP_OK)
		goto out;
	locked = 1;
	if (!card->ef0008_absent) {
		rc = read_ef0008_inlock(card, &found);
		if (rc != JP_OK)
			goto out;
		if (!found)
			card->ef0008_absent = 1;
	}
	if (!found) {
		rc = select_cert_inlock(card, key);
		if (rc != JP_OK)
			goto out;
	}
done:
	*avail = card->cert_avail[key];
out:
	if (locked)
		jp_card_end(card);
	if (rc != JP_OK)
		JP_DEBUG("card: whether the %s certificate exists is unknown: %s", key_word(key),
		         jp_err_str(rc));
	return rc;
}

jp_err jp_card_sign_cert_avail(jp_card *card, jp_avail *avail)
{
	return jp_card_cert_avail(card, JP_KEY_SIGN, avail);
}
