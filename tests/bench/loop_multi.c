/* The floor of the non-blocking stack: a hand-written libcurl multi + cJSON
 * loop, INFLIGHT easy handles each reused for the next call, doing the same
 * PUT as coord_end_session (gzip accepted, as libcoord asks) and parsing
 * the answer.
 *
 *   loop_multi BASE_URL ACCESS_KEY TOKEN N INFLIGHT [count-cjson]
 *
 * As loop_coord_async: an untimed first round, N timed calls, rss_idle_kb.
 * Not part of the library: it is what libcoord's loop is measured against. */
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

struct transfer {
    CURL *easy;
    char body[4096];
    size_t len;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct transfer *t = userdata;
    size_t n = size * nmemb;

    if (n > sizeof(t->body) - 1 - t->len)
        return 0;
    memcpy(t->body + t->len, data, n);
    t->len += n;
    return n;
}

static int answer_ok(struct transfer *t)
{
    long code = 0;
    cJSON *root;
    const cJSON *id, *amount;
    int ok;

    if (curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code != 200)
        return 0;
    root = cJSON_ParseWithLength(t->body, t->len);
    id = cJSON_GetObjectItemCaseSensitive(root, "id");
    amount = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "billing_info"),
                                         "cost"), "amount");
    ok = cJSON_IsNumber(id) && id->valuedouble == 1 && cJSON_IsNumber(amount) &&
         amount->valuedouble == 100;
    cJSON_Delete(root);
    return ok;
}

/* n calls over the transfers, inflight at a time; 0 when all succeeded. */
static int calls(CURLM *multi, struct transfer *t, long n, long inflight)
{
    long started = 0, running = 0;
    int still;

    for (long i = 0; i < inflight && started < n; i++, started++, running++) {
        t[i].len = 0;
        curl_multi_add_handle(multi, t[i].easy);
    }
    while (running > 0) {
        CURLMsg *msg;
        int left;

        if (curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK ||
            curl_multi_perform(multi, &still) != CURLM_OK)
            return -1;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            struct transfer *done;

            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&done);
            if (msg->data.result != CURLE_OK || !answer_ok(done)) {
                fprintf(stderr, "call failed\n");
                return -1;
            }
            curl_multi_remove_handle(multi, done->easy);
            running--;
            if (started < n) {
                done->len = 0;
                curl_multi_add_handle(multi, done->easy);
                started++;
                running++;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct curl_slist *headers = NULL;
    struct transfer *t;
    char url[1024], auth[1024], extra[96];
    double w0, c0, w1, c1;
    long n, inflight, idle;
    CURLM *multi;

    if (argc < 6) {
        fprintf(stderr, "usage: %s BASE_URL ACCESS_KEY TOKEN N INFLIGHT [count-cjson]\n",
                argv[0]);
        return 2;
    }
    n = bench_count(argv[4]);
    inflight = bench_count(argv[5]);
    if (argc > 6 && strcmp(argv[6], "count-cjson") == 0) {
        cJSON_Hooks hooks = {counting_malloc, free};
        cJSON_InitHooks(&hooks);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    idle = bench_status_kb("VmRSS"); /* before the handles: they are what each call costs */
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, inflight);
    snprintf(url, sizeof(url), "%s/LOT-1/session/1/end?access_key=%s", argv[1], argv[2]);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", argv[3]);
    headers = curl_slist_append(headers, "Accept: application/json");
    headers = curl_slist_append(headers, auth);
    headers = curl_slist_append(headers, "Content-Type:");
    t = calloc((size_t)inflight, sizeof(*t));
    if (multi == NULL || headers == NULL || t == NULL)
        return 1;
    for (long i = 0; i < inflight; i++) {
        CURL *h = curl_easy_init();

        if (h == NULL)
            return 1;
        t[i].easy = h;
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "libcoord/1.1.0");
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &t[i]);
        curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)&t[i]);
    }
    if (calls(multi, t, inflight, inflight) != 0)
        return 1;
    w0 = bench_wall();
    c0 = bench_cpu();
    if (calls(multi, t, n, inflight) != 0)
        return 1;
    c1 = bench_cpu();
    w1 = bench_wall();
    snprintf(extra, sizeof(extra), "cjson_allocs=%ld rss_idle_kb=%ld", cjson_allocs, idle);
    bench_report(n, w1 - w0, c1 - c0, extra);
    for (long i = 0; i < inflight; i++)
        curl_easy_cleanup(t[i].easy);
    free(t);
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    return 0;
}
