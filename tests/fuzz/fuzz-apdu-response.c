/* The card layer (src/card) answered by a hostile card: the fuzz input is
 * the sequence of responses (replay-transport.h), and fuzz-card-scenario.c
 * runs what the module does with a card over it. */
#include "config.h"

#include "jpki/log.h"
#include "replay-transport.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int log_on;
	jp_link *link;

	/* Trace every exchange into /dev/null: the APDU formatting and its
	 * redaction see the hostile responses too. */
	if (!log_on) {
		log_on = 1;
		jp_log_configure("level:5,file:/dev/null");
	}
	link = replay_link_new(data, size);
	if (link != NULL)
		fuzz_card_scenario(link);
	return 0;
}
