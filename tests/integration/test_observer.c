/* The call record (coord_client_set_observer) over real HTTP against the
 * simulator: one record per call, blocking and non-blocking, with libcurl's
 * timings in order, the server's request id, connection reuse, retries and
 * their reasons, the replay-safe recovery, the time queued, a record per
 * poll of a wait -- and never the access key or the token, even when the
 * server echoes them in its request id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "coord/coord.h"
#include "sim_client.h"

#define LOT "LOT-O"
#define TOKEN sim_user_token()
#define MAX_RECORDS 16

/* What the observer saw, and what the async callbacks saw of it. */
static struct {
    int count;
    coord_call_record records[MAX_RECORDS];
    int leaks; /* records holding the key or the token (any 12 bytes of it) */
} seen;

/* 1 when any 12-byte piece of secret appears in the n bytes at p. */
static int holds_piece(const void *p, size_t n, const char *secret)
{
    size_t len = strlen(secret);
    const unsigned char *b = p;

    for (size_t i = 0; i + 12 <= len; i++)
        for (size_t j = 0; j + 12 <= n; j++)
            if (memcmp(b + j, secret + i, 12) == 0)
                return 1;
    return 0;
}

static void on_record(const coord_call_record *r, void *user_data)
{
    assert_ptr_equal(user_data, &seen);
    if (holds_piece(r, sizeof(*r), sim_key()) || holds_piece(r, sizeof(*r), TOKEN))
        seen.leaks++;
    assert_true(seen.count < MAX_RECORDS);
    seen.records[seen.count++] = *r;
}

static int setup(void **state)
{
    (void)state;
    sim_reset();
    sim_location(LOT, 200, 0, 0);
    memset(&seen, 0, sizeof(seen));
    return 0;
}

static coord_client *observed_client(uint32_t attempts)
{
    coord_client *c = sim_user_client();

    assert_int_equal(coord_client_set_observer(c, on_record, &seen), COORD_OK);
    assert_int_equal(coord_client_set_retry(c, attempts, 10, 50), COORD_OK);
    return c;
}

static int64_t seed(void)
{
    return sim_session(LOT, 90, 0, NULL, 0);
}

/* What every record of a call that reached the simulator holds. */
static void assert_record(const coord_call_record *r, coord_operation op, int64_t session_id,
                          coord_status status, int32_t http_status)
{
    static const uint8_t zeros[sizeof(r->reserved)];

    assert_int_equal(r->size, sizeof(coord_call_record));
    assert_string_equal(coord_operation_name(r->operation), coord_operation_name(op));
    assert_int_equal(r->session_id, session_id);
    assert_string_equal(r->location_id, LOT);
    assert_string_equal(coord_status_name((coord_status)r->status), coord_status_name(status));
    assert_int_equal(r->http_status, http_status);
    assert_memory_equal(r->reserved, zeros, sizeof(zeros));
    assert_true(r->elapsed_us > 0);
}

/* Timings present and in order; plain HTTP: no TLS time. */
static void assert_timings(const coord_call_record *r)
{
    assert_int_equal(r->has_timings, 1);
    assert_int_equal(r->tls_us, 0);
    assert_true(r->dns_us >= 0);
    assert_true(r->dns_us <= r->connect_us || r->connect_us == 0);
    assert_true(r->connect_us <= r->ttfb_us);
    assert_true(r->ttfb_us > 0);
    assert_true(r->ttfb_us <= r->total_us);
    assert_true(r->total_us <= r->elapsed_us);
    assert_int_equal(r->http_version, 11);
    /* a PUT with its headers; an answer of a session's JSON and headers */
    assert_in_range(r->bytes_sent, 100, 4096);
    assert_in_range(r->bytes_received, 200, 8192);
}

/* The request id the simulator sent with its last answer. */
static void assert_request_id(const coord_call_record *r)
{
    char sent[64];

    assert_int_equal(sim_last_request(NULL, "request_id", sent, sizeof(sent)), 0);
    assert_string_equal(r->request_id, sent);
    assert_int_equal(strncmp(sent, "sim-", 4), 0);
}

static void blocking_end_then_reuse(void **state)
{
    coord_client *c = observed_client(3);
    int64_t first = seed(), second = seed();
    coord_session s;
    (void)state;

    assert_int_equal(coord_end_session(c, LOT, first, &s), COORD_OK);
    assert_int_equal(seen.count, 1);
    assert_record(&seen.records[0], COORD_OP_END_SESSION, first, COORD_OK, 200);
    assert_timings(&seen.records[0]);
    assert_request_id(&seen.records[0]);
    assert_int_equal(seen.records[0].attempts, 1);
    assert_int_equal(seen.records[0].retries, 0);
    assert_int_equal(seen.records[0].recovered, 0);
    assert_int_equal(seen.records[0].call_id, 0);
    assert_int_equal(seen.records[0].queued_us, 0);
    assert_int_equal(seen.records[0].connection_reused, 0);
    assert_int_equal(seen.records[0].connections_opened, 1);
    assert_true(seen.records[0].connect_us > 0);

    /* the second call on the kept-alive connection */
    assert_int_equal(coord_end_session(c, LOT, second, &s), COORD_OK);
    assert_int_equal(seen.count, 2);
    assert_record(&seen.records[1], COORD_OP_END_SESSION, second, COORD_OK, 200);
    assert_timings(&seen.records[1]);
    assert_request_id(&seen.records[1]);
    assert_string_not_equal(seen.records[0].request_id, seen.records[1].request_id);
    assert_int_equal(seen.records[1].connection_reused, 1);
    assert_int_equal(seen.records[1].connections_opened, 0);
    assert_int_equal(seen.leaks, 0);
    coord_client_free(c);
}

static void each_operation_is_named(void **state)
{
    coord_client *c = observed_client(1);
    coord_session s;
    coord_session_list list;
    int64_t id = seed();
    (void)state;

    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_OK);
    assert_int_equal(coord_session_list_location(c, LOT, &list), COORD_OK);
    coord_session_list_free(&list);
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_ERR_ALREADY_ENDED);
    assert_int_equal(seen.count, 4);
    assert_record(&seen.records[0], COORD_OP_GET_SESSION, id, COORD_OK, 200);
    assert_record(&seen.records[1], COORD_OP_LIST_LOCATION, 0, COORD_OK, 200);
    assert_record(&seen.records[2], COORD_OP_END_SESSION, id, COORD_OK, 200);
    assert_record(&seen.records[3], COORD_OP_END_SESSION, id, COORD_ERR_ALREADY_ENDED, 409);
    assert_request_id(&seen.records[3]);
    assert_string_equal(coord_operation_name(COORD_OP_LIST_USER), "list_user");
    assert_string_equal(coord_operation_name(COORD_OP_WAIT_POLL), "wait_poll");
    assert_string_equal(coord_operation_name(0), "unknown");
    assert_string_equal(coord_operation_name(1000), "unknown");
    coord_client_free(c);
}

static void retries_and_their_reasons(void **state)
{
    coord_client *c = observed_client(6);
    coord_session s;
    const coord_call_record *r = &seen.records[0];
    int64_t id = seed();
    (void)state;

    /* five answers of 503, then the real one: five retries, four reasons kept */
    sim_fault("{\"mode\":\"status\",\"status\":503,\"count\":5}");
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_int_equal(seen.count, 1);
    assert_record(r, COORD_OP_END_SESSION, id, COORD_OK, 200);
    assert_int_equal(r->attempts, 6);
    assert_int_equal(r->retries, 5);
    for (int i = 0; i < COORD_RECORD_RETRIES_MAX; i++) {
        assert_int_equal(r->retry_reasons[i].status, COORD_ERR_SERVER);
        assert_int_equal(r->retry_reasons[i].http_status, 503);
    }
    assert_int_equal(r->recovered, 0);

    /* a connection closed unanswered, then the answer: on a new client,
     * whose first connection is new (libcurl itself sends again, unseen,
     * on a kept-alive one that dies) */
    coord_client_free(c);
    c = observed_client(6);
    sim_fault("{\"mode\":\"close\",\"count\":1}");
    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_OK);
    assert_int_equal(seen.count, 2);
    r = &seen.records[1];
    assert_record(r, COORD_OP_GET_SESSION, id, COORD_OK, 200);
    assert_int_equal(r->retries, 1);
    assert_int_equal(r->retry_reasons[0].status, COORD_ERR_TRANSPORT);
    assert_int_equal(r->retry_reasons[0].http_status, 0);
    assert_int_equal(r->retry_reasons[1].status, 0);
    assert_int_equal(r->connections_opened, 2); /* the closed one, and a new one */
    assert_timings(r);

    /* out of attempts: the record is the failure's */
    sim_fault("{\"mode\":\"status\",\"status\":502,\"count\":6}");
    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_ERR_SERVER);
    r = &seen.records[2];
    assert_record(r, COORD_OP_GET_SESSION, id, COORD_ERR_SERVER, 502);
    assert_int_equal(r->attempts, 6);
    assert_int_equal(r->retries, 5);
    assert_int_equal(r->retry_reasons[3].http_status, 502);
    assert_int_equal(seen.leaks, 0);
    coord_client_free(c);
}

static void recovery_is_reported(void **state)
{
    coord_client *c = observed_client(3);
    coord_session s;
    const coord_call_record *r = &seen.records[0];
    int64_t id = seed();
    (void)state;

    sim_fault("{\"mode\":\"end_then_drop\"}");
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_int_equal(s.recovered, 1);
    assert_int_equal(seen.count, 1);
    /* PUT (answer lost), PUT (409), GET: the record is the end's */
    assert_record(r, COORD_OP_END_SESSION, id, COORD_OK, 200);
    assert_int_equal(r->recovered, 1);
    assert_int_equal(r->attempts, 3);
    assert_int_equal(r->retries, 1);
    assert_int_equal(r->retry_reasons[0].status, COORD_ERR_TRANSPORT);
    assert_timings(r);
    assert_request_id(r); /* the GET's answer */
    coord_client_free(c);
}

/* A gzip answer that decodes to 100 KB counts the bytes that came. */
static void bytes_are_counted_as_received(void **state)
{
    coord_client *c = observed_client(1);
    coord_session s;
    int64_t id = seed();
    (void)state;

    sim_fault("{\"mode\":\"gzip\",\"pad_bytes\":100000}");
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_int_equal(seen.count, 1);
    assert_timings(&seen.records[0]);
    /* headers and a compressed body: far under the 100 KB it decodes to */
    assert_in_range(seen.records[0].bytes_received, 200, 2000);
    coord_client_free(c);
}

/* The request's body counts once: two creates whose bodies differ by 100
 * bytes (and their Content-Length by one digit) differ by 101 bytes sent. */
static void bytes_sent_count_the_body_once(void **state)
{
    coord_client *c = observed_client(1);
    coord_session s;
    char resource[111];
    (void)state;

    sim_location("LOT-P", 200, 0, 0); /* as long a name as LOT: the paths are as long */
    memset(resource, 'R', sizeof(resource) - 1);
    resource[110] = '\0';
    assert_int_equal(coord_session_create(c, "LOT-P", resource, &s), COORD_OK);
    resource[10] = '\0'; /* {"resource_id":"RRRRRRRRRR"}: 28 bytes, then 128 */
    assert_int_equal(coord_session_create(c, LOT, resource, &s), COORD_OK);
    assert_int_equal(seen.count, 2);
    assert_int_equal(seen.records[0].bytes_sent - seen.records[1].bytes_sent, 101);
    coord_client_free(c);
}

/* A server that echoes the token and the key in its request id. */
static void no_secret_in_the_request_id(void **state)
{
    coord_client *c = observed_client(1);
    coord_session s;
    char fault[1024];
    int64_t id = seed();
    (void)state;

    snprintf(fault, sizeof(fault), "{\"mode\":\"status\",\"status\":500,\"headers\":"
             "{\"X-Request-Id\":\"%s\"}}", TOKEN);
    sim_fault(fault);
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_ERR_SERVER);
    snprintf(fault, sizeof(fault), "{\"mode\":\"status\",\"status\":500,\"headers\":"
             "{\"X-Request-Id\":\"id-%s\"}}", sim_key());
    sim_fault(fault);
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_ERR_SERVER);
    assert_int_equal(seen.count, 2);
    assert_record(&seen.records[0], COORD_OP_END_SESSION, id, COORD_ERR_SERVER, 500);
    assert_null(strstr(seen.records[0].request_id, "eyJ")); /* a JWT's start */
    assert_string_equal(seen.records[1].request_id, "id-[redacted]");
    assert_int_equal(seen.leaks, 0);
    coord_client_free(c);
}

static void refused_arguments_and_no_observer_give_none(void **state)
{
    coord_client *c = observed_client(1);
    coord_session s;
    int64_t id = seed();
    (void)state;

    assert_int_equal(coord_end_session(c, "", id, &s), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_end_session(c, LOT, id, NULL), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(seen.count, 0);
    assert_int_equal(coord_client_set_observer(c, NULL, NULL), COORD_OK);
    assert_int_equal(coord_end_session(c, LOT, id, &s), COORD_OK);
    assert_int_equal(seen.count, 0);
    assert_int_equal(coord_client_set_observer(NULL, on_record, &seen),
                     COORD_ERR_INVALID_ARGUMENT);
    coord_client_free(c);
}

static void a_wait_gives_a_record_per_poll(void **state)
{
    coord_client *c = observed_client(1);
    coord_session s;
    int64_t id = seed();
    (void)state;

    /* an active session never ends here: polls until the wait's timeout */
    assert_int_equal(coord_session_wait(c, LOT, id, COORD_WAIT_ENDED, 250, 50, &s),
                     COORD_ERR_TIMEOUT);
    assert_true(seen.count >= 2);
    for (int i = 0; i < seen.count; i++) {
        assert_record(&seen.records[i], COORD_OP_WAIT_POLL, id, COORD_OK, 200);
        assert_timings(&seen.records[i]);
    }
    coord_client_free(c);
}

/* ---- non-blocking ---- */

typedef struct async_result {
    int calls;
    coord_status status;
    uint64_t id;
    int records_before; /* records the observer had made when the callback ran */
} async_result;

static void on_session(coord_call *call, coord_status status, const coord_error *error,
                       const coord_session *session, void *user_data)
{
    async_result *r = user_data;

    (void)error;
    (void)session;
    r->calls++;
    r->status = status;
    r->id = coord_call_id(call);
    r->records_before = seen.count;
}

static const coord_call_record *record_of(uint64_t call_id)
{
    for (int i = 0; i < seen.count; i++)
        if (seen.records[i].call_id == call_id)
            return &seen.records[i];
    fail_msg("no record of call %llu", (unsigned long long)call_id);
    return NULL;
}

static void non_blocking_calls_queued_and_retried(void **state)
{
    coord_client *c = observed_client(3);
    coord_loop *loop = NULL;
    async_result r[3];
    int64_t ids[3];
    coord_call *calls[3];
    (void)state;

    assert_int_equal(coord_loop_new(&loop), COORD_OK);
    /* one call at a time: the second and third wait in the queue */
    assert_int_equal(coord_loop_set_limits(loop, 1, 4), COORD_OK);
    memset(r, 0, sizeof(r));
    sim_fault("{\"mode\":\"status\",\"status\":503,\"count\":1}");
    for (int i = 0; i < 3; i++)
        ids[i] = seed();
    for (int i = 0; i < 3; i++) {
        assert_int_equal(coord_end_session_async(loop, c, LOT, ids[i], on_session, &r[i],
                                                 &calls[i]), COORD_OK);
    }
    assert_int_equal(coord_loop_run(loop), COORD_OK);
    assert_int_equal(seen.count, 3);
    for (int i = 0; i < 3; i++) {
        const coord_call_record *rec = record_of(r[i].id);

        assert_int_equal(r[i].calls, 1);
        assert_int_equal(r[i].status, COORD_OK);
        assert_int_equal(rec->call_id, r[i].id);
        assert_record(rec, COORD_OP_END_SESSION, ids[i], COORD_OK, 200);
        assert_timings(rec);
        assert_true(rec->elapsed_us >= rec->queued_us);
        /* the record came first, then the callback */
        assert_true(r[i].records_before >= 1 && &seen.records[r[i].records_before - 1] == rec);
        if (i == 0) {
            assert_int_equal(rec->queued_us, 0);
            assert_int_equal(rec->retries, 1);
            assert_int_equal(rec->retry_reasons[0].status, COORD_ERR_SERVER);
            assert_int_equal(rec->retry_reasons[0].http_status, 503);
            assert_int_equal(rec->connection_reused, 1); /* the retry on the same connection */
        } else {
            assert_true(rec->queued_us > 0);
            assert_int_equal(rec->retries, 0);
        }
    }
    /* the third was queued behind the other two */
    assert_true(record_of(r[2].id)->queued_us >= record_of(r[1].id)->queued_us);
    assert_int_equal(seen.leaks, 0);
    coord_loop_free(loop);
    coord_client_free(c);
}

static void non_blocking_recovery_wait_and_cancel(void **state)
{
    coord_client *c = observed_client(3);
    coord_loop *loop = NULL;
    async_result ended, waited, cancelled;
    coord_call *call = NULL;
    int64_t id = seed(), active = seed();
    const coord_call_record *rec;
    (void)state;

    memset(&ended, 0, sizeof(ended));
    memset(&waited, 0, sizeof(waited));
    memset(&cancelled, 0, sizeof(cancelled));
    assert_int_equal(coord_loop_new(&loop), COORD_OK);
    sim_fault("{\"mode\":\"end_then_drop\"}");
    assert_int_equal(coord_end_session_async(loop, c, LOT, id, on_session, &ended, NULL),
                     COORD_OK);
    assert_int_equal(coord_loop_run(loop), COORD_OK);
    assert_int_equal(ended.status, COORD_OK);
    rec = record_of(ended.id);
    assert_record(rec, COORD_OP_END_SESSION, id, COORD_OK, 200);
    assert_int_equal(rec->recovered, 1);
    assert_int_equal(rec->attempts, 3);

    /* a wait: a record per poll, the last before the callback */
    seen.count = 0;
    assert_int_equal(coord_session_wait_async(loop, c, LOT, active, COORD_WAIT_ENDED, 250, 50,
                                              on_session, &waited, NULL), COORD_OK);
    assert_int_equal(coord_loop_run(loop), COORD_OK);
    assert_int_equal(waited.status, COORD_ERR_TIMEOUT);
    assert_true(seen.count >= 2);
    assert_int_equal(waited.records_before, seen.count);
    for (int i = 0; i < seen.count; i++) {
        assert_record(&seen.records[i], COORD_OP_WAIT_POLL, active, COORD_OK, 200);
        assert_int_equal(seen.records[i].call_id, waited.id);
    }

    /* cancelled before it ran: a record without timings */
    seen.count = 0;
    assert_int_equal(coord_session_get_async(loop, c, LOT, active, on_session, &cancelled,
                                             &call), COORD_OK);
    assert_int_equal(coord_call_cancel(call), COORD_OK);
    assert_int_equal(cancelled.status, COORD_ERR_CANCELLED);
    assert_int_equal(seen.count, 1);
    assert_record(&seen.records[0], COORD_OP_GET_SESSION, active, COORD_ERR_CANCELLED, 0);
    assert_int_equal(seen.records[0].has_timings, 0);
    assert_int_equal(seen.records[0].total_us, 0);
    assert_string_equal(seen.records[0].request_id, "");
    assert_int_equal(seen.leaks, 0);
    coord_loop_free(loop);
    coord_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(blocking_end_then_reuse, setup),
        cmocka_unit_test_setup(each_operation_is_named, setup),
        cmocka_unit_test_setup(retries_and_their_reasons, setup),
        cmocka_unit_test_setup(recovery_is_reported, setup),
        cmocka_unit_test_setup(bytes_are_counted_as_received, setup),
        cmocka_unit_test_setup(bytes_sent_count_the_body_once, setup),
        cmocka_unit_test_setup(no_secret_in_the_request_id, setup),
        cmocka_unit_test_setup(refused_arguments_and_no_observer_give_none, setup),
        cmocka_unit_test_setup(a_wait_gives_a_record_per_poll, setup),
        cmocka_unit_test_setup(non_blocking_calls_queued_and_retried, setup),
        cmocka_unit_test_setup(non_blocking_recovery_wait_and_cancel, setup),
    };
    return cmocka_run_group_tests_name("observer (simulator)", tests, sim_group_setup,
                                       sim_group_teardown);
}
