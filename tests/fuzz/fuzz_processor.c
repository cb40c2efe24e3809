/*
 * fuzz_processor.c - processor_host_norm() (the --host values of processor
 * add, and relay/webhook hosts from the configuration) and the residency
 * decision.
 *
 * fuzz-options: -max_len=1024
 *
 * An accepted host is printable ASCII of [a-z0-9.:-] only, at most 253
 * bytes, and normalising it again gives it back unchanged.
 */
#include "processor.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[PROCESSOR_HOST_MAX + 1], again[PROCESSOR_HOST_MAX + 1], why[300];
    char *s = fuzz_cstr(data, size);

    if (processor_host_norm(s, out, sizeof(out), why, sizeof(why)) == 0) {
        size_t n = strlen(out);
        FUZZ_CHECK(n > 0 && n <= 253);
        FUZZ_CHECK(strspn(out, "abcdefghijklmnopqrstuvwxyz0123456789.:-") == n);
        FUZZ_CHECK(processor_host_norm(out, again, sizeof(again), why, sizeof(why)) == 0);
        FUZZ_CHECK(strcmp(out, again) == 0);
    } else
        FUZZ_CHECK(why[0] != '\0');
    /* the residency rule with the input's first bytes as country and mechanism */
    static const char *const kinds[] = {NULL, "eea", "adequacy", "dpf"};
    static const char *const mechs[] = {NULL, "adequacy", "dpf", "scc", "bcr"};
    char country[3] = {size > 0 ? (char)data[0] : 'X', size > 1 ? (char)data[1] : 'Y', '\0'};
    for (size_t k = 0; k < 4; k++)
        for (size_t m = 0; m < 5; m++) {
            int rc = processor_residency_check("eu", country, kinds[k], mechs[m], why, sizeof(why));
            FUZZ_CHECK(rc == 0 || rc == -1);
            FUZZ_CHECK(processor_residency_check("none", country, kinds[k], mechs[m], why,
                                                 sizeof(why)) == 0);
        }
    free(s);
    return 0;
}
