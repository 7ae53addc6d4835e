/* Sleeping (include/jpki/sleep.h). */
#include "config.h"

#include <errno.h>
#include <time.h>

#include "jpki/sleep.h"

void jp_sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L };

	/* nanosleep leaves the time still to sleep in ts when a signal
	 * interrupts it: sleep on for that. */
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}
