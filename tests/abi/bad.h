/* Fixture for the check-abi self-test: breaks every rule check_abi.py enforces. */
#define COORD_API __attribute__((visibility("default")))
typedef struct coord_point { int x; } coord_point;
typedef struct coord_handle coord_handle;
COORD_API int coord_sum(int n, ...);
COORD_API int coord_norm(coord_point p);
COORD_API coord_handle *coord_handle_new(void);
COORD_API int coord_declared_only(void);
