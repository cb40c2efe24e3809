/*
 * check_tap.h - the main() every unit test shares: runs one suite with
 * check, which prints TAP on stdout when CK_TAP_LOG_FILE_NAME=- (make check
 * sets it), and exits non-zero on any failure.
 */
#ifndef MAILOUT_CHECK_TAP_H
#define MAILOUT_CHECK_TAP_H

#include <check.h>
#include <stdlib.h>

#define CHECK_MAIN(suite_fn)                                                                       \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *sr = srunner_create(suite_fn());                                                  \
        int failed;                                                                                \
        srunner_run_all(sr, CK_ENV);                                                               \
        failed = srunner_ntests_failed(sr);                                                        \
        srunner_free(sr);                                                                          \
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;                                               \
    }

#endif
