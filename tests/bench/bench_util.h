/* What the benchmark's C clients share: a clock, the client's own CPU time
 * and peak RSS, and the one result line the driver (bench.py) reads. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
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

/* Peak RSS of this process image (VmHWM): unlike getrusage's ru_maxrss, it
 * does not carry over the launcher's peak across exec. */
static inline long bench_maxrss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* Resident set now (VmRSS), for growth measured from an idle start. */
static inline long bench_rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* One line: "RESULT calls=N wall_s=.. cpu_s=.. maxrss_kb=.. extra" */
static inline void bench_report(long calls, double wall, double cpu, const char *extra)
{
    printf("RESULT calls=%ld wall_s=%.6f cpu_s=%.6f maxrss_kb=%ld %s\n", calls, wall, cpu,
           bench_maxrss_kb(), extra != NULL ? extra : "");
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
