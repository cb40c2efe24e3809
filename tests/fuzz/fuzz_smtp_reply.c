/*
 * fuzz_smtp_reply.c - reading a relay's reply: the enhanced status code in
 * its text and the hard-bounce decision dispatch suppresses addresses on.
 *
 * fuzz-options: -max_len=300
 *
 * Input: three decimal digits (the reply code), then the reply text.
 * Properties: a found enhanced code is "C.S.D" with C in 2, 4, 5, S and D
 * of 1-3 digits, and lies in the text; only a 5xx reply that was not
 * delivered can be a hard bounce; a delivered message never is; the
 * classification agrees with the code.
 */
#include "transport.h"

#include <ctype.h>

#include "fuzz.h"

static int well_formed(const char *e)
{
    const char *p = e;
    if (*p != '2' && *p != '4' && *p != '5')
        return 0;
    p++;
    for (int part = 0; part < 2; part++) {
        int n = 0;
        if (*p++ != '.')
            return 0;
        while (isdigit((unsigned char)*p) && n < 4) {
            p++;
            n++;
        }
        if (n < 1 || n > 3)
            return 0;
    }
    return *p == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct transport_msg m;
    char enh[16];

    if (size < 3)
        return 0;
    memset(&m, 0, sizeof(m));
    m.code = (data[0] % 10) * 100 + (data[1] % 10) * 10 + data[2] % 10;
    size_t n = size - 3 < sizeof(m.reply) - 1 ? size - 3 : sizeof(m.reply) - 1;
    memcpy(m.reply, data + 3, n);
    m.reply[n] = '\0';

    if (transport_enhanced_from_text(m.reply, enh, sizeof(enh)) == 0) {
        FUZZ_CHECK(well_formed(enh));
        FUZZ_CHECK(strstr(m.reply, enh) != NULL);
    } else {
        FUZZ_CHECK(enh[0] == '\0');
    }
    int hard = transport_hard_bounce(&m);
    FUZZ_CHECK(hard == 0 || hard == 1);
    if (hard)
        FUZZ_CHECK(m.code >= 500 && m.code <= 599);
    enum transport_result r = transport_classify(&m);
    if (m.code >= 500 && m.code <= 599)
        FUZZ_CHECK(r == TRANSPORT_FAILED);
    m.delivered = 1;
    FUZZ_CHECK(transport_hard_bounce(&m) == 0);
    FUZZ_CHECK(transport_classify(&m) == TRANSPORT_SENT);
    return 0;
}
