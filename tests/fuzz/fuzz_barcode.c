/* libFuzzer harness: coord_decode_barcode ({"data", "format"}). On success
 * both strings are terminated and well-formed UTF-8; on failure the output
 * is zeroed and the detail terminated and non-empty. */
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = fuzz_copy(data, size);
    coord_error err;
    coord_redemption_info r;
    coord_status st;

    if (json == NULL)
        return 0;
    memset(&r, 0x5a, sizeof(r));
    memset(&err, 'x', sizeof(err));
    st = coord_decode_barcode(json, size, &limits, &r, &err);
    if (st == COORD_OK) {
        require_text(r.barcode_data, sizeof(r.barcode_data));
        require_text(r.barcode_format, sizeof(r.barcode_format));
    } else {
        require(st == COORD_ERR_BAD_RESPONSE || st == COORD_ERR_RESPONSE_TOO_LARGE ||
                st == COORD_ERR_OUT_OF_MEMORY);
        require_error(st, &err);
        require(all_zero(&r, sizeof(r)));
    }
    free(json);
    return 0;
}
