/* A reader that comes and goes many times (a USB reader replugged, pcscd
 * restarted) in a long-running application: more appearances than the
 * module's reader table holds (JP_MAX_READERS). Each time the card must be
 * found in the new slots, the new slot IDs must be new (never an old
 * reader's), the old ones invalid, sessions on a vanished reader invalid,
 * and a reader that stays keeps its slot IDs throughout. */
#include "config.h"

#include "tests/p11/p11-test.h"
#include "src/p11/p11.h"

#define ROUNDS (JP_MAX_READERS * 2 + 5)

static CK_SLOT_ID seen[2 * ROUNDS + 8];
static size_t nseen;

static int was_seen(CK_SLOT_ID id)
{
	size_t i;

	for (i = 0; i < nseen; i++)
		if (seen[i] == id)
			return 1;
	return 0;
}

/* The two slots of the reader whose description starts with name. */
static int slots_of(const char *name, CK_SLOT_ID out[2])
{
	CK_SLOT_ID s[2 * JP_MAX_READERS + 4];
	CK_SLOT_INFO si;
	CK_ULONG n, i;
	int found = 0;

	n = pt_slots(CK_FALSE, s, sizeof(s) / sizeof(s[0]));
	for (i = 0; i < n && found < 2; i++)
		if (F->C_GetSlotInfo(s[i], &si) == CKR_OK &&
		    !memcmp(si.slotDescription, name, strlen(name)))
			out[found++] = s[i];
	return found;
}

int main(void)
{
	jp_emu *card, *steady_card;
	CK_SLOT_ID steady[2], now[2], prev[2] = { 0, 0 }, tmp[2];
	CK_SESSION_HANDLE old_sessions[ROUNDS];
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_SESSION_INFO sinfo;
	int idx, r, i, bad_new = 0, bad_old = 0, bad_found = 0, bad_steady = 0, bad_sess = 0;
	int nold = 0;

	pt_load();
	pt_reader_with_card("Steady Reader", 2, NULL, &steady_card);
	idx = pt_reader_with_card("Replug Reader", 1, NULL, &card);
	is_int(pt_init(), CKR_OK, "initialize");
	is_int(slots_of("Steady Reader", steady), 2, "the steady reader's two slots");
	for (r = 0; r < ROUNDS; r++) {
		if (slots_of("Replug Reader", now) != 2) {
			bad_found++;
			diag("round %d: the replugged reader's slots are missing", r);
			break;
		}
		/* New IDs for a new appearance, never seen before. */
		if (was_seen(now[0]) || was_seen(now[1]))
			bad_new++;
		seen[nseen++] = now[0];
		seen[nseen++] = now[1];
		/* The card is found in it (APDUs to the new connection). */
		if (F->C_GetTokenInfo(now[0], &ti) != CKR_OK ||
		    !pt_padded_eq(ti.label, sizeof(ti.label), PT_LABEL_AUTH))
			bad_found++;
		/* The previous appearance's IDs are dead. */
		if (r > 0 && (F->C_GetSlotInfo(prev[0], &si) != CKR_SLOT_ID_INVALID ||
		              F->C_GetTokenInfo(prev[1], &ti) != CKR_SLOT_ID_INVALID))
			bad_old++;
		/* The steady reader keeps its IDs. */
		if (slots_of("Steady Reader", tmp) != 2 || tmp[0] != steady[0] || tmp[1] != steady[1])
			bad_steady++;
		/* Now and then a session is left open on the reader that goes. */
		if (r % 7 == 0 && F->C_OpenSession(now[0], CKF_SERIAL_SESSION, NULL, NULL,
		                                   &old_sessions[nold]) == CKR_OK)
			nold++;
		prev[0] = now[0];
		prev[1] = now[1];
		/* Unplug; the module sees it gone (a length query updates the set);
		 * plug in again (same name: a replug). */
		jp_emu_reader_remove(idx);
		(void)pt_slots(CK_FALSE, tmp, 0);
		idx = jp_emu_reader_add("Replug Reader");
		jp_emu_reader_insert(idx, card);
	}
	is_int(bad_found, 0, "%d appearances (table of %d): the card was found every time", ROUNDS,
	       JP_MAX_READERS);
	is_int(bad_new, 0, "every appearance had new slot IDs");
	is_int(bad_old, 0, "the previous appearance's slot IDs were invalid");
	is_int(bad_steady, 0, "the steady reader kept its slot IDs");
	ok(nold > JP_MAX_READERS / 7, "sessions were left open on vanished readers (%d)", nold);
	for (i = 0; i < nold; i++)
		if (F->C_GetSessionInfo(old_sessions[i], &sinfo) != CKR_SESSION_HANDLE_INVALID ||
		    F->C_CloseSession(old_sessions[i]) != CKR_SESSION_HANDLE_INVALID)
			bad_sess++;
	is_int(bad_sess, 0, "their handles are invalid");
	ok(jp_mod.nreaders <= JP_MAX_READERS, "the table stayed within its size (%zu)",
	   jp_mod.nreaders);
	for (i = 0; i < (int)nseen; i++)
		if (seen[i] != prev[0] && seen[i] != prev[1] &&
		    F->C_GetSlotInfo(seen[i], &si) != CKR_SLOT_ID_INVALID)
			break;
	is_int(i, (int)nseen, "no earlier slot ID came back to life");
	/* The steady card still signs its way in. */
	{
		CK_SESSION_HANDLE h;
		is_int(F->C_OpenSession(steady[0], CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK,
		       "a session on the steady reader");
		is_int(pt_login(h, CKU_USER, fixture_pin(2, 0)), CKR_OK, "... logs in");
	}
	is_int(F->C_Finalize(NULL), CKR_OK, "finalize");
	jp_emu_readers_clear();
	jp_emu_free(card);
	jp_emu_free(steady_card);
	done_testing();
}
