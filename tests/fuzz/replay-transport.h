/* A transport whose card is the fuzz input: each transmit hands out the
 * next response from it. Format, repeated:
 *   2 bytes big-endian L, then
 *     L < 0x8000: L bytes, the response (data + SW1 SW2);
 *     L >= 0x8000: no bytes; transmit fails with a transport error picked
 *                  by L & 0xFF from a table in replay-transport.c
 *                  (0 JP_E_TRANSPORT, 1 JP_E_NO_CARD, 2 JP_E_CARD_RESET,
 *                  ...) — resets, removals and link failures mid-command.
 * When the input is used up every transmit fails with JP_E_NO_CARD. */
#ifndef JPKI_REPLAY_TRANSPORT_H
#define JPKI_REPLAY_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "jpki/transport.h"

/* A link over data[0..size) (not copied: keep it alive while the link
 * is). Freed by ops->disconnect or ops->forget_link. NULL on no memory. */
jp_link *replay_link_new(const uint8_t *data, size_t size);
/* Commands the link saw (for invariants). */
unsigned long replay_link_commands(const jp_link *l);

#endif
