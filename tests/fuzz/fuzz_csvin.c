/*
 * fuzz_csvin.c - the CSV reader over arbitrary bytes.
 *
 * fuzz-options: -max_len=8192
 *
 * The input is read twice, as a file (a memfd opened through /proc/self/fd)
 * and as a string, and both must give the same rows, line numbers, row
 * errors and final error.  contrib/fuzz.sh compiles csvin.c with a read size
 * (CSVIN_CHUNK) of 61 bytes instead of 64 KiB, so the file reading splits
 * records, CRLFs, quotes, UTF-8 characters and the BOM between reads even
 * for short inputs.  Every row must keep the limits and promises of csvin.h.
 */
#define _GNU_SOURCE
#include "csvin.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "fuzz.h"
#include "utf8.h"

/* Appends a transcript of every row and the final result to out. */
static void read_all(struct csvin *c, struct buf *out)
{
    const struct csvin_row *row;
    struct mo_err err;
    unsigned long last_line = 0;
    int rc;

    mo_err_init(&err);
    while ((rc = csvin_next(c, &row, &err)) == 1) {
        FUZZ_CHECK(row != NULL);
        FUZZ_CHECK(row->n <= CSVIN_FIELDS_MAX);
        FUZZ_CHECK(row->line >= 1 && row->line >= last_line);
        FUZZ_CHECK(strlen(row->error) < sizeof(row->error));
        last_line = row->line;
        buf_printf(out, "row %lu n=%zu error='%s'\n", row->line, row->n, row->error);
        for (size_t i = 0; i < row->n; i++) {
            FUZZ_CHECK(row->fields[i] != NULL);
            FUZZ_CHECK(row->lens[i] <= CSVIN_FIELD_MAX);
            FUZZ_CHECK(row->fields[i][row->lens[i]] == '\0');
            if (row->error[0] == '\0') {
                FUZZ_CHECK(memchr(row->fields[i], '\0', row->lens[i]) == NULL);
                FUZZ_CHECK(utf8_valid(row->fields[i], row->lens[i]));
            }
            buf_printf(out, " [%zu]", row->lens[i]);
            buf_add(out, row->fields[i], row->lens[i]);
        }
        buf_putc(out, '\n');
    }
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(row == NULL);
    if (rc < 0) {
        FUZZ_CHECK(err.code == MO_E_INPUT || err.code == MO_E_NOINPUT);
        FUZZ_CHECK(err.msg[0] != '\0');
        buf_printf(out, "error %d %s\n", err.code, err.msg);
        /* the error is sticky */
        mo_err_init(&err);
        FUZZ_CHECK(csvin_next(c, &row, &err) == -1 && row == NULL && err.msg[0]);
    } else {
        buf_puts(out, "end\n");
        FUZZ_CHECK(csvin_next(c, &row, &err) == 0 && row == NULL);
    }
}

/* Reads data as a file and as a string under the same name; both transcripts must agree. */
static void read_both(const char *data, size_t len)
{
    struct buf from_file, from_string;
    struct mo_err err;
    struct csvin *c;
    static int fd = -1;
    char path[64];
    int n;

    buf_init(&from_file, 0);
    buf_init(&from_string, 0);
    /* one memfd for the whole run, rewritten for each input */
    if (fd < 0)
        fd = memfd_create("fuzz_csvin", MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(ftruncate(fd, 0) == 0);
    for (size_t off = 0; off < len;) {
        ssize_t w = pwrite(fd, data + off, len - off, (off_t)off);
        FUZZ_CHECK(w > 0);
        off += (size_t)w;
    }
    n = snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof(path));

    mo_err_init(&err);
    c = csvin_open(path, &err);
    FUZZ_CHECK(c != NULL);
    FUZZ_CHECK(strcmp(csvin_name(c), path) == 0);
    read_all(c, &from_file);
    csvin_close(c);

    mo_err_init(&err);
    c = csvin_open_string(path, data, len, &err);
    FUZZ_CHECK(c != NULL);
    read_all(c, &from_string);
    csvin_close(c);

    if (from_file.len != from_string.len || memcmp(from_file.s, from_string.s, from_file.len)) {
        fprintf(stderr, "--- as a file:\n%s--- as a string:\n%s", from_file.s, from_string.s);
        FUZZ_CHECK(!"file and string readings differ");
    }
    buf_release(&from_file);
    buf_release(&from_string);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_both((const char *)data, size);
    return 0;
}
