/* A coord_allocator for the unit and integration tests: counts allocations,
 * tracks live blocks, and fails exactly the k-th allocation once armed, or
 * every one. Thread-safe (libcurl may allocate from its resolver thread).
 * Not part of libcoord. */
#ifndef COUNTING_ALLOC_H
#define COUNTING_ALLOC_H

#include <stddef.h>

#include "coord/coord.h"

/* The allocator to pass to coord_set_allocator(). */
const coord_allocator *counting_allocator(void);
/* Fail the fail_at-th allocation from now on (1 = the next one); 0 never.
 * Ends counting_arm_all(). */
void counting_arm(long fail_at);
/* Fail every allocation from now on, until the next counting_arm(). */
void counting_arm_all(void);
/* Allocations (malloc, calloc, growing realloc) since the last arm. */
long counting_calls(void);
/* How many allocations were refused since the last arm. */
long counting_failures(void);
/* Blocks handed out and not yet freed, whoever asked for them. */
long counting_live(void);
/* Frees of a pointer this allocator never gave (must stay 0). */
long counting_foreign_frees(void);
/* Bytes of the blocks alive now (as asked for: headers not counted). */
size_t counting_live_bytes(void);
/* The most bytes alive at once since counting_peak_reset(). */
size_t counting_peak_bytes(void);
/* The largest block handed out since counting_peak_reset(). */
size_t counting_largest(void);
/* Start a new peak from what is alive now, and a new largest block. */
void counting_peak_reset(void);

#endif
