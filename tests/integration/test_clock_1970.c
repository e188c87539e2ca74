/* A kiosk that boots with its clock at 1970: the server's certificate is
 * "not yet valid", and the detail of the failure says why. Run under
 * libfaketime with the clock at 1970-01-01 (make check does:
 * with_tls_sim.sh faketime '1970-01-01 00:00:00' test_clock_1970), the
 * simulator itself on the right time. Makes no control request: those
 * would fail the same check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "coord/coord.h"
#include "sim_client.h"

static void a_clock_at_1970_is_named(void **state)
{
    coord_client *c = NULL;
    const char *ca = getenv("COORD_TLS_CA_FILE");
    const coord_error *e;
    coord_session s;
    int64_t offset = 0;
    (void)state;

    if (ca == NULL || (int64_t)time(NULL) > 86400) {
        /* not faked: a qemu run, where libfaketime does not reach the guest */
        printf("skipped: the clock is not at 1970-01-01 (run under faketime with "
               "COORD_TLS_CA_FILE set)\n");
        skip();
    }
    assert_int_equal(coord_client_new(sim_api_base(), sim_key(), &c), COORD_OK);
    assert_int_equal(coord_client_set_ca_file(c, ca), COORD_OK);
    /* any token: the handshake fails before it is sent */
    assert_int_equal(coord_client_set_bearer_token(c, "kiosk-token-1970"), COORD_OK);
    assert_int_equal(coord_end_session(c, "LOT-1", 1, &s), COORD_ERR_TLS);
    e = coord_client_last_error(c);
    printf("detail: %s\n", e->detail);
    assert_non_null(strstr(e->detail, "TLS certificate verification failed"));
    assert_non_null(strstr(e->detail, "; the system clock reads 1970-01-01 00:00:"));
    assert_non_null(strstr(e->detail, " UTC, before this library was built ("));
    assert_non_null(strstr(e->detail, "); certificate checks need the right time"));
    /* no answer: no estimate */
    assert_int_equal(coord_client_clock_offset_ms(c, &offset), COORD_ERR_NOT_FOUND);
    coord_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_clock_at_1970_is_named),
    };

    return cmocka_run_group_tests(tests, sim_group_setup, sim_group_teardown);
}
