/* An outside program: built against an installed libcoord with only
 * `pkg-config --cflags --libs coord`, and with only CMake's
 * find_package(coord) (CMakeLists.txt here; tests/install/check_install.sh).
 * usage: COORD_TOKEN=<user's token> consumer BASE_URL ACCESS_KEY LOCATION_ID SESSION_ID */
#include <stdio.h>
#include <stdlib.h>

#include <coord/coord.h>

int main(int argc, char **argv)
{
    coord_client *client = NULL;
    coord_session s;
    coord_status st;

    if (argc != 5) {
        fprintf(stderr, "usage: %s BASE_URL ACCESS_KEY LOCATION_ID SESSION_ID\n", argv[0]);
        return 2;
    }
    if (coord_global_init() != COORD_OK)
        return 1;
    st = coord_client_new(argv[1], argv[2], &client);
    if (st == COORD_OK && getenv("COORD_TOKEN") != NULL) /* ending is a user transaction */
        st = coord_client_set_bearer_token(client, getenv("COORD_TOKEN"));
    if (st == COORD_OK)
        st = coord_end_session(client, argv[3], strtoll(argv[4], NULL, 10), &s);
    if (st == COORD_OK)
        printf("libcoord %s (header %s): ended session %lld at %s, cost %lld %s\n",
               coord_version(), COORD_VERSION_STRING, (long long)s.id, s.location_id,
               (long long)s.billing_info.cost.amount, s.billing_info.cost.currency);
    else
        fprintf(stderr, "%s: %s\n", coord_status_name(st),
                client != NULL ? coord_client_last_error(client)->detail : coord_strerror(st));
    coord_client_free(client);
    coord_global_cleanup();
    return st == COORD_OK ? 0 : 1;
}
