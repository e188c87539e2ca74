/* Pure decoding: JSON text -> typed structs, via cJSON. No I/O.
 *
 * One function per object of the API (decode_money, decode_billing_info,
 * decode_redemption_info, decode_session, ...) looks its members up by name.
 * The rules are the same everywhere:
 *  - unknown members are ignored: servers add fields over time;
 *  - a known member of the wrong JSON type, a required member that is
 *    missing, and a member that appears twice are errors that name the
 *    member's path ("field billing_info.cost.amount: not a number");
 *  - null is absent, for an optional member;
 *  - integers are whole and within +/-(2^53 - 1); strings fit their storage
 *    (never truncated) and are well-formed UTF-8.
 * Errors go to a coord_error (status and detail) and leave the output zeroed. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"

/* The largest integer a double holds exactly, with every smaller one. */
#define MAX_SAFE_INTEGER 9007199254740991.0

/* Where an object sits in the answer, for error text only: a chain from the
 * object up to the answer, built on the stack as the decoder descends and
 * written out ("[3].billing_info.cost") only when an error is told. */
typedef struct where {
    const struct where *up; /* the enclosing object or list; NULL: the answer */
    const char *name;       /* its member name there; NULL: entry `index` of a list */
    size_t index;
} where;

/* The answer itself. */
#define ROOT NULL

/* cJSON_IsNumber(item) and its siblings, inline rather than a call into
 * the shared cJSON for every member read (the low byte is the type; flags
 * sit above it). */
static int is_type(const cJSON *item, int type)
{
    return (item->type & 0xff) == type;
}

/* What cJSON may take to parse an answer under these limits, and what a
 * list's array may take. */
static size_t memory_budget(const coord_decode_limits *limits)
{
    return (size_t)COORD_DECODE_MEMORY_FACTOR * limits->max_response_size;
}

/* ---- errors ---- */

static void path_text(const where *at, char *buf, size_t size)
{
    size_t n;

    if (at == ROOT) {
        buf[0] = '\0';
        return;
    }
    path_text(at->up, buf, size);
    n = strlen(buf);
    if (at->name == NULL)
        snprintf(buf + n, size - n, "[%zu]", at->index);
    else
        snprintf(buf + n, size - n, "%s%s", n > 0 ? "." : "", at->name);
}

/* The member `name` of the object at `at` is wrong: say which, and why. */
static coord_status field_error(coord_error *err, const where *at, const char *name,
                                const char *why)
{
    const where member = {at, name, 0};
    char path[COORD_MESSAGE_MAX / 2];

    path_text(&member, path, sizeof(path));
    return coord_error_fail(err, COORD_ERR_BAD_RESPONSE, "field %s: %s", path, why);
}

/* ---- finding members ---- */

/* *out = the member `name` of obj, NULL when there is none. A name that
 * appears twice is an error: which of the two did the server mean? Inline:
 * it walks every member for every lookup, ~45 steps for the end answer,
 * and is most of what decoding adds to cJSON's parse (callgrind). */
static inline coord_status find(const cJSON *obj, const where *at, const char *name,
                         const cJSON **out, coord_error *err)
{
    const cJSON *item;

    *out = NULL;
    for (item = obj->child; item != NULL; item = item->next) {
        /* the first byte decides for most members, without a call */
        if (item->string[0] != name[0] || strcmp(item->string, name) != 0)
            continue;
        if (*out != NULL)
            return field_error(err, at, name, "appears twice");
        *out = item;
    }
    return COORD_OK;
}

/* An optional member: *out is NULL when it is absent or null. */
static coord_status find_optional(const cJSON *obj, const where *at, const char *name,
                                  const cJSON **out, coord_error *err)
{
    coord_status st = find(obj, at, name, out, err);

    if (st == COORD_OK && *out != NULL && is_type(*out, cJSON_NULL))
        *out = NULL;
    return st;
}

/* A required member: absent is an error (null is the wrong type, for the
 * reader to refuse). */
static coord_status find_required(const cJSON *obj, const where *at, const char *name,
                                  const cJSON **out, coord_error *err)
{
    coord_status st = find(obj, at, name, out, err);

    if (st == COORD_OK && *out == NULL)
        return field_error(err, at, name, "missing");
    return st;
}

/* ---- reading values ---- */

static coord_status read_int64(const cJSON *item, const where *at, const char *name,
                               int64_t *out, coord_error *err)
{
    double d;

    if (!is_type(item, cJSON_Number))
        return field_error(err, at, name, "not a number");
    d = item->valuedouble;
    /* NaN fails both comparisons */
    if (!(d >= -MAX_SAFE_INTEGER && d <= MAX_SAFE_INTEGER))
        return field_error(err, at, name, "integer outside +/-(2^53 - 1)");
    if ((double)(int64_t)d != d)
        return field_error(err, at, name, "not a whole number");
    *out = (int64_t)d;
    return COORD_OK;
}

/* A string that does not fit its storage of `size` bytes (the NUL included). */
static coord_status too_long(coord_error *err, const where *at, const char *name, size_t size)
{
    char why[48];

    snprintf(why, sizeof(why), "longer than %zu bytes", size - 1);
    return field_error(err, at, name, why);
}

/* A string into its storage of `size` bytes (the NUL included). */
static coord_status read_string(const cJSON *item, const where *at, const char *name,
                                char *dst, size_t size, coord_error *err)
{
    size_t n;

    if (!is_type(item, cJSON_String) || item->valuestring == NULL)
        return field_error(err, at, name, "not a string");
    n = strlen(item->valuestring);
    if (n >= size)
        return too_long(err, at, name, size);
    if (!coord_utf8_valid(item->valuestring, n))
        return field_error(err, at, name, "invalid UTF-8");
    memcpy(dst, item->valuestring, n + 1);
    return COORD_OK;
}

static coord_status required_int64(const cJSON *obj, const where *at, const char *name,
                                   int64_t *out, coord_error *err)
{
    const cJSON *item;
    coord_status st = find_required(obj, at, name, &item, err);

    return st != COORD_OK ? st : read_int64(item, at, name, out, err);
}

static coord_status required_string(const cJSON *obj, const where *at, const char *name,
                                    char *dst, size_t size, coord_error *err)
{
    const cJSON *item;
    coord_status st = find_required(obj, at, name, &item, err);

    return st != COORD_OK ? st : read_string(item, at, name, dst, size, err);
}

/* Absent or null: dst is left as it is (empty). */
static coord_status optional_string(const cJSON *obj, const where *at, const char *name,
                                    char *dst, size_t size, coord_error *err)
{
    const cJSON *item;
    coord_status st = find_optional(obj, at, name, &item, err);

    if (st != COORD_OK || item == NULL)
        return st;
    return read_string(item, at, name, dst, size, err);
}

/* An RFC 3339 date-time: its text as sent (COORD_TIME_MAX bytes of storage)
 * and its instant in ms; *has = 1 when it was there. No UTF-8 pass, unlike
 * read_string(): the RFC 3339 parser accepts nothing but ASCII. */
static coord_status optional_time(const cJSON *obj, const where *at, const char *name,
                                  char *text, int64_t *ms, uint8_t *has, coord_error *err)
{
    const cJSON *item;
    size_t n;
    coord_status st = find_optional(obj, at, name, &item, err);

    if (st != COORD_OK || item == NULL)
        return st;
    if (!is_type(item, cJSON_String) || item->valuestring == NULL)
        return field_error(err, at, name, "not a string");
    n = strlen(item->valuestring);
    if (n >= COORD_TIME_MAX)
        return too_long(err, at, name, COORD_TIME_MAX);
    if (coord_rfc3339_parse(item->valuestring, ms) != 0)
        return field_error(err, at, name, "not an RFC 3339 date-time");
    memcpy(text, item->valuestring, n + 1);
    *has = 1;
    return COORD_OK;
}

/* A nested object: *out is NULL when it is absent or null. */
static coord_status optional_object(const cJSON *obj, const where *at, const char *name,
                                    const cJSON **out, coord_error *err)
{
    coord_status st = find_optional(obj, at, name, out, err);

    if (st == COORD_OK && *out != NULL && !is_type(*out, cJSON_Object))
        return field_error(err, at, name, "not an object");
    return st;
}

/* ---- the API's objects ---- */

/* {"amount": integer, "currency": "USD"}, both required. */
static coord_status decode_money(const cJSON *obj, const where *at, coord_money *out,
                                 coord_error *err)
{
    coord_status st = required_int64(obj, at, "amount", &out->amount, err);

    if (st == COORD_OK)
        st = required_string(obj, at, "currency", out->currency, sizeof(out->currency), err);
    if (st != COORD_OK)
        return st;
    for (int i = 0; i < 3; i++) /* a NUL before the third letter fails too */
        if (out->currency[i] < 'A' || out->currency[i] > 'Z')
            return field_error(err, at, "currency", "not an ISO 4217 code");
    return COORD_OK;
}

/* {"cost": money or null}: null is a cost not calculated yet, not zero. */
static coord_status decode_billing_info(const cJSON *obj, const where *at,
                                        coord_billing_info *out, coord_error *err)
{
    const where cost_at = {at, "cost", 0};
    const cJSON *cost;
    coord_status st = optional_object(obj, at, "cost", &cost, err);

    if (st != COORD_OK || cost == NULL)
        return st;
    out->has_cost = 1;
    return decode_money(cost, &cost_at, &out->cost, err);
}

/* {"barcode": {"data": string, "format": string}}, every member optional;
 * the barcode's members fill coord_redemption_info itself. */
static coord_status decode_redemption_info(const cJSON *obj, const where *at,
                                           coord_redemption_info *out, coord_error *err)
{
    const where barcode_at = {at, "barcode", 0};
    const cJSON *barcode;
    coord_status st = optional_object(obj, at, "barcode", &barcode, err);

    if (st != COORD_OK || barcode == NULL)
        return st;
    st = optional_string(barcode, &barcode_at, "data", out->barcode_data,
                         sizeof(out->barcode_data), err);
    if (st == COORD_OK)
        st = optional_string(barcode, &barcode_at, "format", out->barcode_format,
                             sizeof(out->barcode_format), err);
    return st;
}

/* A field added to coord_session (above `reserved`, which shrinks) must be
 * emptied in clear_session() too: this fails to compile until it is, and
 * then the check moves to the new field. */
typedef char clear_session_covers_every_field[
    offsetof(coord_session, reserved) ==
            offsetof(coord_session, recovered) + sizeof(((coord_session *)0)->recovered)
        ? 1 : -1];

/* Empty every field: a string needs only its first byte (the header leaves
 * the bytes after a NUL unspecified), `reserved` all of its bytes (ABI: a
 * field added later must read 0). Zeroing all 4 KiB instead cost ~500
 * instructions a decode, a sixth of what libcoord adds to cJSON's parse
 * (callgrind). */
static void clear_session(coord_session *s)
{
    s->id = 0;
    s->location_id[0] = s->user_id[0] = s->resource_id[0] = '\0';
    s->has_start_time = s->has_end_time = s->has_billing_info = s->has_redemption_info = 0;
    s->start_time[0] = s->end_time[0] = '\0';
    s->start_time_ms = s->end_time_ms = 0;
    memset(&s->billing_info, 0, sizeof(s->billing_info));
    s->redemption_info.barcode_data[0] = s->redemption_info.barcode_format[0] = '\0';
    s->recovered = 0;
    memset(s->reserved, 0, sizeof(s->reserved));
}

/* A session, into an emptied struct (clear_session, or calloc's zeroes):
 * only "id" is required. */
static coord_status decode_session(const cJSON *obj, const where *at, coord_session *out,
                                   coord_error *err)
{
    const where billing_at = {at, "billing_info", 0};
    const where redemption_at = {at, "redemption_info", 0};
    const cJSON *billing, *redemption;
    coord_status st = required_int64(obj, at, "id", &out->id, err);

    if (st == COORD_OK)
        st = optional_string(obj, at, "location_id", out->location_id,
                             sizeof(out->location_id), err);
    if (st == COORD_OK)
        st = optional_string(obj, at, "user_id", out->user_id, sizeof(out->user_id), err);
    if (st == COORD_OK)
        st = optional_string(obj, at, "resource_id", out->resource_id,
                             sizeof(out->resource_id), err);
    if (st == COORD_OK)
        st = optional_time(obj, at, "start_time", out->start_time, &out->start_time_ms,
                           &out->has_start_time, err);
    if (st == COORD_OK)
        st = optional_time(obj, at, "end_time", out->end_time, &out->end_time_ms,
                           &out->has_end_time, err);
    if (st == COORD_OK)
        st = optional_object(obj, at, "billing_info", &billing, err);
    if (st == COORD_OK && billing != NULL) {
        out->has_billing_info = 1;
        st = decode_billing_info(billing, &billing_at, &out->billing_info, err);
    }
    if (st == COORD_OK)
        st = optional_object(obj, at, "redemption_info", &redemption, err);
    if (st == COORD_OK && redemption != NULL) {
        out->has_redemption_info = 1;
        st = decode_redemption_info(redemption, &redemption_at, &out->redemption_info, err);
    }
    return st;
}

/* Entry i of a session list, into an emptied session. */
static coord_status decode_entry(const cJSON *item, size_t i, coord_session *out,
                                 coord_error *err)
{
    const where entry = {ROOT, NULL, i};

    if (!is_type(item, cJSON_Object))
        return coord_error_fail(err, COORD_ERR_BAD_RESPONSE,
                                "[%zu]: session is not a JSON object", i);
    return decode_session(item, &entry, out, err);
}

/* A JSON array of sessions into a new array, within the limits: at most
 * max_sessions entries, and at most the memory budget for the array. */
static coord_status decode_session_array(const cJSON *array, const coord_decode_limits *limits,
                                         coord_session_list *out, coord_error *err)
{
    const cJSON *item;
    size_t count = 0, i = 0;
    coord_status st = COORD_OK;

    for (item = array->child; item != NULL; item = item->next)
        count++;
    if (count > limits->max_sessions)
        return coord_error_fail(err, COORD_ERR_RESPONSE_TOO_LARGE,
                                "session list has more than %u entries", limits->max_sessions);
    if (count > memory_budget(limits) / sizeof(coord_session))
        return coord_error_fail(err, COORD_ERR_RESPONSE_TOO_LARGE,
                                "session list of %zu entries needs more than %zu bytes", count,
                                memory_budget(limits));
    if (count == 0)
        return COORD_OK;
    out->sessions = coord_calloc(count, sizeof(*out->sessions)); /* zeroed sessions */
    if (out->sessions == NULL)
        return coord_error_fail(err, COORD_ERR_OUT_OF_MEMORY, "out of memory for %zu sessions",
                                count);
    out->count = (uint32_t)count;
    for (item = array->child; item != NULL && st == COORD_OK; item = item->next, i++)
        st = decode_entry(item, i, &out->sessions[i], err);
    return st;
}

/* Each entry of a JSON array of sessions, decoded into *one and handed to
 * fn, until fn returns non-zero. */
static coord_status hand_over(const cJSON *array, coord_session *one, coord_session_each_fn fn,
                              void *user_data, coord_error *err)
{
    const cJSON *item;
    size_t i = 0;

    for (item = array->child; item != NULL; item = item->next, i++) {
        coord_status st;

        clear_session(one);
        st = decode_entry(item, i, one, err);
        if (st != COORD_OK)
            return st;
        if (fn(one, user_data) != 0)
            break;
    }
    return COORD_OK;
}

/* A callback that takes every session and keeps none: the first pass of
 * coord_decode_session_list_each(), which only checks. */
static int check_only(coord_session *session, void *user_data)
{
    (void)session;
    (void)user_data;
    return 0;
}

/* The create_jwt answer {"jwt_token": string}: the token, usable as a bearer
 * token (or it is of no use to the caller), into out. */
static coord_status decode_jwt_answer(const cJSON *obj, char *out, size_t size, coord_error *err)
{
    const cJSON *token;
    size_t n;
    coord_status st = find_required(obj, ROOT, "jwt_token", &token, err);

    if (st != COORD_OK)
        return st;
    if (!is_type(token, cJSON_String) || token->valuestring == NULL)
        return field_error(err, ROOT, "jwt_token", "not a string");
    if (!coord_text_ok(token->valuestring, COORD_TOKEN_MAX))
        return field_error(err, ROOT, "jwt_token", "empty, too long or with control characters");
    n = strlen(token->valuestring);
    if (n >= size)
        return coord_error_fail(err, COORD_ERR_INVALID_ARGUMENT,
                                "the token needs %zu bytes; out_token has %zu", n + 1, size);
    memcpy(out, token->valuestring, n + 1);
    return COORD_OK;
}

/* ---- whole answers ---- */

/* Parse the whole text as one JSON value into *root, cJSON taking at most
 * budget bytes. Trailing bytes other than white space are refused, with
 * *root still set: the caller releases the tree in every case
 * (cJSON_Delete(NULL) is a no-op). Depth is bounded by cJSON
 * (CJSON_NESTING_LIMIT). */
static coord_status parse(const char *json, size_t len, size_t budget, cJSON **root,
                          coord_error *err)
{
    const char *end = NULL;
    coord_status refused;

    *root = NULL;
    if (len == 0)
        return coord_error_fail(err, COORD_ERR_BAD_RESPONSE, "empty body");
    coord_json_alloc_begin(budget);
    *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    refused = coord_json_alloc_end();
    if (*root == NULL && refused == COORD_ERR_OUT_OF_MEMORY)
        return coord_error_fail(err, COORD_ERR_OUT_OF_MEMORY, "out of memory parsing JSON");
    if (*root == NULL && refused == COORD_ERR_RESPONSE_TOO_LARGE)
        return coord_error_fail(err, COORD_ERR_RESPONSE_TOO_LARGE,
                                "parsing the answer takes more than %zu bytes", budget);
    if (*root == NULL)
        return coord_error_fail(err, COORD_ERR_BAD_RESPONSE, "invalid JSON near byte %zu",
                                end != NULL && end >= json ? (size_t)(end - json) : 0);
    while (end < json + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    if (end < json + len)
        return coord_error_fail(err, COORD_ERR_BAD_RESPONSE, "bytes after the JSON value");
    return COORD_OK;
}

/* An answer that must be one JSON object; `what` names it in the error. */
static coord_status expect_object(const cJSON *root, const char *what, coord_error *err)
{
    if (is_type(root, cJSON_Object))
        return COORD_OK;
    return coord_error_fail(err, COORD_ERR_BAD_RESPONSE, "%s is not a JSON object", what);
}

coord_status coord_decode_session(const char *json, size_t len,
                                  const coord_decode_limits *limits, coord_session *out,
                                  coord_error *err)
{
    cJSON *root;
    coord_status st;

    clear_session(out);
    st = parse(json, len, memory_budget(limits), &root, err);
    if (st == COORD_OK)
        st = expect_object(root, "session", err);
    if (st == COORD_OK)
        st = decode_session(root, ROOT, out, err);
    cJSON_Delete(root);
    if (st != COORD_OK)
        memset(out, 0, sizeof(*out)); /* nothing half decoded is left */
    return st;
}

coord_status coord_decode_session_list(const char *json, size_t len,
                                       const coord_decode_limits *limits,
                                       coord_session_list *out, coord_error *err)
{
    cJSON *root;
    coord_status st;

    memset(out, 0, sizeof(*out));
    st = parse(json, len, memory_budget(limits), &root, err);
    if (st == COORD_OK && !is_type(root, cJSON_Array))
        st = coord_error_fail(err, COORD_ERR_BAD_RESPONSE, "session list is not a JSON array");
    if (st == COORD_OK)
        st = decode_session_array(root, limits, out, err);
    cJSON_Delete(root);
    if (st != COORD_OK) {
        coord_free(out->sessions);
        memset(out, 0, sizeof(*out));
    }
    return st;
}

coord_status coord_decode_session_list_each(const char *json, size_t len,
                                            const coord_decode_limits *limits,
                                            coord_session *one, coord_session_each_fn fn,
                                            void *user_data, coord_error *err)
{
    cJSON *root;
    coord_status st;

    clear_session(one);
    st = parse(json, len, memory_budget(limits), &root, err);
    if (st == COORD_OK && !is_type(root, cJSON_Array))
        st = coord_error_fail(err, COORD_ERR_BAD_RESPONSE, "session list is not a JSON array");
    /* every entry checked first: a malformed one fails the call before fn
     * has seen any (the list calls fail whole too) */
    if (st == COORD_OK)
        st = hand_over(root, one, check_only, NULL, err);
    if (st == COORD_OK) {
        clear_session(one); /* an empty list hands over nothing */
        st = hand_over(root, one, fn, user_data, err);
    }
    cJSON_Delete(root);
    if (st != COORD_OK)
        memset(one, 0, sizeof(*one));
    return st;
}

coord_status coord_decode_barcode(const char *json, size_t len,
                                  const coord_decode_limits *limits, coord_redemption_info *out,
                                  coord_error *err)
{
    cJSON *root;
    coord_status st;

    memset(out, 0, sizeof(*out));
    st = parse(json, len, memory_budget(limits), &root, err);
    if (st == COORD_OK)
        st = expect_object(root, "barcode answer", err);
    /* the answer has the shape of redemption_info.barcode, both members required */
    if (st == COORD_OK)
        st = required_string(root, ROOT, "data", out->barcode_data, sizeof(out->barcode_data),
                             err);
    if (st == COORD_OK)
        st = required_string(root, ROOT, "format", out->barcode_format,
                             sizeof(out->barcode_format), err);
    cJSON_Delete(root);
    if (st != COORD_OK)
        memset(out, 0, sizeof(*out));
    return st;
}

/* Wipe every string in a parsed tree before it is freed: the answer held a secret. */
static void wipe_strings(cJSON *item)
{
    for (; item != NULL; item = item->next) {
        if (cJSON_IsString(item) && item->valuestring != NULL)
            coord_wipe(item->valuestring, strlen(item->valuestring));
        wipe_strings(item->child);
    }
}

coord_status coord_decode_jwt(const char *json, size_t len, const coord_decode_limits *limits,
                              char *out, size_t size, coord_error *err)
{
    cJSON *root;
    coord_status st;

    out[0] = '\0';
    st = parse(json, len, memory_budget(limits), &root, err);
    if (st == COORD_OK)
        st = expect_object(root, "create_jwt answer", err);
    if (st == COORD_OK)
        st = decode_jwt_answer(root, out, size, err);
    wipe_strings(root);
    cJSON_Delete(root);
    if (st != COORD_OK)
        coord_wipe(out, size);
    return st;
}

coord_status coord_decode_error_body(const char *json, size_t len, int32_t *out_code,
                                     char *out_message, size_t message_size)
{
    coord_error scratch; /* why it is not an error body: the caller's own detail says that */
    const cJSON *code, *message;
    cJSON *root;
    /* A Coord error body is one short object: cJSON may take the factor
     * times its length (which is within the client's maximum response size,
     * so within the client's budget), or of COORD_MIN_RESPONSE_SIZE. */
    size_t measure = len < COORD_MIN_RESPONSE_SIZE   ? COORD_MIN_RESPONSE_SIZE
                     : len > COORD_MAX_RESPONSE_SIZE ? COORD_MAX_RESPONSE_SIZE
                                                     : len;
    coord_status st = parse(json, len, COORD_DECODE_MEMORY_FACTOR * measure, &root, &scratch);

    if (st != COORD_OK) {
        cJSON_Delete(root);
        return st;
    }
    st = COORD_ERR_BAD_RESPONSE;
    code = cJSON_GetObjectItemCaseSensitive(root, "code");
    message = cJSON_GetObjectItemCaseSensitive(root, "message");
    if (cJSON_IsNumber(code) && code->valuedouble >= INT32_MIN &&
        code->valuedouble <= INT32_MAX && (double)(int32_t)code->valuedouble == code->valuedouble &&
        (message == NULL || cJSON_IsString(message))) {
        *out_code = (int32_t)code->valuedouble;
        coord_set_text(out_message, message_size, "%s",
                       message != NULL ? message->valuestring : "");
        coord_text_clean(out_message); /* also a multi-byte character cut by truncation */
        st = COORD_OK;
    }
    cJSON_Delete(root);
    return st;
}

char *coord_encode_strings(const char *const *names, const char *const *values, size_t n)
{
    cJSON *obj = cJSON_CreateObject();
    size_t i, size = 3; /* {} and the NUL */
    char *text = NULL;

    for (i = 0; obj != NULL && i < n; i++) {
        if (values[i] == NULL)
            continue;
        /* escaping can at most sextuple a byte (\u00XX); plus quotes, colon, comma */
        size += 6 * (strlen(names[i]) + strlen(values[i])) + 6;
        if (cJSON_AddStringToObject(obj, names[i], values[i]) == NULL)
            goto done;
    }
    if (obj == NULL)
        return NULL;
    size += 5; /* cJSON asks for 5 spare bytes with preallocated printing */
    text = coord_malloc(size);
    if (text != NULL && !cJSON_PrintPreallocated(obj, text, (int)size, 0)) {
        coord_free(text);
        text = NULL;
    }
done:
    cJSON_Delete(obj);
    return text;
}

/* ---- the public decoders: no client, the detail copied out ---- */

/* Without a client, a new client's limits. */
static const coord_decode_limits default_limits = {
    .max_response_size = COORD_DEFAULT_MAX_RESPONSE_SIZE,
    .max_sessions = COORD_DEFAULT_MAX_SESSIONS,
};

/* err's detail into the caller's buffer, truncated to fit (no printf: this
 * runs on every successful decode too, with an empty detail). */
static void copy_detail(char *out_detail, size_t detail_size, const coord_error *err)
{
    size_t n = strlen(err->detail);

    if (out_detail == NULL || detail_size == 0)
        return;
    if (n >= detail_size)
        n = detail_size - 1;
    memcpy(out_detail, err->detail, n);
    out_detail[n] = '\0';
}

coord_status coord_session_decode(const char *json, size_t len, coord_session *out_session,
                                  char *out_detail, size_t detail_size)
{
    coord_error err; /* a decoder writes its status and detail, nothing else */
    coord_status st;

    err.detail[0] = '\0';
    if (json == NULL || out_session == NULL) {
        if (out_session != NULL)
            memset(out_session, 0, sizeof(*out_session));
        st = coord_error_fail(&err, COORD_ERR_INVALID_ARGUMENT,
                              "json and out_session must not be NULL");
    } else {
        st = coord_decode_session(json, len, &default_limits, out_session, &err);
    }
    copy_detail(out_detail, detail_size, &err);
    return st;
}

coord_status coord_session_list_decode(const char *json, size_t len,
                                       coord_session_list *out_list,
                                       char *out_detail, size_t detail_size)
{
    coord_error err; /* a decoder writes its status and detail, nothing else */
    coord_status st;

    err.detail[0] = '\0';
    if (json == NULL || out_list == NULL) {
        if (out_list != NULL)
            memset(out_list, 0, sizeof(*out_list));
        st = coord_error_fail(&err, COORD_ERR_INVALID_ARGUMENT,
                              "json and out_list must not be NULL");
    } else {
        st = coord_decode_session_list(json, len, &default_limits, out_list, &err);
    }
    copy_detail(out_detail, detail_size, &err);
    return st;
}

coord_status coord_session_list_decode_each(const char *json, size_t len,
                                            coord_session *session, coord_session_each_fn fn,
                                            void *user_data, char *out_detail,
                                            size_t detail_size)
{
    coord_error err; /* a decoder writes its status and detail, nothing else */
    coord_status st;

    err.detail[0] = '\0';
    if (json == NULL || session == NULL || fn == NULL) {
        if (session != NULL)
            memset(session, 0, sizeof(*session));
        st = coord_error_fail(&err, COORD_ERR_INVALID_ARGUMENT,
                              "json, session and fn must not be NULL");
    } else {
        st = coord_decode_session_list_each(json, len, &default_limits, session, fn, user_data,
                                            &err);
    }
    copy_detail(out_detail, detail_size, &err);
    return st;
}
