/* The one map from PC/SC (SCARD_*) results to jp_err. Private to the PC/SC
 * backend and its tests. */
#ifndef JPKI_TRANSPORT_PCSC_ERROR_H
#define JPKI_TRANSPORT_PCSC_ERROR_H

#include "jpki/error.h"

/* rv is a PC/SC LONG result. Unknown values map to JP_E_TRANSPORT. */
jp_err jp_pcsc_err(long rv);
/* The SCARD_* name of rv, for debug logs; "SCARD_?" if unknown. Never NULL. */
const char *jp_pcsc_str(long rv);

#endif
