/* The floor of this stack: a minimal hand-written libcurl + cJSON loop doing
 * the same PUT as coord_end_session and parsing the answer. Options and
 * headers are set once on one reused easy handle.
 *
 *   loop_curl BASE_URL ACCESS_KEY TOKEN N [count-cjson] [accept-encoding]
 *
 * accept-encoding also asks libcurl for compressed answers as libcoord does
 * (CURLOPT_ACCEPT_ENCODING "gzip"), to compare like for like.
 * Not part of the library: it is what libcoord is measured against. */
#include "bench_util.h"

#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

static long cjson_allocs;

static void *counting_malloc(size_t n)
{
    cjson_allocs++;
    return malloc(n);
}

struct buf {
    char data[65536];
    size_t len;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct buf *b = userdata;
    size_t n = size * nmemb;

    if (n > sizeof(b->data) - 1 - b->len)
        return 0;
    memcpy(b->data + b->len, data, n);
    b->len += n;
    return n;
}

static int end_once(CURL *h, struct buf *b)
{
    long code = 0;
    cJSON *root;
    const cJSON *id, *billing, *cost, *amount;
    int ok;

    b->len = 0;
    if (curl_easy_perform(h) != CURLE_OK ||
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code != 200) {
        fprintf(stderr, "request failed (HTTP %ld)\n", code);
        return -1;
    }
    root = cJSON_ParseWithLength(b->data, b->len);
    id = cJSON_GetObjectItemCaseSensitive(root, "id");
    billing = cJSON_GetObjectItemCaseSensitive(root, "billing_info");
    cost = cJSON_GetObjectItemCaseSensitive(billing, "cost");
    amount = cJSON_GetObjectItemCaseSensitive(cost, "amount");
    ok = cJSON_IsNumber(id) && id->valuedouble == 1 && cJSON_IsNumber(amount) &&
         amount->valuedouble == 100;
    cJSON_Delete(root);
    if (!ok) {
        fprintf(stderr, "unexpected answer\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct buf body;
    struct curl_slist *headers = NULL;
    int count_cjson = 0, accept_encoding = 0;
    char url[1024], auth[1024], extra[64];
    double w0, c0, w1, c1;
    long n, i;
    CURL *h;

    if (argc < 5) {
        fprintf(stderr, "usage: %s BASE_URL ACCESS_KEY TOKEN N [count-cjson] [accept-encoding]\n",
                argv[0]);
        return 2;
    }
    n = bench_count(argv[4]);
    for (i = 5; i < argc; i++) {
        count_cjson |= strcmp(argv[i], "count-cjson") == 0;
        accept_encoding |= strcmp(argv[i], "accept-encoding") == 0;
    }
    if (count_cjson) {
        cJSON_Hooks hooks = {counting_malloc, free};
        cJSON_InitHooks(&hooks);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h = curl_easy_init();
    snprintf(url, sizeof(url), "%s/LOT-1/session/1/end?access_key=%s", argv[1], argv[2]);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", argv[3]);
    headers = curl_slist_append(headers, "Accept: application/json");
    headers = curl_slist_append(headers, auth);
    headers = curl_slist_append(headers, "Content-Type:");
    if (h == NULL || headers == NULL) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "libcoord/1.1.0");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    if (accept_encoding)
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");

    if (end_once(h, &body) != 0)
        return 1;
    w0 = bench_wall();
    c0 = bench_cpu();
    for (i = 0; i < n; i++)
        if (end_once(h, &body) != 0)
            return 1;
    c1 = bench_cpu();
    w1 = bench_wall();
    snprintf(extra, sizeof(extra), "cjson_allocs=%ld", cjson_allocs);
    bench_report(n, w1 - w0, c1 - c0, extra);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    return 0;
}
