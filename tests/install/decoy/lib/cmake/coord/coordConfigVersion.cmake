# The decoy (see coordConfig.cmake here) claims to suit any request.
set(PACKAGE_VERSION "1.0.0")
set(PACKAGE_VERSION_COMPATIBLE TRUE)
