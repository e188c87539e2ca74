# A decoy coord package: make check-install runs check_install.sh with
# CMAKE_PREFIX_PATH and coord_DIR pointing here, as on a machine with another
# libcoord installed; the CMake consumer must find the staged install.
message(FATAL_ERROR "the decoy coord package (${CMAKE_CURRENT_LIST_DIR}) was found: "
                    "the caller's environment leaked into check-install")
