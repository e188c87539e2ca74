/* The machine's limit: a bare-socket keep-alive exchange. Write the same
 * request line and headers, read the header block, then read the body to
 * its Content-Length. No HTTP library, no JSON.
 *
 *   loop_socket PORT PATH_AND_QUERY TOKEN N */
#include "bench_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char in[65536];
static size_t have; /* bytes buffered in `in` */

static int fill(int fd)
{
    ssize_t r;

    if (have >= sizeof(in))
        return -1;
    r = read(fd, in + have, sizeof(in) - have);
    if (r <= 0)
        return -1;
    have += (size_t)r;
    return 0;
}

static int exchange(int fd, const char *req, size_t req_len)
{
    char *end, *cl;
    size_t head, total;

    if (write(fd, req, req_len) != (ssize_t)req_len)
        return -1;
    for (;;) {
        in[have < sizeof(in) ? have : sizeof(in) - 1] = '\0';
        end = strstr(in, "\r\n\r\n");
        if (end != NULL)
            break;
        if (fill(fd) != 0)
            return -1;
    }
    head = (size_t)(end - in) + 4;
    cl = strstr(in, "Content-Length: ");
    if (strncmp(in, "HTTP/1.1 200", 12) != 0 || cl == NULL || cl > end)
        return -1;
    total = head + strtoul(cl + 16, NULL, 10);
    while (have < total)
        if (fill(fd) != 0)
            return -1;
    memmove(in, in + total, have - total);
    have -= total;
    return 0;
}

int main(int argc, char **argv)
{
    struct sockaddr_in addr;
    char req[4096];
    int fd, len, one = 1;
    double w0, c0, w1, c1;
    long n, i;

    if (argc < 5) {
        fprintf(stderr, "usage: %s PORT PATH_AND_QUERY TOKEN N\n", argv[0]);
        return 2;
    }
    n = bench_count(argv[4]);
    len = snprintf(req, sizeof(req),
                   "PUT %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUser-Agent: libcoord/1.1.0\r\n"
                   "Accept: application/json\r\nAuthorization: Bearer %s\r\n"
                   "Content-Length: 0\r\n\r\n",
                   argv[2], argv[1], argv[3]);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(argv[1]));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        perror("connect");
        return 1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (exchange(fd, req, (size_t)len) != 0) {
        fprintf(stderr, "exchange failed\n");
        return 1;
    }
    w0 = bench_wall();
    c0 = bench_cpu();
    for (i = 0; i < n; i++)
        if (exchange(fd, req, (size_t)len) != 0) {
            fprintf(stderr, "exchange failed\n");
            return 1;
        }
    c1 = bench_cpu();
    w1 = bench_wall();
    bench_report(n, w1 - w0, c1 - c0, NULL);
    close(fd);
    return 0;
}
