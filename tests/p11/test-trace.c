/* The trace log (JPKI_PKCS11_DEBUG=level:5) says what each call was asked:
 * the slot, the session, the mechanism of C_SignInit / C_VerifyInit /
 * C_DigestInit, the key; and never a PIN, a signing password or the data
 * signed or digested (not even as hex). */
#include "config.h"

#include <ctype.h>
#include <unistd.h>

#include "jpki/pkcs11-3.h"
#include "tests/p11/p11-test.h"

static char logbuf[1 << 20];

/* The log without each line's time/pid prefix (digits there could match a
 * 4-digit PIN by chance): the text after "] LEVEL: ". */
static size_t read_messages(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	size_t n = 0;

	logbuf[0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		char *m = strstr(line, "] ");
		m = m ? strchr(m + 2, ' ') : NULL;
		m = m ? m + 1 : line;
		if (n + strlen(m) + 1 < sizeof(logbuf)) {
			memcpy(logbuf + n, m, strlen(m) + 1);
			n += strlen(m);
		}
	}
	if (f)
		fclose(f);
	return n;
}

static int has(const char *s)
{
	return strstr(logbuf, s) != NULL;
}

/* s or its bytes in hex (upper or lower case, with or without spaces). */
static int has_any_form(const char *s)
{
	char hex[4][256];
	size_t i, n = strlen(s);

	for (i = 0; i < 4; i++)
		hex[i][0] = 0;
	for (i = 0; i < n && i < 60; i++) {
		sprintf(hex[0] + strlen(hex[0]), "%02X", (unsigned char)s[i]);
		sprintf(hex[1] + strlen(hex[1]), "%02x", (unsigned char)s[i]);
		sprintf(hex[2] + strlen(hex[2]), "%s%02X", i ? " " : "", (unsigned char)s[i]);
		sprintf(hex[3] + strlen(hex[3]), "%s%02x", i ? " " : "", (unsigned char)s[i]);
	}
	return has(s) || has(hex[0]) || has(hex[1]) || has(hex[2]) || has(hex[3]);
}

static CK_OBJECT_HANDLE find_one(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls)
{
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
	CK_ULONG n = 0;

	if (F->C_FindObjectsInit(h, &t, 1) == CKR_OK) {
		F->C_FindObjects(h, &o, 1, &n);
		F->C_FindObjectsFinal(h);
	}
	return n == 1 ? o : CK_INVALID_HANDLE;
}

int main(void)
{
	static const char data[] = "TRACE-DATA-to-be-signed-Q7x";
	const char *pin_auth = fixture_pin(1, 0), *pin_sign = fixture_pin(1, 1);
	CK_MECHANISM sha256_rsa = { CKM_SHA256_RSA_PKCS, NULL, 0 }, sha384 = { CKM_SHA384, NULL, 0 };
	CK_MECHANISM rsa = { CKM_RSA_PKCS, NULL, 0 };
	CK_SLOT_ID slots[8];
	CK_SESSION_HANDLE ha, hs;
	CK_OBJECT_HANDLE priv, pub, spriv;
	CK_TOKEN_INFO ti;
	CK_BYTE sig[512], md[64];
	CK_ULONG n;
	char path[200], want[300];
	jp_emu *e;

	snprintf(path, sizeof(path), "%s/test-trace-%ld.log", P_tmpdir, (long)getpid());
	remove(path);
	snprintf(want, sizeof(want), "level:5,file:%s", path);
	setenv("JPKI_PKCS11_DEBUG", want, 1);
	pt_load();
	if (pt_reader_with_card("Emu Reader 0", 1, NULL, &e) < 0 || pt_init() != CKR_OK ||
	    pt_slots(CK_TRUE, slots, 8) < 2)
		bail_out("no card");
	F->C_GetTokenInfo(slots[0], &ti);
	F->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &ha);
	F->C_OpenSession(slots[1], CKF_SERIAL_SESSION, NULL, NULL, &hs);
	is_int(pt_login(ha, CKU_USER, pin_auth), CKR_OK, "auth login");
	priv = find_one(ha, CKO_PRIVATE_KEY);
	pub = find_one(ha, CKO_PUBLIC_KEY);
	is_int(F->C_SignInit(ha, &sha256_rsa, priv), CKR_OK, "SignInit");
	n = sizeof(sig);
	is_int(F->C_Sign(ha, (CK_BYTE_PTR)data, sizeof(data) - 1, sig, &n), CKR_OK, "Sign");
	is_int(F->C_VerifyInit(ha, &sha256_rsa, pub), CKR_OK, "VerifyInit");
	is_int(F->C_Verify(ha, (CK_BYTE_PTR)data, sizeof(data) - 1, sig, n), CKR_OK, "Verify");
	is_int(F->C_DigestInit(ha, &sha384), CKR_OK, "DigestInit");
	n = sizeof(md);
	is_int(F->C_Digest(ha, (CK_BYTE_PTR)data, sizeof(data) - 1, md, &n), CKR_OK, "Digest");
	/* The signing token: its password, twice (login and context login). */
	is_int(pt_login(hs, CKU_USER, pin_sign), CKR_OK, "sign login");
	spriv = find_one(hs, CKO_PRIVATE_KEY);
	/* A hashed mechanism: with CKM_RSA_PKCS the input itself goes to the
	 * card, and the card layer's APDU trace shows command bodies other
	 * than PINs. */
	is_int(F->C_SignInit(hs, &sha256_rsa, spriv), CKR_OK, "SignInit (signing key)");
	is_int(pt_login(hs, CKU_CONTEXT_SPECIFIC, pin_sign), CKR_OK, "context login");
	n = sizeof(sig);
	is_int(F->C_Sign(hs, (CK_BYTE_PTR)data, sizeof(data) - 1, sig, &n), CKR_OK, "Sign (signing key)");
	F->C_SignInit(ha, NULL, priv);
	F->C_DigestInit(ha, &rsa);          /* refused: not a digest */
	F->C_Finalize(NULL);

	ok(read_messages(path) > 0, "the trace log was written");
	snprintf(want, sizeof(want), "> C_GetTokenInfo slot=%lu", slots[0]);
	ok(has(want), "C_GetTokenInfo: the slot (%s)", want);
	snprintf(want, sizeof(want), "> C_OpenSession slot=%lu flags=0x4", slots[1]);
	ok(has(want), "C_OpenSession: the slot and flags (%s)", want);
	snprintf(want, sizeof(want), "> C_Login session=%lu user=1", ha);
	ok(has(want), "C_Login: the session and user type (%s)", want);
	snprintf(want, sizeof(want), "> C_SignInit session=%lu mechanism=0x40 (CKM_SHA256_RSA_PKCS) key=%lu",
	         ha, priv);
	ok(has(want), "C_SignInit: session, mechanism, key (%s)", want);
	snprintf(want, sizeof(want), "> C_SignInit session=%lu mechanism=0x40 (CKM_SHA256_RSA_PKCS) key=%lu",
	         hs, spriv);
	ok(has(want), "C_SignInit on the signing token (%s)", want);
	snprintf(want, sizeof(want), "> C_VerifyInit session=%lu mechanism=0x40 (CKM_SHA256_RSA_PKCS) key=%lu",
	         ha, pub);
	ok(has(want), "C_VerifyInit: session, mechanism, key (%s)", want);
	snprintf(want, sizeof(want), "> C_DigestInit session=%lu mechanism=0x260 (CKM_SHA384)", ha);
	ok(has(want), "C_DigestInit: session and mechanism (%s)", want);
	snprintf(want, sizeof(want), "> C_SignInit session=%lu mechanism=0x%lx (none)", ha,
	         (unsigned long)CK_UNAVAILABLE_INFORMATION);
	ok(has(want), "a NULL mechanism says so (%s)", want);
	snprintf(want, sizeof(want), "> C_DigestInit session=%lu mechanism=0x1 (CKM_RSA_PKCS)", ha);
	ok(has(want), "C_DigestInit with another mechanism (%s)", want);
	snprintf(want, sizeof(want), "> C_Sign session=%lu", hs);
	ok(has(want), "C_Sign: the session (%s)", want);
	ok(has("< C_Sign: 0x00000000"), "and its result");
	ok(!has_any_form(pin_auth), "the PIN is nowhere in the trace");
	ok(!has_any_form(pin_sign), "the signing password is nowhere in the trace");
	ok(!has_any_form(data), "the data signed and digested is nowhere in the trace");
	if (!getenv("KEEP_TRACE"))
		remove(path);
	jp_emu_free(e);
	done_testing();
}
