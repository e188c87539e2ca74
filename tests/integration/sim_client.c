/* Control API of the simulator, over libcurl; aborts the test on failure. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "coord/coord.h"
#include "sim_client.h"

typedef struct sink {
    char *out;
    size_t size;
    size_t len;
} sink;

static size_t on_data(char *data, size_t size, size_t nmemb, void *userdata)
{
    sink *s = userdata;
    size_t n = size * nmemb;
    size_t room = s->size - 1 - s->len;
    size_t take = n < room ? n : room;

    memcpy(s->out + s->len, data, take);
    s->len += take;
    s->out[s->len] = '\0';
    return n;
}

static void die(const char *what)
{
    fprintf(stderr, "simulator control failed: %s\n", what);
    exit(2);
}

const char *sim_url(void)
{
    const char *url = getenv("COORD_SIM_URL");
    if (url == NULL)
        die("COORD_SIM_URL is not set: run the test through tests/sim/with_sim.sh");
    return url;
}

const char *sim_key(void)
{
    const char *key = getenv("COORD_SIM_KEY");
    return key != NULL ? key : "sandbox-test-key";
}

const char *sim_api_base(void)
{
    static char base[512];
    snprintf(base, sizeof(base), "%s/v1/access/parking", sim_url());
    return base;
}

int sim_call(const char *method, const char *path, const char *body, char *out,
             size_t out_size)
{
    char url[1024], scratch[16];
    sink s = {out != NULL ? out : scratch, out != NULL ? out_size : sizeof(scratch), 0};
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    CURL *c = curl_easy_init();
    long status = -1;

    s.out[0] = '\0';
    snprintf(url, sizeof(url), "%s%s", sim_url(), path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_PROXY, ""); /* test_proxy.c sets the proxy variables */
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    if (body != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (getenv("COORD_SIM_CA") != NULL) /* an HTTPS simulator (with_tls_sim.sh) */
        curl_easy_setopt(c, CURLOPT_CAINFO, getenv("COORD_SIM_CA"));
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    return (int)status;
}

static void control(const char *method, const char *path, const char *body, char *out,
                    size_t out_size)
{
    int status = sim_call(method, path, body, out, out_size);
    if (status != 200)
        die(path);
}

void sim_reset(void)
{
    control("POST", "/_sim/reset", "{}", NULL, 0);
}

void sim_location(const char *location_id, int hourly_rate, int gate_controlled,
                  int cost_pending)
{
    cJSON *o = cJSON_CreateObject();
    char *body;

    cJSON_AddStringToObject(o, "location_id", location_id);
    cJSON_AddNumberToObject(o, "hourly_rate", hourly_rate);
    cJSON_AddBoolToObject(o, "gate_controlled", gate_controlled);
    cJSON_AddBoolToObject(o, "cost_pending", cost_pending);
    body = cJSON_PrintUnformatted(o);
    control("POST", "/_sim/locations", body, NULL, 0);
    cJSON_free(body);
    cJSON_Delete(o);
}

int64_t sim_session(const char *location_id, int start_minutes_ago, int gate_controlled,
                    char *json, size_t json_size)
{
    char out[4096];
    cJSON *o = cJSON_CreateObject(), *answer, *id;
    char *body;
    int64_t value;

    cJSON_AddStringToObject(o, "location_id", location_id);
    cJSON_AddNumberToObject(o, "start_minutes_ago", start_minutes_ago);
    cJSON_AddBoolToObject(o, "gate_controlled", gate_controlled);
    body = cJSON_PrintUnformatted(o);
    control("POST", "/_sim/sessions", body, out, sizeof(out));
    cJSON_free(body);
    cJSON_Delete(o);
    answer = cJSON_Parse(out);
    id = cJSON_GetObjectItemCaseSensitive(answer, "id");
    if (!cJSON_IsNumber(id))
        die("seeded session has no id");
    value = (int64_t)id->valuedouble;
    cJSON_Delete(answer);
    if (json != NULL)
        snprintf(json, json_size, "%s", out);
    return value;
}

void sim_token(const char *json, char *out, size_t out_size)
{
    char answer[4096];
    cJSON *o, *token;

    control("POST", "/_sim/tokens", json, answer, sizeof(answer));
    o = cJSON_Parse(answer);
    token = cJSON_GetObjectItemCaseSensitive(o, "jwt_token");
    if (!cJSON_IsString(token))
        die("/_sim/tokens answered no jwt_token");
    snprintf(out, out_size, "%s", token->valuestring);
    cJSON_Delete(o);
}

const char *sim_user_token(void)
{
    static char token[8192];

    if (token[0] == '\0')
        sim_token("{\"user_id\":\"" SIM_DEFAULT_USER "\"}", token, sizeof(token));
    return token;
}

void sim_stats(long *connections, long *requests)
{
    char out[256];
    cJSON *o;

    control("GET", "/_sim/stats", NULL, out, sizeof(out));
    o = cJSON_Parse(out);
    *connections = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "connections"));
    *requests = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "requests"));
    cJSON_Delete(o);
}

long sim_api_requests(void)
{
    char out[256];
    cJSON *o;
    long n;

    control("GET", "/_sim/stats", NULL, out, sizeof(out));
    o = cJSON_Parse(out);
    n = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "api_requests"));
    cJSON_Delete(o);
    return n;
}

void sim_fault(const char *json)
{
    control("POST", "/_sim/fault", json, NULL, 0);
}

static cJSON *last_request(void)
{
    char out[8192];

    control("GET", "/_sim/last_request", NULL, out, sizeof(out));
    return cJSON_Parse(out);
}

int sim_last_request(const char *section, const char *name, char *out, size_t out_size)
{
    cJSON *root = last_request();
    const cJSON *item = section != NULL ? cJSON_GetObjectItemCaseSensitive(root, section) : root;
    int found;

    item = cJSON_GetObjectItemCaseSensitive(item, name);
    if (cJSON_IsArray(item))
        item = cJSON_GetArrayItem(item, 0);
    found = cJSON_IsString(item);
    snprintf(out, out_size, "%s", found ? item->valuestring : "");
    cJSON_Delete(root);
    return found ? 0 : -1;
}

int sim_last_request_query_count(void)
{
    cJSON *root = last_request();
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "query"));

    cJSON_Delete(root);
    return n;
}

int sim_group_setup(void **state)
{
    (void)state;
    return coord_global_init() == COORD_OK ? 0 : -1;
}

int sim_group_teardown(void **state)
{
    (void)state;
    coord_global_cleanup();
    return 0;
}

coord_client *sim_user_client_at(const char *base, const char *key)
{
    coord_client *c = NULL;

    if (coord_client_new(base, key, &c) != COORD_OK ||
        coord_client_set_bearer_token(c, sim_user_token()) != COORD_OK)
        die("cannot make a client of the simulator");
    return c;
}

coord_client *sim_user_client(void)
{
    return sim_user_client_at(sim_api_base(), sim_key());
}

void sim_assert_no_secret(const coord_client *c, const char *secret)
{
    const coord_error *e = coord_client_last_error(c);

    if (strstr(e->detail, secret) != NULL || strstr(e->api_message, secret) != NULL)
        fail_msg("a secret reached the error record's %s", /* not echoed here either */
                 strstr(e->detail, secret) != NULL ? "detail" : "api_message");
}

double sim_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sim_closed_port_base(char *base, size_t size)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
        die("no loopback port for the closed-port test");
    close(fd); /* bound, never listened: the port refuses connections */
    snprintf(base, size, "http://127.0.0.1:%d/v1/access/parking", ntohs(addr.sin_port));
}
