/* C_FindObjects*: templates (empty, class, category, id, label, value,
 * wrong lengths), paging, the snapshot taken at Init, private objects only
 * after login, the signing token before and after login, and every error
 * state (PKCS#11 v2.40 §5.7.7-9). */
#include "config.h"

#include "jpki/pkcs11-3.h"
#include "tests/p11/p11-test.h"

static CK_ULONG find(CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG n,
                     CK_OBJECT_HANDLE *out)
{
	CK_ULONG count = 0;

	if (F->C_FindObjectsInit(h, tmpl, n) != CKR_OK)
		return 999;
	if (F->C_FindObjects(h, out, 16, &count) != CKR_OK)
		count = 998;
	if (F->C_FindObjectsFinal(h) != CKR_OK)
		count = 997;
	return count;
}

/* The CKA_VALUE of h (certificate), compared with a fixture file. */
static int value_is(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, const char *file)
{
	size_t len;
	uint8_t *want = fixture_file(1, file, &len), buf[4096];
	CK_ATTRIBUTE a = { CKA_VALUE, buf, sizeof(buf) };
	int r = F->C_GetAttributeValue(s, h, &a, 1) == CKR_OK && a.ulValueLen == len &&
	        memcmp(buf, want, len) == 0;

	free(want);
	return r;
}

int main(void)
{
	pt_card t;
	CK_SESSION_HANDLE ha, hs, ha2;
	CK_OBJECT_HANDLE o[16], all[16];
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ULONG cat = 1, n, i, cls4 = 0;
	CK_BBOOL yes = CK_TRUE;
	uint8_t id[20];
	X509 *x = pt_cert(1, "auth.der");
	const char *label = "JPKI User Authentication";
	CK_ATTRIBUTE t_cls = { CKA_CLASS, &cls, sizeof(cls) };
	CK_ATTRIBUTE t_cert1[2] = { { CKA_CLASS, &cls, sizeof(cls) },
	                            { CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat) } };
	CK_ATTRIBUTE t_id = { CKA_ID, id, sizeof(id) };
	CK_ATTRIBUTE t_label = { CKA_LABEL, (void *)label, 0 };
	CK_ATTRIBUTE t_priv = { CKA_PRIVATE, &yes, sizeof(yes) };
	CK_ATTRIBUTE t_token = { CKA_TOKEN, &yes, sizeof(yes) };
	CK_ATTRIBUTE t_short = { CKA_CLASS, &cls4, 4 };
	CK_ATTRIBUTE t_sens = { CKA_PRIVATE_EXPONENT, id, sizeof(id) };
	CK_OBJECT_CLASS cls_profile = CKO_PROFILE;
	CK_ULONG profile_id = CKP_PUBLIC_CERTIFICATES_TOKEN;
	CK_ATTRIBUTE t_profile[2] = { { CKA_CLASS, &cls_profile, sizeof(cls_profile) },
	                              { CKA_PROFILE_ID, &profile_id, sizeof(profile_id) } };
	CK_RV rv;
	unsigned long apdus;
	const char *log = "test-find.apdu.log";

	t_label.ulValueLen = strlen(label);
	pt_key_id(x, id);
	X509_free(x);
	pt_start(&t, 1, NULL);
	remove(log);
	jp_emu_log_to(t.e, log);
	ha = pt_open(&t, PT_AUTH);
	hs = pt_open(&t, PT_SIGN);

	/* ---- authentication token before login ---- */
	is_int(find(ha, NULL, 0, all), 4, "empty template: 4 objects before login");
	is_int(find(ha, &t_cls, 1, o), 2, "class certificate: 2");
	n = find(ha, t_cert1, 2, o);
	ok(n == 1 && value_is(ha, o[0], "auth.der"), "category 1: the holder's certificate");
	cat = 2;
	n = find(ha, t_cert1, 2, o);
	ok(n == 1 && value_is(ha, o[0], "auth-ca.der"), "category 2: the CA certificate");
	is_int(find(ha, &t_id, 1, o), 2, "CKA_ID: certificate and public key");
	/* The certificate and its public key share the label (the private key
	 * too, once logged in): NSS and pkcs11: URIs rely on that. */
	n = find(ha, &t_label, 1, o);
	ok(n == 2 && (value_is(ha, o[0], "auth.der") || value_is(ha, o[1], "auth.der")),
	   "by label: the certificate and its public key");
	t_label.ulValueLen--;
	is_int(find(ha, &t_label, 1, o), 0, "a label prefix does not match");
	is_int(find(ha, &t_priv, 1, o), 0, "CKA_PRIVATE true: nothing before login");
	is_int(find(ha, &t_token, 1, o), 4, "CKA_TOKEN true: all");
	is_int(find(ha, t_profile, 2, o), 1, "the public-certificates profile (v3.0 §4.13)");
	is_int(find(ha, &t_short, 1, o), 0, "a 4-byte CKA_CLASS matches nothing");
	is_int(find(ha, &t_sens, 1, o), 0, "a sensitive attribute matches nothing");

	/* Paging. */
	is_int(F->C_FindObjectsInit(ha, NULL, 0), CKR_OK, "FindObjectsInit");
	for (i = 0; i < 4; i++) {
		rv = F->C_FindObjects(ha, o, 1, &n);
		ok(rv == CKR_OK && n == 1 && o[0] == all[i], "page %lu: one object, in order", i);
	}
	rv = F->C_FindObjects(ha, o, 1, &n);
	ok(rv == CKR_OK && n == 0, "then none");
	rv = F->C_FindObjects(ha, o, 0, &n);
	ok(rv == CKR_OK && n == 0, "max 0: none");
	is_int(F->C_FindObjectsFinal(ha), CKR_OK, "FindObjectsFinal");

	/* Errors. */
	is_int(F->C_FindObjects(ha, o, 1, &n), CKR_OPERATION_NOT_INITIALIZED,
	       "C_FindObjects without init");
	is_int(F->C_FindObjectsFinal(ha), CKR_OPERATION_NOT_INITIALIZED,
	       "C_FindObjectsFinal without init");
	is_int(F->C_FindObjectsInit(ha, NULL, 1), CKR_ARGUMENTS_BAD, "NULL template, count 1");
	is_int(F->C_FindObjectsInit(0x7fff0000UL, NULL, 0), CKR_SESSION_HANDLE_INVALID,
	       "unknown session");
	is_int(F->C_FindObjectsInit(ha, NULL, 0), CKR_OK, "FindObjectsInit");
	is_int(F->C_FindObjectsInit(ha, NULL, 0), CKR_OPERATION_ACTIVE, "again: active");
	is_int(F->C_FindObjects(ha, o, 1, NULL), CKR_ARGUMENTS_BAD, "NULL count");
	is_int(F->C_FindObjects(ha, NULL, 1, &n), CKR_ARGUMENTS_BAD, "NULL output");

	/* ---- the snapshot: a login during a find changes nothing ---- */
	/* (the find above is still active) */
	is_int(pt_login(ha, CKU_USER, fixture_pin(1, PT_AUTH)), CKR_OK, "login during a find");
	rv = F->C_FindObjects(ha, o, 16, &n);
	ok(rv == CKR_OK && n == 4, "the snapshot from before login: 4 objects (%lu)", n);
	is_int(F->C_FindObjectsFinal(ha), CKR_OK, "FindObjectsFinal");
	is_int(find(ha, NULL, 0, o), 5, "after login: 5 objects");
	is_int(find(ha, &t_id, 1, o), 3, "CKA_ID: certificate, public and private key");
	cls = CKO_PRIVATE_KEY;
	is_int(find(ha, &t_cls, 1, o), 1, "class private key: 1");
	is_int(find(ha, &t_priv, 1, o), 1, "CKA_PRIVATE true: the private key");
	/* Another session of the same token shares the login (§6.7.1). */
	ha2 = pt_open(&t, PT_AUTH);
	is_int(find(ha2, NULL, 0, o), 5, "a second session sees the private key too");
	/* Two finds in two sessions at once. */
	ok(F->C_FindObjectsInit(ha, NULL, 0) == CKR_OK &&
	   F->C_FindObjectsInit(ha2, &t_cls, 1) == CKR_OK, "finds in two sessions");
	ok(F->C_FindObjects(ha2, o, 16, &n) == CKR_OK && n == 1, "second session: its own result");
	ok(F->C_FindObjects(ha, o, 16, &n) == CKR_OK && n == 5, "first session: its own result");
	F->C_FindObjectsFinal(ha);
	F->C_FindObjectsFinal(ha2);

	/* ---- the signing token ---- */
	apdus = jp_emu_apdu_count(t.e);
	cls = CKO_CERTIFICATE;
	n = find(hs, NULL, 0, o);
	ok(n == 1 && value_is(hs, o[0], "sign-ca.der"), "sign token before login: the CA only");
	is_int(find(hs, &t_cls, 1, o), 1, "one certificate");
	is_int(pt_log_count(log, "> 00A4020C020001"), 0, "EF 0001 was never selected");
	(void)apdus;
	is_int(pt_login(hs, CKU_USER, fixture_pin(1, PT_SIGN)), CKR_OK, "sign login");
	is_int(find(hs, NULL, 0, o), 4, "after login: 4 objects");
	cat = 1;
	n = find(hs, t_cert1, 2, o);
	ok(n == 1 && value_is(hs, o[0], "sign.der"), "the signing certificate");
	is_int(F->C_Logout(hs), CKR_OK, "sign logout");
	n = find(hs, NULL, 0, o);
	ok(n == 1 && value_is(hs, o[0], "sign-ca.der"), "after logout: the CA only again");
	is_int(find(ha, NULL, 0, o), 4,
	       "the auth token was logged out by the same power cycle: 4 objects");

	jp_emu_log_to(t.e, NULL);
	remove(log);
	pt_stop(&t);
	is_int(F->C_FindObjectsInit(ha, NULL, 0), CKR_CRYPTOKI_NOT_INITIALIZED,
	       "after C_Finalize");
	done_testing();
}
