/* Test-side client of the simulator's control API (not part of libcoord). */
#ifndef SIM_CLIENT_H
#define SIM_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/* Base URL of the running simulator (COORD_SIM_URL) and its key (COORD_SIM_KEY). */
const char *sim_url(void);
const char *sim_key(void);
/* The Parking Access base URL on the simulator. */
const char *sim_api_base(void);

/* One control request on a fresh connection; returns the HTTP status (or -1)
 * and the answer in out (NUL-terminated, truncated to out_size). */
int sim_call(const char *method, const char *path, const char *body, char *out,
             size_t out_size);

void sim_reset(void);
void sim_location(const char *location_id, int hourly_rate, int gate_controlled,
                  int cost_pending);
/* Seed a session; returns its id, and its JSON in json (when non-NULL). */
int64_t sim_session(const char *location_id, int start_minutes_ago, int gate_controlled,
                    char *json, size_t json_size);
/* The user id of seeded sessions (the simulator's DEFAULT_USER_ID). */
#define SIM_DEFAULT_USER "00000000-0000-0000-0000-000000000000"
/* A bearer token from POST /_sim/tokens with the JSON body json, e.g.
 * {"user_id": SIM_DEFAULT_USER} or {"email": "a@b.c", "expires_in": -1}. */
void sim_token(const char *json, char *out, size_t out_size);
/* A token for SIM_DEFAULT_USER, fetched once per process (the simulator
 * signs tokens with a per-process secret that survives resets). */
const char *sim_user_token(void);
/* Counters since the last reset. */
void sim_stats(long *connections, long *requests);
/* API requests the simulator received since the last reset. */
long sim_api_requests(void);
/* Arm a fault for the next API request(s): a JSON body for /_sim/fault. */
void sim_fault(const char *json);
/* A string of the last API request: section NULL for "method", "path",
 * "target"; "headers" (lower-case names) or "query" (first value) otherwise.
 * Returns 0 when found. */
int sim_last_request(const char *section, const char *name, char *out, size_t out_size);
/* How many query parameters the last API request had. */
int sim_last_request_query_count(void);

/* A Parking Access base URL on a loopback port that refuses connections
 * (bound, then closed without listening). */
void sim_closed_port_base(char *base, size_t size);
/* A client of base with key that acts as the seeded sessions' user
 * (SIM_DEFAULT_USER's token); aborts the test when it cannot be made. */
struct coord_client;
struct coord_client *sim_user_client_at(const char *base, const char *key);
/* The same on the simulator's Parking Access base with its key. */
struct coord_client *sim_user_client(void);
/* Fail the running cmocka test when the last error record of c holds secret. */
void sim_assert_no_secret(const struct coord_client *c, const char *secret);

/* cmocka group setup and teardown: coord_global_init / coord_global_cleanup. */
int sim_group_setup(void **state);
int sim_group_teardown(void **state);
/* Monotonic seconds, for the generous upper bounds tests put on durations. */
double sim_now_s(void);

#endif
