/* The emulated card's files and keys: loaded from a fixture directory made
 * by make-test-pki.sh, and shown as the JPKI AP's EFs (doc/card.md §3). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>
#include "emu-int.h"

static int read_file(const char *dir, const char *name, emu_buf *out)
{
	char path[4096];
	FILE *f = NULL;
	uint8_t *buf = NULL;
	long len;
	int rc = -1;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		goto out;
	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "jpki-emu: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc((size_t)len);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len)
		goto out;
	out->data = buf;
	out->len = (size_t)len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (f != NULL)
		fclose(f);
	return rc;
}

static EVP_PKEY *read_key(OSSL_LIB_CTX *libctx, const char *dir, const char *name)
{
	emu_buf der = { NULL, 0 };
	EVP_PKEY *k = NULL;
	const unsigned char *p;

	if (read_file(dir, name, &der) != 0)
		goto out;
	p = der.data;
	k = d2i_AutoPrivateKey_ex(NULL, &p, (long)der.len, libctx, NULL);
	if (k == NULL)
		fprintf(stderr, "jpki-emu: %s/%s: not a private key\n", dir, name);
out:
	if (der.data != NULL)
		OPENSSL_cleanse(der.data, der.len);
	free(der.data);
	return k;
}

/* pins.txt: "auth 1234\nsign ABC123\n". */
static int read_pins(jp_emu *e, const char *dir)
{
	emu_buf txt = { NULL, 0 };
	char *s = NULL, *line, *save = NULL;
	int found = 0, rc = -1;

	if (read_file(dir, "pins.txt", &txt) != 0)
		goto out;
	s = malloc(txt.len + 1);
	if (s == NULL)
		goto out;
	memcpy(s, txt.data, txt.len);
	s[txt.len] = '\0';
	for (line = strtok_r(s, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		int k = strncmp(line, "auth ", 5) == 0 ? EMU_AUTH :
		        strncmp(line, "sign ", 5) == 0 ? EMU_SIGN : -1;
		size_t n;
		if (k < 0)
			continue;
		n = strlen(line + 5);
		if (n == 0 || n > EMU_PIN_MAX)
			goto out;
		memcpy(e->pin[k].value, line + 5, n);
		e->pin[k].len = n;
		found |= 1 << k;
	}
	if (found == 3)
		rc = 0;
	else
		fprintf(stderr, "jpki-emu: %s/pins.txt: needs an auth and a sign line\n", dir);
out:
	free(txt.data);
	free(s);
	return rc;
}

int emu_files_load(jp_emu *e, const char *card_dir)
{
	int rc = -1;

	if (read_file(card_dir, "auth.der", &e->auth_cert) != 0 ||
	    read_file(card_dir, "sign.der", &e->sign_cert) != 0 ||
	    read_file(card_dir, "auth-ca.der", &e->auth_ca) != 0 ||
	    read_file(card_dir, "sign-ca.der", &e->sign_ca) != 0)
		goto out;
	/* With no provider loaded, the default one is loaded on first use. */
	e->libctx = OSSL_LIB_CTX_new();
	if (e->libctx == NULL)
		goto out;
	e->key[EMU_AUTH] = read_key(e->libctx, card_dir, "auth.key.der");
	e->key[EMU_SIGN] = read_key(e->libctx, card_dir, "sign.key.der");
	if (e->key[EMU_AUTH] == NULL || e->key[EMU_SIGN] == NULL)
		goto out;
	if (read_pins(e, card_dir) != 0)
		goto out;
	/* doc/card.md §5: 3 tries for the auth PIN, 5 for the password. */
	e->pin[EMU_AUTH].max_tries = e->pin[EMU_AUTH].tries = 3;
	e->pin[EMU_SIGN].max_tries = e->pin[EMU_SIGN].tries = 5;
	rc = 0;
out:
	return rc;
}

void emu_files_free(jp_emu *e)
{
	free(e->auth_cert.data);
	free(e->sign_cert.data);
	free(e->auth_ca.data);
	free(e->sign_ca.data);
	EVP_PKEY_free(e->key[EMU_AUTH]);
	EVP_PKEY_free(e->key[EMU_SIGN]);
	OSSL_LIB_CTX_free(e->libctx);
	OPENSSL_cleanse(e->pin, sizeof(e->pin));
}

int emu_file_exists(const jp_emu *e, int fid)
{
	switch (fid) {
	case EF_SIGN_CERT:
	case EF_SIGN_CA:
		if (e->opts.no_sign == JP_EMU_SIGN_CERTS_ABSENT)
			return 0;
		/* fall through */
	case EF_SIGN_KEY:
	case EF_SIGN_PIN:
		return e->opts.no_sign != JP_EMU_SIGN_NOT_FOUND;
	case EF_CERT_AVAIL:
		return e->opts.ef0008 != JP_EMU_EF0008_ABSENT;
	case EF_TOKEN_INFO:
	case EF_AUTH_CERT:
	case EF_AUTH_CA:
	case EF_AUTH_KEY:
	case EF_AUTH_PIN:
		return 1;
	default:
		return 0;
	}
}

/* doc/card.md §3, §11 */
const char *jp_emu_label(jp_emu_kind kind)
{
	switch (kind) {
	case JP_EMU_JUKI:
		return "JPKIAPICCTOKEN";
	case JP_EMU_ANDROID:
		return "JPKIAPGPSETOKEN";
	case JP_EMU_IPHONE:
		return "JPKIAPIOSTOKEN";
	default:
		return "JPKIAPICCTOKEN2";
	}
}

static void put_padded(uint8_t *dst, size_t n, const char *s)
{
	size_t l = strlen(s);
	memset(dst, ' ', n);
	memcpy(dst, s, l < n ? l : n);
}

static void put_u32(uint8_t *dst, uint32_t v)
{
	dst[0] = (uint8_t)(v >> 24);
	dst[1] = (uint8_t)(v >> 16);
	dst[2] = (uint8_t)(v >> 8);
	dst[3] = (uint8_t)v;
}

/* EF 0006: a 32-byte space-padded label, then the rest of a CK_TOKEN_INFO
 * with 32-bit big-endian integers (doc/card.md §3): manufacturer 32,
 * model 16, serial 16, 11 integers, two versions, utcTime 16 = 160. */
static void token_info(const jp_emu *e, uint8_t *p)
{
	static const uint32_t ints[11] = {
		0x00000405, /* flags: RNG | LOGIN_REQUIRED | TOKEN_INITIALIZED */
		1, 0, 1, 0, /* sessions */
		16, 4,      /* PIN length */
		0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF,
	};
	size_t i;

	put_padded(p, 32, jp_emu_label(e->opts.kind));
	put_padded(p + 32, 32, "JPKI-TEST EMULATOR");
	put_padded(p + 64, 16, "TEST CARD");
	put_padded(p + 80, 16, "0000000000000000");
	for (i = 0; i < 11; i++)
		put_u32(p + 96 + 4 * i, ints[i]);
	p[140] = '0';
	p[141] = '3';
	p[142] = '0';
	p[143] = '1';
	put_padded(p + 144, 16, "");
}

static int copy_cert(const jp_emu *e, const emu_buf *src, int zero, emu_buf *out)
{
	size_t n = src->len + e->opts.cert_filler;
	uint8_t *p = malloc(n ? n : 1);

	if (p == NULL)
		return -1;
	if (zero) {
		memset(p, 0, n);
	} else {
		memcpy(p, src->data, src->len);
		/* Filler after the DER object: clients must size the certificate
		 * from its header (doc/card.md §3). */
		memset(p + src->len, 0xFF, e->opts.cert_filler);
	}
	out->data = p;
	out->len = n;
	return 0;
}

int emu_file_content(const jp_emu *e, int fid, emu_buf *out)
{
	int rc = -1;

	out->data = NULL;
	out->len = 0;
	if (!emu_file_exists(e, fid))
		goto out;
	switch (fid) {
	case EF_SIGN_CERT:
		rc = copy_cert(e, &e->sign_cert, e->opts.no_sign == JP_EMU_SIGN_EMPTY, out);
		break;
	case EF_SIGN_CA:
		rc = copy_cert(e, &e->sign_ca, 0, out);
		break;
	case EF_AUTH_CERT:
		rc = copy_cert(e, &e->auth_cert, 0, out);
		break;
	case EF_AUTH_CA:
		rc = copy_cert(e, &e->auth_ca, 0, out);
		break;
	case EF_TOKEN_INFO:
		out->data = malloc(160);
		if (out->data == NULL)
			break;
		token_info(e, out->data);
		/* Some sources read only the label: play both layouts. */
		out->len = e->opts.ef0006_label_only ? 32 : 160;
		rc = 0;
		break;
	case EF_CERT_AVAIL:
		out->data = malloc(3);
		if (out->data == NULL)
			break;
		out->len = 3;
		/* Byte 0 the signing certificate, byte 1 the authentication
		 * one; 8F = present (doc/card.md §11). */
		if (e->opts.ef0008 == JP_EMU_EF0008_AUTO)
			out->data[0] = emu_file_exists(e, EF_SIGN_CERT) ? 0x8F : 0x00;
		else
			out->data[0] = e->opts.ef0008 == JP_EMU_EF0008_BOTH ? 0x8F : 0x00;
		out->data[1] = 0x8F;
		out->data[2] = 0x00;
		rc = 0;
		break;
	default:
		/* keys and PINs: exist, no readable content */
		rc = 0;
		break;
	}
out:
	return rc;
}
