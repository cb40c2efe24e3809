/*
 * fuzz_send_window.c - the send window values of `campaign window` (--days,
 * --hours) and the time_zone shape check of the contact import.
 *
 * fuzz-options: -max_len=256
 *
 * The input goes whole to each parser.  A parsed --days gives weekday bits
 * only (1 .. 7, at least one) and survives a round trip through its
 * canonical text; a parsed --hours has 0 <= start < end <= 24:00 and prints
 * back as the input; a refusal is MO_E_INPUT with a one-line message.  The
 * zone shape check agrees with the regular expression its header documents.
 */
#include "send_window.h"

#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static regex_t zone_re;

static void refused(int rc, const struct mo_err *err)
{
    FUZZ_CHECK(rc == -1);
    FUZZ_CHECK(err->code == MO_E_INPUT && err->msg[0]);
    FUZZ_CHECK(strchr(err->msg, '\n') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct mo_err err;
    unsigned days, again;
    int start, end, rc;
    char text[SEND_WINDOW_DAYS_TEXT];
    char *s;

    if (!ready) {
        FUZZ_CHECK(regcomp(&zone_re, "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$",
                           REG_EXTENDED | REG_NOSUB) == 0);
        ready = 1;
    }
    s = fuzz_cstr(data, size);

    mo_err_init(&err);
    rc = send_window_parse_days(s, &days, &err);
    if (rc == 0) {
        FUZZ_CHECK(days != 0 && (days & ~0xfeu) == 0);
        send_window_days_text(days, text, sizeof(text));
        mo_err_init(&err);
        FUZZ_CHECK(send_window_parse_days(text, &again, &err) == 0 && again == days);
    } else
        refused(rc, &err);

    mo_err_init(&err);
    rc = send_window_parse_hours(s, &start, &end, &err);
    if (rc == 0) {
        struct send_window w = {0xfe, start, end};
        FUZZ_CHECK(0 <= start && start < end && end <= 1440);
        send_window_hours_text(&w, text, sizeof(text));
        FUZZ_CHECK(strcmp(text, s) == 0);
    } else
        refused(rc, &err);

    int shape = send_window_zone_shape(s);
    size_t n = strlen(s);
    int want = n >= 1 && n <= SEND_WINDOW_ZONE_MAX && regexec(&zone_re, s, 0, NULL, 0) == 0 &&
               strncmp(s, "posix/", 6) != 0 && strncmp(s, "right/", 6) != 0 &&
               strcmp(s, "localtime") != 0 && strcmp(s, "posixrules") != 0 &&
               strcmp(s, "Factory") != 0;
    FUZZ_CHECK(shape == want);
    free(s);
    return 0;
}
