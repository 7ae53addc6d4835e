/* What the module does with a card, as one sequence for the fuzzer and
 * for the seed recorder: open/identify, read every certificate (and parse
 * what comes back), retry queries, VERIFY with valid PINs (those of the
 * fixture card-1, so recorded seeds follow the success paths), sign with
 * both keys, change a PIN, unverify. Nothing may crash or read out of
 * bounds, and what the card layer returns must respect its contract. */
#include "config.h"

#include <string.h>

#include "jpki/card.h"
#include "jpki/crypto.h"
#include "fuzz.h"

/* 63Cx carries at most 15. */
static void check_tries(jp_err rc, int tries)
{
	if (rc == JP_OK)
		FUZZ_ASSERT(tries >= 0 && tries <= 15);
}

/* A signature the card layer returned, checked against the certificate it
 * returned: exercises host verification on hostile material. */
static void try_verify(jp_card *card, jp_cert_id which, const uint8_t *in, size_t in_len,
                       const uint8_t *sig, size_t sig_len)
{
	const uint8_t *der;
	size_t der_len;

	if (jp_card_read_cert(card, which, &der, &der_len) == JP_OK)
		(void)jp_rsa_verify_raw(der, der_len, in, in_len, sig, sig_len);
}

void fuzz_card_scenario(jp_link *link)
{
	static const uint8_t auth_pin[] = "1234";
	static const uint8_t sign_pin[] = "abc123";
	static const uint8_t new_pin[] = "5678";
	uint8_t in[51], sig[JP_SIGNATURE_LEN];
	jp_card *card = NULL;
	jp_err rc;
	int id, tries, k;
	const uint8_t *der;
	size_t der_len, sig_len;

	/* The crypto layer's private OpenSSL context (a no-op once made). */
	FUZZ_ASSERT(jp_crypto_init() == JP_OK);
	rc = jp_card_open(link, &card);
	if (rc != JP_OK) {
		/* jp_card_open took the link and disconnected it. */
		FUZZ_ASSERT(card == NULL);
		return;
	}
	FUZZ_ASSERT(card != NULL);
	FUZZ_ASSERT(strlen(jp_card_label(card)) <= 32);

	for (id = 0; id < JP_CERT__COUNT; id++) {
		der = NULL;
		der_len = 0;
		rc = jp_card_read_cert(card, (jp_cert_id)id, &der, &der_len);
		if (rc == JP_OK) {
			jp_cert_info ci;
			FUZZ_ASSERT(der != NULL && der_len > 0);
			/* Touch every byte: ASan checks the buffer is that long. */
			(void)jp_digest(JP_HASH_SHA1, der, der_len, sig, &(size_t){ sizeof(sig) });
			if (jp_cert_parse(der, der_len, &ci) == JP_OK)
				jp_cert_info_free(&ci);
		}
	}
	for (k = 0; k < 2; k++) {
		tries = -1;
		rc = jp_card_pin_tries(card, (jp_key)k, &tries);
		check_tries(rc, tries);
	}

	memset(in, 0x5A, sizeof(in));
	tries = -1;
	rc = jp_card_verify(card, JP_KEY_AUTH, auth_pin, 4, &tries);
	FUZZ_ASSERT(rc != JP_E_PIN_LEN_RANGE && rc != JP_E_PIN_INVALID);
	sig_len = sizeof(sig);
	rc = jp_card_sign(card, JP_KEY_AUTH, in, sizeof(in), sig, &sig_len);
	if (rc == JP_OK) {
		FUZZ_ASSERT(sig_len <= JP_SIGNATURE_LEN);
		try_verify(card, JP_CERT_AUTH, in, sizeof(in), sig, sig_len);
	}

	rc = jp_card_verify(card, JP_KEY_SIGN, sign_pin, 6, NULL);
	FUZZ_ASSERT(rc != JP_E_PIN_LEN_RANGE && rc != JP_E_PIN_INVALID);
	rc = jp_card_read_cert(card, JP_CERT_SIGN, &der, &der_len);
	sig_len = sizeof(sig);
	rc = jp_card_sign(card, JP_KEY_SIGN, in, sizeof(in), sig, &sig_len);
	if (rc == JP_OK) {
		FUZZ_ASSERT(sig_len <= JP_SIGNATURE_LEN);
		try_verify(card, JP_CERT_SIGN, in, sizeof(in), sig, sig_len);
	}

	rc = jp_card_change_pin(card, JP_KEY_AUTH, auth_pin, 4, new_pin, 4, &tries);
	FUZZ_ASSERT(rc != JP_E_PIN_LEN_RANGE && rc != JP_E_PIN_INVALID);
	if (jp_card_begin(card) == JP_OK)
		jp_card_end(card);
	(void)jp_card_unverify(card);
	jp_card_forget_cert(card, JP_CERT_SIGN);
	jp_card_close(card);
}
