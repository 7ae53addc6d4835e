/* The card object: open and identify, transactions, selection tracking,
 * the one exchange path, and leaving the card unverified. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jpki/log.h"
#include "card-int.h"

/* doc/card.md §2 */
static const uint8_t jpki_aid[] = { 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01 };

uint16_t jp_key_pin_fid(jp_key key)
{
	return key == JP_KEY_SIGN ? JP_FID_SIGN_PIN : JP_FID_AUTH_PIN;
}

uint16_t jp_key_key_fid(jp_key key)
{
	return key == JP_KEY_SIGN ? JP_FID_SIGN_KEY : JP_FID_AUTH_KEY;
}

jp_cert_id jp_key_cert(jp_key key)
{
	return key == JP_KEY_SIGN ? JP_CERT_SIGN : JP_CERT_AUTH;
}

void jp_card_lost_state(jp_card *card)
{
	jp_key key;
	int i;

	card->ap_selected = 0;
	card->ap_confirmed = 0;
	card->ef = 0;
	card->verified[JP_KEY_AUTH] = 0;
	card->verified[JP_KEY_SIGN] = 0;
	/* A certificate readable only with a PIN (the signing certificate:
	 * personal data; on a smartphone the authentication one too) goes
	 * with the verified state. Public certificates and what the card
	 * lacks are properties of the card. */
	for (i = 0; i < JP_CERT__COUNT; i++) {
		if (card->cert_state[i] == JP_CERT_CACHED &&
		    jp_card_cert_needs_pin(card, (jp_cert_id)i, &key)) {
			jp_buf_free(&card->cert[i]);
			card->cert_state[i] = JP_CERT_UNREAD;
		}
	}
}

jp_err jp_card_xfer_inlock(jp_card *card, const uint8_t *cmd, size_t cmd_len,
                           uint8_t *rsp, size_t *rsp_len, uint16_t *sw)
{
	jp_err rc;
	size_t cap = *rsp_len;

	card->stats.apdus++;
	card->stats.bytes_out += cmd_len;
	rc = jp_transport_transmit(card->link, cmd, cmd_len, rsp, rsp_len);
	if (rc == JP_E_CARD_RESET || rc == JP_E_NO_CARD) {
		jp_card_lost_state(card);
		goto out;
	}
	if (rc != JP_OK)
		goto out;
	if (*rsp_len > cap || *rsp_len < 2) {
		rc = JP_E_BAD_RESPONSE;
		goto out;
	}
	card->stats.bytes_in += *rsp_len;
	*sw = jp_apdu_sw(rsp, *rsp_len);
	*rsp_len -= 2;
out:
	return rc;
}

jp_err jp_card_apdu_inlock(jp_card *card, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                           const uint8_t *data, size_t lc, size_t le,
                           uint8_t *rsp, size_t *rsp_len, uint16_t *sw)
{
	jp_err rc;
	uint8_t cmd[4 + 1 + 255 + 1];   /* header, Lc, data, Le */
	size_t cmd_len = sizeof(cmd);

	rc = jp_apdu_build(cmd, &cmd_len, cla, ins, p1, p2, data, lc, le, 0);
	if (rc != JP_OK)
		goto out;
	rc = jp_card_xfer_inlock(card, cmd, cmd_len, rsp, rsp_len, sw);
out:
	jp_wipe(cmd, sizeof(cmd));
	return rc;
}

/* A SELECT (case 3, P2 0C: no FCI wanted) and its status word. */
static jp_err select_raw(jp_card *card, uint8_t p1, const uint8_t *id, size_t id_len,
                         uint16_t *sw)
{
	uint8_t rsp[64];
	size_t rsp_len = sizeof(rsp);

	return jp_card_apdu_inlock(card, 0x00, 0xA4, p1, 0x0C, id, id_len, JP_APDU_NO_LE, rsp,
	                           &rsp_len, sw);
}

jp_err jp_card_select_ap_inlock(jp_card *card, int force)
{
	jp_err rc = JP_OK;
	uint16_t sw = 0;

	if (card->ap_selected && !force)
		goto out;
	card->ap_selected = 0;
	card->ap_confirmed = 0;
	card->ef = 0;
	rc = select_raw(card, 0x04, jpki_aid, sizeof(jpki_aid), &sw);
	if (rc != JP_OK)
		goto out;
	rc = jp_sw_to_err(sw);
	if (rc != JP_OK) {
		JP_DEBUG("card: SELECT JPKI AP answered %04X", sw);
		goto out;
	}
	card->ap_selected = 1;
	card->ap_confirmed = 1;
out:
	return rc;
}

/* One SELECT of EF fid under the current application. The selection is
 * forgotten first (a lost answer leaves it unknown) and remembered only
 * on success, which also proves the AP current in this transaction. */
static jp_err select_ef_once(jp_card *card, uint16_t fid, uint16_t *sw)
{
	jp_err rc;
	uint8_t id[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };

	card->ef = 0;
	rc = select_raw(card, 0x02, id, sizeof(id), sw);
	if (rc != JP_OK)
		goto out;
	rc = jp_sw_to_err(*sw);
	if (rc == JP_OK) {
		card->ef = fid;
		card->ap_confirmed = 1;
	}
out:
	return rc;
}

/* Whether the JPKI AP is still the current application, found without
 * re-selecting it (which may clear the verified PINs, doc/card.md §6):
 * EF 0006 exists on every JPKI card and selecting an EF clears nothing. */
static jp_err confirm_ap_inlock(jp_card *card)
{
	uint16_t sw = 0;

	return select_ef_once(card, JP_FID_TOKEN_INFO, &sw);
}

jp_err jp_card_select_ef_inlock(jp_card *card, uint16_t fid)
{
	jp_err rc;
	uint16_t sw = 0;
	int attempt;

	rc = jp_card_select_ap_inlock(card, 0);
	if (rc != JP_OK)
		goto out;
	if (card->ef == fid && card->ap_confirmed)
		goto out;
	for (attempt = 0; attempt < 2; attempt++) {
		rc = select_ef_once(card, fid, &sw);
		if (rc == JP_OK)
			goto out;
		if (rc != JP_E_FILE_NOT_FOUND || card->ap_confirmed || attempt > 0)
			break;
		/* 6A82 outside a transaction that proved the AP current:
		 * another process may have selected another application in
		 * between. Ask EF 0006 first; only if that is gone too, select
		 * our AP again and retry, once. */
		rc = confirm_ap_inlock(card);
		if (rc == JP_OK) {
			rc = JP_E_FILE_NOT_FOUND;
			break;
		}
		if (rc != JP_E_FILE_NOT_FOUND)
			goto out;
		rc = jp_card_select_ap_inlock(card, 1);
		if (rc != JP_OK)
			goto out;
		rc = JP_E_FILE_NOT_FOUND;
	}
	JP_DEBUG("card: SELECT EF %04X answered %04X", fid, sw);
out:
	return rc;
}

jp_err jp_card_select_key_ef_inlock(jp_card *card, jp_key key, uint16_t fid)
{
	jp_err rc = JP_E_NO_KEY;

	/* Remembered: a card without the signing key (holders under 15,
	 * doc/card.md §3) is asked once per insertion, not per call. */
	if (card->key_absent[key])
		goto out;
	rc = jp_card_select_ef_inlock(card, fid);
	if (rc == JP_E_FILE_NOT_FOUND) {
		card->key_absent[key] = 1;
		rc = JP_E_NO_KEY;
	}
out:
	return rc;
}

jp_err jp_card_begin(jp_card *card)
{
	jp_err rc = JP_OK;

	if (!card) {
		rc = JP_E_ARGS;
		goto out;
	}
	if (card->txn_depth == 0) {
		rc = card->link->ops->begin(card->link);
		if (rc == JP_E_CARD_RESET || rc == JP_E_NO_CARD)
			jp_card_lost_state(card);
		if (rc != JP_OK)
			goto out;       /* no transaction held */
		card->ap_confirmed = 0;
		card->ef = 0;
	}
	card->txn_depth++;
out:
	return rc;
}

void jp_card_end(jp_card *card)
{
	if (!card || card->txn_depth == 0)
		return;
	if (--card->txn_depth == 0) {
		/* See struct jp_card: the EF selection is ours only while we
		 * hold the card. */
		card->ap_confirmed = 0;
		card->ef = 0;
		(void)card->link->ops->end(card->link);
	}
}

/* Reads the 32-byte label at the start of EF 0006 (doc/card.md §3). */
static jp_err read_label_inlock(jp_card *card)
{
	jp_err rc;
	uint8_t rsp[JP_LABEL_LEN + 8];
	size_t rsp_len = sizeof(rsp), n, i;
	uint16_t sw = 0;

	rc = jp_card_select_ef_inlock(card, JP_FID_TOKEN_INFO);
	if (rc == JP_E_FILE_NOT_FOUND) {
		rc = JP_E_NOT_JPKI;
		goto out;
	}
	if (rc != JP_OK)
		goto out;
	rc = jp_card_apdu_inlock(card, 0x00, 0xB0, 0x00, 0x00, NULL, 0, JP_LABEL_LEN, rsp, &rsp_len,
	                         &sw);
	if (rc != JP_OK)
		goto out;
	if (jp_sw_to_err(sw) != JP_OK) {
		JP_DEBUG("card: READ BINARY EF 0006 answered %04X", sw);
		rc = JP_E_NOT_JPKI;
		goto out;
	}
	n = rsp_len < JP_LABEL_LEN ? rsp_len : JP_LABEL_LEN;
	while (n > 0 && (rsp[n - 1] == ' ' || rsp[n - 1] == 0x00))
		n--;
	/* The label ends up in logs and token info: printable ASCII only. */
	for (i = 0; i < n; i++)
		card->label[i] = (rsp[i] >= 0x20 && rsp[i] < 0x7F) ? (char)rsp[i] : '?';
	card->label[n] = '\0';
out:
	return rc;
}

/* doc/card.md §3, §11: the EF 0006 labels. */
static const struct {
	const char *label;
	jp_card_kind kind;
} known_labels[] = {
	{ "JPKIAPICCTOKEN2", JP_CARD_KIND_MYNUMBER },
	{ "JPKIAPGPSETOKEN", JP_CARD_KIND_ANDROID },
	{ "JPKIAPIOSTOKEN", JP_CARD_KIND_IPHONE },
};

static jp_err identify_inlock(jp_card *card)
{
	jp_err rc;
	size_t i;

	rc = jp_card_select_ap_inlock(card, 1);
	if (rc != JP_OK) {
		/* Any status word refusing the SELECT: this is not a JPKI
		 * card. Transport errors and garbage stay what they are. */
		if (rc > JP_E_BAD_RESPONSE && rc < JP_E_CRYPTO)
			rc = JP_E_NOT_JPKI;
		goto out;
	}
	rc = read_label_inlock(card);
	if (rc != JP_OK)
		goto out;
	for (i = 0; i < sizeof(known_labels) / sizeof(known_labels[0]); i++) {
		if (strcmp(card->label, known_labels[i].label) == 0) {
			card->kind = known_labels[i].kind;
			goto out;
		}
	}
	if (strcmp(card->label, "JPKIAPICCTOKEN") == 0) {
		JP_ERROR("card: this is an old Basic Resident Registration card "
		         "(住基カード, label JPKIAPICCTOKEN); its JPKI certificates all "
		         "expired by 2018-12-21: no tokens are shown for it. Use a My "
		         "Number Card");
		rc = JP_E_JUKI_CARD;
	} else {
		JP_INFO("card: JPKI application with unknown label \"%s\"; not supported",
		        card->label);
		rc = JP_E_NOT_JPKI;
	}
out:
	return rc;
}

jp_err jp_card_open(jp_link *link, jp_card **out)
{
	jp_err rc = JP_E_ARGS;
	jp_card *card = NULL;
	int attempt;

	if (out)
		*out = NULL;
	if (!link || !out)
		goto out;
	card = calloc(1, sizeof(*card));
	if (!card) {
		rc = JP_E_NO_MEMORY;
		goto out;
	}
	card->link = link;
	card->kind = JP_CARD_KIND_UNKNOWN;
	card->tries[JP_KEY_AUTH] = card->tries[JP_KEY_SIGN] = -1;   /* not asked yet */
	/* A reset by someone else while we identify: once more, afresh. */
	for (attempt = 0; attempt < 2; attempt++) {
		rc = jp_card_begin(card);
		if (rc == JP_OK) {
			rc = identify_inlock(card);
			jp_card_end(card);
		}
		if (rc != JP_E_CARD_RESET)
			break;
	}
	if (rc != JP_OK)
		goto out;
	JP_INFO("card: %s (%s)", jp_card_kind_name(card->kind), card->label);
	*out = card;
	card = NULL;
out:
	if (card) {
		link->ops->disconnect(link);
		card->link = NULL;
		jp_card_forget(card);
	} else if (rc != JP_OK && link && out) {
		link->ops->disconnect(link);
	}
	return rc;
}

static void free_card(jp_card *card)
{
	int i;

	for (i = 0; i < JP_CERT__COUNT; i++)
		jp_buf_free(&card->cert[i]);
	jp_wipe(card, sizeof(*card));
	free(card);
}

void jp_card_close(jp_card *card)
{
	if (!card)
		return;
	if (card->link) {
		if (card->txn_depth > 0)
			(void)card->link->ops->end(card->link);
		card->link->ops->disconnect(card->link);
	}
	free_card(card);
}

void jp_card_forget(jp_card *card)
{
	if (!card)
		return;
	if (card->link)
		card->link->ops->forget_link(card->link);
	free_card(card);
}

jp_card_kind jp_card_get_kind(const jp_card *card)
{
	return card ? card->kind : JP_CARD_KIND_UNKNOWN;
}

const char *jp_card_kind_name(jp_card_kind kind)
{
	switch (kind) {
	case JP_CARD_KIND_MYNUMBER:
		return "My Number Card";
	case JP_CARD_KIND_ANDROID:
		return "Android smartphone";
	case JP_CARD_KIND_IPHONE:
		return "iPhone";
	default:
		return "unknown";
	}
}

int jp_card_is_smartphone(const jp_card *card)
{
	return card && (card->kind == JP_CARD_KIND_ANDROID || card->kind == JP_CARD_KIND_IPHONE);
}

const char *jp_card_label(const jp_card *card)
{
	return card ? card->label : "";
}

jp_link *jp_card_link(jp_card *card)
{
	return card ? card->link : NULL;
}

void jp_card_get_stats(const jp_card *card, jp_card_stats *out)
{
	if (!out)
		return;
	if (card)
		*out = card->stats;
	else
		memset(out, 0, sizeof(*out));
}

jp_err jp_card_unverify(jp_card *card)
{
	jp_err rc = JP_E_ARGS;

	if (!card)
		goto out;
	/* Re-selecting the AP is not enough: by the one real-card report the
	 * verified state survives it and a warm reset; only a power cycle
	 * clears it (doc/card.md §6). */
	rc = card->link->ops->unpower(card->link);
	jp_card_lost_state(card);
	/* The transport reconnected: a reset is what we asked for. */
	if (rc == JP_E_CARD_RESET)
		rc = JP_OK;
	if (rc != JP_OK)
		JP_WARN("card: power cycle failed: %s", jp_err_str(rc));
out:
	return rc;
}
