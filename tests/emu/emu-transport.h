/* In-process readers for the emulator transport (tests only). The readers
 * are process-global, like PC/SC's: a test adds readers and inserts cards,
 * then the code under test finds them through jp_transport_default_ops(). */
#ifndef JPKI_EMU_TRANSPORT_H
#define JPKI_EMU_TRANSPORT_H

#include "emu.h"

/* Adds a reader (empty). Returns its index, or -1. */
JP_EMU_API int jp_emu_reader_add(const char *name);
/* Removes the reader (and ejects its card, not freed). */
JP_EMU_API void jp_emu_reader_remove(int idx);
/* Puts a card into the reader (powered off; the transport powers it on at
 * connect). The transport does not own e. */
JP_EMU_API void jp_emu_reader_insert(int idx, jp_emu *e);
/* Takes the card out; returns it (or NULL). */
JP_EMU_API jp_emu *jp_emu_reader_eject(int idx);
/* Removes every reader (end of a test). */
JP_EMU_API void jp_emu_readers_clear(void);
/* Makes transmit on this reader fail as if extended APDUs were refused by
 * the reader rather than the card: transmit returns JP_E_TRANSPORT (what
 * PC/SC readers do) and the card never sees the command. */
JP_EMU_API void jp_emu_reader_no_extended(int idx, int on);
/* Simulates another process resetting the card in reader idx: the next
 * transmit/begin of every link gets JP_E_CARD_RESET. unpower selects a
 * power cycle instead of a warm reset. */
JP_EMU_API void jp_emu_reader_reset_by_other(int idx, int unpower);
/* Makes the reader unreachable while its card stays in, powered, its
 * state intact (a dead USB link, pcscd not answering, a handle invalidated
 * by a pcscd restart): with JP_EMU_LINKS_BROKEN the connections made
 * before the call fail for good (JP_E_TRANSPORT) and new ones work; with
 * JP_EMU_UNREACHABLE every connection fails, new ones too, until the mode
 * is set back to JP_EMU_REACHABLE. Removal is still reported as such. */
#define JP_EMU_REACHABLE 0
#define JP_EMU_LINKS_BROKEN 1
#define JP_EMU_UNREACHABLE 2
JP_EMU_API void jp_emu_reader_unreachable(int idx, int mode);
/* How many threads are blocked in the transport now: waiting in
 * wait_change, or in transmit/begin for another link's transaction. A test
 * that checks "X wakes a blocked call" waits for this count first, so a
 * thread that starts late cannot make the check pass without blocking. */
JP_EMU_API unsigned jp_emu_blocked(void);

#endif
