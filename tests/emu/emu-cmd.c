/* The JPKI AP's commands as doc/card.md §2–§4 describes them: SELECT,
 * READ BINARY, VERIFY, CHANGE REFERENCE DATA, COMPUTE DIGITAL SIGNATURE. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/rsa.h>
#include <openssl/crypto.h>
#include "jpki/sleep.h"
#include "emu-int.h"

#define SW_OK              0x9000
#define SW_WRONG_LENGTH    0x6700
#define SW_SECURITY        0x6982
#define SW_BLOCKED         0x6984
#define SW_NO_CURRENT_EF   0x6986
#define SW_NOT_FOUND       0x6A82
#define SW_WRONG_P1P2      0x6A86
#define SW_OFFSET          0x6B00
#define SW_BAD_INS         0x6D00
#define SW_BAD_CLA         0x6E00
#define SW_NO_SM           0x6882
#define SW_INTERNAL        0x6F00

/* doc/card.md §2 */
static const uint8_t aid_jpki[10] = { 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01 };
/* Other applications on the card (券面事項入力補助AP …04 08, 券面事項確認AP
 * …04 02, 住基AP …04 01): selecting one clears the JPKI state (§1). */
/* The GlobalPlatform Issuer Security Domain (§11). */
static const uint8_t aid_isd[7] = { 0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00 };
static const uint8_t aid_other_prefix[9] = { 0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04 };

void emu_clear_security(jp_emu *e)
{
	e->verified[EMU_AUTH] = 0;
	e->verified[EMU_SIGN] = 0;
}

static int emu_is_smartphone(const jp_emu *e)
{
	return e->opts.kind == JP_EMU_ANDROID || e->opts.kind == JP_EMU_IPHONE;
}

static int pin_of_ef(int fid)
{
	return fid == EF_AUTH_PIN ? EMU_AUTH : fid == EF_SIGN_PIN ? EMU_SIGN : -1;
}

static int key_of_ef(int fid)
{
	return fid == EF_AUTH_KEY ? EMU_AUTH : fid == EF_SIGN_KEY ? EMU_SIGN : -1;
}

static uint16_t cmd_select(jp_emu *e, const emu_apdu *a)
{
	uint16_t sw = SW_OK;

	if (a->p2 != 0x0C && a->p2 != 0x00) {
		sw = SW_WRONG_P1P2;
	} else if (a->p1 == 0x04) {
		if (a->lc == sizeof(aid_jpki) && memcmp(a->data, aid_jpki, a->lc) == 0) {
			if (e->opts.kind == JP_EMU_NOT_JPKI) {
				sw = SW_NOT_FOUND;
			} else {
				/* §6: by default a re-select keeps the verified state. */
				if (e->opts.clear_on_reselect)
					emu_clear_security(e);
				e->app = EMU_APP_JPKI;
				e->cur_ef = EF_NONE;
			}
		} else if (a->lc == sizeof(aid_isd) && memcmp(a->data, aid_isd, a->lc) == 0) {
			/* §11: the Issuer Security Domain returns the card to
			 * its power-on state, verified PINs gone. */
			emu_clear_security(e);
			e->app = EMU_APP_NONE;
			e->cur_ef = EF_NONE;
		} else if (a->lc == 10 && memcmp(a->data, aid_other_prefix, 9) == 0 &&
		           a->data[9] >= 0x01 && a->data[9] <= 0x08) {
			emu_clear_security(e);
			e->app = EMU_APP_OTHER;
			e->cur_ef = EF_NONE;
		} else {
			sw = SW_NOT_FOUND;
		}
	} else if (a->p1 == 0x00) {
		/* §11: no ISO SELECT of the MF. Without data (or with 3F00's
		 * id, 6A82) it is refused after a reset; once an application
		 * is current it answers 9000 and changes nothing. */
		if (a->lc == 2 && a->data[0] == 0x3F && a->data[1] == 0x00)
			sw = SW_NOT_FOUND;
		else if (a->lc != 0 || e->app == EMU_APP_NONE)
			sw = SW_WRONG_P1P2;
	} else if (a->p1 == 0x02) {
		if (a->lc != 2) {
			sw = SW_WRONG_LENGTH;
		} else {
			int fid = (a->data[0] << 8) | a->data[1];
			if (e->app != EMU_APP_JPKI || !emu_file_exists(e, fid)) {
				/* A failed SELECT leaves no current EF, so a
				 * following READ cannot silently read the old one. */
				e->cur_ef = EF_NONE;
				sw = SW_NOT_FOUND;
			} else {
				e->cur_ef = fid;
			}
		}
	} else {
		sw = SW_WRONG_P1P2;
	}
	return sw;
}

static size_t cmd_read(jp_emu *e, const emu_apdu *a, uint8_t *rsp, uint16_t *sw)
{
	emu_buf f = { NULL, 0 };
	size_t off, n = 0;

	*sw = SW_OK;
	if (a->p1 & 0x80) {
		*sw = SW_WRONG_P1P2;   /* short EF identifiers: not played */
		goto out;
	}
	if (!a->has_le || a->lc != 0) {
		*sw = SW_WRONG_LENGTH;
		goto out;
	}
	if (e->app != EMU_APP_JPKI || e->cur_ef == EF_NONE) {
		*sw = SW_NO_CURRENT_EF;
		goto out;
	}
	if (pin_of_ef(e->cur_ef) >= 0 || key_of_ef(e->cur_ef) >= 0) {
		*sw = SW_SECURITY;     /* keys and PINs are never readable */
		goto out;
	}
	if (e->cur_ef == EF_SIGN_CERT &&
	    (!e->verified[EMU_SIGN] || e->opts.no_sign == JP_EMU_SIGN_DENIED)) {
		*sw = SW_SECURITY;     /* §3: only after VERIFY of 001B */
		goto out;
	}
	if (e->cur_ef == EF_AUTH_CERT && emu_is_smartphone(e) && !e->verified[EMU_AUTH]) {
		*sw = SW_SECURITY;     /* §11: the phone tokens want the auth PIN */
		goto out;
	}
	if (emu_file_content(e, e->cur_ef, &f) != 0) {
		*sw = SW_INTERNAL;
		goto out;
	}
	off = ((size_t)a->p1 << 8) | a->p2;
	if (off >= f.len) {
		*sw = SW_OFFSET;       /* §4: past the end */
		goto out;
	}
	/* §4: a read straddling the end returns what is left, 9000. */
	n = f.len - off;
	if (n > a->ne)
		n = a->ne;
	memcpy(rsp, f.data + off, n);
out:
	free(f.data);
	return n;
}

static uint16_t tries_sw(int tries)
{
	return (uint16_t)(0x63C0 | (tries & 0x0F));
}

static uint16_t cmd_verify(jp_emu *e, const emu_apdu *a)
{
	int k = pin_of_ef(e->cur_ef);
	emu_pin *p;
	uint16_t sw;

	if (a->p1 != 0x00 || a->p2 != 0x80)
		return SW_WRONG_P1P2;
	if (e->app != EMU_APP_JPKI || k < 0)
		return SW_NO_CURRENT_EF;
	p = &e->pin[k];
	if (a->lc == 0) {
		/* §4: the retry query never says whether the PIN is verified. */
		if (p->tries == 0)
			return e->opts.blocked_query_sw ? e->opts.blocked_query_sw : 0x63C0;
		return tries_sw(p->tries);
	}
	e->verifies++;
	if (p->tries == 0)
		return e->opts.blocked_verify_sw ? e->opts.blocked_verify_sw : SW_BLOCKED;
	/* Bytes compared exactly: a lowercase or malformed PIN burns a try. */
	if (a->lc == p->len && CRYPTO_memcmp(a->data, p->value, p->len) == 0) {
		e->verified[k] = 1;
		sw = SW_OK;
		if (p->tries != p->max_tries) {
			p->tries = p->max_tries;
			emu_state_save(e);
		}
	} else {
		e->verified[k] = 0;
		p->tries--;
		emu_state_save(e);
		sw = tries_sw(p->tries);
	}
	return sw;
}

static uint16_t cmd_change(jp_emu *e, const emu_apdu *a)
{
	int k = pin_of_ef(e->cur_ef);
	emu_pin *p;

	if (a->p1 != 0x01 || a->p2 != 0x80)
		return SW_WRONG_P1P2;
	if (e->app != EMU_APP_JPKI || k < 0)
		return SW_NO_CURRENT_EF;
	p = &e->pin[k];
	if (p->tries == 0)
		return SW_BLOCKED;
	if (!e->verified[k])
		return SW_SECURITY;
	if (a->lc == 0 || a->lc > EMU_PIN_MAX)
		return SW_WRONG_LENGTH;
	memcpy(p->value, a->data, a->lc);
	p->len = a->lc;
	emu_state_save(e);
	return SW_OK;
}

/* One RSA private-key operation. md NULL: PKCS#1 v1.5 type-01 padding of
 * the input as given (what P1 00 does, §4); else the DigestInfo of md, or
 * PSS with MGF1(md) and a digest-length salt. */
static int rsa_sign(jp_emu *e, EVP_PKEY *key, const EVP_MD *md, int pss, const uint8_t *in,
                    size_t in_len, uint8_t *out, size_t *out_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(e->libctx, key, NULL);
	int rc = -1;

	if (ctx == NULL || EVP_PKEY_sign_init(ctx) <= 0)
		goto out;
	if (EVP_PKEY_CTX_set_rsa_padding(ctx, pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) <= 0)
		goto out;
	if (md != NULL && EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0)
		goto out;
	if (pss && (EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
	            EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) <= 0))
		goto out;
	if (EVP_PKEY_sign(ctx, out, out_len, in, in_len) <= 0)
		goto out;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* P1 01..05 (doc/card.md §11, one source; played only with opts.pss, each
 * refused again by opts.sign_p1_off): 01 SHA-256 on card, bare hash padded;
 * 02 given hash in a DigestInfo; 03 SHA-256 on card in a DigestInfo; 04
 * given hash, PSS (MGF1-SHA-256, 32-byte random salt); 05 SHA-256 on card,
 * PSS. P2 80 = the current EF; 80|SFI = that key EF (unless opts.no_sfi_sw). */
static size_t cmd_sign(jp_emu *e, const emu_apdu *a, uint8_t *rsp, uint16_t *sw)
{
	int k = key_of_ef(e->cur_ef);
	uint8_t hash[32];
	const uint8_t *in = a->data;
	size_t in_len = a->lc, sig_len = JP_EMU_RSP_MAX - 2;
	const EVP_MD *md = NULL;
	int pss = 0, hash_on_card = 0;

	*sw = SW_OK;
	if (a->p1 > 0x05 || (a->p1 != 0x00 && !e->opts.pss) ||
	    (e->opts.sign_p1_off & (1u << a->p1))) {
		*sw = SW_WRONG_P1P2;
		goto fail;
	}
	if (a->p2 != 0x80) {
		/* P2 80|SFI names the key without a SELECT (§11). */
		if (e->opts.no_sfi_sw) {
			*sw = e->opts.no_sfi_sw;
			goto fail;
		}
		if (e->app != EMU_APP_JPKI) {
			*sw = SW_NO_CURRENT_EF;
			goto fail;
		}
		if (a->p2 == (0x80 | EF_AUTH_KEY) || a->p2 == (0x80 | EF_SIGN_KEY)) {
			if (!emu_file_exists(e, a->p2 & 0x1F)) {
				*sw = SW_NOT_FOUND;
				goto fail;
			}
			e->cur_ef = a->p2 & 0x1F;
			k = key_of_ef(e->cur_ef);
		} else {
			*sw = SW_WRONG_P1P2;
			goto fail;
		}
	}
	if (e->app != EMU_APP_JPKI || k < 0) {
		*sw = SW_NO_CURRENT_EF;
		goto fail;
	}
	if (!e->verified[k]) {
		*sw = SW_SECURITY;
		goto fail;
	}
	switch (a->p1) {
	case 0x00: break;
	case 0x01: hash_on_card = 1; break;
	case 0x02: md = EVP_sha256(); break;
	case 0x03: md = EVP_sha256(); hash_on_card = 1; break;
	case 0x04: md = EVP_sha256(); pss = 1; break;
	default:   md = EVP_sha256(); pss = 1; hash_on_card = 1; break;
	}
	if (in_len == 0 || (a->p1 == 0x00 && in_len > 245) ||
	    ((a->p1 == 0x02 || a->p1 == 0x04) && in_len != 32)) {
		*sw = SW_WRONG_LENGTH;
		goto fail;
	}
	if (hash_on_card) {
		if (EVP_Q_digest(e->libctx, "SHA256", NULL, in, in_len, hash, NULL) != 1) {
			*sw = SW_INTERNAL;
			goto fail;
		}
		in = hash;
		in_len = sizeof(hash);
	}
	if (e->opts.latency_sign_us)      /* µs, slept in whole ms (rounded up) */
		jp_sleep_ms((e->opts.latency_sign_us + 999) / 1000);
	if (rsa_sign(e, e->key[k], md, pss, in, in_len, rsp, &sig_len) != 0) {
		*sw = SW_INTERNAL;
		goto fail;
	}
	e->signs++;
	if (e->opts.garble_signatures)
		rsp[sig_len / 2] ^= 0x10;
	return sig_len;
fail:
	return 0;
}

size_t emu_cmd_run(jp_emu *e, const emu_apdu *a, uint8_t *rsp, uint16_t *sw)
{
	size_t n = 0;

	/* Secure-messaging CLA bytes are refused (§2). */
	if ((a->cla & 0x0C) != 0 && (a->cla & 0xF0) == 0x00) {
		*sw = SW_NO_SM;
		goto out;
	}
	if (a->cla != 0x00 && a->cla != 0x80) {
		*sw = SW_BAD_CLA;
		goto out;
	}
	switch (a->ins) {
	case 0xA4:
		*sw = a->cla == 0x00 ? cmd_select(e, a) : SW_BAD_CLA;
		break;
	case 0xB0:
		if (a->cla == 0x00)
			n = cmd_read(e, a, rsp, sw);
		else
			*sw = SW_BAD_CLA;
		break;
	case 0x20:
		*sw = a->cla == 0x00 ? cmd_verify(e, a) : SW_BAD_CLA;
		break;
	case 0x24:
		*sw = a->cla == 0x00 ? cmd_change(e, a) : SW_BAD_CLA;
		break;
	case 0x2A:
		if (a->cla == 0x80)
			n = cmd_sign(e, a, rsp, sw);
		else
			*sw = SW_BAD_CLA;
		break;
	default:
		*sw = SW_BAD_INS;
		break;
	}
out:
	return n;
}
