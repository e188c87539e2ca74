/* Fixture for the abidiff self-test of `make check-abi` (check_abidiff.sh):
 * a small library built in the versions that abidiff with abidiff.suppr
 * must accept (a field from reserved, an appended coord_error field, a new
 * function) or reject (a removed function, a field whose type changed, also
 * next to a field from reserved). */
#include <stdint.h>

#define API __attribute__((visibility("default")))

typedef struct coord_thing {
    int64_t id;
#ifdef CHANGED_TYPE
    int32_t count;
    int32_t padding;
#else
    int64_t count;
#endif
#ifdef FIELD_FROM_RESERVED
    uint8_t added;
    uint8_t reserved[7];
#else
    uint8_t reserved[8];
#endif
} coord_thing;

typedef struct coord_error {
    int32_t status;
#ifdef ERROR_GROWN
    int32_t appended;
#endif
} coord_error;

API int64_t coord_thing_count(const coord_thing *thing) { return thing->count; }
API int32_t coord_error_status(const coord_error *error) { return error->status; }
#ifndef REMOVED_FUNCTION
API int64_t coord_thing_id(const coord_thing *thing) { return thing->id; }
#endif
#ifdef ADDED_FUNCTION
API int64_t coord_thing_twice(const coord_thing *thing) { return 2 * thing->id; }
#endif
