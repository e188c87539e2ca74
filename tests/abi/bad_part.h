/* Fixture for the check-abi self-test: a second header, as coord/async.h is
 * to coord/coord.h (included after bad.h, whose types it uses). coord_part
 * keeps every rule: a checker that did not read this header would call it
 * undeclared. coord_norm_part takes a struct of bad.h by value: one fault,
 * found only when the headers are read together. */
COORD_API int coord_part(void);
COORD_API int coord_norm_part(coord_point p);
