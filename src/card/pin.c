/* Retry query, VERIFY and CHANGE REFERENCE DATA (doc/card.md §4), and the
 * whole rule around them, owned here: the policy (pin-policy.c, once, no
 * APDU on a PIN the card must never see), the retry counter (card->tries,
 * kept from every answer that carries it; the module asks the retry query
 * only when its caller does, as jpki status does), and "a PIN known to be
 * blocked never gets a PIN-bearing command" (guard_blocked_inlock).
 * PIN bytes never reach a log from here (jp_transport_transmit logs
 * through jp_log_apdu, which redacts INS 20 and 24 bodies), and every
 * buffer that held them is wiped before it goes out of scope. */
#include "config.h"

#include <string.h>

#include "jpki/log.h"
#include "card-int.h"

static int key_ok(jp_key key)
{
	return key == JP_KEY_AUTH || key == JP_KEY_SIGN;
}

/* SELECT the PIN EF of key. JP_E_NO_KEY when the card has none (a card
 * without the signing certificate, doc/card.md §3). */
static jp_err select_pin_inlock(jp_card *card, jp_key key)
{
	return jp_card_select_key_ef_inlock(card, key, jp_key_pin_fid(key));
}

jp_err jp_card_pin_tries(jp_card *card, jp_key key, int *tries)
{
	jp_err rc = JP_E_ARGS;
	uint8_t rsp[64];
	size_t rsp_len = sizeof(rsp);
	uint16_t sw = 0;
	int t, locked = 0;

	if (!card || !key_ok(key) || !tries)
		goto out;
	*tries = -1;
	rc = jp_card_begin(card);
	if (rc != JP_OK)
		goto out;
	locked = 1;
	rc = select_pin_inlock(card, key);
	if (rc != JP_OK)
		goto out;
	/* VERIFY without data: case 1, uses no try. */
	rc = jp_card_apdu_inlock(card, 0x00, 0x20, 0x00, 0x80, NULL, 0, JP_APDU_NO_LE, rsp, &rsp_len,
	                         &sw);
	if (rc != JP_OK)
		goto out;
	t = jp_sw_tries(sw);
	if (t >= 0) {
		/* 63Cx; and 63C0 or 6984/6983 alike mean blocked (the
		 * answer on a blocked PIN is [open], doc/card.md §4). */
		*tries = t;
	} else if (sw == 0x9000) {
		/* This card answers 63Cx even when verified; a card that says
		 * 9000 is verified, so its counter is at the maximum. */
		*tries = jp_pin_max_tries(key);
	} else {
		rc = jp_sw_to_err(sw);
		if (rc == JP_OK || rc == JP_E_PIN_INCORRECT)
			rc = JP_E_BAD_RESPONSE;   /* no counter in it */
	}
	if (rc == JP_OK)
		card->tries[key] = *tries;
out:
	if (locked)
		jp_card_end(card);
	return rc;
}

/* The rule for every PIN-bearing command, owned here: a PIN the card has
 * told this process is blocked (counter 0) gets no further command. An
 * unknown counter costs nothing first: the VERIFY goes out and its answer
 * sets the counter. That spends no try on a blocked PIN either: the card
 * answers 6984 or 63C0 without counting (doc/card.md §4), which is
 * JP_E_PIN_LOCKED, and the next call is refused here. No retry query, so
 * a login costs the card one SELECT and one VERIFY. JP_OK when the PIN may
 * be sent. */
static jp_err guard_blocked_inlock(const jp_card *card, jp_key key)
{
	return card->tries[key] == 0 ? JP_E_PIN_LOCKED : JP_OK;
}

/* After a VERIFY-bearing command that ended in rc, the VERIFY having said
 * t (-1: no count in its answer). Any other outcome (a lost answer, a bare
 * 6300, a failure after the VERIFY) leaves the counter unknown: the card
 * may have used a try, and a stale count would hide the final try or send
 * the next VERIFY to a blocked PIN. */
static void note_tries(jp_card *card, jp_key key, jp_err rc, int t)
{
	if (rc == JP_OK)
		card->tries[key] = jp_pin_max_tries(key);
	else if (rc == JP_E_PIN_LOCKED)
		card->tries[key] = 0;
	else if (rc == JP_E_PIN_INCORRECT && t >= 0)
		card->tries[key] = t;
	else
		card->tries[key] = -1;
}

jp_err jp_card_verify_inlock(jp_card *card, jp_key key, const uint8_t *pin, size_t len,
                             int *tries)
{
	jp_err rc;
	uint8_t rsp[64];
	size_t rsp_len = sizeof(rsp);
	uint16_t sw = 0;
	int t = -1;

	rc = select_pin_inlock(card, key);
	if (rc != JP_OK)
		goto out;
	rc = jp_card_apdu_inlock(card, 0x00, 0x20, 0x00, 0x80, pin, len, JP_APDU_NO_LE, rsp, &rsp_len,
	                         &sw);
	if (rc != JP_OK)
		goto out;
	card->verified[key] = 0;
	rc = jp_sw_to_err(sw);
	if (rc == JP_OK && sw != 0x9000)
		rc = JP_E_BAD_RESPONSE;
	if (rc == JP_OK) {
		card->verified[key] = 1;
		t = jp_pin_max_tries(key);    /* a right PIN resets the counter */
	} else if (rc == JP_E_PIN_INCORRECT) {
		t = jp_sw_tries(sw);          /* -1 for a bare 6300 */
	} else if (rc == JP_E_PIN_LOCKED) {
		t = 0;
	}
out:
	if (tries)
		*tries = t;
	return rc;
}

jp_err jp_card_verify(jp_card *card, jp_key key, const uint8_t *pin, size_t len, int *tries)
{
	jp_err rc = JP_E_ARGS;
	uint8_t norm[JP_PIN_MAX];
	size_t norm_len = 0;
	int t = -1, locked = 0;

	memset(norm, 0, sizeof(norm));
	if (!card || !key_ok(key))
		goto out;
	/* The policy first: a PIN the card must never see costs nothing. */
	rc = jp_pin_normalize(key, pin, len, norm, &norm_len);
	if (rc != JP_OK)
		goto out;
	rc = jp_card_begin(card);
	if (rc != JP_OK)
		goto out;
	locked = 1;
	rc = guard_blocked_inlock(card, key);
	if (rc != JP_OK)
		goto out;
	rc = jp_card_verify_inlock(card, key, norm, norm_len, &t);
	note_tries(card, key, rc, t);
out:
	if (locked)
		jp_card_end(card);
	if (tries)
		*tries = card && key_ok(key) ? card->tries[key] : -1;
	jp_wipe(norm, sizeof(norm));
	return rc;
}

jp_err jp_card_change_pin(jp_card *card, jp_key key, const uint8_t *old_pin, size_t old_len,
                          const uint8_t *new_pin, size_t new_len, int *tries)
{
	jp_err rc = JP_E_ARGS;
	uint8_t old_norm[JP_PIN_MAX], new_norm[JP_PIN_MAX];
	uint8_t rsp[64];
	size_t old_n = 0, new_n = 0, rsp_len = sizeof(rsp);
	uint16_t sw = 0;
	int locked = 0, t = -1, sent = 0;

	memset(old_norm, 0, sizeof(old_norm));
	memset(new_norm, 0, sizeof(new_norm));
	if (!card || !key_ok(key))
		goto out;
	rc = jp_pin_normalize(key, old_pin, old_len, old_norm, &old_n);
	if (rc != JP_OK)
		goto out;
	rc = jp_pin_normalize(key, new_pin, new_len, new_norm, &new_n);
	if (rc != JP_OK)
		goto out;
	/* VERIFY old and CHANGE in one transaction: nobody can slip in and
	 * select something else in between. */
	rc = jp_card_begin(card);
	if (rc != JP_OK)
		goto out;
	locked = 1;
	rc = guard_blocked_inlock(card, key);
	if (rc != JP_OK)
		goto out;
	sent = 1;
	rc = jp_card_verify_inlock(card, key, old_norm, old_n, &t);
	if (rc != JP_OK)
		goto out;
	/* P1 01: the data field is the new reference data only. */
	rc = jp_card_apdu_inlock(card, 0x00, 0x24, 0x01, 0x80, new_norm, new_n, JP_APDU_NO_LE, rsp,
	                         &rsp_len, &sw);
	if (rc != JP_OK)
		goto out;
	rc = jp_sw_to_err(sw);
	if (rc == JP_OK && sw != 0x9000)
		rc = JP_E_BAD_RESPONSE;
	if (rc != JP_OK)
		JP_WARN("card: CHANGE REFERENCE DATA answered %04X", sw);
out:
	if (sent)
		note_tries(card, key, rc, t);
	if (locked)
		jp_card_end(card);
	if (tries)
		*tries = card && key_ok(key) ? card->tries[key] : -1;
	jp_wipe(old_norm, sizeof(old_norm));
	jp_wipe(new_norm, sizeof(new_norm));
	return rc;
}
