/* coord: the Coord Parking Access API from the command line, on libcoord.
 *
 *   coord [OPTIONS] COMMAND [OPTIONS]      (coord --help for everything)
 *
 * Answers go to stdout as JSON (printed with cJSON, stable field names);
 * a failure is one line on stderr -- status name, HTTP status, the server's
 * message -- and an exit code per error class. Neither the access key nor
 * the token is ever printed (libcoord redacts them from its error text;
 * this program never echoes an option's value). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <coord/coord.h>
#include <coord/outbox.h>

#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: coord [OPTIONS] COMMAND [OPTIONS]\n"
    "\n"
    "Commands (calls are made as the user whose token is given):\n"
    "  session create --location L [--resource R]   open a session\n"
    "  session get    --location L --id N           one session\n"
    "  session end    --location L --id N           end it; prints it with its bill\n"
    "  session wait   --location L --id N [--until started|ended]\n"
    "                 [--deadline-ms 60000] [--interval-ms 1000]\n"
    "                                               poll until it started (default) or ended\n"
    "  sessions list  --location L | --mine [--active]\n"
    "                                               the user's sessions there, or everywhere,\n"
    "                                               one a line as read (no limit on their\n"
    "                                               number); --active: only the active one\n"
    "  sessions end   --location L --all-active [--concurrency 16]\n"
    "                                               end every active session listed there,\n"
    "                                               N at a time: one JSON line each as it\n"
    "                                               ends, then {\"ended\", \"failed\", \"total\"}\n"
    "  barcode [create]                             a barcode for entry and exit\n"
    "  test redeem    --location L --id N --duration MINUTES\n"
    "                                               sandbox: act as the gate (in now, out later)\n"
    "  test token     --email E [--external-uid U]  sandbox: a test user's token\n"
    "  outbox end     --outbox PATH --location L --id N\n"
    "                                               record the end in the outbox file\n"
    "                                               (created if missing; no server needed)\n"
    "  outbox list    --outbox PATH                 every intent stored, with its result\n"
    "  outbox drain   --outbox PATH [--deadline-ms 60000] [--concurrency 16]\n"
    "                                               send the pending ends, record the results\n"
    "  outbox ack     --outbox PATH --id N          acknowledge result N (deleted)\n"
    "\n";

static const char usage_options[] =
    "Options:\n"
    "  --base-url URL     API base URL (env COORD_BASE_URL; required). The Coord\n"
    "                     service is offline: run coord-sim and use the URL it\n"
    "                     prints, http://127.0.0.1:PORT/v1/access/parking\n"
    "  --key KEY          access key (env COORD_ACCESS_KEY; required)\n"
    "  --token JWT        the user's bearer token (env COORD_TOKEN; prefer the\n"
    "                     environment: options show up in process lists)\n"
    "  --timeout-ms N     total time allowed for each call (default 30000)\n"
    "  --proxy URL        send the calls through this HTTP(S) proxy (env COORD_PROXY);\n"
    "                     without it the calls go direct, whatever http_proxy says\n"
    "  --proxy-from-env   use the proxy the environment names (http_proxy, HTTPS_PROXY,\n"
    "                     ALL_PROXY, NO_PROXY), as the curl tool does\n"
    "  --outbox PATH      the outbox file of the outbox commands (one process at a time)\n"
    "  --pretty           indented JSON\n"
    "  --verbose          log each request, answer and retry to stderr (secrets redacted)\n"
    "  --timing           each call's record as a JSON line on stderr (times in us);\n"
    "                     sessions end's summary adds p50/p95/p99, retries, connections\n"
    "  --help, --version\n"
    "\n"
    "Output: JSON on stdout. A session is {\"id\", \"location_id\", \"user_id\",\n"
    "\"resource_id\", \"start_time\", \"start_time_ms\", \"end_time\", \"end_time_ms\",\n"
    "\"active\", \"billing_info\": {\"cost\": {\"amount\", \"currency\", \"text\"} | null} | null,\n"
    "\"redemption_info\": {\"barcode\": {\"data\", \"format\"}} | null}, absent values null.\n"
    "sessions list: {\"sessions\": [...], \"count\"}; barcode: {\"data\", \"format\"};\n"
    "test token: {\"jwt_token\"}. outbox end: {\"intent_id\", \"location_id\", \"session_id\"};\n"
    "outbox list: {\"count\", \"intents\": [{\"id\", \"state\", \"status\", \"attempts\",\n"
    "\"requested_at_ms\", \"drift_ms\", \"detail\", \"session\", ...}]}; outbox drain:\n"
    "{\"sent\", \"ended\", \"recovered\", \"refused\", \"expired\", \"failures\", \"pending\"};\n"
    "outbox ack: {\"acknowledged\"}. sessions end: a line {\"id\", \"status\", \"session\"} or\n"
    "{\"id\", \"status\", \"http_status\", \"message\"} per session, as each ends, then the\n"
    "summary; its exit code is the first failure's. A wait that times out also prints the\n"
    "last session seen;\n"
    "on a terminal, a wait shows the time waited and the last state seen on stderr.\n"
    "\n"
    "Errors: one line on stderr, \"coord: STATUS (HTTP n): message\" when the server\n"
    "answered, \"coord: STATUS: message\" when it did not (\"coord: no active session\"\n"
    "for sessions list --active). Exit codes:\n"
    "   0  success\n"
    "   1  other failure: out of memory, or the output could not be written\n"
    "   2  usage: bad command or option, no base URL, no access key\n"
    "   3  COORD_ERR_INVALID_ARGUMENT\n"
    "   4  COORD_ERR_UNAUTHORIZED\n"
    "   5  COORD_ERR_NOT_FOUND (also: no active session)\n"
    "   6  COORD_ERR_REFUSED\n"
    "   7  COORD_ERR_PHYSICAL_CHECKOUT\n"
    "   8  COORD_ERR_ALREADY_ENDED\n"
    "   9  COORD_ERR_SESSION_ACTIVE\n"
    "  10  COORD_ERR_TIMEOUT (also a wait's deadline)\n"
    "  11  COORD_ERR_TRANSPORT, COORD_ERR_TLS\n"
    "  12  COORD_ERR_RATE_LIMITED\n"
    "  13  COORD_ERR_SERVER\n"
    "  14  COORD_ERR_BAD_RESPONSE, COORD_ERR_RESPONSE_TOO_LARGE\n"
    "  15  COORD_ERR_STORAGE (the outbox file: busy, full, not an outbox...)\n";

static int exit_code(coord_status st)
{
    switch (st) {
    case COORD_OK: return 0;
    case COORD_ERR_INVALID_ARGUMENT: return 3;
    case COORD_ERR_UNAUTHORIZED: return 4;
    case COORD_ERR_NOT_FOUND: return 5;
    case COORD_ERR_REFUSED: return 6;
    case COORD_ERR_PHYSICAL_CHECKOUT: return 7;
    case COORD_ERR_ALREADY_ENDED: return 8;
    case COORD_ERR_SESSION_ACTIVE: return 9;
    case COORD_ERR_TIMEOUT: return 10;
    case COORD_ERR_TRANSPORT:
    case COORD_ERR_TLS: return 11;
    case COORD_ERR_RATE_LIMITED: return 12;
    case COORD_ERR_SERVER: return 13;
    case COORD_ERR_BAD_RESPONSE:
    case COORD_ERR_RESPONSE_TOO_LARGE: return 14;
    case COORD_ERR_STORAGE: return 15;
    default: return 1;
    }
}

/* ---- options ---- */

enum {
    O_LOCATION = 1u << 0, O_ID = 1u << 1, O_RESOURCE = 1u << 2, O_MINE = 1u << 3,
    O_ACTIVE = 1u << 4, O_UNTIL = 1u << 5, O_DEADLINE = 1u << 6, O_INTERVAL = 1u << 7,
    O_DURATION = 1u << 8, O_EMAIL = 1u << 9, O_EXTERNAL_UID = 1u << 10,
    O_ALL_ACTIVE = 1u << 11, O_CONCURRENCY = 1u << 12, O_OUTBOX = 1u << 13,
    /* global */
    O_BASE_URL = 1u << 16, O_KEY = 1u << 17, O_TOKEN = 1u << 18, O_TIMEOUT = 1u << 19,
    O_PRETTY = 1u << 20, O_HELP = 1u << 21, O_VERSION = 1u << 22, O_VERBOSE = 1u << 23,
    O_PROXY = 1u << 24, O_PROXY_FROM_ENV = 1u << 25, O_TIMING = 1u << 26
};
#define O_GLOBAL 0xffff0000u

static const struct option long_options[] = {
    {"location", required_argument, NULL, O_LOCATION},
    {"id", required_argument, NULL, O_ID},
    {"resource", required_argument, NULL, O_RESOURCE},
    {"mine", no_argument, NULL, O_MINE},
    {"active", no_argument, NULL, O_ACTIVE},
    {"until", required_argument, NULL, O_UNTIL},
    {"deadline-ms", required_argument, NULL, O_DEADLINE},
    {"interval-ms", required_argument, NULL, O_INTERVAL},
    {"duration", required_argument, NULL, O_DURATION},
    {"email", required_argument, NULL, O_EMAIL},
    {"external-uid", required_argument, NULL, O_EXTERNAL_UID},
    {"all-active", no_argument, NULL, O_ALL_ACTIVE},
    {"concurrency", required_argument, NULL, O_CONCURRENCY},
    {"outbox", required_argument, NULL, O_OUTBOX},
    {"base-url", required_argument, NULL, O_BASE_URL},
    {"key", required_argument, NULL, O_KEY},
    {"token", required_argument, NULL, O_TOKEN},
    {"timeout-ms", required_argument, NULL, O_TIMEOUT},
    {"pretty", no_argument, NULL, O_PRETTY},
    {"help", no_argument, NULL, O_HELP},
    {"version", no_argument, NULL, O_VERSION},
    {"verbose", no_argument, NULL, O_VERBOSE},
    {"proxy", required_argument, NULL, O_PROXY},
    {"proxy-from-env", no_argument, NULL, O_PROXY_FROM_ENV},
    {"timing", no_argument, NULL, O_TIMING},
    {NULL, 0, NULL, 0},
};

typedef struct args {
    unsigned seen; /* O_* given */
    const char *base_url, *key, *token, *location, *resource, *email, *external_uid, *proxy;
    const char *outbox;
    int64_t id;
    uint32_t duration_m, deadline_ms, interval_ms, timeout_ms, concurrency;
    coord_wait_for until;
} args;

static int usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, "coord: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, " (coord --help)\n");
    return EXIT_USAGE;
}

/* A decimal number within [min, max]; the option's name and the range
 * (never its value) in errors. */
static int number(const char *text, long long min, long long max, long long *out,
                  const char *name)
{
    char *end, what[128];

    errno = 0;
    *out = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || *out < min || *out > max) {
        snprintf(what, sizeof(what), "--%s needs a whole number from %lld to %lld", name, min,
                 max);
        return usage_error("%s", what);
    }
    return 0;
}

static int parse_option(int opt, const char *value, args *a)
{
    long long n;

    switch (opt) {
    case O_LOCATION: a->location = value; return 0;
    case O_RESOURCE: a->resource = value; return 0;
    case O_EMAIL: a->email = value; return 0;
    case O_EXTERNAL_UID: a->external_uid = value; return 0;
    case O_BASE_URL: a->base_url = value; return 0;
    case O_KEY: a->key = value; return 0;
    case O_TOKEN: a->token = value; return 0;
    case O_PROXY: a->proxy = value; return 0;
    case O_OUTBOX: a->outbox = value; return 0;
    case O_MINE: case O_ACTIVE: case O_PRETTY: case O_HELP: case O_VERSION: case O_VERBOSE:
    case O_ALL_ACTIVE: case O_PROXY_FROM_ENV: case O_TIMING:
        return 0;
    case O_CONCURRENCY:
        if (number(value, 1, 1000, &n, "concurrency"))
            return EXIT_USAGE;
        a->concurrency = (uint32_t)n;
        return 0;
    case O_UNTIL:
        if (strcmp(value, "started") == 0)
            a->until = COORD_WAIT_STARTED;
        else if (strcmp(value, "ended") == 0)
            a->until = COORD_WAIT_ENDED;
        else
            return usage_error("--until is %s", "started or ended");
        return 0;
    case O_ID:
        if (number(value, INT64_MIN, INT64_MAX, &n, "id"))
            return EXIT_USAGE;
        a->id = (int64_t)n;
        return 0;
    case O_DURATION:
        if (number(value, 0, COORD_REDEMPTION_MAX_MINUTES, &n, "duration"))
            return EXIT_USAGE;
        a->duration_m = (uint32_t)n;
        return 0;
    case O_DEADLINE:
        if (number(value, 0, UINT32_MAX, &n, "deadline-ms"))
            return EXIT_USAGE;
        a->deadline_ms = (uint32_t)n;
        return 0;
    case O_INTERVAL:
        if (number(value, COORD_WAIT_MIN_INTERVAL_MS, 3600000, &n, "interval-ms"))
            return EXIT_USAGE;
        a->interval_ms = (uint32_t)n;
        return 0;
    case O_TIMEOUT:
        if (number(value, 1, 0x7fffffff, &n, "timeout-ms"))
            return EXIT_USAGE;
        a->timeout_ms = (uint32_t)n;
        return 0;
    default:
        return EXIT_USAGE;
    }
}

/* ---- JSON out ---- */

static void add_text(cJSON *o, const char *name, const char *text)
{
    if (text[0] != '\0')
        cJSON_AddStringToObject(o, name, text);
    else
        cJSON_AddNullToObject(o, name);
}

static void add_time(cJSON *o, const char *name, const char *name_ms, int has,
                     const char *text, int64_t ms)
{
    if (has) {
        cJSON_AddStringToObject(o, name, text);
        cJSON_AddNumberToObject(o, name_ms, (double)ms); /* exact: far below 2^53 */
    } else {
        cJSON_AddNullToObject(o, name);
        cJSON_AddNullToObject(o, name_ms);
    }
}

/* "text": the amount as a person reads it ("5.55 USD" for amount 555), in
 * the currency's own decimals; null if the currency is not ISO 4217's shape
 * (libcoord's decoder never lets one through). */
static void add_money_text(cJSON *cost, const coord_money *m)
{
    char text[COORD_MONEY_TEXT_MAX];

    if (coord_money_format(m, text, sizeof(text)) == COORD_OK)
        cJSON_AddStringToObject(cost, "text", text);
    else
        cJSON_AddNullToObject(cost, "text");
}

static cJSON *barcode_json(const coord_redemption_info *r)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "data", r->barcode_data);
    cJSON_AddStringToObject(o, "format", r->barcode_format);
    return o;
}

static cJSON *session_json(const coord_session *s)
{
    cJSON *o = cJSON_CreateObject(), *billing, *cost, *redemption;

    cJSON_AddNumberToObject(o, "id", (double)s->id); /* libcoord bounds ids to +/-(2^53-1) */
    add_text(o, "location_id", s->location_id);
    add_text(o, "user_id", s->user_id);
    add_text(o, "resource_id", s->resource_id);
    add_time(o, "start_time", "start_time_ms", s->has_start_time, s->start_time,
             s->start_time_ms);
    add_time(o, "end_time", "end_time_ms", s->has_end_time, s->end_time, s->end_time_ms);
    cJSON_AddBoolToObject(o, "active", !s->has_end_time);
    if (s->has_billing_info) {
        billing = cJSON_AddObjectToObject(o, "billing_info");
        if (s->billing_info.has_cost) {
            cost = cJSON_AddObjectToObject(billing, "cost");
            cJSON_AddNumberToObject(cost, "amount", (double)s->billing_info.cost.amount);
            cJSON_AddStringToObject(cost, "currency", s->billing_info.cost.currency);
            add_money_text(cost, &s->billing_info.cost);
        } else {
            cJSON_AddNullToObject(billing, "cost");
        }
    } else {
        cJSON_AddNullToObject(o, "billing_info");
    }
    if (s->has_redemption_info) {
        redemption = cJSON_AddObjectToObject(o, "redemption_info");
        cJSON_AddItemToObject(redemption, "barcode", barcode_json(&s->redemption_info));
    } else {
        cJSON_AddNullToObject(o, "redemption_info");
    }
    return o;
}

/* ---- the commands: each returns a status and leaves its answer in *out ---- */

/* --timing: what the observer saw of the ends, for a summary. */
typedef struct timing {
    int64_t *elapsed_us; /* of each end, in the order they finished */
    size_t count, size;
    uint64_t retries, connections;
} timing;

typedef struct outcome {
    cJSON *answer;                   /* printed on stdout, or NULL */
    char message[COORD_MESSAGE_MAX]; /* the CLI's own error text, when the failure is not
                                        a call's (else the client's last error is shown) */
    timing timing;                   /* --timing */
} outcome;

typedef coord_status (*command_fn)(coord_client *c, const args *a, outcome *out);

static coord_status one_session(coord_status st, const coord_session *s, outcome *out)
{
    if (st == COORD_OK)
        out->answer = session_json(s);
    return st;
}

static coord_status cmd_session_create(coord_client *c, const args *a, outcome *out)
{
    coord_session s;
    return one_session(coord_session_create(c, a->location, a->resource, &s), &s, out);
}

static coord_status cmd_session_get(coord_client *c, const args *a, outcome *out)
{
    coord_session s;
    return one_session(coord_session_get(c, a->location, a->id, &s), &s, out);
}

static coord_status cmd_session_end(coord_client *c, const args *a, outcome *out)
{
    coord_session s;
    return one_session(coord_end_session(c, a->location, a->id, &s), &s, out);
}

static uint64_t monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *session_state(const coord_session *s)
{
    return s->id == 0 ? "no answer yet" : s->has_end_time ? "ended"
                                        : s->has_start_time ? "started" : "not started";
}

/* session wait: coord_session_wait() until the deadline. On a terminal it
 * runs in steps of about a second instead, so that stderr can show how long
 * it has waited and what the last poll saw; each step polls at its start and
 * every interval until its end, as one long wait would. What steps cost:
 * the library cuts a poll to what is left of its step, so a poll slower than
 * a step is cut and sent again at each step, and the wait runs to its
 * deadline instead of ending at the poll's own timeout. The last session
 * seen is printed also on timeout. */
static coord_status cmd_session_wait(coord_client *c, const args *a, outcome *out)
{
    const char *goal = a->until == COORD_WAIT_ENDED ? "ended" : "started";
    int on_terminal = isatty(STDERR_FILENO);
    uint32_t step = on_terminal ? a->interval_ms * ((1000 + a->interval_ms - 1) / a->interval_ms)
                                : a->deadline_ms;
    uint64_t start = monotonic_ms(), waited = 0, step_start;
    coord_session last, seen;
    coord_status st;

    memset(&last, 0, sizeof(last));
    for (;;) {
        uint32_t left = (uint32_t)(a->deadline_ms - waited), this_step = left < step ? left : step;

        step_start = monotonic_ms();
        st = coord_session_wait(c, a->location, a->id, a->until, this_step, a->interval_ms,
                                &seen);
        if (seen.id != 0)
            last = seen;
        waited = monotonic_ms() - start;
        if (on_terminal)
            fprintf(stderr, "\rcoord: waited %" PRIu64 " s for session %" PRId64
                    " to be %s; last seen: %-13s", waited / 1000, a->id, goal,
                    session_state(&last));
        /* a step's end, not a poll's own timeout (that one ends the wait) */
        if (st != COORD_ERR_TIMEOUT || monotonic_ms() - step_start < this_step ||
            waited >= a->deadline_ms)
            break;
    }
    if (on_terminal)
        fputc('\n', stderr);
    if (st == COORD_ERR_TIMEOUT && waited >= a->deadline_ms)
        snprintf(out->message, sizeof(out->message), "session %" PRId64 " at %s not %s after "
                 "%" PRIu32 " ms", a->id, a->location, goal, a->deadline_ms);
    if (last.id != 0 && (st == COORD_OK || st == COORD_ERR_TIMEOUT))
        out->answer = session_json(&last);
    return st;
}

static coord_status cmd_test_redeem(coord_client *c, const args *a, outcome *out)
{
    coord_session s;
    return one_session(coord_test_simulate_redemption(c, a->location, a->id, a->duration_m, &s),
                       &s, out);
}

/* The list commands read the list as a stream (coord_session_list_*_each):
 * one coord_session at a time, whatever the number of sessions. Their
 * memory is the answer and cJSON's tree of it, so they allow answers up to
 * LIST_MAX_RESPONSE (10,000 ended sessions are about 2.5 MB). */
#define LIST_MAX_RESPONSE (64u * 1024u * 1024u)

static coord_status list_each(coord_client *c, const args *a, coord_session_each_fn fn,
                              void *data)
{
    coord_session one;
    coord_status st = coord_client_set_max_response_size(c, LIST_MAX_RESPONSE);

    if (st != COORD_OK)
        return st;
    return (a->seen & O_MINE) ? coord_session_list_user_each(c, &one, fn, data)
                              : coord_session_list_location_each(c, a->location, &one, fn, data);
}

static int print_json(cJSON *answer, int pretty);

/* sessions list: {"sessions": [...], "count": N}, one session a line, each
 * printed as it is decoded. The call checks every entry before it hands
 * over the first, so nothing is printed for a list that fails. A failed
 * write shows at stdout's close (main). */
typedef struct list_out {
    int pretty;
    uint32_t count;
    int out_of_memory;
} list_out;

static int print_listed(coord_session *s, void *user_data)
{
    list_out *o = user_data;
    cJSON *item = session_json(s);
    char *text = item == NULL ? NULL : o->pretty ? cJSON_Print(item) : cJSON_PrintUnformatted(item);

    cJSON_Delete(item);
    if (text == NULL) {
        o->out_of_memory = 1;
        return 1;
    }
    fputs(o->count == 0 ? "{\"sessions\":[\n" : ",\n", stdout);
    fputs(text, stdout);
    cJSON_free(text);
    o->count++;
    return 0;
}

/* sessions list --active: the first session without an end time. */
typedef struct active_out {
    int found;
    coord_session session;
} active_out;

static int find_active(coord_session *s, void *user_data)
{
    active_out *active = user_data;

    if (s->has_end_time)
        return 0;
    active->found = 1;
    active->session = *s;
    return 1; /* stop: there is at most one */
}

static coord_status cmd_sessions_list(coord_client *c, const args *a, outcome *out)
{
    list_out listed = {(a->seen & O_PRETTY) != 0, 0, 0};
    active_out active;
    coord_status st;

    if (a->seen & O_ACTIVE) {
        memset(&active, 0, sizeof(active));
        st = list_each(c, a, find_active, &active);
        if (st == COORD_OK && active.found)
            out->answer = session_json(&active.session);
        else if (st == COORD_OK) { /* every call succeeded: there is simply none */
            snprintf(out->message, sizeof(out->message), "no active session%s%s",
                     a->location != NULL ? " at " : "", a->location != NULL ? a->location : "");
            st = COORD_ERR_NOT_FOUND;
        }
        return st;
    }
    st = list_each(c, a, print_listed, &listed);
    if (st == COORD_OK && listed.out_of_memory) {
        snprintf(out->message, sizeof(out->message), "out of memory printing the sessions");
        st = COORD_ERR_OUT_OF_MEMORY;
    }
    if (st != COORD_OK) {
        if (listed.count > 0) /* what was printed stays valid JSON */
            printf("\n],\"count\":%" PRIu32 ",\"complete\":false}\n", listed.count);
        return st;
    }
    printf("%s],\"count\":%" PRIu32 "}\n", listed.count == 0 ? "{\"sessions\":[" : "\n",
           listed.count);
    return COORD_OK;
}

static int by_value(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

    return (a > b) - (a < b);
}

/* The q-th percentile of n sorted values (nearest rank). */
static double percentile(const int64_t *sorted, size_t n, unsigned q)
{
    size_t rank = (n * q + 99) / 100;

    return n == 0 ? 0.0 : (double)sorted[rank > 0 ? rank - 1 : 0];
}

/* {"calls", "p50_us", "p95_us", "p99_us", "max_us", "retries",
 * "connections_opened"} of the ends the observer saw. */
static cJSON *timing_summary(timing *t)
{
    cJSON *o = cJSON_CreateObject();

    qsort(t->elapsed_us, t->count, sizeof(*t->elapsed_us), by_value);
    cJSON_AddNumberToObject(o, "calls", (double)t->count);
    cJSON_AddNumberToObject(o, "p50_us", percentile(t->elapsed_us, t->count, 50));
    cJSON_AddNumberToObject(o, "p95_us", percentile(t->elapsed_us, t->count, 95));
    cJSON_AddNumberToObject(o, "p99_us", percentile(t->elapsed_us, t->count, 99));
    cJSON_AddNumberToObject(o, "max_us", percentile(t->elapsed_us, t->count, 100));
    cJSON_AddNumberToObject(o, "retries", (double)t->retries);
    cJSON_AddNumberToObject(o, "connections_opened", (double)t->connections);
    return o;
}

/* sessions end --all-active: the active sessions of the list (16 bytes
 * each), ended concurrently on a libcoord loop, at most --concurrency at a
 * time: each call that finishes starts the next. Each result is printed as
 * it arrives. */
typedef struct end_all end_all;

/* One call's user_data: the tally it adds to, and its session's id (a
 * failed end's callback gets no session to read it from). */
typedef struct end_one {
    end_all *all;
    int64_t id;
} end_one;

struct end_all {
    coord_loop *loop;
    coord_client *client;
    const char *location;
    end_one *ones;       /* the active sessions */
    size_t count, size;  /* held, room */
    size_t next;         /* the next one to start */
    unsigned ended, failed;
    coord_status first_failure;
    int out_of_memory;   /* the list did not fit */
};

static int collect_active(coord_session *s, void *user_data)
{
    end_all *all = user_data;
    end_one *more;

    if (s->has_end_time)
        return 0;
    if (all->count == all->size) {
        size_t size = all->size == 0 ? 64 : all->size * 2;

        more = realloc(all->ones, size * sizeof(*more));
        if (more == NULL) {
            all->out_of_memory = 1;
            return 1;
        }
        all->ones = more;
        all->size = size;
    }
    all->ones[all->count++] = (end_one){all, s->id};
    return 0;
}

/* One line as soon as it is known. A failed write shows at the close of
 * stdout (main), which then fails the command. */
static void print_line(cJSON *line)
{
    if (print_json(line, 0) == 0)
        fflush(stdout);
    cJSON_Delete(line);
}

/* Why a call failed: the server's message when it sent one, else libcoord's detail. */
static const char *reason(const coord_error *e)
{
    return e->has_api_error && e->api_message[0] != '\0' ? e->api_message : e->detail;
}

static void print_failure(end_all *all, int64_t id, coord_status st, const coord_error *e)
{
    cJSON *line = cJSON_CreateObject();

    cJSON_AddNumberToObject(line, "id", (double)id);
    cJSON_AddStringToObject(line, "status", coord_status_name(st));
    cJSON_AddNumberToObject(line, "http_status", e->http_status);
    cJSON_AddStringToObject(line, "message", reason(e));
    print_line(line);
    all->failed++;
    if (all->first_failure == COORD_OK)
        all->first_failure = st;
}

static void ended_one(coord_call *call, coord_status st, const coord_error *error,
                      const coord_session *session, void *user_data);

/* Start the next end that starts; one that cannot start is reported. */
static void start_next(end_all *all)
{
    while (all->next < all->count) {
        end_one *one = &all->ones[all->next++];
        coord_status started = coord_end_session_async(all->loop, all->client, all->location,
                                                       one->id, ended_one, one, NULL);

        if (started == COORD_OK)
            return;
        print_failure(all, one->id, started, coord_client_last_error(all->client));
    }
}

static void ended_one(coord_call *call, coord_status st, const coord_error *error,
                      const coord_session *session, void *user_data)
{
    end_one *one = user_data;
    cJSON *line;

    (void)call;
    if (st != COORD_OK) {
        print_failure(one->all, one->id, st, error);
    } else {
        line = cJSON_CreateObject();
        cJSON_AddNumberToObject(line, "id", (double)one->id);
        cJSON_AddStringToObject(line, "status", coord_status_name(st));
        cJSON_AddItemToObject(line, "session", session_json(session));
        print_line(line);
        one->all->ended++;
    }
    start_next(one->all);
}

static coord_status cmd_sessions_end(coord_client *c, const args *a, outcome *out)
{
    end_all all;
    coord_status st;

    memset(&all, 0, sizeof(all));
    all.client = c;
    all.location = a->location;
    st = list_each(c, a, collect_active, &all);
    if (st == COORD_OK && all.out_of_memory) {
        snprintf(out->message, sizeof(out->message), "out of memory listing the sessions");
        st = COORD_ERR_OUT_OF_MEMORY;
    }
    if (st == COORD_OK)
        st = coord_loop_new(&all.loop);
    if (st == COORD_OK)
        st = coord_loop_set_limits(all.loop, a->concurrency, a->concurrency);
    for (uint32_t i = 0; st == COORD_OK && i < a->concurrency; i++)
        start_next(&all);
    if (st == COORD_OK)
        st = coord_loop_run(all.loop);
    coord_loop_free(all.loop); /* the calls still in it, if it failed, end cancelled */
    free(all.ones);
    if (st != COORD_OK && all.loop != NULL) /* the loop's own failure, not a call's */
        snprintf(out->message, sizeof(out->message), "%s: the loop stopped: %s",
                 coord_status_name(st), coord_strerror(st));
    if (st != COORD_OK)
        return st;
    out->answer = cJSON_CreateObject();
    cJSON_AddNumberToObject(out->answer, "ended", all.ended);
    cJSON_AddNumberToObject(out->answer, "failed", all.failed);
    cJSON_AddNumberToObject(out->answer, "total", (double)all.count);
    if (a->seen & O_TIMING)
        cJSON_AddItemToObject(out->answer, "timing", timing_summary(&out->timing));
    if (all.failed > 0)
        snprintf(out->message, sizeof(out->message), "%u of %zu sessions not ended (first: %s)",
                 all.failed, all.count, coord_status_name(all.first_failure));
    return all.first_failure;
}

static coord_status cmd_barcode(coord_client *c, const args *a, outcome *out)
{
    coord_redemption_info b;
    coord_status st = coord_barcode_create(c, &b);

    (void)a;
    if (st == COORD_OK)
        out->answer = barcode_json(&b);
    return st;
}

static coord_status cmd_test_token(coord_client *c, const args *a, outcome *out)
{
    char token[COORD_TOKEN_MAX];
    coord_status st = coord_test_create_jwt(c, a->email, a->external_uid, token, sizeof(token));

    if (st == COORD_OK) {
        out->answer = cJSON_CreateObject();
        cJSON_AddStringToObject(out->answer, "jwt_token", token); /* the command's very answer */
    }
    memset(token, 0, sizeof(token));
    return st;
}

/* ---- the outbox (libcoord-outbox): ends kept in a file until done ---- */

static void outbox_message(outcome *out, coord_status st, const coord_outbox_error *e)
{
    snprintf(out->message, sizeof(out->message), "%s: %s%s%.180s", coord_status_name(st),
             e->reason != COORD_OUTBOX_REASON_NONE ? coord_outbox_reason_name(e->reason) : "",
             e->reason != COORD_OUTBOX_REASON_NONE ? ": " : "", e->detail);
}

static coord_status outbox_open(const args *a, uint32_t flags, coord_outbox **ob, outcome *out)
{
    coord_outbox_error err;
    coord_status st = coord_outbox_open(a->outbox, flags, ob, &err);

    if (st != COORD_OK)
        outbox_message(out, st, &err);
    return st;
}

/* The command's status, its reason when it failed; the outbox closed. */
static coord_status outbox_done(coord_outbox *ob, coord_status st, outcome *out)
{
    if (st != COORD_OK)
        outbox_message(out, st, coord_outbox_last_error(ob));
    coord_outbox_close(ob);
    return st;
}

static cJSON *item_json(const coord_outbox_item *it)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "id", (double)it->id);
    cJSON_AddStringToObject(o, "location_id", it->location_id);
    cJSON_AddNumberToObject(o, "session_id", (double)it->session_id);
    cJSON_AddStringToObject(o, "state", coord_outbox_state_name(it->state));
    cJSON_AddStringToObject(o, "status", coord_status_name((coord_status)it->status));
    cJSON_AddNumberToObject(o, "attempts", it->attempts);
    cJSON_AddNumberToObject(o, "requested_at_ms", (double)it->requested_at_ms);
    cJSON_AddNumberToObject(o, "recorded_at_ms", (double)it->recorded_at_ms);
    cJSON_AddNumberToObject(o, "completed_at_ms", (double)it->completed_at_ms);
    cJSON_AddNumberToObject(o, "drift_ms", (double)it->drift_ms);
    add_text(o, "detail", it->detail);
    if (it->state == COORD_OUTBOX_ENDED)
        cJSON_AddItemToObject(o, "session", session_json(&it->session));
    else
        cJSON_AddNullToObject(o, "session");
    return o;
}

static coord_status cmd_outbox_end(coord_client *c, const args *a, outcome *out)
{
    coord_outbox *ob = NULL;
    int64_t id = 0;
    coord_status st = outbox_open(a, COORD_OUTBOX_CREATE, &ob, out);

    (void)c;
    if (st != COORD_OK)
        return st;
    st = coord_outbox_end(ob, a->location, a->id, 0, &id);
    if (st == COORD_OK) {
        out->answer = cJSON_CreateObject();
        cJSON_AddNumberToObject(out->answer, "intent_id", (double)id);
        cJSON_AddStringToObject(out->answer, "location_id", a->location);
        cJSON_AddNumberToObject(out->answer, "session_id", (double)a->id);
    }
    return outbox_done(ob, st, out);
}

static coord_status cmd_outbox_list(coord_client *c, const args *a, outcome *out)
{
    static coord_outbox_item page[32];
    coord_outbox *ob = NULL;
    cJSON *intents;
    int64_t after = 0;
    size_t n = 0, count = 0;
    coord_status st = outbox_open(a, 0, &ob, out);

    (void)c;
    if (st != COORD_OK)
        return st;
    out->answer = cJSON_CreateObject();
    intents = cJSON_AddArrayToObject(out->answer, "intents");
    do {
        st = coord_outbox_list(ob, after, page, 32, &n);
        for (size_t i = 0; st == COORD_OK && i < n; i++) {
            cJSON_AddItemToArray(intents, item_json(&page[i]));
            after = page[i].id;
        }
        count += n;
    } while (st == COORD_OK && n > 0);
    cJSON_AddNumberToObject(out->answer, "count", (double)count);
    if (st != COORD_OK) {
        cJSON_Delete(out->answer);
        out->answer = NULL;
    }
    return outbox_done(ob, st, out);
}

static coord_status cmd_outbox_drain(coord_client *c, const args *a, outcome *out)
{
    coord_outbox *ob = NULL;
    coord_outbox_drain_stats ds;
    coord_status st = outbox_open(a, 0, &ob, out);

    if (st != COORD_OK)
        return st;
    st = coord_outbox_set_drain(ob, a->concurrency, COORD_OUTBOX_DEFAULT_BACKOFF_BASE_MS,
                                COORD_OUTBOX_DEFAULT_BACKOFF_MAX_MS);
    if (st == COORD_OK)
        st = coord_outbox_drain(ob, c, a->deadline_ms, &ds);
    if (st == COORD_OK || st == COORD_ERR_TIMEOUT) {
        out->answer = cJSON_CreateObject();
        cJSON_AddNumberToObject(out->answer, "sent", ds.sent);
        cJSON_AddNumberToObject(out->answer, "ended", ds.ended);
        cJSON_AddNumberToObject(out->answer, "recovered", ds.recovered);
        cJSON_AddNumberToObject(out->answer, "refused", ds.refused);
        cJSON_AddNumberToObject(out->answer, "expired", ds.expired);
        cJSON_AddNumberToObject(out->answer, "failures", ds.failures);
        cJSON_AddNumberToObject(out->answer, "pending", ds.pending);
    }
    return outbox_done(ob, st, out);
}

static coord_status cmd_outbox_ack(coord_client *c, const args *a, outcome *out)
{
    coord_outbox *ob = NULL;
    coord_status st = outbox_open(a, 0, &ob, out);

    (void)c;
    if (st != COORD_OK)
        return st;
    st = coord_outbox_ack(ob, a->id);
    if (st == COORD_OK) {
        out->answer = cJSON_CreateObject();
        cJSON_AddNumberToObject(out->answer, "acknowledged", (double)a->id);
    }
    return outbox_done(ob, st, out);
}

static const struct command {
    const char *noun, *verb; /* verb NULL: the noun alone also runs it */
    command_fn run;
    unsigned allowed, required;
} commands[] = {
    {"session", "create", cmd_session_create, O_LOCATION | O_RESOURCE, O_LOCATION},
    {"session", "get", cmd_session_get, O_LOCATION | O_ID, O_LOCATION | O_ID},
    {"session", "end", cmd_session_end, O_LOCATION | O_ID, O_LOCATION | O_ID},
    {"session", "wait", cmd_session_wait,
     O_LOCATION | O_ID | O_UNTIL | O_DEADLINE | O_INTERVAL, O_LOCATION | O_ID},
    {"sessions", "list", cmd_sessions_list, O_LOCATION | O_MINE | O_ACTIVE, 0},
    {"sessions", "end", cmd_sessions_end, O_LOCATION | O_ALL_ACTIVE | O_CONCURRENCY,
     O_LOCATION | O_ALL_ACTIVE},
    {"barcode", "create", cmd_barcode, 0, 0},
    {"test", "redeem", cmd_test_redeem, O_LOCATION | O_ID | O_DURATION,
     O_LOCATION | O_ID | O_DURATION},
    {"test", "token", cmd_test_token, O_EMAIL | O_EXTERNAL_UID, O_EMAIL},
    {"outbox", "end", cmd_outbox_end, O_OUTBOX | O_LOCATION | O_ID, O_OUTBOX | O_LOCATION | O_ID},
    {"outbox", "list", cmd_outbox_list, O_OUTBOX, O_OUTBOX},
    {"outbox", "drain", cmd_outbox_drain, O_OUTBOX | O_DEADLINE | O_CONCURRENCY, O_OUTBOX},
    {"outbox", "ack", cmd_outbox_ack, O_OUTBOX | O_ID, O_OUTBOX | O_ID},
};

/* The outbox's commands that need no server: no client, no base URL or key. */
static int offline(const struct command *cmd)
{
    return cmd->run == cmd_outbox_end || cmd->run == cmd_outbox_list ||
           cmd->run == cmd_outbox_ack;
}

static const struct command *find_command(int n, char **words)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        const struct command *c = &commands[i];

        if (n >= 1 && strcmp(words[0], c->noun) == 0 &&
            ((n == 2 && strcmp(words[1], c->verb) == 0) ||
             (n == 1 && strcmp(c->noun, "barcode") == 0)))
            return c;
    }
    return NULL;
}

static const char *option_name(unsigned bit)
{
    for (const struct option *o = long_options; o->name != NULL; o++)
        if ((unsigned)o->val == bit)
            return o->name;
    return "?";
}

/* Options given but not for this command, or required and missing. */
static int check_options(const struct command *cmd, const args *a)
{
    unsigned extra = a->seen & ~O_GLOBAL & ~cmd->allowed;
    unsigned missing = cmd->required & ~a->seen;

    if (extra != 0)
        return usage_error("--%s does not apply to this command", option_name(extra & -extra));
    if (missing != 0)
        return usage_error("--%s is required", option_name(missing & -missing));
    if (cmd->run == cmd_sessions_list &&
        !(a->seen & O_MINE) == !(a->seen & O_LOCATION))
        return usage_error("sessions list needs %s", "--location L or --mine");
    return 0;
}

/* What a newcomer most often gets wrong, said next to the error it causes:
 * a base URL without the API's path reaches the server, but no route; no
 * token is refused before anything is sent. */
static const char *hint(coord_status st, const coord_error *e)
{
    if (st == COORD_ERR_NOT_FOUND && e->http_status == 404 && e->has_api_error &&
        strstr(e->api_message, "no such route") != NULL)
        return " (the base URL must end in /v1/access/parking)";
    if (st == COORD_ERR_UNAUTHORIZED && e->http_status == 0)
        return " (give --token or COORD_TOKEN)";
    return "";
}

/* A 404's reason, naming what was not found. The API answers "session not
 * found" for an unknown location too, when a session is addressed: that
 * answer cannot tell them apart, so the line names both. */
static void not_found_reason(const coord_error *e, const args *a, char *out, size_t size)
{
    if (a->location != NULL && strcmp(e->api_message, "location not found") == 0)
        snprintf(out, size, "no location %s", a->location);
    else if (a->location != NULL && (a->seen & O_ID) &&
             strcmp(e->api_message, "session not found") == 0)
        snprintf(out, size, "no session %" PRId64 " at location %s, or no location %s",
                 a->id, a->location, a->location);
    else
        snprintf(out, size, "%s", reason(e));
}

/* One line. A failed call: its status, the HTTP status once when an answer
 * came, the server's message (or libcoord's detail) and maybe a hint. The
 * CLI's own verdict when every call succeeded (no active session, a wait's
 * deadline): the message alone. Control characters are flattened so that it
 * stays one line. */
static void print_error(coord_status st, const coord_client *c, const args *a,
                        const outcome *out)
{
    const coord_error *e = coord_client_last_error(c); /* NULL: an offline command */
    char message[COORD_MESSAGE_MAX * 2 + 80], why[COORD_MESSAGE_MAX + 80];

    if (out->message[0] == '\0' && st == COORD_ERR_NOT_FOUND)
        not_found_reason(e, a, why, sizeof(why));
    else if (out->message[0] == '\0')
        snprintf(why, sizeof(why), "%s", reason(e));
    if (out->message[0] != '\0')
        snprintf(message, sizeof(message), "%s", out->message);
    else if (e->http_status != 0 && (e->has_api_error || strncmp(why, "HTTP ", 5) != 0))
        snprintf(message, sizeof(message), "%s (HTTP %d): %s%s", coord_status_name(st),
                 (int)e->http_status, why, hint(st, e));
    else /* no answer, or a detail that names the HTTP status itself */
        snprintf(message, sizeof(message), "%s: %s%s", coord_status_name(st), why,
                 hint(st, e));
    for (char *p = message; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    fprintf(stderr, "coord: %s\n", message);
}

/* Every write to stdout is checked, and so is its close (main): a full disk
 * or a closed pipe must not look like success. */
static int print_json(cJSON *answer, int pretty)
{
    char *text = pretty ? cJSON_Print(answer) : cJSON_PrintUnformatted(answer);
    int failed;

    if (text == NULL) {
        fprintf(stderr, "coord: out of memory printing the answer\n");
        return 1;
    }
    failed = fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF;
    cJSON_free(text);
    return failed;
}

/* --timing: a call's record as one JSON line on stderr (the record holds no
 * secret), and the ends' times, retries and connections for a summary. */
static void print_record(const coord_call_record *r, void *user_data)
{
    timing *t = user_data;
    cJSON *o = cJSON_CreateObject(), *reasons;
    char *text;

    cJSON_AddStringToObject(o, "operation", coord_operation_name(r->operation));
    add_text(o, "location_id", r->location_id);
    if (r->session_id != 0)
        cJSON_AddNumberToObject(o, "session_id", (double)r->session_id);
    else
        cJSON_AddNullToObject(o, "session_id");
    cJSON_AddNumberToObject(o, "call_id", (double)r->call_id);
    cJSON_AddStringToObject(o, "status", coord_status_name((coord_status)r->status));
    cJSON_AddNumberToObject(o, "http_status", r->http_status);
    cJSON_AddNumberToObject(o, "attempts", r->attempts);
    cJSON_AddNumberToObject(o, "retries", r->retries);
    reasons = cJSON_AddArrayToObject(o, "retry_reasons");
    for (uint32_t i = 0; i < r->retries && i < COORD_RECORD_RETRIES_MAX; i++) {
        cJSON *why = cJSON_CreateObject();

        cJSON_AddStringToObject(why, "status",
                                coord_status_name((coord_status)r->retry_reasons[i].status));
        cJSON_AddNumberToObject(why, "http_status", r->retry_reasons[i].http_status);
        cJSON_AddItemToArray(reasons, why);
    }
    cJSON_AddBoolToObject(o, "recovered", r->recovered);
    cJSON_AddNumberToObject(o, "queued_us", (double)r->queued_us);
    cJSON_AddNumberToObject(o, "elapsed_us", (double)r->elapsed_us);
    if (r->has_timings) {
        cJSON_AddNumberToObject(o, "dns_us", (double)r->dns_us);
        cJSON_AddNumberToObject(o, "connect_us", (double)r->connect_us);
        cJSON_AddNumberToObject(o, "tls_us", (double)r->tls_us);
        cJSON_AddNumberToObject(o, "ttfb_us", (double)r->ttfb_us);
        cJSON_AddNumberToObject(o, "total_us", (double)r->total_us);
        cJSON_AddBoolToObject(o, "connection_reused", r->connection_reused);
        cJSON_AddNumberToObject(o, "http_version", r->http_version / 10.0);
        cJSON_AddNumberToObject(o, "bytes_sent", (double)r->bytes_sent);
        cJSON_AddNumberToObject(o, "bytes_received", (double)r->bytes_received);
    } else { /* the last attempt never ran */
        static const char *const none[] = {"dns_us", "connect_us", "tls_us", "ttfb_us",
                                           "total_us", "connection_reused", "http_version",
                                           "bytes_sent", "bytes_received"};

        for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
            cJSON_AddNullToObject(o, none[i]);
    }
    cJSON_AddNumberToObject(o, "connections_opened", r->connections_opened);
    add_text(o, "request_id", r->request_id);
    text = cJSON_PrintUnformatted(o);
    if (text != NULL)
        fprintf(stderr, "%s\n", text);
    cJSON_free(text);
    cJSON_Delete(o);
    if (r->operation != COORD_OP_END_SESSION)
        return;
    t->retries += r->retries;
    t->connections += r->connections_opened;
    if (t->count == t->size) { /* a sample lost to a failed allocation: the rest count */
        size_t size = t->size ? t->size * 2 : 64;
        int64_t *grown = realloc(t->elapsed_us, size * sizeof(*grown));

        if (grown == NULL)
            return;
        t->elapsed_us = grown;
        t->size = size;
    }
    t->elapsed_us[t->count++] = r->elapsed_us;
}

/* The library's log, on stderr: it redacts the key and the token itself. */
static void log_to_stderr(coord_log_level level, const char *message, void *user_data)
{
    (void)user_data;
    fprintf(stderr, "coord: %s: %s\n",
            level == COORD_LOG_DEBUG ? "debug" : level == COORD_LOG_INFO ? "info"
            : level == COORD_LOG_WARN ? "warn" : "error", message);
}

static coord_status configure(coord_client *client, const args *a, outcome *out)
{
    coord_status st = COORD_OK;

    if (a->token != NULL)
        st = coord_client_set_bearer_token(client, a->token);
    if (st == COORD_OK && a->timeout_ms != 0)
        st = coord_client_set_timeouts(client, a->timeout_ms < COORD_DEFAULT_CONNECT_TIMEOUT_MS
                                                   ? a->timeout_ms
                                                   : COORD_DEFAULT_CONNECT_TIMEOUT_MS,
                                       a->timeout_ms);
    if (st == COORD_OK && (a->seen & O_VERBOSE))
        st = coord_client_set_log(client, log_to_stderr, NULL, COORD_LOG_DEBUG);
    if (st == COORD_OK && (a->seen & O_TIMING))
        st = coord_client_set_observer(client, print_record, &out->timing);
    if (st == COORD_OK && (a->seen & O_PROXY_FROM_ENV))
        st = coord_client_set_proxy_from_environment(client, 1);
    if (st == COORD_OK && a->proxy != NULL)
        st = coord_client_set_proxy(client, a->proxy);
    return st;
}

static int run(const struct command *cmd, const args *a)
{
    coord_client *client = NULL;
    outcome out;
    coord_status st = offline(cmd) ? COORD_OK : coord_client_new(a->base_url, a->key, &client);
    char why[COORD_MESSAGE_MAX];
    int code;

    if (st != COORD_OK) { /* no client to hold the reason: the URL's check names it */
        if (st != COORD_ERR_INVALID_ARGUMENT)
            snprintf(why, sizeof(why), "%s", coord_strerror(st));
        else if (coord_base_url_check(a->base_url, why, sizeof(why)) == COORD_OK)
            snprintf(why, sizeof(why), "access key: 1 to 1023 bytes without control "
                     "characters (--key or COORD_ACCESS_KEY)");
        fprintf(stderr, "coord: %s: %s\n", coord_status_name(st), why);
        return exit_code(st);
    }
    memset(&out, 0, sizeof(out));
    st = offline(cmd) ? COORD_OK : configure(client, a, &out);
    if (st == COORD_OK)
        st = cmd->run(client, a, &out);
    code = exit_code(st);
    if (out.answer != NULL && print_json(out.answer, (a->seen & O_PRETTY) != 0) != 0 &&
        code == 0)
        code = 1;
    if (st != COORD_OK)
        print_error(st, client, a, &out);
    cJSON_Delete(out.answer);
    coord_client_free(client);
    free(out.timing.elapsed_us);
    return code;
}

/* stdout is buffered: a write error may only show when it is flushed. */
static int close_stdout(int code)
{
    int failed = ferror(stdout);

    errno = 0; /* what fclose says, not an older call's */
    if (fclose(stdout) != 0 || failed) {
        fprintf(stderr, "coord: the output could not be written%s%s\n",
                errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
        return code == 0 ? 1 : code;
    }
    return code;
}

int main(int argc, char **argv)
{
    args a;
    const struct command *cmd;
    const char *env;
    int opt, rc;

    memset(&a, 0, sizeof(a));
    a.until = COORD_WAIT_STARTED;
    a.deadline_ms = 60000;
    a.interval_ms = 1000;
    a.concurrency = 16;
    opterr = 0; /* our own messages: getopt's would echo what was typed */
    while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        if (opt == '?' || opt == ':') {
            const char *typed = argv[optind - 1];
            char name[64];

            /* the name only: "--kye=SECRET" must not print SECRET */
            snprintf(name, sizeof(name), "%.*s", (int)strcspn(typed, "="), typed);
            return usage_error(opt == ':' ? "%s needs a value" : "unknown option %s", name);
        }
        a.seen |= (unsigned)opt;
        rc = parse_option(opt, optarg, &a);
        if (rc != 0)
            return rc;
    }
    if (a.seen & O_HELP) {
        /* one buffer holds the whole help: a write error shows at close, with its reason */
        static char help_buffer[16384];
        (void)setvbuf(stdout, help_buffer, _IOFBF, sizeof(help_buffer));
        return close_stdout(fputs(usage_text, stdout) == EOF ||
                            fputs(usage_options, stdout) == EOF);
    }
    if (a.seen & O_VERSION)
        return close_stdout(printf("coord %s (libcoord %s)\n", COORD_VERSION_STRING,
                                   coord_version()) < 0);
    cmd = find_command(argc - optind, argv + optind);
    if (cmd == NULL)
        return usage_error("%s", argc == optind ? "no command" : "unknown command");
    rc = check_options(cmd, &a);
    if (rc != 0)
        return rc;
    if (a.base_url == NULL && (env = getenv("COORD_BASE_URL")) != NULL && env[0] != '\0')
        a.base_url = env;
    if (a.key == NULL)
        a.key = getenv("COORD_ACCESS_KEY");
    if (a.token == NULL && (env = getenv("COORD_TOKEN")) != NULL && env[0] != '\0')
        a.token = env;
    if (a.proxy == NULL && (env = getenv("COORD_PROXY")) != NULL && env[0] != '\0')
        a.proxy = env;
    if (a.base_url == NULL && !offline(cmd))
        return usage_error("no base URL: give %s", "--base-url or COORD_BASE_URL (the Coord "
                           "service is offline: run coord-sim, it prints the URL to use)");
    if ((a.key == NULL || a.key[0] == '\0') && !offline(cmd))
        return usage_error("no access key: give %s", "--key or COORD_ACCESS_KEY");
    if (coord_global_init() != COORD_OK) {
        fprintf(stderr, "coord: COORD_ERR_TRANSPORT: libcurl did not initialise\n");
        return exit_code(COORD_ERR_TRANSPORT);
    }
    rc = run(cmd, &a);
    coord_global_cleanup();
    return close_stdout(rc);
}
