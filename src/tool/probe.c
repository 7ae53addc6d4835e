/* jpki probe: after the authentication PIN, one signature over a random
 * hash through each way of signing the card may support (doc/card.md §11),
 * each verified on the host against the authentication certificate:
 *   PKCS#1 v1.5 (80 2A 00 80, a DigestInfo): every card;
 *   RSASSA-PSS (80 2A 04 80, a SHA-256 hash; MGF1-SHA-256, 32-byte salt):
 *   claimed by one source only.
 * The first signature also tells whether the card signs by short EF
 * identifier (P2 80|SFI, no SELECT of the key EF): the card layer tries
 * that first and falls back to SELECT + sign in the same call, remembering
 * the answer (jp_card_sfi_avail), so no extra signature is needed for it.
 * One VERIFY; the card is power cycled afterwards. A signature is printed
 * as verified or not, never itself. */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include <openssl/rand.h>

#include "jpki/crypto.h"
#include "jpki/mem.h"
#include "tool.h"

static int run_probe(jp_tool *t, jp_card *card)
{
	uint8_t hash[JP_SHA256_LEN], di[JP_DIGESTINFO_MAX], sig[JP_SIGNATURE_LEN];
	size_t di_len = sizeof(di), sig_len = sizeof(sig), cert_len = 0, pin_len = 0;
	const uint8_t *cert = NULL;
	char pin[JP_PIN_BUF];
	int tries = -1, rc = JP_EXIT_ERROR, pkcs1 = 0, pss = 0;
	jp_avail sfi;
	jp_err e;

	memset(pin, 0, sizeof(pin));
	e = jp_card_read_cert(card, JP_CERT_AUTH, &cert, &cert_len);
	if (e == JP_OK)
		e = jp_card_pin_tries(card, JP_KEY_AUTH, &tries);
	if (e != JP_OK) {
		fprintf(t->err, "jpki: %s\n", jp_err_message(e));
		goto out;
	}
	fprintf(t->err, _("PIN for user authentication: %d of %d tries left\n"), tries,
	        jp_pin_max_tries(JP_KEY_AUTH));
	if (tries == 0 || (tries == 1 && !jp_ask_yes(t, _("Only ONE try is left: a wrong current "
	                                                  "PIN blocks it. Continue? [y/N] "))))
		goto out;
	if (jp_pin_read(t, _("Current PIN: "), pin, &pin_len) != 0)
		goto out;
	e = jp_card_verify(card, JP_KEY_AUTH, (const uint8_t *)pin, pin_len, &tries);
	jp_wipe(pin, sizeof(pin));
	if (e != JP_OK) {
		fprintf(t->err, "jpki: %s\n", jp_err_message(e));
		rc = JP_EXIT_ACTION;
		goto out;
	}
	if (RAND_bytes(hash, sizeof(hash)) != 1 ||
	    jp_digestinfo(JP_HASH_SHA256, hash, sizeof(hash), di, &di_len) != JP_OK)
		goto unverify;

	e = jp_card_sign(card, JP_KEY_AUTH, di, di_len, sig, &sig_len);
	if (e == JP_OK)
		e = jp_rsa_verify_raw(cert, cert_len, di, di_len, sig, sig_len);
	pkcs1 = e == JP_OK;
	fprintf(t->out, "pkcs1 (P1 00, a DigestInfo): %s\n",
	        pkcs1 ? "works, signature verified" : jp_err_str(e));
	/* Known only from a signature the card made: a failed one may have
	 * ended before the card said anything about P2 80|SFI. */
	sfi = pkcs1 ? jp_card_sfi_avail(card) : JP_AVAIL_UNKNOWN;
	fprintf(t->out, "sfi (P2 80|SFI, sign without SELECT): %s\n",
	        sfi == JP_AVAIL_PRESENT ? "works" :
	        sfi == JP_AVAIL_ABSENT ? "not supported: SELECT + sign" : "unknown");

	sig_len = sizeof(sig);
	e = jp_card_sign_scheme(card, JP_KEY_AUTH, JP_SIGN_PSS_SHA256, hash, sizeof(hash), sig,
	                        &sig_len);
	if (e == JP_OK)
		e = jp_rsa_verify_pss(cert, cert_len, hash, sizeof(hash), sig, sig_len);
	pss = e == JP_OK && jp_card_pss_avail(card) == JP_AVAIL_PRESENT;
	fprintf(t->out, "pss (P1 04, SHA-256, MGF1-SHA-256, salt 32): %s\n",
	        pss ? "works, signature verified" :
	        e == JP_E_WRONG_P1P2 ? "not supported (6A86)" : jp_err_str(e));
	/* No advice from signatures the host could not verify. */
	if (!pkcs1)
		;
	else if (pss)
		fputs(_("The card signs RSA-PSS: set the module option pss=yes "
		        "(TLS 1.3 client authentication may then work).\n"), t->out);
	else
		fputs(_("The card signs PKCS#1 v1.5 only: leave pss=no and use TLS 1.2 "
		        "for client authentication.\n"), t->out);
	if (pkcs1 && sfi != JP_AVAIL_UNKNOWN)
		fputs(_("Signing by short EF identifier: the module finds out by itself, "
		        "nothing to set.\n"), t->out);
	rc = pkcs1 ? JP_EXIT_OK : JP_EXIT_ERROR;
unverify:
	(void)jp_card_unverify(card);
out:
	jp_wipe(pin, sizeof(pin));
	jp_wipe(sig, sizeof(sig));
	return rc;
}

int jp_cmd_probe(jp_tool *t, int argc, char **argv)
{
	const char *reader = NULL;
	jp_readers rd;
	jp_card *card = NULL;
	size_t idx = 0;
	int rc = JP_EXIT_ERROR;

	memset(&rd, 0, sizeof(rd));
	if (jp_pin_command_opts(t, argc, argv, &reader) != 0 || optind != argc)
		goto usage;
	if (jp_open_one(t, &rd, reader, &card, &idx) == JP_OK)
		rc = run_probe(t, card);
	goto out;
usage:
	fputs(_("usage: jpki probe [--reader NAME] [--pin-stdin]\n"), t->err);
out:
	jp_card_close(card);
	jp_readers_close(&rd);
	return rc;
}
