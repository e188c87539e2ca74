/* Issue 12: a hostile or broken server against the SDK, over real loopback
 * HTTP (the simulator's fault modes). Secrets echoed in any spelling never
 * reach the error record or the log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "coord/coord.h"
#include "sim_client.h"

#define LOT "LOT-H"

/* Keys with_sim.sh makes the simulator accept besides COORD_SIM_KEY. */
static const char *odd_key(void)
{
    const char *key = getenv("COORD_SIM_ODD_KEY");

    assert_non_null(key); /* run through tests/sim/with_sim.sh */
    return key;
}

static const char *digit_key(void)
{
    const char *key = getenv("COORD_SIM_DIGIT_KEY");

    assert_non_null(key);
    return key;
}

/* Every log line of the current test, one per line. */
static char logged[16384];

static void on_log(coord_log_level level, const char *message, void *user_data)
{
    size_t len = strlen(logged);

    (void)level;
    (void)user_data;
    snprintf(logged + len, sizeof(logged) - len, "%s\n", message);
}

static coord_client *client_with(const char *key, const char *token)
{
    coord_client *c = NULL;

    assert_int_equal(coord_client_new(sim_api_base(), key, &c), COORD_OK);
    assert_int_equal(coord_client_set_bearer_token(c, token), COORD_OK);
    assert_int_equal(coord_client_set_log(c, on_log, NULL, COORD_LOG_DEBUG), COORD_OK);
    assert_int_equal(coord_client_set_retry(c, 3, 10, 50), COORD_OK);
    return c;
}

/* Neither the record nor any log line holds text. */
static void assert_nowhere(const coord_client *c, const char *text)
{
    const coord_error *e = coord_client_last_error(c);

    if (strstr(e->detail, text) != NULL || strstr(e->api_message, text) != NULL ||
        strstr(logged, text) != NULL)
        fail_msg("\"%s\" leaked: detail \"%s\", api_message \"%s\", log:\n%s", text,
                 e->detail, e->api_message, logged);
}

/* Arm a fault answering `status` with a Coord error body carrying message. */
static void fault_saying(int status, const char *message)
{
    cJSON *fault = cJSON_CreateObject(), *body = cJSON_CreateObject();
    char *body_text, *fault_text;

    cJSON_AddNumberToObject(body, "code", status);
    cJSON_AddStringToObject(body, "message", message);
    body_text = cJSON_PrintUnformatted(body);
    cJSON_AddStringToObject(fault, "mode", "status");
    cJSON_AddNumberToObject(fault, "status", status);
    cJSON_AddStringToObject(fault, "body", body_text);
    fault_text = cJSON_PrintUnformatted(fault);
    sim_fault(fault_text);
    cJSON_free(fault_text);
    cJSON_free(body_text);
    cJSON_Delete(fault);
    cJSON_Delete(body);
}

static int setup(void **state)
{
    (void)state;
    sim_reset();
    sim_location(LOT, 200, 0, 0);
    logged[0] = '\0';
    return 0;
}

/* The simulator takes a key with reserved characters and a space: it
 * travels escaped and arrives as it is. */
static void a_key_with_reserved_characters_travels(void **state)
{
    coord_client *c = client_with(odd_key(), sim_user_token());
    int64_t id = sim_session(LOT, 10, 0, NULL, 0);
    coord_session s;
    char sent[256];
    (void)state;

    assert_int_equal(coord_session_get(c, LOT, id, &s), COORD_OK);
    assert_int_equal(s.id, id);
    assert_int_equal(sim_last_request("query", "access_key", sent, sizeof(sent)), 0);
    assert_string_equal(sent, odd_key());
    assert_nowhere(c, "access_key=");
    coord_client_free(c);
}

/* Point 3: a Retry-After that echoes the key (a key of digits is a valid
 * delay, beyond the cap) was appended to the detail after redaction. */
static void a_retry_after_echoing_the_key_is_redacted(void **state)
{
    coord_client *c = client_with(digit_key(), sim_user_token());
    coord_session s;
    char fault[256];
    (void)state;

    snprintf(fault, sizeof(fault),
             "{\"mode\":\"status\",\"status\":503,\"headers\":{\"Retry-After\":\"%s\"}}",
             digit_key());
    sim_fault(fault);
    assert_int_equal(coord_session_get(c, LOT, 1, &s), COORD_ERR_SERVER);
    assert_string_equal(coord_client_last_error(c)->detail,
                        "HTTP 503: simulated fault (code 503); "
                        "Retry-After [redacted] s is beyond the cap");
    assert_int_equal(coord_client_last_error(c)->attempts, 1);
    assert_nowhere(c, digit_key());
#ifndef COORD_MINIMAL /* the firmware build has no log text */
    assert_non_null(strstr(logged, "Retry-After [redacted] s is beyond the cap"));
#endif
    coord_client_free(c);
}

/* Point 4: the key echoed the way servers and their frameworks re-encode
 * it. The same for the bearer token. */
static void every_spelling_of_the_key_is_redacted(void **state)
{
    static const char *const echoes[] = {
        "K3Y+S/cr=t&zq 81",           /* raw */
        "K3Y%2BS%2Fcr%3Dt%26zq%2081", /* as the SDK sent it */
        "K3Y%2bS%2fcr%3dt%26zq%2081", /* lower-case hex */
        "K3Y%2BS%2Fcr%3Dt%26zq+81",   /* form encoding */
    };
    coord_client *c = client_with(odd_key(), sim_user_token());
    coord_session s;
    char message[256];
    (void)state;

    assert_string_equal(odd_key(), echoes[0]);
    for (size_t i = 0; i < sizeof(echoes) / sizeof(echoes[0]); i++) {
        logged[0] = '\0';
        snprintf(message, sizeof(message), "bad key %s.", echoes[i]);
        fault_saying(400, message);
        assert_int_equal(coord_session_get(c, LOT, 1, &s), COORD_ERR_REFUSED);
        assert_string_equal(coord_client_last_error(c)->api_message, "bad key [redacted].");
        assert_string_equal(coord_client_last_error(c)->detail,
                            "HTTP 400: bad key [redacted]. (code 400)");
        for (size_t j = 0; j < sizeof(echoes) / sizeof(echoes[0]); j++)
            assert_nowhere(c, echoes[j]);
        assert_nowhere(c, "zq");
    }
    coord_client_free(c);
}

static void every_spelling_of_the_token_is_redacted(void **state)
{
    static const char token[] = "tok+en/x=y z";
    static const char *const echoes[] = {
        "tok+en/x=y z", "tok%2Ben%2Fx%3Dy%20z", "tok%2ben%2fx%3dy+z",
        "%74%6F%6B%2B%65%6E%2F%78%3D%79%20%7A",
    };
    coord_client *c = client_with(sim_key(), token);
    coord_session s;
    char message[256];
    (void)state;

    for (size_t i = 0; i < sizeof(echoes) / sizeof(echoes[0]); i++) {
        logged[0] = '\0';
        snprintf(message, sizeof(message), "token %s refused", echoes[i]);
        fault_saying(401, message);
        assert_int_equal(coord_session_get(c, LOT, 1, &s), COORD_ERR_UNAUTHORIZED);
        assert_string_equal(coord_client_last_error(c)->api_message,
                            "token [redacted] refused");
        assert_nowhere(c, echoes[i]);
        assert_nowhere(c, "en/x");
    }
    coord_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(a_key_with_reserved_characters_travels, setup),
        cmocka_unit_test_setup(a_retry_after_echoing_the_key_is_redacted, setup),
        cmocka_unit_test_setup(every_spelling_of_the_key_is_redacted, setup),
        cmocka_unit_test_setup(every_spelling_of_the_token_is_redacted, setup),
    };
    return cmocka_run_group_tests_name("hostile server (simulator)", tests, sim_group_setup,
                                       sim_group_teardown);
}
