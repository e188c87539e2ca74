// The public headers from a C++ translation unit: they must compile
// warning-free with g++ and clang++ (-Wall -Wextra -Werror -pedantic) and link
// against the C library without name mangling, the non-blocking part
// (coord/async.h, included by coord.h) as well. Calls the library against the
// simulator.
#include <coord/coord.h>

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <csetjmp>
#include <string>

extern "C" {
#include <cmocka.h>

#include "../integration/sim_client.h"
}

namespace {

// RAII owner: the kind of wrapper a C++ application writes around the C API.
class Client {
public:
    Client(const char *base, const char *key) : c_(NULL)
    {
        status_ = coord_client_new(base, key, &c_);
    }
    ~Client() { coord_client_free(c_); }
    coord_status status() const { return status_; }
    coord_client *get() const { return c_; }

private:
    Client(const Client &);
    Client &operator=(const Client &);
    coord_client *c_;
    coord_status status_;
};

void version_and_texts(void **)
{
    assert_string_equal(coord_version(), COORD_VERSION_STRING);
    assert_int_equal(COORD_VERSION_NUM, (COORD_VERSION_MAJOR << 16) |
                                         (COORD_VERSION_MINOR << 8) | COORD_VERSION_PATCH);
    assert_string_equal(coord_status_name(COORD_ERR_NOT_FOUND), "COORD_ERR_NOT_FOUND");
    std::string text = coord_strerror(COORD_ERR_OUT_OF_MEMORY);
    assert_false(text.empty());
}

void decode_from_cpp(void **)
{
    const std::string json =
        "{\"id\":7,\"location_id\":\"L\",\"user_id\":\"u\","
        "\"start_time\":\"2018-04-12T00:14:20.292Z\",\"end_time\":\"2018-04-12T00:17:50.161Z\","
        "\"billing_info\":{\"cost\":{\"amount\":250,\"currency\":\"EUR\"}}}";
    coord_session s;
    char detail[COORD_MESSAGE_MAX];

    assert_int_equal(coord_session_decode(json.data(), json.size(), &s, detail, sizeof(detail)),
                     COORD_OK);
    assert_int_equal(s.id, 7);
    assert_int_equal(s.billing_info.cost.amount, 250);
    assert_string_equal(s.billing_info.cost.currency, "EUR");
    assert_int_equal(s.end_time_ms - s.start_time_ms, 209869);
    assert_int_equal(coord_session_decode("[]", 2, &s, detail, sizeof(detail)),
                     COORD_ERR_BAD_RESPONSE);
}

void end_session_over_http(void **)
{
    sim_reset();
    sim_location("CPP-LOT", 120, 0, 0);
    const std::int64_t id = sim_session("CPP-LOT", 60, 0, NULL, 0);
    Client client(sim_api_base(), sim_key());
    coord_session s;

    assert_int_equal(client.status(), COORD_OK);
    // ending is a user transaction: the seeded session's user's token
    assert_int_equal(coord_client_set_bearer_token(client.get(), sim_user_token()), COORD_OK);
    assert_int_equal(coord_end_session(client.get(), "CPP-LOT", id, &s), COORD_OK);
    assert_int_equal(s.id, id);
    assert_string_equal(s.location_id, "CPP-LOT");
    assert_int_equal(s.billing_info.cost.amount, 120); // 60 min at 1.20/h
    // a second end is refused, and the error record is readable from C++
    assert_int_equal(coord_end_session(client.get(), "CPP-LOT", id, &s), COORD_ERR_ALREADY_ENDED);
    const coord_error *e = coord_client_last_error(client.get());
    assert_int_equal(e->http_status, 409);
    assert_int_equal(e->api_code, COORD_API_CODE_SESSION_ENDED);
}

struct Ended {
    int calls;
    coord_status status;
    coord_session session;
};

void on_ended(coord_call *, coord_status status, const coord_error *,
              const coord_session *session, void *user_data)
{
    Ended *ended = static_cast<Ended *>(user_data);

    ended->calls++;
    ended->status = status;
    if (session != NULL)
        ended->session = *session;
}

void end_session_without_blocking(void **)
{
    sim_reset();
    sim_location("CPP-LOT", 120, 0, 0);
    const std::int64_t id = sim_session("CPP-LOT", 60, 0, NULL, 0);
    Client client(sim_api_base(), sim_key());
    coord_loop *loop = NULL;
    Ended ended = Ended();

    assert_int_equal(coord_client_set_bearer_token(client.get(), sim_user_token()), COORD_OK);
    assert_int_equal(coord_loop_new(&loop), COORD_OK);
    assert_int_equal(coord_end_session_async(loop, client.get(), "CPP-LOT", id, on_ended,
                                             &ended, NULL),
                     COORD_OK);
    assert_int_equal(coord_loop_run(loop), COORD_OK);
    coord_loop_free(loop);
    assert_int_equal(ended.calls, 1);
    assert_int_equal(ended.status, COORD_OK);
    assert_int_equal(ended.session.id, id);
    assert_int_equal(ended.session.billing_info.cost.amount, 120);
}

} // namespace

int main()
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(version_and_texts),
        cmocka_unit_test(decode_from_cpp),
        cmocka_unit_test(end_session_over_http),
        cmocka_unit_test(end_session_without_blocking),
    };
    return cmocka_run_group_tests_name("c++", tests, NULL, NULL);
}
