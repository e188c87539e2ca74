/* One client, many calls: the transport gives its reused libcurl handle only
 * the options that changed since the last call (URL, headers, agent, limits).
 * Every change made between calls must still reach the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "coord/coord.h"
#include "sim_client.h"

static int setup(void **state)
{
    (void)state;
    sim_reset();
    sim_location("LOT-1", 200, 0, 0);
    sim_location("LOT 2", 200, 0, 0);
    return 0;
}

static void end_one(coord_client *c, const char *location)
{
    coord_session s;
    int64_t id = sim_session(location, 5, 0, NULL, 0);

    assert_int_equal(coord_end_session(c, location, id, &s), COORD_OK);
    assert_int_equal(s.id, id);
}

static void expect_header(const char *name, const char *value)
{
    char got[4096];

    if (value == NULL) {
        assert_int_equal(sim_last_request("headers", name, got, sizeof(got)), -1);
        return;
    }
    assert_int_equal(sim_last_request("headers", name, got, sizeof(got)), 0);
    assert_string_equal(got, value);
}

static void token_changes_reach_the_wire(void **state)
{
    char first[4096], second[4096], expected[4200], jwt[COORD_TOKEN_MAX];
    coord_client *c = NULL;
    coord_session s;
    (void)state;

    /* two valid tokens of the seeded sessions' user, of different lengths */
    sim_token("{\"user_id\": \"" SIM_DEFAULT_USER "\", \"expires_in\": 600}", first,
              sizeof(first));
    sim_token("{\"user_id\": \"" SIM_DEFAULT_USER "\", \"expires_in\": 86400000}", second,
              sizeof(second));
    assert_int_equal(coord_client_new(sim_api_base(), sim_key(), &c), COORD_OK);
    /* without a token a session call is refused before sending; create_jwt,
     * which needs none, goes out on the same handle without the header */
    assert_int_equal(coord_end_session(c, "LOT-1", 424242, &s), COORD_ERR_UNAUTHORIZED);
    assert_int_equal(coord_client_last_error(c)->attempts, 0);
    assert_int_equal(coord_test_create_jwt(c, "a@b.c", NULL, jwt, sizeof(jwt)), COORD_OK);
    expect_header("authorization", NULL);
    assert_int_equal(coord_client_set_bearer_token(c, first), COORD_OK);
    end_one(c, "LOT-1");
    snprintf(expected, sizeof(expected), "Bearer %s", first);
    expect_header("authorization", expected);
    end_one(c, "LOT-1"); /* unchanged: the same list is reused */
    expect_header("authorization", expected);
    assert_int_equal(coord_client_set_bearer_token(c, second), COORD_OK);
    end_one(c, "LOT-1");
    snprintf(expected, sizeof(expected), "Bearer %s", second);
    expect_header("authorization", expected);
    expect_header("content-type", NULL); /* an empty PUT */
    assert_int_equal(coord_client_set_bearer_token(c, NULL), COORD_OK);
    assert_int_equal(coord_end_session(c, "LOT-1", 424242, &s), COORD_ERR_UNAUTHORIZED);
    assert_int_equal(coord_test_create_jwt(c, "a@b.c", NULL, jwt, sizeof(jwt)), COORD_OK);
    expect_header("authorization", NULL); /* the reused handle dropped the old token */
    expect_header("accept", "application/json");
    coord_client_free(c);
}

static void agent_url_and_limits_follow_each_call(void **state)
{
    coord_client *c = NULL;
    coord_session s;
    char fault[4096], path[256];
    (void)state;

    c = sim_user_client();
    end_one(c, "LOT-1");
    expect_header("user-agent", "libcoord/" COORD_VERSION_STRING);
    assert_int_equal(coord_client_set_user_agent(c, "kiosk/2"), COORD_OK);
    end_one(c, "LOT-1");
    expect_header("user-agent", "kiosk/2");
    assert_int_equal(coord_client_set_user_agent(c, NULL), COORD_OK);
    end_one(c, "LOT-1");
    expect_header("user-agent", "libcoord/" COORD_VERSION_STRING);

    /* a location that needs escaping, then a plain one again */
    end_one(c, "LOT 2");
    assert_int_equal(sim_last_request(NULL, "path", path, sizeof(path)), 0);
    assert_non_null(strstr(path, "/LOT%202/session/"));
    end_one(c, "LOT-1");
    assert_int_equal(sim_last_request(NULL, "path", path, sizeof(path)), 0);
    assert_non_null(strstr(path, "/LOT-1/session/"));

    /* a smaller limit applies from the next call on; a larger one again after */
    snprintf(fault, sizeof(fault),
             "{\"mode\":\"status\",\"status\":200,\"content_type\":\"application/json\","
             "\"count\":2,\"body\":\"{\\\"id\\\":1,\\\"pad\\\":\\\"%01500d\\\"}\"}", 0);
    sim_fault(fault);
    assert_int_equal(coord_client_set_max_response_size(c, 1024), COORD_OK);
    assert_int_equal(coord_end_session(c, "LOT-1", 1, &s), COORD_ERR_RESPONSE_TOO_LARGE);
    assert_int_equal(coord_client_set_max_response_size(c, 4096), COORD_OK);
    assert_int_equal(coord_end_session(c, "LOT-1", 1, &s), COORD_OK);
    assert_int_equal(s.id, 1);
    coord_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(token_changes_reach_the_wire, setup),
        cmocka_unit_test_setup(agent_url_and_limits_follow_each_call, setup),
    };
    return cmocka_run_group_tests_name("handle reuse (simulator)", tests, sim_group_setup,
                                       sim_group_teardown);
}
