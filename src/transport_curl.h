/* What the libcurl multi front end (loop.c) needs of a transport beyond
 * internal.h: its easy handle, and the answer of an exchange that libcurl
 * finished. Included by transport_curl.c and loop.c, the two files that
 * speak libcurl. */
#ifndef COORD_TRANSPORT_CURL_H
#define COORD_TRANSPORT_CURL_H

#include <curl/curl.h>

#include "internal.h"

/* The easy handle, to add to a multi handle after coord_transport_prepare(). */
COORD_HIDDEN CURL *coord_transport_handle(coord_transport *t);
/* How often the request under way went out (libcurl may resend it). */
COORD_HIDDEN uint32_t coord_transport_sent(const coord_transport *t);
/* The answer of an exchange libcurl finished with rc (or COORD_ERR_CANCELLED
 * when a blocking perform was cancelled); as coord_transport_perform(). */
COORD_HIDDEN coord_status coord_transport_result(coord_transport *t, CURLcode rc,
                                                 coord_response *out, coord_error *err);

#endif
