/* An outside program of the installed outbox (coord-outbox.pc, coord::outbox):
 * records an end in a new outbox file and reads it back. No server needed. */
#include <stdio.h>

#include <coord/outbox.h>

int main(int argc, char **argv)
{
    coord_outbox *ob = NULL;
    coord_outbox_item item;
    int64_t id = 0;

    if (argc != 2 || coord_outbox_open(argv[1], COORD_OUTBOX_CREATE, &ob, NULL) != COORD_OK)
        return 1;
    if (coord_outbox_end(ob, "INSTALL-LOT", 42, 0, &id) != COORD_OK ||
        coord_outbox_get(ob, id, &item) != COORD_OK) {
        coord_outbox_close(ob);
        return 1;
    }
    printf("outbox intent %lld: session %s/%lld %s\n", (long long)id, item.location_id,
           (long long)item.session_id, coord_outbox_state_name(item.state));
    coord_outbox_close(ob);
    return 0;
}
