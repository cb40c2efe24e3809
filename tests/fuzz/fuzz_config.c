/*
 * fuzz_config.c - mailout.conf parsing (config_load_string).
 *
 * fuzz-options: -max_len=4096
 *
 * Properties: loading either succeeds with every string field set, or fails
 * with MO_E_INPUT and a message naming the file; the struct is released
 * without leaks either way.  Nothing is read from disk or the environment.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    struct config cfg;
    struct mo_err err;
    int rc;

    mo_err_init(&err);
    rc = config_load_string(&cfg, "fuzz.conf", text, &err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        FUZZ_CHECK(err.code == MO_E_INPUT);
        FUZZ_CHECK(strstr(err.msg, "fuzz.conf") != NULL);
    } else {
        FUZZ_CHECK(err.code == MO_E_OK);
        FUZZ_CHECK(strcmp(cfg.path, "fuzz.conf") == 0);
        /* a few fields every version has; the header promises all are non-NULL */
        const char *const fields[] = {cfg.config_dir,       cfg.db,          cfg.base_url,
                                      cfg.listen,           cfg.listen_host, cfg.from,
                                      cfg.transport_target, cfg.log_level};
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            FUZZ_CHECK(fields[i] != NULL);
        FUZZ_CHECK(cfg.listen_port >= 1 && cfg.listen_port <= 65535);
        FUZZ_CHECK(cfg.token_ttl > 0 && cfg.pending_retention > 0);
        FUZZ_CHECK(cfg.rate >= 0 && cfg.domain_concurrency >= 0);
    }
    config_release(&cfg);
    free(text);
    return 0;
}
