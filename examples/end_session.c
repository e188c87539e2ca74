/* end_session: end a parking session and print its bill; every status checked.
 *   COORD_BASE_URL=... COORD_ACCESS_KEY=... COORD_TOKEN=... end_session LOCATION ID */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <coord/coord.h>

int main(int argc, char **argv)
{
    const char *url = getenv("COORD_BASE_URL"), *key = getenv("COORD_ACCESS_KEY");
    coord_client *client = NULL;
    coord_session s;
    char bill[COORD_MONEY_TEXT_MAX], why[COORD_MESSAGE_MAX] = "", *end = NULL;
    long long id = 0;
    coord_status st;

    errno = 0;
    if (argc == 3)
        id = strtoll(argv[2], &end, 10);
    if (argc != 3 || url == NULL || key == NULL || errno != 0 || end == argv[2] || *end != '\0') {
        fprintf(stderr, "usage: COORD_BASE_URL=... COORD_ACCESS_KEY=... COORD_TOKEN=... "
                        "%s LOCATION ID (a whole number)\n", argv[0]);
        return 2;
    }
    st = coord_global_init();
    if (st == COORD_OK) /* refused: why names the part (scheme, host, ...) */
        st = coord_base_url_check(url, why, sizeof(why));
    if (st == COORD_OK && why[0] != '\0') { /* accepted, but not the API's path */
        fprintf(stderr, "warning: %s\n", why);
        why[0] = '\0';
    }
    if (st == COORD_OK)
        st = coord_client_new(url, key, &client);
    if (st == COORD_OK && getenv("COORD_TOKEN") != NULL) /* sessions are the user's */
        st = coord_client_set_bearer_token(client, getenv("COORD_TOKEN"));
    if (st == COORD_OK)
        st = coord_end_session(client, argv[1], id, &s);
    if (st == COORD_OK && s.billing_info.has_cost) /* 300 USD cents: "3.00 USD" */
        st = coord_money_format(&s.billing_info.cost, bill, sizeof(bill));
    else if (st == COORD_OK)
        snprintf(bill, sizeof(bill), "bill not yet calculated");
    if (st == COORD_OK)
        printf("ended session %lld at %s: %s\n", (long long)s.id, s.location_id, bill);
    else /* the status and why (with the HTTP status, if an answer came); never a secret */
        fprintf(stderr, "%s: %s\n", coord_status_name(st),
                client != NULL ? coord_client_last_error(client)->detail
                               : why[0] != '\0' ? why : coord_strerror(st));
    coord_client_free(client);
    coord_global_cleanup();
    return st == COORD_OK ? 0 : 1;
}
