/* The libcurl transport: one easy handle per client, reused so that
 * consecutive calls share a kept-alive connection. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "internal.h"
#include "transport_curl.h"

struct coord_transport {
    CURL *curl;
    char errbuf[CURL_ERROR_SIZE];
    char *body;       /* kept between calls: steady state allocates nothing here */
    size_t len;
    size_t cap;
    size_t limit;     /* max_response_size of the call under way */
    int too_large;    /* set by on_body when the limit stopped the transfer */
    size_t header_bytes; /* of the answer's header lines so far */
    int headers_too_large; /* set by on_header: over COORD_HEADER_BLOCK_MAX */
    unsigned long failed_allocations; /* coord_alloc_failures() as the exchange began */
    uint32_t sent;    /* times the request went out in this perform */
    int performed;    /* a transfer ran since the last prepare: libcurl's info is its */
    int observed;     /* of the exchange under way: keep the answer's request id */
    long connects;    /* CURLINFO_NUM_CONNECTS of the transfer, once read; -1 before */
    char request_id[COORD_REQUEST_ID_MAX]; /* the answer's first X-Request-Id, cut */
    int idempotent;   /* of the request under way */
    /* a blocking perform: the flag coord_client_cancel() sets (read with
     * __atomic_load_n: another thread writes it); NULL otherwise */
    const int *cancel;
    int progress_on;  /* the progress callback is installed */
    const char *default_ca_file; /* libcurl's built-in trust store (static strings) */
    const char *default_ca_path;
    /* What the handle was last given, so that a call sets only what changed:
     * libcurl copies every string option (an allocation each time), and the
     * header list is rebuilt only when a line differs (a new token). */
    struct curl_slist *headers; /* owned; holds the Authorization line: wiped */
    CURLU *url_handle;          /* owned; req->url parsed once: see set_url */
    char url[COORD_URL_MAX];    /* holds the access key: wiped */
    char method[16];
    char user_agent[COORD_USER_AGENT_MAX];
    uint32_t connect_timeout_ms; /* 0: not set yet */
    uint32_t timeout_ms;
    uint32_t max_response_size;
    /* The last answer's Date header and its value: a server's Date changes
     * once a second, and curl_getdate costs ~11,000 instructions, a tenth
     * of a whole call. */
    char date[40];
    int64_t date_ms;
};

/* Called right before each send of the request. libcurl silently re-sends a
 * request when a reused connection dies before any answer byte; that resend
 * is counted here, and refused for a request that is not idempotent. */
static int on_send(void *userdata, char *primary_ip, char *local_ip, int primary_port,
                   int local_port)
{
    coord_transport *t = userdata;

    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    if (t->sent > 0 && !t->idempotent)
        return CURL_PREREQFUNC_ABORT;
    t->sent++;
    return CURL_PREREQFUNC_OK;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    coord_transport *t = userdata;
    size_t n = size * nmemb;

    if (n > t->limit - t->len) {
        t->too_large = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1024; /* answers are a few hundred bytes */
        char *grown;

        while (cap < t->len + n + 1)
            cap *= 2;
        if (cap > t->limit + 1)
            cap = t->limit + 1;
        /* not realloc: the old block may hold a token and must be wiped */
        grown = coord_malloc(cap);
        if (grown == NULL)
            return 0;
        if (t->body != NULL) {
            memcpy(grown, t->body, t->len);
            coord_wipe(t->body, t->cap);
            coord_free(t->body);
        }
        t->body = grown;
        t->cap = cap;
    }
    memcpy(t->body + t->len, data, n);
    t->len += n;
    t->body[t->len] = '\0';
    return n;
}

/* 1 when the n bytes at line start with name (ASCII, any case). */
static int header_is(const char *line, size_t n, const char *name)
{
    size_t i;

    for (i = 0; name[i] != '\0'; i++)
        if (i >= n || (line[i] | 0x20) != (name[i] | 0x20))
            return 0;
    return 1;
}

/* An X-Request-Id line's value, cut to fit and without its surrounding
 * blanks, for the call record: read here as the header streams by, which
 * costs less than asking libcurl for it afterwards. */
static void keep_request_id(coord_transport *t, const char *line, size_t n)
{
    static const char name[] = "x-request-id:";
    size_t len = sizeof(name) - 1;

    if (n <= len || (line[0] | 0x20) != 'x' || !header_is(line, n, name))
        return;
    line += len;
    n -= len;
    while (n > 0 && (line[0] == ' ' || line[0] == '\t'))
        line++, n--;
    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' ' ||
                     line[n - 1] == '\t'))
        n--;
    if (n >= sizeof(t->request_id))
        n = sizeof(t->request_id) - 1;
    memcpy(t->request_id, line, n);
    t->request_id[n] = '\0';
}

/* Each header line of the answer (the status line and the blank line
 * included): a block past COORD_HEADER_BLOCK_MAX -- 100,000 small headers,
 * say -- is a bad answer, not something to retry. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    coord_transport *t = userdata;
    size_t n = size * nmemb;

    t->header_bytes += n;
    if (t->header_bytes > COORD_HEADER_BLOCK_MAX) {
        t->headers_too_large = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (t->observed && t->request_id[0] == '\0')
        keep_request_id(t, data, n);
    return n;
}

/* libcurl's progress callback, while a blocking perform runs: a non-zero
 * return aborts the transfer (CURLE_ABORTED_BY_CALLBACK). */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const coord_transport *t = userdata;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return t->cancel != NULL && __atomic_load_n(t->cancel, __ATOMIC_ACQUIRE) != 0;
}

/* The handle's callbacks: the answer's body and headers into t, each send
 * counted, libcurl's error text into t->errbuf. */
static CURLcode set_callbacks(coord_transport *t)
{
    CURL *c = t->curl;
    CURLcode rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf);

    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, on_send);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_PREREQDATA, t);
    return rc;
}

/* What the handle speaks: HTTP(S) only, no redirects, gzip. */
static CURLcode set_protocol(coord_transport *t)
{
    CURL *c = t->curl;
    CURLcode rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM */

    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    /* gzip only: "" (every coding libcurl knows) costs ~2,900 more
     * instructions per request for codings no JSON API uses (callgrind) */
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
#if LIBCURL_VERSION_NUM >= 0x075700
    /* A transfer that ends while its host name is being resolved (timeout,
     * cancel, free) leaves libcurl's resolver thread to finish on its own:
     * by default libcurl joins it, which blocks the caller -- and every
     * other call of a loop -- until getaddrinfo() gives up (10 s with
     * glibc's defaults and a silent DNS server). The thread frees its own
     * memory when getaddrinfo() returns. docs/GUIDE.md "Name lookups". */
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_QUICK_EXIT, 1L);
#endif
    return rc;
}

/* Whom the handle trusts and how it connects: libcurl's TLS defaults
 * stated, so that no build or environment can weaken them; no proxy. */
static CURLcode set_security(coord_transport *t)
{
    CURL *c = t->curl;
    CURLcode rc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);

    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
#if LIBCURL_VERSION_NUM >= 0x075400
    /* Remembered so that clearing a configured CA restores them; without
     * them a cleared trust store trusts nothing (fails closed). */
    if (rc == CURLE_OK) {
        char *file = NULL, *path = NULL;

        if (curl_easy_getinfo(c, CURLINFO_CAINFO, &file) == CURLE_OK)
            t->default_ca_file = file;
        if (curl_easy_getinfo(c, CURLINFO_CAPATH, &path) == CURLE_OK)
            t->default_ca_path = path;
    }
#endif
    /* no proxy unless the application asks for one (coord_client_set_proxy):
     * the environment's http_proxy, ALL_PROXY... would get the key and the
     * token; a libcurl built without proxies never uses one anyway */
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(c, CURLOPT_PROXY, "");
        if (rc == CURLE_UNKNOWN_OPTION)
            rc = CURLE_OK;
    }
    return rc;
}

/* Options fixed for the handle's life. */
static CURLcode set_fixed(coord_transport *t)
{
    CURLcode rc = set_callbacks(t);

    if (rc == CURLE_OK)
        rc = set_protocol(t);
    if (rc == CURLE_OK)
        rc = set_security(t);
    return rc;
}

coord_status coord_transport_new(coord_transport **out)
{
    coord_transport *t = coord_calloc(1, sizeof(*t));
    CURLcode rc;

    *out = NULL;
    if (t == NULL)
        return COORD_ERR_OUT_OF_MEMORY;
    /* curl_easy_init() fails only when libcurl cannot allocate its handle */
    t->curl = curl_easy_init();
    rc = t->curl != NULL ? set_fixed(t) : CURLE_OUT_OF_MEMORY;
    if (rc != CURLE_OK) {
        curl_easy_cleanup(t->curl);
        coord_free(t);
        return rc == CURLE_OUT_OF_MEMORY ? COORD_ERR_OUT_OF_MEMORY : COORD_ERR_TRANSPORT;
    }
    *out = t;
    return COORD_OK;
}

static void free_headers(struct curl_slist *headers)
{
    for (struct curl_slist *h = headers; h != NULL; h = h->next)
        coord_wipe(h->data, strlen(h->data)); /* the Authorization line */
    curl_slist_free_all(headers);
}

void coord_transport_free(coord_transport *t)
{
    if (t == NULL)
        return;
    curl_easy_cleanup(t->curl);
    curl_url_cleanup(t->url_handle);
    free_headers(t->headers);
    if (t->body != NULL)
        coord_wipe(t->body, t->cap);
    coord_free(t->body);
    coord_wipe(t, sizeof(*t)); /* the URL copy holds the key */
    coord_free(t);
}

static coord_status status_from_setopt(CURLcode rc, const char *what, coord_error *err)
{
    if (rc == CURLE_OK)
        return COORD_OK;
    return coord_error_fail(err, rc == CURLE_OUT_OF_MEMORY ? COORD_ERR_OUT_OF_MEMORY : COORD_ERR_TLS,
                            "libcurl refused %s: %s", what, curl_easy_strerror(rc));
}

coord_status coord_transport_set_trust(coord_transport *t, const char *ca_file,
                                       const char *ca_path, coord_error *err)
{
    CURLcode rc;

    if (ca_file == NULL && ca_path == NULL) {
        ca_file = t->default_ca_file;
        ca_path = t->default_ca_path;
    }
    rc = curl_easy_setopt(t->curl, CURLOPT_CAINFO, ca_file);
    if (rc != CURLE_OK)
        return status_from_setopt(rc, "the CA file", err);
    rc = curl_easy_setopt(t->curl, CURLOPT_CAPATH, ca_path);
    return status_from_setopt(rc, "the CA directory", err);
}

coord_status coord_transport_set_pin(coord_transport *t, const char *pin, coord_error *err)
{
    return status_from_setopt(curl_easy_setopt(t->curl, CURLOPT_PINNEDPUBLICKEY, pin),
                              "the public-key pin", err);
}

coord_status coord_transport_set_proxy(coord_transport *t, const char *proxy, coord_error *err)
{
    CURLcode rc = curl_easy_setopt(t->curl, CURLOPT_PROXY, proxy);

    /* an explicit proxy is used for every host; NULL reads NO_PROXY again */
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(t->curl, CURLOPT_NOPROXY,
                              proxy != NULL && proxy[0] != '\0' ? "" : NULL);
    if (rc == CURLE_OK)
        return COORD_OK;
    return coord_error_fail(err, rc == CURLE_OUT_OF_MEMORY ? COORD_ERR_OUT_OF_MEMORY
                                                           : COORD_ERR_TRANSPORT,
                            "libcurl refused the proxy setting: %s", curl_easy_strerror(rc));
}

void coord_transport_wipe_body(coord_transport *t)
{
    if (t->body != NULL)
        coord_wipe(t->body, t->cap);
    t->len = 0;
}

static coord_status status_from_curl(CURLcode rc, const coord_transport *t)
{
    switch (rc) {
    case CURLE_OK:
        return COORD_OK;
    case CURLE_WRITE_ERROR: /* on_body or on_header refused the data */
        if (t->too_large)
            return COORD_ERR_RESPONSE_TOO_LARGE;
        return t->headers_too_large ? COORD_ERR_BAD_RESPONSE : COORD_ERR_OUT_OF_MEMORY;
    case CURLE_OPERATION_TIMEDOUT:
        return COORD_ERR_TIMEOUT;
    case CURLE_OUT_OF_MEMORY:
        /* libcurl 7.88's word, too, for an answer header line over its
         * limit (100 KiB): that is what it was when no allocation failed */
        return coord_alloc_failures() == t->failed_allocations ? COORD_ERR_BAD_RESPONSE
                                                               : COORD_ERR_OUT_OF_MEMORY;
#if LIBCURL_VERSION_NUM >= 0x080600
    case CURLE_TOO_LARGE: /* the same limit, named so from libcurl 8.6 */
        return COORD_ERR_BAD_RESPONSE;
#endif
    case CURLE_FILESIZE_EXCEEDED:
        return COORD_ERR_RESPONSE_TOO_LARGE;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return COORD_ERR_INVALID_ARGUMENT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
        return COORD_ERR_TLS;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
        return COORD_ERR_BAD_RESPONSE;
    default: /* DNS, connect, send and receive failures */
        return COORD_ERR_TRANSPORT;
    }
}

/* Which part of TLS failed, for the detail text. */
static const char *tls_failure(CURLcode rc)
{
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
        return "TLS certificate verification failed";
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return "TLS public key does not match the pinned key";
    case CURLE_SSL_CACERT_BADFILE:
        return "TLS trust store (CA file or directory) unusable";
    default:
        return "TLS handshake failed";
    }
}

/* 1 when the handle's list holds exactly these lines, in order. */
static int headers_match(const struct curl_slist *h, const char *const *lines, size_t n)
{
    for (size_t i = 0; i < n; i++, h = h->next)
        if (h == NULL || strcmp(h->data, lines[i]) != 0)
            return 0;
    return h == NULL;
}

static CURLcode set_headers(coord_transport *t, const coord_request *req, int is_get)
{
    const char *lines[COORD_REQUEST_MAX_HEADERS + 1];
    struct curl_slist *list = NULL;
    size_t n = 0, i;
    CURLcode rc;

    for (i = 0; i < req->header_count && i < COORD_REQUEST_MAX_HEADERS; i++)
        lines[n++] = req->headers[i];
    /* libcurl would label an empty PUT/POST body as a form post */
    if (req->body_len == 0 && !is_get)
        lines[n++] = "Content-Type:";
    if (t->headers != NULL && headers_match(t->headers, lines, n))
        return CURLE_OK;
    for (i = 0; i < n; i++) {
        struct curl_slist *more = curl_slist_append(list, lines[i]);

        if (more == NULL) {
            free_headers(list);
            return CURLE_OUT_OF_MEMORY;
        }
        list = more;
    }
    rc = curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, list);
    if (rc != CURLE_OK) {
        free_headers(list);
        return rc;
    }
    free_headers(t->headers);
    t->headers = list;
    return CURLE_OK;
}

static CURLcode set_method(coord_transport *t, const coord_request *req, int is_get)
{
    CURL *c = t->curl;
    CURLcode rc = CURLE_OK;

    if (strcmp(t->method, req->method) != 0) {
        if (is_get) {
            rc = curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
            if (rc == CURLE_OK)
                rc = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
        } else {
            rc = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
                                  strcmp(req->method, "POST") == 0 ? NULL : req->method);
        }
        t->method[0] = '\0';
        if (rc == CURLE_OK)
            coord_copy_text(t->method, sizeof(t->method), req->method);
    }
    if (rc != CURLE_OK || is_get)
        return rc;
    /* A body, even an empty one, so that PUT/POST send Content-Length.
     * These store a pointer and a size: nothing is copied. */
    rc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
    return rc;
}

/* The longest Content-Length an answer within the cap (on its decoded
 * body, which on_body counts) may declare: gzip can make a body longer than
 * what it decodes to -- stored blocks add 5 bytes per block and 18 of
 * header and trailer, fixed Huffman codes up to 9 bits a byte -- so an
 * eighth and 1 KiB more. Longer is refused before any of it is read. At
 * most 64 MiB + 9 MiB: a long. */
static long encoded_limit(uint32_t max_response_size)
{
    return (long)max_response_size + (long)(max_response_size / 8) + 1024;
}

/* The call's agent and limits, each given to libcurl only when it changed:
 * libcurl copies the agent string every time it is set. The response limit
 * is at most 64 MiB: a long, CURLOPT_MAXFILESIZE. */
static CURLcode set_config(coord_transport *t, const coord_transport_config *cfg)
{
    CURL *c = t->curl;
    CURLcode rc = CURLE_OK;

    if (strcmp(t->user_agent, cfg->user_agent) != 0) {
        t->user_agent[0] = '\0';
        rc = curl_easy_setopt(c, CURLOPT_USERAGENT, cfg->user_agent);
        if (rc == CURLE_OK)
            coord_copy_text(t->user_agent, sizeof(t->user_agent), cfg->user_agent);
    }
    if (rc == CURLE_OK && t->connect_timeout_ms != cfg->connect_timeout_ms) {
        t->connect_timeout_ms = 0;
        rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->connect_timeout_ms);
        if (rc == CURLE_OK)
            t->connect_timeout_ms = cfg->connect_timeout_ms;
    }
    if (rc == CURLE_OK && t->timeout_ms != cfg->timeout_ms) {
        t->timeout_ms = 0;
        rc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
        if (rc == CURLE_OK)
            t->timeout_ms = cfg->timeout_ms;
    }
    if (rc == CURLE_OK && t->max_response_size != cfg->max_response_size) {
        t->max_response_size = 0;
        rc = curl_easy_setopt(c, CURLOPT_MAXFILESIZE, encoded_limit(cfg->max_response_size));
        if (rc == CURLE_OK)
            t->max_response_size = cfg->max_response_size;
    }
    return rc;
}

/* The URL as a parsed handle as well as a string. Given only a string,
 * libcurl parses it and prints it back on every perform, even when it did
 * not change: that was a fifth of the instructions of a kept-alive call
 * (callgrind, libcurl 7.88). Given a handle (CURLOPT_CURLU, which takes
 * precedence) it copies the parsed parts instead, so the URL is parsed here
 * once per new URL. The string is still set: libcurl reports and re-sends
 * by it. */
static CURLcode set_url(coord_transport *t, const char *url)
{
    CURLUcode uc;
    CURLcode rc;

    if (strcmp(t->url, url) == 0)
        return CURLE_OK;
    t->url[0] = '\0';
    if (t->url_handle == NULL) {
        t->url_handle = curl_url();
        if (t->url_handle == NULL)
            return CURLE_OUT_OF_MEMORY;
    }
    uc = curl_url_set(t->url_handle, CURLUPART_URL, url, 0);
    if (uc != CURLUE_OK) {
        /* not sent: the handle keeps the last good URL, t->url the need to set it */
        snprintf(t->errbuf, sizeof(t->errbuf), "%s", curl_url_strerror(uc));
        return uc == CURLUE_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_URL_MALFORMAT;
    }
    rc = curl_easy_setopt(t->curl, CURLOPT_CURLU, t->url_handle);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(t->curl, CURLOPT_URL, url);
    if (rc == CURLE_OK)
        coord_copy_text(t->url, sizeof(t->url), url);
    return rc;
}

/* Give the handle this call's options; what it already holds is not set again. */
static CURLcode set_request(coord_transport *t, const coord_transport_config *cfg,
                            const coord_request *req)
{
    int is_get = strcmp(req->method, "GET") == 0;
    CURLcode rc = set_url(t, req->url);

    if (rc == CURLE_OK)
        rc = set_headers(t, req, is_get);
    if (rc == CURLE_OK)
        rc = set_method(t, req, is_get);
    if (rc == CURLE_OK)
        rc = set_config(t, cfg);
    return rc;
}

/* The answer's Date, and whether an Age header says a cache kept it: for
 * the client's estimate of the server's clock. A Date the handle read last
 * is not parsed again. */
static void read_date(coord_transport *t, coord_response *out)
{
    struct curl_header *h = NULL;

    if (curl_easy_header(t->curl, "Date", 0, CURLH_HEADER, -1, &h) == CURLHE_OK) {
        if (t->date[0] != '\0' && strcmp(h->value, t->date) == 0) {
            out->date_ms = t->date_ms;
            out->has_date = 1;
        } else if (coord_http_date_parse(h->value, &out->date_ms) == 0) {
            out->has_date = 1;
            if (!coord_copy_text(t->date, sizeof(t->date), h->value))
                t->date[0] = '\0'; /* too long to keep: parsed each time */
            t->date_ms = out->date_ms;
        }
    }
    out->has_age = curl_easy_header(t->curl, "Age", 0, CURLH_HEADER, -1, &h) == CURLHE_OK;
}

/* Content-Type and Retry-After of the answer, when present and short;
 * cleaned, since they reach error text and logs. */
static void read_headers(coord_transport *t, coord_response *out)
{
    CURL *c = t->curl;
    struct curl_header *h = NULL;
    char *type = NULL;

    if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type != NULL &&
        coord_copy_text(out->content_type, sizeof(out->content_type), type))
        coord_text_clean(out->content_type);
    if (curl_easy_header(c, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK &&
        coord_copy_text(out->retry_after, sizeof(out->retry_after), h->value))
        coord_text_clean(out->retry_after);
    read_date(t, out);
}

/* The record of a failed exchange: libcurl's own words where it has them,
 * prefixed by which part of TLS failed. */
static coord_status exchange_failed(const coord_transport *t, CURLcode rc, coord_status st,
                                    coord_error *err)
{
    const char *why = t->errbuf[0] != '\0' ? t->errbuf : curl_easy_strerror(rc);

    if (st == COORD_ERR_CANCELLED)
        return coord_error_fail(err, st, "cancelled by coord_client_cancel()");
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        return coord_error_fail(err, st, "connection lost before an answer; "
                                "not re-sent: the request is not idempotent");
    if (st == COORD_ERR_RESPONSE_TOO_LARGE)
        return coord_error_fail(err, st, "response larger than %lu bytes",
                                (unsigned long)t->limit);
    if (t->headers_too_large)
        return coord_error_fail(err, st, "the answer's header lines passed %u bytes",
                                COORD_HEADER_BLOCK_MAX);
    if (st == COORD_ERR_BAD_RESPONSE && rc != CURLE_WEIRD_SERVER_REPLY &&
        rc != CURLE_BAD_CONTENT_ENCODING) /* libcurl's header limit: status_from_curl */
        return coord_error_fail(err, st, "an answer header line longer than libcurl takes");
    if (st == COORD_ERR_TLS)
        return coord_error_fail(err, st, "%s: %s", tls_failure(rc), why);
    return coord_error_fail(err, st, "%s", why);
}

coord_status coord_transport_prepare(coord_transport *t, const coord_transport_config *cfg,
                                     const coord_request *req, coord_error *err)
{
    CURLcode rc;

    t->errbuf[0] = '\0';
    t->len = 0;
    t->too_large = 0;
    t->header_bytes = 0;
    t->headers_too_large = 0;
    t->failed_allocations = coord_alloc_failures();
    t->sent = 0;
    t->performed = 0;
    t->observed = cfg->observed;
    t->connects = -1;
    t->request_id[0] = '\0';
    t->idempotent = req->idempotent;
    t->limit = cfg->max_response_size;
    if (t->body != NULL)
        t->body[0] = '\0';
    rc = set_request(t, cfg, req);
    return rc == CURLE_OK ? COORD_OK : exchange_failed(t, rc, status_from_curl(rc, t), err);
}

coord_status coord_transport_result(coord_transport *t, CURLcode rc, coord_response *out,
                                    coord_error *err)
{
    coord_status st = status_from_curl(rc, t);

    memset(out, 0, sizeof(*out));
    out->sent = t->sent;
    t->performed = 1;
    if (rc == CURLE_ABORTED_BY_CALLBACK && t->cancel != NULL &&
        __atomic_load_n(t->cancel, __ATOMIC_ACQUIRE) != 0)
        st = COORD_ERR_CANCELLED; /* on_progress, not on_send, stopped it */
    /* kept when the answer failed after its status line (cut off, too
     * large): the caller reads it, with the status, as the server's word */
    if (curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &out->http_status) != CURLE_OK)
        out->http_status = 0;
    out->cert_failed = rc == CURLE_PEER_FAILED_VERIFICATION;
    if (st != COORD_OK)
        return exchange_failed(t, rc, st, err);
    if (out->http_status == 0)
        return coord_error_fail(err, COORD_ERR_BAD_RESPONSE, "no HTTP status in the answer");
    out->body = t->body != NULL ? t->body : "";
    out->body_len = t->len;
    read_headers(t, out);
    return COORD_OK;
}

/* The progress callback is installed the first time a blocking perform
 * needs it: the handles of non-blocking calls are cancelled by removing
 * them from their loop and never pay for it. */
static CURLcode watch_cancel(coord_transport *t, const int *cancel)
{
    CURLcode rc = CURLE_OK;

    t->cancel = cancel;
    if (cancel == NULL || t->progress_on)
        return CURLE_OK;
    rc = curl_easy_setopt(t->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(t->curl, CURLOPT_XFERINFODATA, t);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(t->curl, CURLOPT_NOPROGRESS, 0L);
    t->progress_on = rc == CURLE_OK;
    return rc;
}

coord_status coord_transport_perform(coord_transport *t, const int *cancel, coord_response *out,
                                     coord_error *err)
{
    CURLcode rc = watch_cancel(t, cancel);

    if (rc == CURLE_OK)
        rc = curl_easy_perform(t->curl);
    return coord_transport_result(t, rc, out, err);
}

/* A curl_off_t info (a time in microseconds, a size); 0 where libcurl had none. */
static int64_t info_off(CURL *c, CURLINFO what)
{
    curl_off_t v = 0;

    return curl_easy_getinfo(c, what, &v) == CURLE_OK && v > 0 ? (int64_t)v : 0;
}

static int64_t info_long(CURL *c, CURLINFO what)
{
    long v = 0;

    return curl_easy_getinfo(c, what, &v) == CURLE_OK && v > 0 ? (int64_t)v : 0;
}

/* CURL_HTTP_VERSION_* as 10, 11, 20, 30. */
static uint8_t http_version(CURL *c)
{
    switch (info_long(c, CURLINFO_HTTP_VERSION)) {
    case CURL_HTTP_VERSION_1_0:
        return 10;
    case CURL_HTTP_VERSION_1_1:
        return 11;
    case CURL_HTTP_VERSION_2_0:
        return 20;
#if LIBCURL_VERSION_NUM >= 0x074200
    case CURL_HTTP_VERSION_3:
        return 30;
#endif
    default:
        return 0;
    }
}

void coord_transport_observe(coord_transport *t, coord_call_record *out)
{
    CURL *c = t->curl;

    if (!t->performed)
        return;
    out->has_timings = 1;
    out->dns_us = info_off(c, CURLINFO_NAMELOOKUP_TIME_T);
    out->connect_us = info_off(c, CURLINFO_CONNECT_TIME_T);
    out->tls_us = info_off(c, CURLINFO_APPCONNECT_TIME_T);
    out->ttfb_us = info_off(c, CURLINFO_STARTTRANSFER_TIME_T);
    out->total_us = info_off(c, CURLINFO_TOTAL_TIME_T);
    out->connection_reused = t->sent > 0 && coord_transport_connects(t) == 0;
    out->http_version = http_version(c);
    /* the request's headers and its body, which libcurl sends with them */
    out->bytes_sent = info_long(c, CURLINFO_REQUEST_SIZE);
    /* on_header counted the header lines (CURLINFO_HEADER_SIZE); the body
     * as it came, before any decoding */
    out->bytes_received = (int64_t)t->header_bytes + info_off(c, CURLINFO_SIZE_DOWNLOAD_T);
    /* cut to fit by on_header, cleaned here: a cut through a UTF-8
     * sequence becomes '?' */
    coord_copy_text(out->request_id, sizeof(out->request_id), t->request_id);
    coord_text_clean(out->request_id);
}

uint32_t coord_transport_connects(coord_transport *t)
{
    if (!t->performed)
        return 0;
    if (t->connects < 0)
        t->connects = (long)info_long(t->curl, CURLINFO_NUM_CONNECTS);
    return (uint32_t)t->connects;
}

CURL *coord_transport_handle(coord_transport *t)
{
    return t->curl;
}

uint32_t coord_transport_sent(const coord_transport *t)
{
    return t->sent;
}
