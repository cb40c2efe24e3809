/*
 * test_dkim.c - relaxed canonicalization (RFC 6376 3.4.2, 3.4.4) as tables,
 * key loading errors, and what dkim_sign() adds (h=, over-signing, bh=).
 * The signatures themselves are verified by an independent verifier
 * (python3-dkim) in tests/integration/dkim.sh.
 */
#include "dkim.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "check_tap.h"

static const struct {
    const char *in, *out;
} headers[] = {
    {"Subject: Hello  World \r\n", "subject:Hello World\r\n"},
    /* folded: CRLF before WSP goes, the WSP becomes one SP */
    {"Subject: a\r\n\tb\r\n   c\r\n", "subject:a b c\r\n"},
    {"SUBJECT : x\r\n", "subject:x\r\n"},
    {"List-Unsubscribe-Post:List-Unsubscribe=One-Click\r\n",
     "list-unsubscribe-post:List-Unsubscribe=One-Click\r\n"},
    {"To:\t \r\n", "to:\r\n"},
    {"X-A:  a\t\tb \t\r\n", "x-a:a b\r\n"},
    {"Content-Type: multipart/alternative;\r\n boundary=\"b1\"\r\n",
     "content-type:multipart/alternative; boundary=\"b1\"\r\n"},
    /* a colon in the value stays */
    {"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n", "date:Tue, 01 Dec 2026 10:00:00 +0000\r\n"},
};

START_TEST(canon_header)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(dkim_canon_header(headers[_i].in, strlen(headers[_i].in), &b), 0);
    ck_assert_str_eq(b.s, headers[_i].out);
    buf_release(&b);
}
END_TEST

static const struct {
    const char *in, *out;
} bodies[] = {
    {"", ""},                /* empty body: empty (RFC 6376 erratum 3133) */
    {"\r\n", ""},            /* only empty lines: empty */
    {"\r\n\r\n\r\n", ""},    /* ditto */
    {"a", "a\r\n"},          /* no final CRLF: one is added */
    {"a \t\r\n", "a\r\n"},   /* trailing WSP */
    {"a  b\r\n", "a b\r\n"}, /* runs of WSP inside */
    {"a\tb\r\n", "a b\r\n"},
    {" a\r\n", " a\r\n"},                     /* leading WSP becomes one SP, kept */
    {"a\r\n\r\n\r\n", "a\r\n"},               /* trailing empty lines */
    {"a\r\n \t\r\n", "a\r\n"},                /* a line of WSP is empty: trailing */
    {"a\r\n \r\nb", "a\r\n\r\nb\r\n"},        /* an empty line inside stays */
    {"a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n"}, /* inside kept, trailing dropped */
    {"x \r\n\r\n \r\ny  \t", "x\r\n\r\n\r\ny\r\n"},
};

START_TEST(canon_body)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(dkim_canon_body(bodies[_i].in, strlen(bodies[_i].in), &b), 0);
    ck_assert_str_eq(b.s, bodies[_i].out);
    buf_release(&b);
}
END_TEST

/* --- keys --- */

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_dkim.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "%s", dir);
    /* files are named k*.pem */
    for (int i = 0; i < 10; i++) {
        char p[128];
        snprintf(p, sizeof(p), "%s/k%d.pem", dir, i);
        unlink(p);
    }
    rmdir(cmd);
}

enum pem_form { PKCS8, PKCS1 };

/* Writes a fresh key (type "RSA" with bits, "ED25519", "EC") to dir/kN.pem, mode mode. */
static const char *write_key(int n, const char *type, size_t bits, enum pem_form form, int mode)
{
    static char path[10][128];
    EVP_PKEY *k;
    BIO *f;

    if (strcmp(type, "RSA") == 0)
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
    else if (strcmp(type, "EC") == 0)
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    else
        k = EVP_PKEY_Q_keygen(NULL, NULL, type);
    ck_assert_ptr_nonnull(k);
    snprintf(path[n], sizeof(path[n]), "%s/k%d.pem", dir, n);
    f = BIO_new_file(path[n], "w");
    ck_assert_ptr_nonnull(f);
    if (form == PKCS1)
        ck_assert_int_eq(PEM_write_bio_PrivateKey_traditional(f, k, NULL, NULL, 0, NULL, NULL), 1);
    else
        ck_assert_int_eq(PEM_write_bio_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    BIO_free(f);
    chmod(path[n], (mode_t)mode);
    EVP_PKEY_free(k);
    return path[n];
}

static struct config cfg_with(const char *rsa, const char *ed)
{
    struct config c;
    memset(&c, 0, sizeof(c));
    c.dkim_domain = (char *)"shop.example";
    c.dkim_selector = (char *)"s1";
    c.dkim_key_file = (char *)rsa;
    c.dkim_ed25519_key_file = (char *)(ed ? ed : "");
    c.dkim_ed25519_selector = (char *)(ed ? "e1" : "");
    return c;
}

START_TEST(not_configured)
{
    struct dkim *d = (struct dkim *)1;
    struct mo_err e;
    struct config c = cfg_with("", NULL);
    mo_err_init(&e);
    ck_assert_int_eq(dkim_open(&c, &d, &e), 0);
    ck_assert_ptr_null(d);
}
END_TEST

START_TEST(pkcs1_and_pkcs8_load)
{
    make_dir();
    const char *k1 = write_key(0, "RSA", 1024, PKCS1, 0600);
    const char *k8 = write_key(1, "RSA", 2048, PKCS8, 0400);
    const char *ed = write_key(2, "ED25519", 0, PKCS8, 0600);
    FILE *f = fopen(k1, "r");
    char line[64];
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
    fclose(f);
    ck_assert_str_eq(line, "-----BEGIN RSA PRIVATE KEY-----\n");
    const char *paths[] = {k1, k8};
    const int bits[] = {1024, 2048};
    for (int i = 0; i < 2; i++) {
        struct dkim *d = NULL;
        struct dkim_key_info ki;
        struct mo_err e;
        struct config c = cfg_with(paths[i], ed);
        mo_err_init(&e);
        ck_assert_msg(dkim_open(&c, &d, &e) == 0, "%s", e.msg);
        ck_assert_uint_eq(dkim_nkeys(d), 2);
        dkim_key_info(d, 0, &ki);
        ck_assert_str_eq(ki.type, "rsa");
        ck_assert_int_eq(ki.bits, bits[i]);
        ck_assert_str_eq(ki.selector, "s1");
        ck_assert_str_eq(dkim_signing_domain(d), "shop.example");
        dkim_key_info(d, 1, &ki);
        ck_assert_str_eq(ki.type, "ed25519");
        ck_assert_str_eq(ki.selector, "e1");
        ck_assert_uint_eq(strlen(ki.pubkey), 44); /* 32 bytes */
        dkim_free(d);
    }
    remove_dir();
}
END_TEST

START_TEST(key_errors)
{
    make_dir();
    const char *weak = write_key(0, "RSA", 512, PKCS8, 0600);
    const char *group = write_key(1, "RSA", 1024, PKCS8, 0640);
    const char *ec = write_key(2, "EC", 0, PKCS8, 0600);
    const char *rsa = write_key(3, "RSA", 1024, PKCS8, 0600);
    char garbage[128], missing[128];
    snprintf(garbage, sizeof(garbage), "%s/k4.pem", dir);
    FILE *f = fopen(garbage, "w");
    fputs("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n", f);
    fclose(f);
    chmod(garbage, 0600);
    snprintf(missing, sizeof(missing), "%s/k9.pem", dir);
    const struct {
        const char *rsa, *ed;
        enum mo_err_code code;
        const char *expect;
    } cases[] = {
        {weak, NULL, MO_E_INPUT, "has 512 bits: at least 1024 are needed"},
        {group, NULL, MO_E_INPUT,
         "is readable by group or others: chmod 600 it (key dkim_key_file)"},
        {ec, NULL, MO_E_INPUT, "DKIM needs RSA or Ed25519 (key dkim_key_file)"},
        {garbage, NULL, MO_E_INPUT, "holds no PEM private key"},
        {missing, NULL, MO_E_NOINPUT, "(key dkim_key_file)"},
        {rsa, rsa, MO_E_INPUT, "not an Ed25519 key (key dkim_ed25519_key_file)"},
        {rsa, missing, MO_E_NOINPUT, "(key dkim_ed25519_key_file)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct dkim *d = NULL;
        struct mo_err e;
        struct config c = cfg_with(cases[i].rsa, cases[i].ed);
        mo_err_init(&e);
        ck_assert_int_eq(dkim_open(&c, &d, &e), -1);
        ck_assert_ptr_null(d);
        ck_assert_int_eq(e.code, cases[i].code);
        ck_assert_msg(strstr(e.msg, cases[i].expect), "case %zu: '%s'", i, e.msg);
    }
    /* the weak key is named */
    {
        struct dkim *d = NULL;
        struct mo_err e;
        struct config c = cfg_with(weak, NULL);
        mo_err_init(&e);
        dkim_open(&c, &d, &e);
        ck_assert_ptr_nonnull(strstr(e.msg, weak));
        /* no selector */
        c.dkim_selector = (char *)"";
        mo_err_init(&e);
        ck_assert_int_eq(dkim_open(&c, &d, &e), -1);
        ck_assert_str_eq(e.msg, "dkim_key_file needs dkim_domain and dkim_selector");
    }
    remove_dir();
}
END_TEST

/* --- signing --- */

static struct dkim *signer(int with_ed)
{
    struct dkim *d = NULL;
    struct mo_err e;
    make_dir();
    const char *rsa = write_key(0, "RSA", 1024, PKCS8, 0600);
    const char *ed = with_ed ? write_key(1, "ED25519", 0, PKCS8, 0600) : NULL;
    struct config c = cfg_with(rsa, ed);
    mo_err_init(&e);
    ck_assert_msg(dkim_open(&c, &d, &e) == 0, "%s", e.msg);
    remove_dir();
    return d;
}

/* The h= value of the n-th DKIM-Signature in s, unfolded. */
static void h_tag(const char *s, int n, char *out, size_t size)
{
    const char *p = s;
    size_t k = 0;
    for (int i = 0; i <= n; i++) {
        p = strstr(p, "DKIM-Signature:");
        ck_assert_ptr_nonnull(p);
        p++;
    }
    p = strstr(p, " h=");
    ck_assert_ptr_nonnull(p);
    for (p += 3; *p != ';' && k + 1 < size; p++)
        if (*p != '\r' && *p != '\n' && *p != '\t' && *p != ' ')
            out[k++] = *p;
    out[k] = '\0';
}

START_TEST(sign_list_headers_oversigned)
{
    struct dkim *d = signer(1);
    struct buf m;
    struct mo_err e;
    char h[512];
    buf_init(&m, 0);
    buf_puts(&m, "From: a@shop.example\r\n"
                 "To: b@example.org\r\n"
                 "Subject: hi\r\n"
                 "X-Other: not signed\r\n"
                 "List-Unsubscribe: <https://shop.example/u/T>\r\n"
                 "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
                 "List-Id: news <news.shop.example>\r\n"
                 "\r\n"
                 "body\r\n");
    size_t before = m.len;
    mo_err_init(&e);
    ck_assert_msg(dkim_sign(d, &m, &e) == 0, "%s", e.msg);
    ck_assert_uint_gt(m.len, before);
    ck_assert_int_eq(strncmp(m.s, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;", 53), 0);
    h_tag(m.s, 0, h, sizeof(h));
    ck_assert_str_eq(h, "From:To:Subject:List-Id:List-Unsubscribe:List-Unsubscribe:"
                        "List-Unsubscribe-Post:List-Unsubscribe-Post");
    h_tag(m.s, 1, h, sizeof(h));
    ck_assert_str_eq(h, "From:To:Subject:List-Id:List-Unsubscribe:List-Unsubscribe:"
                        "List-Unsubscribe-Post:List-Unsubscribe-Post");
    ck_assert_ptr_nonnull(strstr(m.s, "a=ed25519-sha256;"));
    ck_assert_ptr_nonnull(strstr(m.s, "s=e1;"));
    /* the ed25519 signature follows the RSA one */
    ck_assert(strstr(m.s, "a=rsa-sha256") < strstr(m.s, "a=ed25519-sha256"));
    /* no line over 78 octets */
    for (const char *p = m.s; *p;) {
        const char *nl = strstr(p, "\r\n");
        ck_assert_ptr_nonnull(nl);
        ck_assert_uint_le((size_t)(nl - p), 78);
        p = nl + 2;
    }
    /* the original message follows unchanged */
    ck_assert_ptr_nonnull(strstr(m.s, "\r\nFrom: a@shop.example\r\nTo: b@example.org\r\n"));
    buf_release(&m);
    dkim_free(d);
}
END_TEST

START_TEST(sign_empty_body_hash)
{
    struct dkim *d = signer(0);
    const char *msgs[] = {"From: a@shop.example\r\n\r\n", "From: a@shop.example\r\n\r\n\r\n \r\n",
                          "From: a@shop.example\r\n"};
    for (size_t i = 0; i < 3; i++) {
        struct buf m;
        struct mo_err e;
        buf_init(&m, 0);
        buf_puts(&m, msgs[i]);
        mo_err_init(&e);
        ck_assert_msg(dkim_sign(d, &m, &e) == 0, "%s", e.msg);
        /* base64(SHA-256("")) */
        ck_assert_msg(strstr(m.s, "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;"), "%zu: %s", i,
                      m.s);
        buf_release(&m);
    }
    dkim_free(d);
}
END_TEST

START_TEST(sign_refuses_bad_messages)
{
    struct dkim *d = signer(0);
    const struct {
        const char *msg, *expect;
    } cases[] = {
        {"", "no header block"},
        {"\r\nbody\r\n", "no header block"},
        {"To: b@example.org\r\n\r\nbody\r\n", "no From header"},
        {"From: a@shop.example", "no header block"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf m;
        struct mo_err e;
        buf_init(&m, 0);
        buf_puts(&m, cases[i].msg);
        mo_err_init(&e);
        ck_assert_int_eq(dkim_sign(d, &m, &e), -1);
        ck_assert_msg(strstr(e.msg, cases[i].expect), "%zu: %s", i, e.msg);
        ck_assert_str_eq(m.s, cases[i].msg); /* unchanged */
        buf_release(&m);
    }
    dkim_free(d);
}
END_TEST

/* --- several threads share one signer --- */

#define THREADS 4
#define ROUNDS  40

static const char shared_msg[] = "From: a@shop.example\r\nTo: b@example.org\r\nSubject: hi\r\n"
                                 "List-Unsubscribe: <https://shop.example/u/T>\r\n\r\nbody\r\n";

struct worker {
    const struct dkim *d;
    const char *ref; /* the main thread's signed message */
    int failed, same, checked;
};

/* The t= value of s (its digits), "" when none. */
static void t_tag(const char *s, char out[24])
{
    const char *t = strstr(s, " t=");
    size_t n = 0;
    if (t)
        for (t += 3; *t >= '0' && *t <= '9' && n < 23; t++)
            out[n++] = *t;
    out[n] = '\0';
}

static void *sign_many(void *arg)
{
    struct worker *w = arg;
    char tref[24], tnow[24];
    t_tag(w->ref, tref);
    for (int i = 0; i < ROUNDS; i++) {
        struct buf m;
        struct mo_err e;
        buf_init(&m, 0);
        buf_puts(&m, shared_msg);
        mo_err_init(&e);
        if (dkim_sign(w->d, &m, &e) < 0)
            w->failed++;
        else {
            /* RSA PKCS#1 v1.5 and Ed25519 are deterministic: the same t=, the same bytes */
            t_tag(m.s, tnow);
            if (strcmp(tnow, tref) == 0) {
                w->checked++;
                w->same += strcmp(m.s, w->ref) == 0;
            }
        }
        buf_release(&m);
    }
    return NULL;
}

START_TEST(threads_share_a_signer)
{
    struct dkim *d = signer(1);
    struct worker w[THREADS];
    pthread_t th[THREADS];
    struct buf ref;
    struct mo_err e;
    int checked = 0;

    for (int attempt = 0; attempt < 3 && checked == 0; attempt++) {
        buf_init(&ref, 0);
        buf_puts(&ref, shared_msg);
        mo_err_init(&e);
        ck_assert_int_eq(dkim_sign(d, &ref, &e), 0);
        for (int i = 0; i < THREADS; i++) {
            w[i] = (struct worker){d, ref.s, 0, 0, 0};
            ck_assert_int_eq(pthread_create(&th[i], NULL, sign_many, &w[i]), 0);
        }
        for (int i = 0; i < THREADS; i++) {
            pthread_join(th[i], NULL);
            ck_assert_int_eq(w[i].failed, 0);
            ck_assert_int_eq(w[i].same, w[i].checked);
            checked += w[i].checked;
        }
        buf_release(&ref);
    }
    ck_assert_int_gt(checked, 0);
    dkim_free(d);
}
END_TEST

static Suite *dkim_suite(void)
{
    Suite *s = suite_create("dkim");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_loop_test(tc, canon_header, 0, (int)(sizeof(headers) / sizeof(headers[0])));
    tcase_add_loop_test(tc, canon_body, 0, (int)(sizeof(bodies) / sizeof(bodies[0])));
    tcase_add_test(tc, not_configured);
    tcase_add_test(tc, pkcs1_and_pkcs8_load);
    tcase_add_test(tc, key_errors);
    tcase_add_test(tc, sign_list_headers_oversigned);
    tcase_add_test(tc, sign_empty_body_hash);
    tcase_add_test(tc, sign_refuses_bad_messages);
    tcase_add_test(tc, threads_share_a_signer);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(dkim_suite)
