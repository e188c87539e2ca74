/* Pure decoding: JSON text -> typed structs, via cJSON. No I/O.
 *
 * Objects are walked member by member against a table of known fields:
 * unknown members are skipped, a known member of the wrong type or seen twice
 * is an error that names it. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"

/* The largest integer a double holds exactly, with every smaller one. */
#define MAX_SAFE_INTEGER 9007199254740991.0

typedef struct decode_ctx {
    char *detail;
    size_t detail_size;
    size_t index; /* in a list: the entry decoded, "[3]." before every path in errors */
    int in_list;
} decode_ctx;

struct field;
typedef coord_status (*field_fn)(const cJSON *item, char *target, const struct field *f,
                                 decode_ctx *ctx);

/* One known member: where it goes in the target struct (offsets), and how
 * it is read. One generic reader per kind of value keeps the library small. */
typedef struct field {
    const char *name;
    const char *path; /* for error text, e.g. "billing_info.cost.amount" */
    field_fn decode;
    const struct field *members; /* nested objects: their fields */
    uint16_t off;                /* the value (a nested object: its struct) */
    uint16_t size;               /* strings: their storage; times: offset of the ms */
    uint16_t has;                /* offset of the has_ flag; NO_FLAG: none */
    uint8_t nmembers;
    uint8_t required;
} field;

#define NO_FLAG 0xffffu

/* cJSON_IsNull/IsNumber/...: the same test, inline instead of a call into
 * the shared library for every member. */
static int is_type(const cJSON *item, int type)
{
    return (item->type & 0xff) == type;
}

static coord_status fail(decode_ctx *ctx, const char *path, const char *why)
{
    /* outside a list the index is 0, which "%.0zu" prints as nothing */
    coord_set_text(ctx->detail, ctx->detail_size,
                   ctx->in_list ? "field [%zu].%s: %s" : "field %.0zu%s: %s", ctx->index, path,
                   why);
    return COORD_ERR_BAD_RESPONSE;
}

static coord_status decode_object(const cJSON *obj, const field *fields, size_t nfields,
                                  char *target, decode_ctx *ctx)
{
    uint32_t seen = 0;
    const cJSON *item;
    size_t i, next = 0, k;

    for (item = obj->child; item != NULL; item = item->next) {
        /* Servers list members in one order (Coord's: alphabetical, like the
         * tables): look from where the last match left off, so that each
         * member is usually found at the first try. */
        for (k = 0, i = next; k < nfields; k++, i = i + 1 < nfields ? i + 1 : 0)
            if (item->string[0] == fields[i].name[0] && strcmp(item->string, fields[i].name) == 0)
                break;
        if (k == nfields)
            continue; /* servers add fields over time */
        next = i + 1 < nfields ? i + 1 : 0;
        if (seen & (UINT32_C(1) << i))
            return fail(ctx, fields[i].path, "appears twice");
        seen |= UINT32_C(1) << i;
        if (is_type(item, cJSON_NULL) && !fields[i].required)
            continue;
        coord_status st = fields[i].decode(item, target, &fields[i], ctx);
        if (st != COORD_OK)
            return st;
    }
    /* only the fields not seen can be missing */
    for (uint32_t unseen = ~seen & ((UINT32_C(1) << nfields) - 1); unseen != 0;
         unseen &= unseen - 1) {
        i = (size_t)__builtin_ctz(unseen);
        if (fields[i].required)
            return fail(ctx, fields[i].path, "missing");
    }
    return COORD_OK;
}

static coord_status get_int64(const cJSON *item, int64_t *out, const char *path,
                              decode_ctx *ctx)
{
    double d;

    if (!is_type(item, cJSON_Number))
        return fail(ctx, path, "not a number");
    d = item->valuedouble;
    /* NaN fails both comparisons */
    if (!(d >= -MAX_SAFE_INTEGER && d <= MAX_SAFE_INTEGER))
        return fail(ctx, path, "integer outside +/-(2^53 - 1)");
    *out = (int64_t)d;
    if ((double)*out != d)
        return fail(ctx, path, "not a whole number");
    return COORD_OK;
}

/* One out-of-line copy for every string field keeps the library small. */
static __attribute__((noinline)) coord_status copy_string(const cJSON *item, char *dst,
                                                          size_t size, const char *path,
                                                          decode_ctx *ctx, int check_utf8)
{
    size_t n;

    if (!is_type(item, cJSON_String) || item->valuestring == NULL)
        return fail(ctx, path, "not a string");
    n = strlen(item->valuestring);
    if (n >= size) {
        char why[48];

        snprintf(why, sizeof(why), "longer than %u bytes", (unsigned)(size - 1));
        return fail(ctx, path, why);
    }
    if (check_utf8 && !coord_utf8_valid(item->valuestring, n))
        return fail(ctx, path, "invalid UTF-8");
    memcpy(dst, item->valuestring, n + 1);
    return COORD_OK;
}

/* ---- the readers, one per kind of value ---- */

static coord_status f_int64(const cJSON *item, char *t, const field *f, decode_ctx *ctx)
{
    return get_int64(item, (int64_t *)(void *)(t + f->off), f->path, ctx);
}

static coord_status f_string(const cJSON *item, char *t, const field *f, decode_ctx *ctx)
{
    return copy_string(item, t + f->off, f->size, f->path, ctx, 1);
}

static coord_status f_currency(const cJSON *item, char *t, const field *f, decode_ctx *ctx)
{
    const char *cur = t + f->off;
    coord_status st = f_string(item, t, f, ctx);

    if (st != COORD_OK)
        return st;
    for (int i = 0; i < 3; i++)
        if (cur[i] < 'A' || cur[i] > 'Z')
            return fail(ctx, f->path, "not an ISO 4217 code");
    return COORD_OK;
}

/* An RFC 3339 text kept as sent, its instant in ms at f->size, a has_ flag. */
static coord_status f_time(const cJSON *item, char *t, const field *f, decode_ctx *ctx)
{
    /* no UTF-8 pass: the RFC 3339 check that follows accepts ASCII only */
    coord_status st = copy_string(item, t + f->off, COORD_TIME_MAX, f->path, ctx, 0);

    if (st != COORD_OK)
        return st;
    if (coord_rfc3339_parse(t + f->off, (int64_t *)(void *)(t + f->size)) != 0)
        return fail(ctx, f->path, "not an RFC 3339 date-time");
    t[f->has] = 1;
    return COORD_OK;
}

/* A nested object decoded into its struct; the has_ flag records whether it decoded. */
static coord_status f_object(const cJSON *item, char *t, const field *f, decode_ctx *ctx)
{
    coord_status st = is_type(item, cJSON_Object)
                          ? decode_object(item, f->members, f->nmembers, t + f->off, ctx)
                          : fail(ctx, f->path, "not an object");

    if (f->has != NO_FLAG)
        t[f->has] = st == COORD_OK;
    return st;
}

#define STRING_AT(type, member) f_string, NULL, offsetof(type, member), \
    sizeof(((type *)0)->member), NO_FLAG, 0
#define INT64_AT(type, member) f_int64, NULL, offsetof(type, member), 0, NO_FLAG, 0
#define OBJECT_AT(type, member, members, has) f_object, members, offsetof(type, member), 0, has, \
    sizeof(members) / sizeof(members[0])

/* ---- money and billing ---- */

static const field money_fields[] = {
    {"amount", "billing_info.cost.amount", INT64_AT(coord_money, amount), 1},
    {"currency", "billing_info.cost.currency", f_currency, NULL, offsetof(coord_money, currency),
     COORD_CURRENCY_MAX, NO_FLAG, 0, 1},
};

static const field billing_fields[] = {
    {"cost", "billing_info.cost",
     OBJECT_AT(coord_billing_info, cost, money_fields, offsetof(coord_billing_info, has_cost)), 0},
};

/* ---- redemption ---- */

static const field barcode_fields[] = {
    {"data", "redemption_info.barcode.data", STRING_AT(coord_redemption_info, barcode_data), 0},
    {"format", "redemption_info.barcode.format",
     STRING_AT(coord_redemption_info, barcode_format), 0},
};

/* "barcode" fills redemption_info itself: no struct of its own */
static const field redemption_fields[] = {
    {"barcode", "redemption_info.barcode", f_object, barcode_fields, 0, 0, NO_FLAG, 2, 0},
};

/* ---- session ---- */

#define TIME_AT(text, ms, has) f_time, NULL, offsetof(coord_session, text), \
    offsetof(coord_session, ms), offsetof(coord_session, has), 0

static const field session_fields[] = { /* alphabetical: see decode_object */
    {"billing_info", "billing_info",
     OBJECT_AT(coord_session, billing_info, billing_fields,
               offsetof(coord_session, has_billing_info)), 0},
    {"end_time", "end_time", TIME_AT(end_time, end_time_ms, has_end_time), 0},
    {"id", "id", INT64_AT(coord_session, id), 1},
    {"location_id", "location_id", STRING_AT(coord_session, location_id), 0},
    {"redemption_info", "redemption_info",
     OBJECT_AT(coord_session, redemption_info, redemption_fields,
               offsetof(coord_session, has_redemption_info)), 0},
    {"resource_id", "resource_id", STRING_AT(coord_session, resource_id), 0},
    {"start_time", "start_time", TIME_AT(start_time, start_time_ms, has_start_time), 0},
    {"user_id", "user_id", STRING_AT(coord_session, user_id), 0},
};

/* Wipe every string in a parsed tree: the answer held a secret. */
static void wipe_strings(cJSON *item)
{
    for (; item != NULL; item = item->next) {
        if (cJSON_IsString(item) && item->valuestring != NULL)
            coord_wipe(item->valuestring, strlen(item->valuestring));
        wipe_strings(item->child);
    }
}

/* Parse the whole text as one JSON value; trailing bytes other than
 * white space are an error. Depth is bounded by cJSON (CJSON_NESTING_LIMIT). */
static coord_status parse(const char *json, size_t len, int secret, cJSON **out_root,
                          decode_ctx *ctx)
{
    const char *end = NULL;
    cJSON *root;

    *out_root = NULL;
    if (len == 0) {
        coord_set_text(ctx->detail, ctx->detail_size, "empty body");
        return COORD_ERR_BAD_RESPONSE;
    }
    coord_json_alloc_begin();
    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (root == NULL && coord_json_alloc_end() == COORD_ERR_OUT_OF_MEMORY) {
        coord_set_text(ctx->detail, ctx->detail_size, "out of memory parsing JSON");
        return COORD_ERR_OUT_OF_MEMORY;
    }
    if (root == NULL) {
        size_t at = end != NULL && end >= json ? (size_t)(end - json) : 0;
        coord_set_text(ctx->detail, ctx->detail_size, "invalid JSON near byte %zu", at);
        return COORD_ERR_BAD_RESPONSE;
    }
    for (; end < json + len; end++) {
        if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n') {
            coord_set_text(ctx->detail, ctx->detail_size, "bytes after the JSON value");
            if (secret)
                wipe_strings(root);
            cJSON_Delete(root);
            return COORD_ERR_BAD_RESPONSE;
        }
    }
    *out_root = root;
    return COORD_OK;
}

#define SESSION_FIELDS (sizeof(session_fields) / sizeof(session_fields[0]))

/* A whole answer that is one object of `fields` (`what` names it in errors);
 * with `secret`, cJSON's copies of its strings are wiped before release. */
static coord_status decode_document(const char *json, size_t len, const char *what,
                                    const field *fields, size_t nfields, char *target,
                                    int secret, decode_ctx *ctx, void *out, size_t out_size)
{
    cJSON *root;
    coord_status st = parse(json, len, secret, &root, ctx);

    if (st != COORD_OK) {
        coord_wipe(out, out_size); /* malformed, or out of memory */
        return st;
    }
    if (is_type(root, cJSON_Object)) {
        st = decode_object(root, fields, nfields, target, ctx);
    } else {
        coord_set_text(ctx->detail, ctx->detail_size, "%s is not a JSON object", what);
        st = COORD_ERR_BAD_RESPONSE;
    }
    if (secret)
        wipe_strings(root);
    cJSON_Delete(root);
    if (st != COORD_OK)
        coord_wipe(out, out_size); /* nothing half decoded is left, nor a secret */
    return st;
}

/* Empty every field: strings get a NUL first byte (what follows it is
 * unspecified), numbers and flags 0. The fields above redemption_info are
 * fixed by the ABI, so they are named here one by one; everything from
 * barcode_format on, the reserved tail with any field added later included,
 * is zeroed whole. Zeroing the whole struct (4 KiB) cost a fifth of what
 * decoding the fields does (callgrind). */
static void clear_session(coord_session *s)
{
    size_t tail = offsetof(coord_session, redemption_info.barcode_format);

    s->id = 0;
    s->location_id[0] = s->user_id[0] = s->resource_id[0] = '\0';
    s->has_start_time = s->has_end_time = s->has_billing_info = s->has_redemption_info = 0;
    s->start_time[0] = s->end_time[0] = '\0';
    s->start_time_ms = s->end_time_ms = 0;
    memset(&s->billing_info, 0, sizeof(s->billing_info));
    s->redemption_info.barcode_data[0] = '\0';
    memset((char *)s + tail, 0, sizeof(*s) - tail);
}

coord_status coord_decode_session(const char *json, size_t len, coord_session *out,
                                  char *detail, size_t detail_size)
{
    decode_ctx ctx = {detail, detail_size, 0, 0};

    clear_session(out);
    return decode_document(json, len, "session", session_fields, SESSION_FIELDS, (char *)out, 0,
                           &ctx, out, sizeof(*out));
}

/* ---- session lifecycle answers (issue 3) ---- */

coord_status coord_decode_session_list(const char *json, size_t len, coord_session_list *out,
                                       char *detail, size_t detail_size)
{
    decode_ctx ctx = {detail, detail_size, 0, 0};
    const cJSON *item;
    size_t count = 0, i = 0;
    cJSON *root;
    coord_status st;

    memset(out, 0, sizeof(*out));
    st = parse(json, len, 0, &root, &ctx);
    if (st != COORD_OK)
        return st;
    if (!cJSON_IsArray(root)) {
        coord_set_text(detail, detail_size, "session list is not a JSON array");
        st = COORD_ERR_BAD_RESPONSE;
        goto done;
    }
    for (item = root->child; item != NULL; item = item->next)
        count++;
    if (count > COORD_SESSION_LIST_MAX) {
        coord_set_text(detail, detail_size, "session list has more than %u entries",
                       COORD_SESSION_LIST_MAX);
        st = COORD_ERR_RESPONSE_TOO_LARGE;
        goto done;
    }
    if (count > 0) {
        out->sessions = coord_calloc(count, sizeof(*out->sessions));
        if (out->sessions == NULL) {
            coord_set_text(detail, detail_size, "out of memory for %zu sessions", count);
            st = COORD_ERR_OUT_OF_MEMORY;
            goto done;
        }
    }
    ctx.in_list = 1;
    for (item = root->child; item != NULL && st == COORD_OK; item = item->next, i++) {
        ctx.index = i;
        if (!cJSON_IsObject(item)) {
            coord_set_text(detail, detail_size, "[%zu]: session is not a JSON object", i);
            st = COORD_ERR_BAD_RESPONSE;
        } else {
            st = decode_object(item, session_fields, SESSION_FIELDS, (char *)&out->sessions[i],
                               &ctx);
        }
    }
    out->count = (uint32_t)count;

done:
    cJSON_Delete(root);
    if (st != COORD_OK) {
        coord_free(out->sessions);
        memset(out, 0, sizeof(*out));
    }
    return st;
}

/* A barcode answer has the shape of redemption_info.barcode, both members required. */
static const field barcode_answer_fields[] = {
    {"data", "data", STRING_AT(coord_redemption_info, barcode_data), 1},
    {"format", "format", STRING_AT(coord_redemption_info, barcode_format), 1},
};

coord_status coord_decode_barcode(const char *json, size_t len, coord_redemption_info *out,
                                  char *detail, size_t detail_size)
{
    decode_ctx ctx = {detail, detail_size, 0, 0};

    memset(out, 0, sizeof(*out));
    return decode_document(json, len, "barcode answer", barcode_answer_fields, 2, (char *)out, 0,
                           &ctx, out, sizeof(*out));
}

typedef struct token_sink {
    char *out;
    size_t size;
} token_sink;

static coord_status f_jwt_token(const cJSON *item, char *t, const field *f, decode_ctx *ctx)
{
    token_sink *sink = (token_sink *)(void *)t;
    const char *path = f->path;
    size_t n;

    if (!cJSON_IsString(item) || item->valuestring == NULL)
        return fail(ctx, path, "not a string");
    /* usable as a bearer token, or it is of no use to the caller */
    if (!coord_text_ok(item->valuestring, COORD_TOKEN_MAX))
        return fail(ctx, path, "empty, too long or with control characters");
    n = strlen(item->valuestring);
    if (n >= sink->size) {
        coord_set_text(ctx->detail, ctx->detail_size,
                       "the token needs %zu bytes; out_token has %zu", n + 1, sink->size);
        return COORD_ERR_INVALID_ARGUMENT;
    }
    memcpy(sink->out, item->valuestring, n + 1);
    return COORD_OK;
}

static const field jwt_fields[] = {
    {"jwt_token", "jwt_token", f_jwt_token, NULL, 0, 0, NO_FLAG, 0, 1},
};

coord_status coord_decode_jwt(const char *json, size_t len, char *out, size_t size,
                              char *detail, size_t detail_size)
{
    decode_ctx ctx = {detail, detail_size, 0, 0};
    token_sink sink = {out, size};

    out[0] = '\0';
    return decode_document(json, len, "create_jwt answer", jwt_fields, 1, (char *)&sink, 1, &ctx,
                           out, size);
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

coord_status coord_decode_error_body(const char *json, size_t len, int32_t *out_code,
                                     char *out_message, size_t message_size)
{
    decode_ctx ctx = {NULL, 0, 0, 0};
    cJSON *root;
    const cJSON *code, *message;
    coord_status st = parse(json, len, 0, &root, &ctx);

    if (st != COORD_OK)
        return st;
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

coord_status coord_session_decode(const char *json, size_t len, coord_session *out_session,
                                  char *out_detail, size_t detail_size)
{
    if (out_detail != NULL && detail_size > 0)
        out_detail[0] = '\0';
    if (json == NULL || out_session == NULL) {
        coord_set_text(out_detail, detail_size, "json and out_session must not be NULL");
        if (out_session != NULL)
            memset(out_session, 0, sizeof(*out_session));
        return COORD_ERR_INVALID_ARGUMENT;
    }
    return coord_decode_session(json, len, out_session, out_detail, detail_size);
}

coord_status coord_session_list_decode(const char *json, size_t len,
                                       coord_session_list *out_list,
                                       char *out_detail, size_t detail_size)
{
    coord_set_text(out_detail, detail_size, "%s", "");
    if (json == NULL || out_list == NULL) {
        coord_set_text(out_detail, detail_size, "json and out_list must not be NULL");
        if (out_list != NULL)
            memset(out_list, 0, sizeof(*out_list));
        return COORD_ERR_INVALID_ARGUMENT;
    }
    return coord_decode_session_list(json, len, out_list, out_detail, detail_size);
}
