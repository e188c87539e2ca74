/* What the benchmark's C clients share: a clock, the client's own CPU time
 * and RSS, and the one result line the driver (bench.py) reads. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static inline double bench_wall(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* user + system CPU seconds of this process alone */
static inline double bench_cpu(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* A "kB" line of /proc/self/status, e.g. "VmHWM" (peak RSS of this process
 * image: unlike getrusage's ru_maxrss, it does not carry over the launcher's
 * peak across exec) or "VmRSS" (resident now); -1 when absent. */
static inline long bench_status_kb(const char *field)
{
    char line[256];
    size_t len = strlen(field);
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, field, len) == 0 && line[len] == ':' &&
            sscanf(line + len + 1, "%ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* One line: "RESULT calls=N wall_s=.. cpu_s=.. maxrss_kb=.. extra" */
static inline void bench_report(long calls, double wall, double cpu, const char *extra)
{
    printf("RESULT calls=%ld wall_s=%.6f cpu_s=%.6f maxrss_kb=%ld %s\n", calls, wall, cpu,
           bench_status_kb("VmHWM"), extra != NULL ? extra : "");
    fflush(stdout);
}

static inline long bench_count(const char *text)
{
    char *end;
    long n = strtol(text, &end, 10);

    if (*end != '\0' || n < 0) {
        fprintf(stderr, "not a count: %s\n", text);
        exit(2);
    }
    return n;
}

#endif
