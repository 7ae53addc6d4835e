/* The one way the project sleeps (src/common/sleep.c). A wait that must
 * wake for something (a cancel, an event) uses a condition variable or the
 * PC/SC call itself instead. */
#ifndef JPKI_SLEEP_H
#define JPKI_SLEEP_H

/* Sleeps ms milliseconds; a signal does not cut it short. */
void jp_sleep_ms(unsigned ms);

#endif
