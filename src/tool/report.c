/* What a card says about itself, without spending a PIN try: the facts
 * behind "jpki status". Reads: EF 0006 (at open), the authentication
 * certificate, the signing CA when there is no authentication certificate
 * (for the serial), and the retry counter of each PIN (the empty VERIFY,
 * which uses no try: doc/card.md §4). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "jpki/crypto.h"
#include "jpki/mem.h"
#include "tool.h"

/* The subjectAltName otherNames of a JPKI signing certificate
 * (1.2.392.200149.8.5.5.N, doc/card.md §7): .1 name, .5 address. */
#define JP_OID_NAME "1.2.392.200149.8.5.5.1"
#define JP_OID_ADDRESS "1.2.392.200149.8.5.5.5"

const char *jp_kind_name(jp_kind k)
{
	switch (k) {
	case JP_KIND_NONE: return "none";
	case JP_KIND_MYNUMBER: return "mynumber";
	case JP_KIND_ANDROID: return "android";
	case JP_KIND_IPHONE: return "iphone";
	case JP_KIND_JUKI: return "juki";
	case JP_KIND_UNKNOWN: break;
	}
	return "unknown";
}

const char *jp_avail_name(jp_avail a)
{
	switch (a) {
	case JP_AVAIL_PRESENT: return "present";
	case JP_AVAIL_ABSENT: return "absent";
	case JP_AVAIL_UNKNOWN: break;
	}
	return "unknown";
}

static jp_kind kind_of(const jp_card *card)
{
	switch (jp_card_get_kind(card)) {
	case JP_CARD_KIND_MYNUMBER: return JP_KIND_MYNUMBER;
	case JP_CARD_KIND_ANDROID: return JP_KIND_ANDROID;
	case JP_CARD_KIND_IPHONE: return JP_KIND_IPHONE;
	case JP_CARD_KIND_UNKNOWN: break;
	}
	return JP_KIND_UNKNOWN;
}

static void report_init(jp_report *out)
{
	int k;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < 2; k++) {
		out->key[k].cert = JP_AVAIL_UNKNOWN;
		out->key[k].v.state = JP_STATE_UNKNOWN;
		out->key[k].tries = -1;
		out->key[k].max = jp_pin_max_tries((jp_key)k);
	}
}

void jp_report_unopened(jp_report *out, jp_err open_err)
{
	char name[JP_READER_NAME_MAX];

	memcpy(name, out->reader, sizeof(name));
	report_init(out);
	memcpy(out->reader, name, sizeof(name));
	switch (open_err) {
	case JP_E_NO_CARD:
		out->kind = JP_KIND_NONE;
		break;
	case JP_E_JUKI_CARD:
		out->kind = JP_KIND_JUKI;
		break;
	case JP_E_NOT_JPKI:
		out->kind = JP_KIND_UNKNOWN;
		break;
	default:
		out->kind = JP_KIND_UNKNOWN;
		out->err = open_err;
		break;
	}
}

/* Dates of a certificate into kr. */
static jp_err cert_dates(const uint8_t *der, size_t len, int64_t now, jp_key_report *kr)
{
	jp_cert_info ci;
	jp_err e;

	memset(&ci, 0, sizeof(ci));
	e = jp_cert_parse(der, len, &ci);
	if (e == JP_OK) {
		jp_validity_eval(ci.not_before_s, ci.not_after_s, now, &kr->v);
		kr->dates = 1;
	}
	jp_cert_info_free(&ci);
	return e;
}

jp_err jp_report_read(jp_card *card, int64_t now, jp_report *out)
{
	char name[JP_READER_NAME_MAX];
	const uint8_t *der = NULL;
	size_t len = 0;
	jp_key_report *auth = &out->key[JP_KEY_AUTH], *sign = &out->key[JP_KEY_SIGN];
	jp_key whose;
	jp_err e;

	memcpy(name, out->reader, sizeof(name));
	report_init(out);
	memcpy(out->reader, name, sizeof(name));
	out->kind = kind_of(card);
	e = jp_card_begin(card);
	if (e != JP_OK)
		goto out_nolock;

	/* Which certificates the card carries, without a PIN (EF 0008, or
	 * SELECT). On a smartphone the authentication certificate itself is
	 * behind the authentication PIN: its dates stay unknown here. */
	e = jp_card_cert_avail(card, JP_KEY_AUTH, &auth->cert);
	if (e == JP_OK)
		e = jp_card_cert_avail(card, JP_KEY_SIGN, &sign->cert);
	if (e != JP_OK)
		goto out;
	if (auth->cert == JP_AVAIL_ABSENT)
		e = JP_E_NO_KEY;
	else if (jp_card_cert_needs_pin(card, JP_CERT_AUTH, &whose))
		e = JP_E_SECURITY_STATUS;
	else
		e = jp_card_read_cert(card, JP_CERT_AUTH, &der, &len);
	if (e == JP_E_SECURITY_STATUS) {
		e = JP_OK;
	} else if (e == JP_OK) {
		auth->cert = JP_AVAIL_PRESENT;
		jp_cert_token_serial(der, len, out->serial);
		e = cert_dates(der, len, now, auth);
	} else if (e == JP_E_NO_KEY) {
		auth->cert = JP_AVAIL_ABSENT;
		auth->v.state = JP_STATE_ABSENT;
		/* The module's fallback serial (src/p11/token.c). */
		if (jp_card_read_cert(card, JP_CERT_SIGN_CA, &der, &len) == JP_OK)
			jp_cert_token_serial(der, len, out->serial);
		e = JP_OK;
	}
	if (e != JP_OK)
		goto out;

	e = jp_card_pin_tries(card, JP_KEY_AUTH, &auth->tries);
	if (e == JP_E_NO_KEY) {
		auth->tries = -1;
		e = JP_OK;
	}
	if (e != JP_OK)
		goto out;

	/* No signing password file: no signing key (holders under 15,
	 * doc/card.md §3). */
	e = jp_card_pin_tries(card, JP_KEY_SIGN, &sign->tries);
	if (e == JP_E_NO_KEY) {
		sign->tries = -1;
		sign->cert = JP_AVAIL_ABSENT;
		e = JP_OK;
	}
	if (sign->cert == JP_AVAIL_ABSENT)
		sign->v.state = JP_STATE_ABSENT;
out:
	jp_card_end(card);
out_nolock:
	out->err = e;
	return e;
}

static void other_name(const GENERAL_NAME *gn, const char *oid, char *out, size_t out_len)
{
	char id[64];
	const ASN1_TYPE *v;

	if (gn->type != GEN_OTHERNAME ||
	    OBJ_obj2txt(id, sizeof(id), gn->d.otherName->type_id, 1) <= 0 || strcmp(id, oid) != 0)
		return;
	v = gn->d.otherName->value;
	if (v != NULL && v->type == V_ASN1_UTF8STRING)
		snprintf(out, out_len, "%.*s", v->value.utf8string->length,
		         (const char *)v->value.utf8string->data);
}

static void personal_data(const uint8_t *der, size_t len, jp_report *out)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	GENERAL_NAMES *names = x ? X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL) : NULL;
	int i;

	for (i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		other_name(sk_GENERAL_NAME_value(names, i), JP_OID_NAME, out->name, sizeof(out->name));
		other_name(sk_GENERAL_NAME_value(names, i), JP_OID_ADDRESS, out->address,
		           sizeof(out->address));
	}
	out->personal = 1;
	GENERAL_NAMES_free(names);
	X509_free(x);
}

void jp_report_wipe(jp_report *r, size_t n)
{
	size_t i;

	for (i = 0; r != NULL && i < n; i++) {
		jp_wipe(r[i].name, sizeof(r[i].name));
		jp_wipe(r[i].address, sizeof(r[i].address));
	}
}

jp_err jp_report_read_sign(jp_card *card, int64_t now, int personal, jp_report *out)
{
	jp_key_report *sign = &out->key[JP_KEY_SIGN];
	const uint8_t *der = NULL;
	size_t len = 0;
	jp_err e;

	e = jp_card_read_cert(card, JP_CERT_SIGN, &der, &len);
	if (e == JP_OK) {
		sign->cert = JP_AVAIL_PRESENT;
		e = cert_dates(der, len, now, sign);
		if (e == JP_OK && personal)
			personal_data(der, len, out);
	} else if (e == JP_E_NO_KEY) {
		sign->cert = JP_AVAIL_ABSENT;
		sign->v.state = JP_STATE_ABSENT;
		e = JP_OK;
	}
	return e;
}

static int key_needs_action(const jp_key_report *kr)
{
	int act = 0;

	if (kr->cert == JP_AVAIL_PRESENT && kr->dates && kr->v.state != JP_STATE_VALID)
		act = 1;
	/* Blocked, or one mistake away from it. */
	if (kr->tries == 0 || kr->tries == 1)
		act = 1;
	return act;
}

int jp_report_needs_action(const jp_report *r)
{
	return r->kind == JP_KIND_JUKI || key_needs_action(&r->key[JP_KEY_AUTH]) ||
	       key_needs_action(&r->key[JP_KEY_SIGN]);
}
