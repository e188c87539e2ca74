/* Fixture for the check-abi self-test: see bad.h. */
#include <stdarg.h>
#include <stddef.h>

#include "bad.h"
#include "bad_part.h"

int coord_sum(int n, ...) { return n; }
int coord_norm(coord_point p) { return p.x; }
coord_handle *coord_handle_new(void) { return NULL; }
int coord_part(void) { return 0; }
int coord_norm_part(coord_point p) { return p.x; }
__attribute__((visibility("default"))) int helper_without_prefix(void) { return 1; }
