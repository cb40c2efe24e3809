/*
 * fuzz_schedule.c - schedules from outside: iCalendar text (--ics) and
 * --at TIME --tz ZONE --rrule RULE.
 *
 * fuzz-options: -max_len=2048
 *
 * An input starting with "@" is "@TIME\0ZONE\0RULE" for schedule_parse_at
 * (an empty ZONE or RULE is none); anything else is calendar text for
 * schedule_parse_ics.  Properties: a refused input sets an error code and
 * a message and leaves no calendar; an accepted one has an occurrence after
 * now, its canonical calendar parses again into the same next occurrences
 * (ascending, all after now), and schedule_next agrees with the first.
 */
#include "schedule.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"

#define NOW  ((time_t)1796083200) /* 2026-12-01T00:00:00Z */
#define NEXT 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct schedule_spec a, b;
    struct mo_err err;
    time_t x[NEXT], y[NEXT], first;
    int rc, n, m;

    mo_err_init(&err);
    if (size > 0 && data[0] == '@') {
        struct fuzz_parts p;
        fuzz_parts_split(&p, data + 1, size - 1, 3);
        rc = schedule_parse_at(p.part[0], p.n > 1 && p.len[1] ? p.part[1] : NULL,
                               p.n > 2 && p.len[2] ? p.part[2] : NULL, NOW, &a, &err);
        fuzz_parts_free(&p);
    } else {
        char *s = fuzz_cstr(data, size);
        rc = schedule_parse_ics(s, NOW, &a, &err);
        free(s);
    }
    if (rc < 0) {
        FUZZ_CHECK(err.code != MO_E_OK && err.msg[0] != '\0');
        FUZZ_CHECK(a.ics == NULL && a.rrule == NULL);
        return 0;
    }
    FUZZ_CHECK(a.ics != NULL);
    n = schedule_upcoming(a.ics, NOW, x, NEXT, &err);
    FUZZ_CHECK(n >= 1);
    for (int i = 0; i < n; i++)
        FUZZ_CHECK(x[i] > NOW && (i == 0 || x[i - 1] < x[i]));
    FUZZ_CHECK(schedule_next(a.ics, NOW, &first, &err) == 1 && first == x[0]);
    mo_err_init(&err);
    rc = schedule_parse_ics(a.ics, NOW, &b, &err);
    if (rc != 0)
        fprintf(stderr, "canonical calendar refused: %s\n%s\n", err.msg, a.ics);
    FUZZ_CHECK(rc == 0);
    m = schedule_upcoming(b.ics, NOW, y, NEXT, &err);
    FUZZ_CHECK(m == n && memcmp(x, y, (size_t)n * sizeof(time_t)) == 0);
    FUZZ_CHECK(strcmp(a.tzid, b.tzid) == 0);
    schedule_spec_free(&a);
    schedule_spec_free(&b);
    return 0;
}
