/* libFuzzer harness: coord_rfc3339_parse. Any text is either refused or
 * gives an instant whose UTC rendering (four-digit years) parses back to
 * the same instant. */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static void require(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    int64_t ms = INT64_MIN, again = INT64_MIN;

    if (size > 256) /* the decoder never passes more than COORD_TIME_MAX */
        return 0;
    text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (coord_rfc3339_parse(text, &ms) == 0) {
        char back[64];
        struct tm tm;
        time_t secs = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
        int64_t frac = ms - (int64_t)secs * 1000;

        require(ms != INT64_MIN);
        require(frac >= 0 && frac < 1000);
        require(gmtime_r(&secs, &tm) != NULL);
        if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
            goto done; /* an offset moved it out of four-digit years: not renderable */
        snprintf(back, sizeof(back), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
        require(coord_rfc3339_parse(back, &again) == 0);
        require(again == ms);
    }
done:
    free(text);
    return 0;
}
