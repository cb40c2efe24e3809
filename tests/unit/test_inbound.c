/*
 * test_inbound.c - classifying received mail: not mail, mailto unsubscribes,
 * DSNs, ARF complaints, plain-text bounces, truncation, limits.
 */
#include "inbound.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check_tap.h"

#define TOK   "Tok3n_-abcdefghijklmnopqrstuvwxyz0123456789" /* 43 base64url characters */
#define TOK2  "Zz9-_yxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPON" /* another one */
#define UNSUB "unsubscribe@shop.example"

/* What inbound_parse() made of a message, in one line, or "error: MESSAGE". */
static void render(const char *msg, size_t len, const char *mailto, struct buf *out)
{
    static const char *const kinds[] = {"ignored", "mailto", "bounce", "complaint"};
    struct inbound_msg *m = malloc(sizeof(*m));
    struct mo_err err;

    ck_assert_ptr_nonnull(m);
    mo_err_init(&err);
    buf_reset(out);
    if (inbound_parse(msg, len, mailto, m, &err) < 0) {
        ck_assert_int_eq(err.code, MO_E_INPUT);
        ck_assert_int_eq(m->kind, INBOUND_IGNORED);
        ck_assert_uint_eq(m->nrcpt, 0);
        buf_printf(out, "error: %s", err.msg);
        free(m);
        return;
    }
    buf_printf(out, "%s %s", kinds[m->kind], m->format);
    if (m->token[0])
        buf_printf(out, " token=%s", m->token);
    if (m->from[0])
        buf_printf(out, " from=%s", m->from);
    if (m->kind == INBOUND_COMPLAINT)
        buf_printf(out, " type=%s", m->feedback_type);
    if (m->complainant[0])
        buf_printf(out, " to=%s", m->complainant);
    if (m->orig_message_id[0])
        buf_printf(out, " re=%s", m->orig_message_id);
    for (size_t i = 0; i < m->nrcpt; i++)
        buf_printf(out, " rcpt=%s%s%s:%c%s%s", m->rcpt[i].addr, m->rcpt[i].alt[0] ? "/" : "",
                   m->rcpt[i].alt, m->rcpt[i].permanent ? 'P' : 'T',
                   m->rcpt[i].status[0] ? ":" : "", m->rcpt[i].status);
    if (m->skipped)
        buf_printf(out, " skipped=%zu", m->skipped);
    free(m);
}

struct parse_case {
    const char *name;
    const char *mailto; /* unsubscribe_mailto, NULL: not configured */
    const char *msg;
    const char *want;
};

#define HDR "From: Anna <anna@example.com>\nDate: Mon, 1 Jun 2026 10:00:00 +0000\n"
#define DAEMON                                                                                     \
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"                                  \
    "Message-ID: <dsn1@mx.example.net>\n"
#define REPORT(type, boundary)                                                                     \
    "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=" type                         \
    "; boundary=\"" boundary "\"\n\n"
#define RETURNED_HEADERS                                                                           \
    "--B\nContent-Type: text/rfc822-headers\n\n"                                                   \
    "From: news@shop.example\nTo: bob@example.org\nMessage-ID: <m1@shop.example>\n"                \
    "List-Unsubscribe: <https://shop.example/u/" TOK ">,\n"                                        \
    " <mailto:" UNSUB "?subject=unsubscribe%20" TOK ">\n\n"
#define DS_PART(fields)                                                                            \
    "--B\nContent-Type: message/delivery-status\n\n"                                               \
    "Reporting-MTA: dns; mx.example.net\nArrival-Date: Mon, 1 Jun 2026 10:00:00 +0000\n\n" fields
#define FB_PART(fields) "--B\nContent-Type: message/feedback-report\n\n" fields

static const struct parse_case cases[] = {
    /* not mail */
    {"empty", NULL, "", "error: not a mail message: the input is empty"},
    {"binary", NULL, "\x01\x02\xff garbage\n\nbody",
     "error: not a mail message: control character in header line 1"},
    {"prose", NULL, "hello world\n\nbody",
     "error: not a mail message: line 1 is not a header field"},
    {"colon only", NULL, ": x\nFrom: a@b.example\n\n",
     "error: not a mail message: line 1 is not a header field"},
    {"continuation first", NULL, " x: y\nFrom: a@b.example\n\n",
     "error: not a mail message: line 1 continues no header field"},
    {"no sender", NULL, "Subject: hi\nTo: a@b.example\n\nbody",
     "error: not a mail message: it has no From, Sender or Return-Path field"},
    {"control in header", NULL, "From: a@b.example\nSubject: a\x07z\n\n",
     "error: not a mail message: control character in header line 2"},
    {"mbox line", NULL, "From MAILER-DAEMON Mon Jun  1 10:00:00 2026\n" HDR "Subject: hi\n\nHello",
     "ignored not a bounce, complaint or unsubscribe"},
    {"plain mail", UNSUB, HDR "To: news@shop.example\nSubject: hi\n\nHello",
     "ignored not a bounce, complaint or unsubscribe"},
    {"headers only", NULL, HDR "Subject: hi", "ignored not a bounce, complaint or unsubscribe"},
    {"crlf", UNSUB, "From: anna@example.com\r\nTo: " UNSUB "\r\nSubject: unsubscribe\r\n\r\nx\r\n",
     "mailto mailto from=anna@example.com"},
    {"auto-reply", UNSUB, HDR "To: news@shop.example\nAuto-Submitted: auto-replied\n\nAway",
     "ignored auto-reply"},

    /* mailto */
    {"mailto", UNSUB, HDR "To: " UNSUB "\nSubject: unsubscribe\n\n",
     "mailto mailto from=anna@example.com"},
    {"mailto not configured", NULL, HDR "To: " UNSUB "\nSubject: unsubscribe\n\n",
     "ignored not a bounce, complaint or unsubscribe"},
    {"mailto bad config", "not-an-address", HDR "To: " UNSUB "\n\n",
     "ignored not a bounce, complaint or unsubscribe"},
    {"subject token", UNSUB, HDR "To: Shop <" UNSUB ">\nSubject: Re: unsubscribe " TOK "\n\n",
     "mailto mailto token=" TOK " from=anna@example.com"},
    {"subaddress token", UNSUB, HDR "To: unsubscribe+" TOK "@SHOP.Example\nSubject: x " TOK2 "\n\n",
     "mailto mailto token=" TOK " from=anna@example.com"},
    {"subaddress not a token", UNSUB, HDR "To: unsubscribe+x@shop.example\n\n",
     "mailto mailto from=anna@example.com"},
    {"preview token refused", UNSUB,
     HDR "To: " UNSUB "\nSubject: unsubscribe PREVIEW.not-a-token\n\n",
     "mailto mailto from=anna@example.com"},
    {"token too long", UNSUB, HDR "To: " UNSUB "\nSubject: unsubscribe " TOK "x\n\n",
     "mailto mailto from=anna@example.com"},
    {"other local part", UNSUB, HDR "To: unsubscribers@shop.example\n\n",
     "ignored not a bounce, complaint or unsubscribe"},
    {"other domain", UNSUB, HDR "To: unsubscribe@shop.example.net\n\n",
     "ignored not a bounce, complaint or unsubscribe"},
    {"cc", UNSUB, HDR "To: news@shop.example\nCc: x@y.example, " UNSUB "\n\n",
     "mailto mailto from=anna@example.com"},
    {"group", UNSUB, HDR "To: list: a@b.example, " UNSUB ";\n\n",
     "mailto mailto from=anna@example.com"},
    {"delivered-to", UNSUB,
     HDR "Delivered-To: other@shop.example\nDelivered-To: " UNSUB
         "\nTo: undisclosed-recipients:;\n\n",
     "mailto mailto from=anna@example.com"},
    {"x-original-to", UNSUB, HDR "X-Original-To: " UNSUB "\n\n",
     "mailto mailto from=anna@example.com"},
    {"in-reply-to", UNSUB, HDR "To: " UNSUB "\nIn-Reply-To: <m1@shop.example> (x)\n\n",
     "mailto mailto from=anna@example.com re=m1@shop.example"},
    {"two from", UNSUB,
     "From: a@example.com, b@example.com\nSender: a@example.com\nTo: " UNSUB "\n\n",
     "mailto mailto"},
    {"mailto auto-reply", UNSUB, HDR "To: " UNSUB "\nAuto-Submitted: auto-replied\n\n",
     "ignored auto-reply to the unsubscribe address"},
    {"mailto truncated", UNSUB,
     HDR "To: " UNSUB
         "\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nhi",
     "error: truncated message: its multipart body ends before the closing boundary"},

    /* DSN */
    {"dsn hard", UNSUB,
     DAEMON
         REPORT("delivery-status", "B") "--B\n\nYour message could not be delivered.\n\n" DS_PART(
             "Final-Recipient: rfc822; bob@example.org\nAction: failed\nStatus: 5.1.1\n"
             "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>\n  user unknown\n\n")
             RETURNED_HEADERS "--B--\n",
     "bounce dsn token=" TOK " re=m1@shop.example rcpt=bob@example.org:P:5.1.1"},
    {"dsn delayed", NULL,
     DAEMON REPORT("delivery-status", "B") DS_PART(
         "Final-Recipient: rfc822;bob@example.org\nAction: delayed\nStatus: 4.4.1\n") "--B--\n",
     "bounce dsn rcpt=bob@example.org:T:4.4.1"},
    {"dsn failed after retries", NULL,
     DAEMON REPORT("delivery-status", "B") DS_PART(
         "Final-Recipient: rfc822;bob@example.org\nAction: failed\nStatus: 4.4.7\n") "--B--\n",
     "bounce dsn rcpt=bob@example.org:P:4.4.7"},
    {"dsn status only", NULL,
     DAEMON REPORT("delivery-status", "B") DS_PART(
         "Final-Recipient: RFC822; <Bob@Example.ORG>\nStatus: 5.0.0 (no such user)\n") "--B--\n",
     "bounce dsn rcpt=Bob@Example.ORG:P:5.0.0"},
    {"dsn delivered", NULL,
     DAEMON REPORT("delivery-status", "B") DS_PART(
         "Final-Recipient: rfc822;bob@example.org\nAction: delivered\nStatus: 2.0.0\n") "--B--\n",
     "ignored delivery report without a failed recipient we can read"},
    {"dsn original recipient", NULL,
     DAEMON REPORT("delivery-status", "B") DS_PART(
         "Original-Recipient: rfc822;bob@example.org\nFinal-Recipient: rfc822;robert@mail.example.org\n"
         "Action: failed\nStatus: 5.2.2\n") "--B--\n",
     "bounce dsn rcpt=bob@example.org/robert@mail.example.org:P:5.2.2"},
    {"dsn x400 final", NULL,
     DAEMON REPORT("delivery-status", "B") DS_PART(
         "Original-Recipient: rfc822; bob@example.org\nFinal-Recipient: x400; /S=bob/C=GB/\n"
         "Action: failed\nStatus: 5.0.0\n") "--B--\n",
     "bounce dsn rcpt=bob@example.org:P:5.0.0"},
    {"dsn unreadable address", NULL,
     DAEMON REPORT("delivery-status", "B") DS_PART(
         "Final-Recipient: rfc822; bob...@example.org\nAction: failed\nStatus: 5.0.0\n") "--B--\n",
     "ignored delivery report without a failed recipient we can read skipped=1"},
    {"dsn blank-line variants", NULL,
     DAEMON REPORT("delivery-status",
                   "B") "--B\nContent-Type: message/delivery-status\n\n"
                        "Reporting-MTA: dns; mx\n \nFinal-Recipient: rfc822;a@x.example\n"
                        "Action: failure\nStatus: 553 too big\n\n"
                        "Final-Recipient: rfc822;a@x.example\nAction: delayed\n\n"
                        "Final-Recipient: rfc822;b@x.example\nAction: error\n\n--B--\n",
     "bounce dsn rcpt=a@x.example:P rcpt=b@x.example:P"},
    {"dsn malformed status", NULL,
     DAEMON REPORT("delivery-status", "B") DS_PART(
         "Final-Recipient: rfc822;a@x.example\nAction: failed\nStatus: 5.1.1234\n") "--B--\n",
     "bounce dsn rcpt=a@x.example:P"},
    {"dsn inside forwarded message", NULL,
     HDR "Content-Type: multipart/mixed; boundary=O\n\n--O\nContent-Type: message/rfc822\n\n" DAEMON
         REPORT("delivery-status", "B")
             DS_PART("Final-Recipient: rfc822;a@x.example\nAction: failed\n") "--B--\n"
                                                                              "\n--O--\n",
     "bounce dsn rcpt=a@x.example:P"},
    {"dsn truncated in status", NULL,
     DAEMON REPORT("delivery-status", "B")
         DS_PART("Final-Recipient: rfc822;bob@example.org\nAction: fai"),
     "error: truncated message: the delivery status is cut off before its multipart boundary "
     "closes"},
    {"dsn returned part cut off", NULL,
     DAEMON REPORT("delivery-status", "B")
         DS_PART("Final-Recipient: rfc822;bob@example.org\nAction: failed\n\n") RETURNED_HEADERS
     "trailer\n",
     "bounce dsn token=" TOK " re=m1@shop.example rcpt=bob@example.org:P"},

    /* complaints */
    {"arf", NULL,
     "From: feedback@arf.mail.example\n" REPORT("feedback-report", "B") "--B\n\nA complaint.\n\n" FB_PART(
         "Feedback-Type: Abuse\nUser-Agent: x/1\nVersion: 1\nOriginal-Rcpt-To: <bob@example.org>\n\n")
         RETURNED_HEADERS "--B--\n",
     "complaint arf token=" TOK " type=abuse to=bob@example.org re=m1@shop.example"},
    {"arf returned message", NULL,
     "From: feedback@arf.mail.example\n" REPORT("feedback-report", "B")
         FB_PART("Feedback-Type: fraud\n\n") "--B\nContent-Type: message/rfc822\n\n"
                                             "From: news@shop.example\nTo: Bob <bob@example.org>\n"
                                             "Message-ID: <m2@shop.example>\n\nSpam\n--B--\n",
     "complaint arf type=fraud to=bob@example.org re=m2@shop.example"},
    {"arf no type", NULL,
     "From: feedback@arf.mail.example\n" REPORT("feedback-report", "B")
         FB_PART("User-Agent: x/1\n\n") "--B--\n",
     "complaint arf type=abuse"},
    {"arf not-spam", NULL,
     "From: feedback@arf.mail.example\n" REPORT("feedback-report", "B")
         FB_PART("Feedback-Type: not-spam\nOriginal-Rcpt-To: bob@example.org\n\n") "--B--\n",
     "ignored arf not-spam report to=bob@example.org"},
    {"dmarc failure report", NULL,
     "From: dmarc@example.net\n" REPORT("feedback-report", "B")
         FB_PART("Feedback-Type: auth-failure\nOriginal-Rcpt-To: bob@example.org\n\n") "--B--\n",
     "ignored arf auth-failure report to=bob@example.org"},
    {"arf truncated", NULL,
     "From: feedback@arf.mail.example\n" REPORT("feedback-report", "B")
         FB_PART("Feedback-Type: abuse\nOriginal-Rcpt-To: bob"),
     "error: truncated message: the feedback report is cut off before its multipart boundary "
     "closes"},
    {"jmrp", NULL,
     "From: staff@hotmail.com\nContent-Type: multipart/mixed; boundary=J\n\n--J\n"
     "Content-Type: message/rfc822\n\nX-HmXmrOriginalRecipient: bob@example.org\n"
     "From: news@shop.example\nTo: bob@example.org\nMessage-ID: <m3@shop.example>\n\nHi\n--J--\n",
     "complaint jmrp type=abuse to=bob@example.org re=m3@shop.example"},
    {"jmrp truncated", NULL,
     "From: staff@hotmail.com\nContent-Type: multipart/mixed; boundary=J\n\n--J\n"
     "Content-Type: message/rfc822\n\nX-HmXmrOriginalRecipient: bob@example.org\n"
     "From: news@shop.example\n\nHi\n",
     "error: truncated message: its multipart body ends before the closing boundary"},

    /* plain-text bounces */
    {"qmail", NULL,
     "From: MAILER-DAEMON@mx.example.net\nSubject: failure notice\n\n"
     "Hi. This is the qmail-send program at mx.example.net.\n"
     "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
     "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
     "<bob@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
     "<carol@example.org>: 550 no such user\n\n"
     "--- Below this line is a copy of the message.\n\n<dave@example.org>: in the copy\n",
     "bounce qmail rcpt=bob@example.org:P rcpt=carol@example.org:P"},
    {"qmail only the marker", NULL,
     "From: MAILER-DAEMON@mx.example.net\n\nNo phrase we know.\n\n<bob@example.org>:\nno mailbox\n\n"
     "--- Below this line is a copy of the message.\n\n<dave@example.org>:\n",
     "bounce qmail rcpt=bob@example.org:P"},
    {"postfix warning", NULL,
     "From: MAILER-DAEMON@mx.example.net\nContent-Type: multipart/mixed; boundary=P\n\n--P\n\n"
     "This is the mail system at host mx.example.net.\n\n"
     "####################################################################\n"
     "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
     "####################################################################\n\n"
     "Your message could not be delivered for more than 4 hour(s).\n"
     "It will be retried until it is 5 day(s) old.\n\n"
     "                   The mail system\n\n"
     "<bob@example.org>: connect to mx.example.org: Connection refused\n--P--\n",
     "bounce postfix rcpt=bob@example.org:T"},
    {"exim", NULL,
     "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n\n"
     "This message was created automatically by mail delivery software.\n\n"
     "A message that you sent could not be delivered to one or more of its\n"
     "recipients. This is a permanent error. The following address(es) failed:\n\n"
     "  bob@example.org\n    host mx.example.org [192.0.2.1]\n"
     "    SMTP error from remote mail server after RCPT TO:<bob@example.org>:\n"
     "    550 5.1.1 unknown\n        eve@example.org\n\n"
     "------ This is a copy of the message, including all the headers. ------\n\n"
     "  mallory@example.org\n",
     "bounce exim rcpt=bob@example.org:P"},
    {"sendmail", NULL,
     "From: MAILER-DAEMON@mx.example.net\n\n"
     "   ----- The following addresses had permanent fatal errors -----\n<bob@example.org>\n"
     "    (expanded from: <robert@example.org>)\n\n   ----- Transcript of session follows -----\n"
     "eve@example.org\n",
     "bounce sendmail rcpt=bob@example.org:P rcpt=robert@example.org:P"},
    {"field from a mailer", NULL,
     "From: \"Postmaster\" <postmaster@mx.example.net>\n\nUnknown user: bob@example.org\n",
     "bounce imail rcpt=bob@example.org:P"},
    {"field from a person", NULL, HDR "\nUnknown user: bob@example.org\n",
     "ignored not a bounce, complaint or unsubscribe"},
    {"field with null return-path", NULL,
     "Return-Path: <>\nFrom: someone@example.net\n\nIntended recipient: bob@example.org\n",
     "bounce usa.net rcpt=bob@example.org:P"},
    {"phrase but no address line", NULL,
     "From: MAILER-DAEMON@mx.example.net\n\nThe following address(es) failed: bob, see\n"
     "the bob@example.org mailbox for details\n",
     "ignored not a bounce, complaint or unsubscribe"},
    {"text bounce truncated", NULL,
     "From: MAILER-DAEMON@mx.example.net\nContent-Type: multipart/mixed; boundary=Q\n\n--Q\n\n"
     "Hi. This is the qmail-send program at mx.example.net.\n<bob@example.org>:\nno mailbox\n",
     "error: truncated message: the bounce text is cut off before its multipart boundary closes"},
};

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

START_TEST(parse_table)
{
    const struct parse_case *c = &cases[_i];
    struct buf out;

    buf_init(&out, 0);
    render(c->msg, strlen(c->msg), c->mailto, &out);
    if (strcmp(out.s, c->want) != 0)
        ck_abort_msg("case '%s':\n  got  '%s'\n  want '%s'", c->name, out.s, c->want);
    buf_release(&out);
}
END_TEST

/* A NUL byte anywhere is refused, with its offset. */
START_TEST(nul_byte)
{
    static const char msg[] = "From: a@b.example\nTo: " UNSUB "\n\nbody\0more";
    struct buf out;

    buf_init(&out, 0);
    render(msg, sizeof(msg) - 1, UNSUB, &out);
    ck_assert_str_eq(out.s, "error: not a mail message: NUL byte at offset 52");
    buf_release(&out);
}
END_TEST

/* More than INBOUND_MAX_BYTES is refused before parsing. */
START_TEST(too_large)
{
    size_t n = INBOUND_MAX_BYTES + 1;
    char *msg = malloc(n);
    struct buf out;

    ck_assert_ptr_nonnull(msg);
    memset(msg, 'a', n);
    memcpy(msg, "From: a@b.example\n\n", 19);
    buf_init(&out, 0);
    render(msg, n, NULL, &out);
    ck_assert_str_eq(out.s, "error: message too large: more than 16777216 bytes");
    buf_release(&out);
    free(msg);
}
END_TEST

/* At most INBOUND_RCPT_MAX recipients are kept; the rest are counted. */
START_TEST(many_recipients)
{
    struct buf msg, out;

    buf_init(&msg, 0);
    buf_init(&out, 0);
    buf_puts(&msg, DAEMON REPORT("delivery-status", "B") DS_PART(""));
    for (int i = 0; i < INBOUND_RCPT_MAX + 10; i++)
        buf_printf(&msg, "Final-Recipient: rfc822; u%d@example.org\nAction: failed\n\n", i);
    buf_puts(&msg, "--B--\n");
    render(msg.s, msg.len, NULL, &out);
    ck_assert_msg(strstr(out.s, " rcpt=u49@example.org:P skipped=10") != NULL, "%s", out.s);
    ck_assert_msg(strstr(out.s, "u50@") == NULL, "%s", out.s);
    buf_release(&msg);
    buf_release(&out);
}
END_TEST

/* Deep nesting is refused by GMime's limit, not by the stack. */
START_TEST(deep_nesting)
{
    struct buf msg, out;

    buf_init(&msg, 0);
    buf_init(&out, 0);
    buf_puts(&msg, "From: a@b.example\n");
    for (int i = 0; i < 3000; i++)
        buf_printf(&msg, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
    buf_puts(&msg, "Content-Type: text/plain\n\nhi\n");
    render(msg.s, msg.len, NULL, &out);
    ck_assert_str_eq(out.s, "error: not a mail message we can read: MIME parts nested too deeply");
    buf_release(&msg);
    buf_release(&out);
}
END_TEST

/*
 * A multipart whose boundary parameter is missing, with bytes that are not
 * UTF-8 in its Content-Type: asking GMime for the boundary made it encode a
 * new header for seconds (found by fuzz_inbound); now refused at once.
 */
START_TEST(boundary_missing)
{
    static const char msg[] =
        "From: feedback@arf.exa/mple\n"
        "Content-Type: multipart/report; report-typeCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
        "CCCCCCCCCCCCCCCCCCCCC=feedback-repor\277tb ;\277\277\277\277\277\277\277\277\277\277"
        "\277oundary=to deliver your message to the following addressfeedback-report\n"
        "\n"
        "Feedback-Type: aerrors -----\n"
        "--B--\n";
    struct buf out;

    buf_init(&out, 0);
    render(msg, sizeof(msg) - 1, NULL, &out);
    ck_assert_str_eq(out.s, "error: truncated message: its multipart body ends before the closing "
                            "boundary");
    buf_release(&out);
}
END_TEST

START_TEST(format_names)
{
    const char *const *names = inbound_text_formats();
    int n = 0;

    for (; names[n]; n++)
        for (int k = 0; k < n; k++)
            ck_assert_str_ne(names[k], names[n]);
    ck_assert_int_ge(n, 15);
    ck_assert_str_eq(names[0], "postfix");
}
END_TEST

static Suite *inbound_suite(void)
{
    Suite *s = suite_create("inbound");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, parse_table, 0, NCASES(cases));
    tcase_add_test(tc, nul_byte);
    tcase_add_test(tc, too_large);
    tcase_add_test(tc, many_recipients);
    tcase_add_test(tc, deep_nesting);
    tcase_add_test(tc, boundary_missing);
    tcase_add_test(tc, format_names);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(inbound_suite)
