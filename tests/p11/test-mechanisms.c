/* C_GetMechanismList / C_GetMechanismInfo: exactly the advertised set, the
 * list and the info agree on both slots, the values (2048/2048,
 * CKF_HW|CKF_SIGN|CKF_VERIFY; CKF_DIGEST), no PSS, the output conventions
 * and the slot checks; no APDU once the token is known. */
#include "config.h"

#include "tests/p11/p11-test.h"

static const CK_MECHANISM_TYPE want[] = {
	CKM_RSA_PKCS, CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS, CKM_SHA256_RSA_PKCS,
	CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS,
	CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512,
};
#define NWANT (sizeof(want) / sizeof(want[0]))

static int is_digest(CK_MECHANISM_TYPE m)
{
	return m == CKM_SHA_1 || m == CKM_SHA224 || m == CKM_SHA256 || m == CKM_SHA384 ||
	       m == CKM_SHA512;
}

static void check_slot(CK_SLOT_ID slot, const char *what)
{
	CK_MECHANISM_TYPE list[32];
	CK_ULONG n = 0, i, j;
	CK_MECHANISM_INFO info;
	int found;
	CK_RV rv;

	rv = F->C_GetMechanismList(slot, NULL, &n);
	ok(rv == CKR_OK && n == NWANT, "%s: %lu mechanisms", what, n);
	n = 3;
	rv = F->C_GetMechanismList(slot, list, &n);
	ok(rv == CKR_BUFFER_TOO_SMALL && n == NWANT, "%s: room for 3: CKR_BUFFER_TOO_SMALL, count", what);
	n = 32;
	rv = F->C_GetMechanismList(slot, list, &n);
	ok(rv == CKR_OK && n == NWANT, "%s: the list", what);
	for (i = 0; i < NWANT; i++) {
		for (found = 0, j = 0; j < n; j++)
			found |= list[j] == want[i];
		ok(found, "%s: 0x%lx listed", what, want[i]);
	}
	/* Every listed mechanism has its info, and the right one. */
	for (j = 0; j < n; j++) {
		memset(&info, 0xff, sizeof(info));
		rv = F->C_GetMechanismInfo(slot, list[j], &info);
		if (is_digest(list[j]))
			ok(rv == CKR_OK && info.flags == CKF_DIGEST && info.ulMinKeySize == 0 &&
			   info.ulMaxKeySize == 0, "%s: 0x%lx: CKF_DIGEST", what, list[j]);
		else
			ok(rv == CKR_OK && info.flags == (CKF_HW | CKF_SIGN | CKF_VERIFY) &&
			   info.ulMinKeySize == 2048 && info.ulMaxKeySize == 2048,
			   "%s: 0x%lx: 2048/2048 CKF_HW|CKF_SIGN|CKF_VERIFY", what, list[j]);
	}
}

int main(void)
{
	pt_card t;
	CK_MECHANISM_INFO info;
	CK_ULONG n;
	int empty;
	unsigned long apdus;
	static const CK_MECHANISM_TYPE absent[] = {
		CKM_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS, CKM_RSA_X_509, CKM_RSA_PKCS_OAEP,
		CKM_MD5, CKM_ECDSA, CKM_RSA_PKCS_KEY_PAIR_GEN,
	};
	size_t i;

	pt_start(&t, 1, NULL);
	n = 0;
	F->C_GetMechanismList(t.slot[PT_AUTH], NULL, &n);   /* the token is known now */
	apdus = jp_emu_apdu_count(t.e);
	check_slot(t.slot[PT_AUTH], "auth slot");
	check_slot(t.slot[PT_SIGN], "sign slot");
	for (i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		is_int(F->C_GetMechanismInfo(t.slot[PT_AUTH], absent[i], &info), CKR_MECHANISM_INVALID,
		       "0x%lx: CKR_MECHANISM_INVALID", absent[i]);
	is_int(jp_emu_apdu_count(t.e) - apdus, 0, "no APDU for any of it");

	/* Arguments and slots. */
	is_int(F->C_GetMechanismList(t.slot[PT_AUTH], NULL, NULL), CKR_ARGUMENTS_BAD, "NULL count");
	is_int(F->C_GetMechanismInfo(t.slot[PT_AUTH], CKM_RSA_PKCS, NULL), CKR_ARGUMENTS_BAD,
	       "NULL info");
	n = 0;
	is_int(F->C_GetMechanismList(0, NULL, &n), CKR_SLOT_ID_INVALID, "slot 0: invalid");
	is_int(F->C_GetMechanismInfo(0x7fff0000UL, CKM_RSA_PKCS, &info), CKR_SLOT_ID_INVALID,
	       "unknown slot: invalid");
	/* A reader without a card: its slots exist, the token does not. */
	empty = jp_emu_reader_add("JPKI Empty Reader 00 00");
	ok(empty >= 0, "an empty reader");
	{
		CK_SLOT_ID ids[16];
		CK_SLOT_INFO si;
		CK_ULONG k, m = 16;
		int seen = 0;
		CK_RV rv;

		/* The slot set changes at a length query (PKCS#11 v2.40 §5.5). */
		F->C_GetSlotList(CK_FALSE, NULL, &m);
		m = 16;
		F->C_GetSlotList(CK_FALSE, ids, &m);
		for (k = 0; k < m; k++) {
			if (F->C_GetSlotInfo(ids[k], &si) != CKR_OK ||
			    memcmp(si.slotDescription, "JPKI Empty Reader", 17) != 0)
				continue;
			n = 0;
			rv = F->C_GetMechanismList(ids[k], NULL, &n);
			is_int(rv, CKR_TOKEN_NOT_PRESENT, "empty reader's slot: CKR_TOKEN_NOT_PRESENT");
			seen++;
		}
		is_int(seen, 2, "the empty reader has two slots");
	}
	pt_stop(&t);
	n = 0;
	is_int(F->C_GetMechanismList(t.slot[PT_AUTH], NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED,
	       "after C_Finalize");
	done_testing();
}
