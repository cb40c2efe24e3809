/*
 * test_transport_classify.c - reading SMTP replies: transport_classify(),
 * transport_hard_bounce() over replies real relays send, and finding the
 * RFC 3463 code in a reply text.
 */
#include "transport.h"

#include <stdio.h>
#include <string.h>

#include "check_tap.h"

/*
 * code, the enhanced code as libESMTP parses it ("" when the relay does not
 * announce ENHANCEDSTATUSCODES: then the text is read), the reply text after
 * the code, and whether the address is to be suppressed as a hard bounce.
 * The texts are the published wordings of each provider (addresses and
 * host names replaced).
 */
static const struct {
    int code;
    const char *enhanced;
    const char *reply;
    int hard;
} replies[] = {
    /* Gmail */
    {550, "5.1.1",
     "The email account that you tried to reach does not exist. Please try double-checking the "
     "recipient's email address for typos or unnecessary spaces. For more information, go to "
     "https://support.google.com/mail/?p=NoSuchUser",
     1},
    {550, "", "5.1.1 The email account that you tried to reach does not exist.", 1},
    {550, "5.2.1", "The email account that you tried to reach is disabled.", 1},
    {552, "5.2.2", "The email account that you tried to reach is over quota.", 0},
    {550, "5.2.1",
     "The user you are trying to contact is receiving mail at a rate that prevents additional "
     "messages from being delivered.",
     0},
    {450, "4.2.1", "The user you are trying to contact is receiving mail too quickly.", 0},
    {550, "5.7.1",
     "[192.0.2.1] Our system has detected an unusual rate of unsolicited mail originating from "
     "your IP address.",
     0},
    {550, "5.7.26", "This mail has been blocked because the sender is unauthenticated.", 0},
    {421, "4.7.0", "Try again later, closing connection.", 0},
    /* Outlook.com / Exchange Online */
    {550, "5.1.10", "RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
     1},
    {550, "5.1.1", "RESOLVER.ADR.RecipNotFound; not found", 1},
    {550, "5.5.0", "Requested action not taken: mailbox unavailable (S2017062302)", 0},
    {550, "", "Requested action not taken: mailbox unavailable", 0},
    {550, "5.4.1", "Recipient address rejected: Access denied. AS(201806281)", 0},
    {550, "5.7.606", "Access denied, banned sending IP [192.0.2.1].", 0},
    {550, "5.1.8", "Access denied, bad outbound sender.", 0},
    /* Yahoo / AOL */
    {554, "",
     "delivery error: dd This user doesn't have a yahoo.com account (someone@yahoo.com) "
     "[0] - mta1001.mail.gq1.yahoo.com",
     1},
    {554, "",
     "delivery error: dd Sorry, your message to someone@yahoo.com cannot be delivered. "
     "This account is over quota.",
     0},
    {554, "5.7.9", "Message not accepted for policy reasons.", 0},
    {553, "",
     "5.7.1 [BL21] Connections will not be accepted from 192.0.2.1, because the ip is in "
     "Spamhaus's list",
     0},
    /* AT&T, Barracuda */
    {550, "5.2.1", "<SOMEONE@PRODIGY.NET>... Addressee unknown, relay=[192.0.2.1]", 1},
    {550, "", "cuda_nsu 5.1.1 <someone@example.com> Recipient address rejected: User unknown", 1},
    {550, "", "No such user (someone@example.com)", 1},
    {550, "", "Blocked", 0},
    /* Postfix */
    {550, "5.1.1",
     "<someone@example.com>: Recipient address rejected: User unknown in local recipient table", 1},
    {550, "5.1.1",
     "<someone@example.com>: Recipient address rejected: User unknown in virtual mailbox table", 1},
    {450, "4.1.1",
     "<someone@example.com>: Recipient address rejected: User unknown in local recipient table", 0},
    {556, "5.1.10",
     "<someone@example.com>: Recipient address rejected: Domain example.com does not accept mail "
     "(nullMX)",
     1},
    {550, "5.1.2", "<someone@nonexistent.example>: Recipient address rejected: Domain not found",
     1},
    {554, "5.7.1",
     "Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; "
     "https://www.spamhaus.org/query/ip/192.0.2.1",
     0},
    {554, "5.7.1", "<someone@example.com>: Relay access denied", 0},
    {552, "5.2.2", "<someone@example.com>: Recipient address rejected: mailbox full", 0},
    {552, "5.3.4", "Message size exceeds fixed limit", 0},
    {550, "5.7.1", "<someone@example.com>: Recipient address rejected: user unknown", 0},
    /* Exim (and cPanel) */
    {550, "", "Unrouteable address", 1},
    {550, "", "No Such User Here", 1},
    {550, "",
     "Verification failed for <news@example.com>\nUnrouteable address\nSender verify "
     "failed",
     0},
    {550, "", "Administrative prohibition", 0},
    {552, "", "Message size limit exceeded", 0},
    /* Sendmail */
    {550, "5.1.1", "<someone@example.com>... User unknown", 1},
    {551, "5.1.6", "User has moved; please try <someone@example.org>", 1},
    {550, "5.2.1", "<someone@example.com>... Mailbox disabled for this recipient", 1},
    {553, "5.1.3", "<someone@@example.com>... User address required", 1},
    {553, "5.1.8", "<news@example.com>... Domain of sender address news@example.com does not exist",
     0},
    {553, "", "sorry, sender domain does not exist", 0},
    {550, "5.7.1", "<someone@example.com>... Relaying denied", 0},
    {552, "5.2.2", "<someone@example.com>... Mailbox full", 0},
    {554, "5.6.0", "Message content rejected", 0},
    {550, "5.0.0", "<someone@example.com>... User unknown", 1},
    /* qmail */
    {550, "", "sorry, no mailbox here by that name. (#5.1.1)", 1},
    {553, "", "sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", 0},
    /* only 550/551/553/554 carry the wording without a code */
    {552, "", "User unknown", 0},
    {500, "", "Command unrecognized: user unknown", 0},
    /* a 5xx with a temporary enhanced code */
    {550, "4.2.2", "Mailbox full, user unknown", 0},
};

START_TEST(hard_bounce_table)
{
    struct transport_msg m;
    memset(&m, 0, sizeof(m));
    m.code = replies[_i].code;
    snprintf(m.enhanced, sizeof(m.enhanced), "%s", replies[_i].enhanced);
    snprintf(m.reply, sizeof(m.reply), "%s", replies[_i].reply);
    ck_assert_msg(transport_hard_bounce(&m) == replies[_i].hard, "%d %s %s: expected %s",
                  replies[_i].code, replies[_i].enhanced, replies[_i].reply,
                  replies[_i].hard ? "hard" : "not hard");
    m.delivered = 1;
    ck_assert_int_eq(transport_hard_bounce(&m), 0);
}
END_TEST

START_TEST(classify)
{
    struct transport_msg m;
    memset(&m, 0, sizeof(m));
    ck_assert_int_eq(transport_classify(&m), TRANSPORT_NOT_ATTEMPTED);
    m.code = 451;
    ck_assert_int_eq(transport_classify(&m), TRANSPORT_DEFERRED);
    m.code = 550;
    ck_assert_int_eq(transport_classify(&m), TRANSPORT_FAILED);
    m.code = 250;
    ck_assert_int_eq(transport_classify(&m), TRANSPORT_DEFERRED);
    m.delivered = 1;
    ck_assert_int_eq(transport_classify(&m), TRANSPORT_SENT);
}
END_TEST

static const struct {
    const char *text;
    const char *enhanced;
} enh[] = {
    {"5.1.1 The email account that you tried to reach does not exist.", "5.1.1"},
    {"550-5.1.1 The email account", "5.1.1"},
    {"550 5.1.10 RESOLVER.ADR.RecipientNotFound", "5.1.10"},
    {"4.7.0 Try again later", "4.7.0"},
    {"sorry, no mailbox here by that name. (#5.1.1)", "5.1.1"},
    {"5.7.606 Access denied", "5.7.606"},
    {"5.1.1234 too long", ""},
    {"5.1 short", ""},
    {"6.1.1 bad class", ""},
    {"5.1.1.1 four parts", ""},
    {"User unknown", ""},
    {"", ""},
    {"(#5.1.1", ""},
    {"Spamhaus 5.7.1 later in the text", ""},
};

START_TEST(enhanced_from_text)
{
    char out[16];
    int rc = transport_enhanced_from_text(enh[_i].text, out, sizeof(out));
    ck_assert_str_eq(out, enh[_i].enhanced);
    ck_assert_int_eq(rc, *enh[_i].enhanced ? 0 : -1);
}
END_TEST

static Suite *classify_suite(void)
{
    Suite *s = suite_create("transport_classify");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, hard_bounce_table, 0, (int)(sizeof(replies) / sizeof(replies[0])));
    tcase_add_test(tc, classify);
    tcase_add_loop_test(tc, enhanced_from_text, 0, (int)(sizeof(enh) / sizeof(enh[0])));
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(classify_suite)
