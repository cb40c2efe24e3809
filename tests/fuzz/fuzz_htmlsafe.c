/*
 * fuzz_htmlsafe.c - libFuzzer target for the HTML allow-list: any input
 * must give 0 or -1 with a one-line MO_E_INPUT message, never a crash, a
 * leak or a hang; the plain-text check runs on the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "htmlsafe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const allowed[] = {"https://confirm.probe.invalid/x",
                                      "https://privacy.probe.invalid/x", "https://example.com"};

static void expect_sane(int rc, const struct mo_err *e)
{
    if (rc == 0 && e->code == MO_E_OK && e->msg[0] == '\0')
        return;
    if (rc == -1 && (e->code == MO_E_INPUT || e->code == MO_E_INTERNAL) && e->msg[0] != '\0' &&
        strchr(e->msg, '\n') == NULL)
        return;
    __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mo_err e;

    mo_err_init(&e);
    expect_sane(htmlsafe_check((const char *)data, size, allowed, 3, &e), &e);
    mo_err_init(&e);
    expect_sane(htmlsafe_text_check((const char *)data, size, allowed, 3, &e), &e);
    return 0;
}
