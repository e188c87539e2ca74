/* TLS against the simulator's HTTPS mode, with a PKI made at test time.
 * Run through tests/sim/with_tls_sim.sh (make check does), which exports
 * the CA files and pins used here. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coord/coord.h"
#include "sim_client.h"

static const char *env(const char *name)
{
    const char *value = getenv(name);

    if (value == NULL || value[0] == '\0') {
        fprintf(stderr, "%s is not set: run this test through tests/sim/with_tls_sim.sh\n",
                name);
        exit(2);
    }
    return value;
}

static coord_client *client_for(const char *base)
{
    return sim_user_client_at(base, sim_key());
}

static coord_client *new_client(void)
{
    return client_for(sim_api_base());
}

static int64_t seed(void)
{
    sim_location("TLS-LOT", 200, 0, 0);
    return sim_session("TLS-LOT", 90, 0, NULL, 0);
}

static void assert_ended(coord_client *c, int64_t id)
{
    coord_session s;

    assert_int_equal(coord_end_session(c, "TLS-LOT", id, &s), COORD_OK);
    assert_int_equal(s.id, id);
    assert_string_equal(s.location_id, "TLS-LOT");
    assert_int_equal(s.has_end_time, 1);
    assert_int_equal(s.billing_info.has_cost, 1);
    assert_int_equal(s.billing_info.cost.amount, 300); /* 90 min at 2.00 USD/h */
    assert_string_equal(s.billing_info.cost.currency, "USD");
}

/* A refused connection: COORD_ERR_TLS, detail containing `why`, no HTTP
 * answer, a zeroed session -- and the session left active on the server. */
static void assert_tls_refused(coord_client *c, int64_t id, const char *why)
{
    coord_session s;
    const coord_error *e;

    memset(&s, 0x5a, sizeof(s));
    assert_int_equal(coord_end_session(c, "TLS-LOT", id, &s), COORD_ERR_TLS);
    e = coord_client_last_error(c);
    assert_int_equal(e->status, COORD_ERR_TLS);
    assert_int_equal(e->http_status, 0);
    assert_int_equal(e->has_api_error, 0);
    if (strstr(e->detail, why) == NULL)
        fail_msg("detail \"%s\" does not mention \"%s\"", e->detail, why);
    assert_int_equal(s.id, 0);
    assert_int_equal(s.location_id[0], '\0');
}

static int setup(void **state)
{
    (void)state;
    /* set by ssl_cert_variables_trust_nothing_more: gone even if it failed */
    unsetenv("SSL_CERT_FILE");
    unsetenv("SSL_CERT_DIR");
    sim_reset();
    return 0;
}

static void base_url_is_https(void **state)
{
    (void)state;
    assert_int_equal(strncmp(sim_url(), "https://127.0.0.1:", 18), 0);
}

static void trusted_ca_file_passes(void **state)
{
    coord_client *c = new_client();
    (void)state;

    assert_int_equal(coord_client_set_ca_file(c, env("COORD_TLS_CA_FILE")), COORD_OK);
    assert_ended(c, seed());
    coord_client_free(c);
}

static void trusted_ca_directory_passes(void **state)
{
    coord_client *c = new_client();
    (void)state;

    assert_int_equal(coord_client_set_ca_path(c, env("COORD_TLS_CA_DIR")), COORD_OK);
    assert_ended(c, seed());
    coord_client_free(c);
}

/* Verification is on by default: the system store does not know the test CA. */
static void default_trust_store_refuses_unknown_ca(void **state)
{
    coord_client *c = new_client();
    int64_t id = seed();
    (void)state;

    assert_tls_refused(c, id, "certificate verification failed");
    coord_client_free(c);
}

/* docs/SECURITY.md: OpenSSL's SSL_CERT_FILE and SSL_CERT_DIR add nothing
 * to what a client trusts (libcurl gives OpenSSL its own trust store). */
static void ssl_cert_variables_trust_nothing_more(void **state)
{
    coord_client *c = new_client();
    int64_t id = seed();
    (void)state;

    setenv("SSL_CERT_FILE", env("COORD_TLS_CA_FILE"), 1);
    setenv("SSL_CERT_DIR", env("COORD_TLS_CA_DIR"), 1);
    assert_tls_refused(c, id, "certificate verification failed");
    unsetenv("SSL_CERT_FILE");
    unsetenv("SSL_CERT_DIR");
    coord_client_free(c);
}

static void unknown_ca_fails(void **state)
{
    coord_client *c = new_client();
    int64_t id = seed();
    (void)state;

    assert_int_equal(coord_client_set_ca_file(c, env("COORD_TLS_OTHER_CA_FILE")), COORD_OK);
    assert_tls_refused(c, id, "certificate verification failed");
    /* the clock is right: the detail does not blame it */
    assert_null(strstr(coord_client_last_error(c)->detail, "clock"));
    /* nothing reached the server: the session is still there to end, once */
    assert_int_equal(coord_client_set_ca_file(c, env("COORD_TLS_CA_FILE")), COORD_OK);
    assert_ended(c, id);
    coord_client_free(c);
}

/* A kiosk whose clock is a day behind the server's: a failed certificate
 * check says so, from the offset the client estimated from the server's
 * Date headers (the simulator's clock runs a day ahead here). */
static void a_failed_check_names_a_clock_a_day_off(void **state)
{
    coord_client *c = new_client();
    int64_t id = seed(), offset = 0;
    char reply[256];
    (void)state;

    assert_int_equal(coord_client_clock_offset_ms(c, &offset), COORD_ERR_NOT_FOUND);
    assert_int_equal(sim_call("POST", "/_sim/clock", "{\"date_offset\": 86400}", reply,
                              sizeof(reply)), 200);
    assert_int_equal(coord_client_set_ca_file(c, env("COORD_TLS_CA_FILE")), COORD_OK);
    assert_ended(c, id);
    assert_int_equal(coord_client_clock_offset_ms(c, &offset), COORD_OK);
    assert_in_range(offset, 86400000 - 2000, 86400000 + 2000);
    assert_int_equal(coord_client_set_ca_file(c, env("COORD_TLS_OTHER_CA_FILE")), COORD_OK);
    assert_tls_refused(c, seed(), "certificate verification failed");
    assert_tls_refused(c, seed(), ", 1 d 0 h behind the server's (its Date header); "
                                  "certificate checks need the right time");
    assert_non_null(strstr(coord_client_last_error(c)->detail, "the system clock reads "));
    coord_client_free(c);
}

static void right_pin_passes(void **state)
{
    coord_client *c = new_client();
    (void)state;

    assert_int_equal(coord_client_set_ca_file(c, env("COORD_TLS_CA_FILE")), COORD_OK);
    assert_int_equal(coord_client_set_pinned_public_key(c, env("COORD_TLS_PIN")), COORD_OK);
    assert_ended(c, seed());
    coord_client_free(c);
}

static void wrong_pin_fails(void **state)
{
    coord_client *c = new_client();
    int64_t id = seed();
    (void)state;

    assert_int_equal(coord_client_set_ca_file(c, env("COORD_TLS_CA_FILE")), COORD_OK);
    assert_int_equal(coord_client_set_pinned_public_key(c, env("COORD_TLS_OTHER_PIN")),
                     COORD_OK);
    assert_tls_refused(c, id, "does not match the pinned key");
    /* removing the pin lets the same client through */
    assert_int_equal(coord_client_set_pinned_public_key(c, NULL), COORD_OK);
    assert_ended(c, id);
    coord_client_free(c);
}

/* Rotation: any pin of a list may match. */
static void one_matching_pin_of_several_passes(void **state)
{
    char pins[512];
    coord_client *c = new_client();
    (void)state;

    snprintf(pins, sizeof(pins), "%s;%s", env("COORD_TLS_OTHER_PIN"), env("COORD_TLS_PIN"));
    assert_int_equal(coord_client_set_ca_file(c, env("COORD_TLS_CA_FILE")), COORD_OK);
    assert_int_equal(coord_client_set_pinned_public_key(c, pins), COORD_OK);
    assert_ended(c, seed());
    coord_client_free(c);
}

/* A pin is checked on top of the chain, never instead of it. */
static void right_pin_does_not_replace_ca_verification(void **state)
{
    coord_client *c = new_client();
    int64_t id = seed();
    (void)state;

    assert_int_equal(coord_client_set_ca_file(c, env("COORD_TLS_OTHER_CA_FILE")), COORD_OK);
    assert_int_equal(coord_client_set_pinned_public_key(c, env("COORD_TLS_PIN")), COORD_OK);
    assert_tls_refused(c, id, "certificate verification failed");
    coord_client_free(c);
}

/* A kept-alive connection made under the old settings is not reused. */
static void new_pin_applies_to_a_live_client(void **state)
{
    coord_client *c = new_client();
    int64_t first, second;
    (void)state;

    assert_int_equal(coord_client_set_ca_file(c, env("COORD_TLS_CA_FILE")), COORD_OK);
    first = seed();
    second = sim_session("TLS-LOT", 90, 0, NULL, 0);
    assert_ended(c, first);
    assert_int_equal(coord_client_set_pinned_public_key(c, env("COORD_TLS_OTHER_PIN")),
                     COORD_OK);
    assert_tls_refused(c, second, "does not match the pinned key");
    coord_client_free(c);
}

/* The certificate names 127.0.0.1 only: "localhost" does not match it. */
static void host_name_mismatch_fails(void **state)
{
    char base[512];
    const char *url = sim_api_base();
    coord_client *c;
    int64_t id = seed();
    (void)state;

    assert_int_equal(strncmp(url, "https://127.0.0.1:", 18), 0);
    snprintf(base, sizeof(base), "https://localhost:%s", url + 18);
    c = client_for(base);
    assert_int_equal(coord_client_set_ca_file(c, env("COORD_TLS_CA_FILE")), COORD_OK);
    assert_tls_refused(c, id, "certificate verification failed");
    coord_client_free(c);
}

static void missing_ca_file_fails_at_call_time(void **state)
{
    coord_client *c = new_client();
    int64_t id = seed();
    (void)state;

    assert_int_equal(coord_client_set_ca_file(c, "/nonexistent/libcoord-ca.pem"), COORD_OK);
    assert_tls_refused(c, id, "trust store (CA file or directory) unusable");
    coord_client_free(c);
}

/* Clearing both CA settings restores the default store (which refuses the
 * test CA), rather than trusting nothing or everything. */
static void clearing_ca_settings_restores_the_default(void **state)
{
    coord_client *c = new_client();
    int64_t id = seed();
    (void)state;

    assert_int_equal(coord_client_set_ca_file(c, env("COORD_TLS_CA_FILE")), COORD_OK);
    assert_int_equal(coord_client_set_ca_file(c, NULL), COORD_OK);
    assert_tls_refused(c, id, "certificate verification failed");
    assert_int_equal(coord_client_set_ca_path(c, env("COORD_TLS_CA_DIR")), COORD_OK);
    assert_ended(c, id);
    coord_client_free(c);
}

static void tls_options_are_validated(void **state)
{
    static const char good[] = "sha256//On/dnO5ohRsscRfg6P2hBIczMfh271rsRukc5mba13Q=";
    static const char *const bad_pins[] = {
        "",
        "sha256//",
        "sha1//On/dnO5ohRsscRfg6P2hBIczMfh271rsRukc5mba13Q=",
        "sha256//On/dnO5ohRsscRfg6P2hBIczMfh271rsRukc5mba13Q",    /* 43 characters */
        "sha256//On/dnO5ohRsscRfg6P2hBIczMfh271rsRukc5mba13Q==",  /* 45 characters */
        "sha256//On/dnO5ohRsscRfg6P2hBIczMfh271rsRukc5mba1*Q=",   /* not base64 */
        "sha256//On/dnO5ohRsscRfg6P2hBIczMfh271rsRukc5mba13Q=;",  /* empty second pin */
        "sha256//On/dnO5ohRsscRfg6P2hBIczMfh271rsRukc5mba13Q=,sha256//x",
        "/etc/ssl/certs/server.pem", /* libcurl would take a key file; the SDK does not */
    };
    char long_path[4200];
    coord_client *c = new_client();
    (void)state;

    assert_int_equal(coord_client_set_ca_file(NULL, "x"), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_ca_path(NULL, "x"), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_pinned_public_key(NULL, good), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_ca_file(c, ""), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_last_error(c)->status, COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "CA file path"));
    assert_int_equal(coord_client_set_ca_path(c, "dir\nwith newline"),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(coord_client_last_error(c)->detail, "CA directory path"));
    memset(long_path, 'a', sizeof(long_path) - 1);
    long_path[0] = '/';
    long_path[sizeof(long_path) - 1] = '\0';
    assert_int_equal(coord_client_set_ca_file(c, long_path), COORD_ERR_INVALID_ARGUMENT);
    for (size_t i = 0; i < sizeof(bad_pins) / sizeof(bad_pins[0]); i++) {
        if (coord_client_set_pinned_public_key(c, bad_pins[i]) != COORD_ERR_INVALID_ARGUMENT)
            fail_msg("pin \"%s\" was accepted", bad_pins[i]);
        assert_non_null(strstr(coord_client_last_error(c)->detail, "sha256//"));
    }
    assert_int_equal(coord_client_set_pinned_public_key(c, good), COORD_OK);
    assert_int_equal(coord_client_last_error(c)->status, COORD_OK);
    coord_client_free(c);
}

/* A rejected option keeps the previous one in force. */
static void rejected_options_keep_the_previous_setting(void **state)
{
    coord_client *c = new_client();
    int64_t id = seed();
    (void)state;

    assert_int_equal(coord_client_set_ca_file(c, env("COORD_TLS_CA_FILE")), COORD_OK);
    assert_int_equal(coord_client_set_pinned_public_key(c, env("COORD_TLS_PIN")), COORD_OK);
    assert_int_equal(coord_client_set_ca_file(c, ""), COORD_ERR_INVALID_ARGUMENT);
    assert_int_equal(coord_client_set_pinned_public_key(c, "sha256//short"),
                     COORD_ERR_INVALID_ARGUMENT);
    assert_ended(c, id);
    coord_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(base_url_is_https, setup),
        cmocka_unit_test_setup(trusted_ca_file_passes, setup),
        cmocka_unit_test_setup(trusted_ca_directory_passes, setup),
        cmocka_unit_test_setup(default_trust_store_refuses_unknown_ca, setup),
        cmocka_unit_test_setup(ssl_cert_variables_trust_nothing_more, setup),
        cmocka_unit_test_setup(unknown_ca_fails, setup),
        cmocka_unit_test_setup(a_failed_check_names_a_clock_a_day_off, setup),
        cmocka_unit_test_setup(right_pin_passes, setup),
        cmocka_unit_test_setup(wrong_pin_fails, setup),
        cmocka_unit_test_setup(one_matching_pin_of_several_passes, setup),
        cmocka_unit_test_setup(right_pin_does_not_replace_ca_verification, setup),
        cmocka_unit_test_setup(new_pin_applies_to_a_live_client, setup),
        cmocka_unit_test_setup(host_name_mismatch_fails, setup),
        cmocka_unit_test_setup(missing_ca_file_fails_at_call_time, setup),
        cmocka_unit_test_setup(clearing_ca_settings_restores_the_default, setup),
        cmocka_unit_test_setup(tls_options_are_validated, setup),
        cmocka_unit_test_setup(rejected_options_keep_the_previous_setting, setup),
    };
    int failed;

    if (coord_global_init() != COORD_OK)
        return 2;
    failed = cmocka_run_group_tests_name("tls", tests, NULL, NULL);
    coord_global_cleanup();
    return failed;
}
