/* What the three adapter examples share: the calls they run. Each example
 * is only the glue between libcoord's loop and one event library, and a
 * main() that runs it: copy the glue, not this. */
#ifndef COORD_ADAPTER_DEMO_H
#define COORD_ADAPTER_DEMO_H

#include <coord/coord.h>

/* From "LOCATION SESSION_ID..." and the environment's COORD_BASE_URL,
 * COORD_ACCESS_KEY and COORD_TOKEN (never argv: it shows in process
 * lists): a client, and one
 * coord_end_session_async() per session id on loop; each result is printed
 * as a JSON line when it arrives (a failure's detail on stderr). Returns 0,
 * or 2 (usage, a session id that is not a whole number) / 1 (failure) after
 * printing why. */
int demo_start(coord_loop *loop, int argc, char **argv);
/* After the loop is freed, whatever demo_start() returned: free what it
 * took; 0 when every call succeeded. */
int demo_finish(void);

#endif
