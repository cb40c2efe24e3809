/*
 * doctor.h - `mailout doctor`: checks that a send would work and would be
 * accepted, as a list of findings (ok, warning, error).
 *
 * Errors are what makes a send refused (configuration, the DKIM key, the
 * database); warnings are what makes mail fail or land in spam later (a relay
 * not answering, DNS records missing or not matching).  DNS findings are
 * never errors: a failed or impossible lookup is a warning.
 */
#ifndef MAILOUT_DOCTOR_H
#define MAILOUT_DOCTOR_H

#include <stddef.h>

#include "config.h"
#include "db.h"
#include "dkim.h"

enum doctor_level {
    DOCTOR_OK = 0,
    DOCTOR_WARNING,
    DOCTOR_ERROR,
};

struct doctor_finding {
    enum doctor_level level;
    char *check; /* "config", "database", "relay", "dkim", "dns" */
    char *text;  /* one line */
};

struct doctor_report {
    struct doctor_finding *items;
    size_t n, cap;
};

void doctor_report_init(struct doctor_report *r);
void doctor_report_release(struct doctor_report *r);
/* Appends a finding (text: printf format; control characters are shown escaped). */
void doctor_add(struct doctor_report *r, enum doctor_level level, const char *check,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* 1 when a finding is an error (a send would be refused). */
int doctor_blocked(const struct doctor_report *r);
/* "ok", "warning" or "error". */
const char *doctor_level_name(enum doctor_level level);

/* Sender identity and what marketing mail needs (campaign_mail_check_config()). */
void doctor_check_config(const struct config *cfg, struct doctor_report *r);

/* Migrations: every file in sqldir applied (db connected, borrowed). */
void doctor_check_migrations(struct db *db, const char *sqldir, struct doctor_report *r);

/*
 * One relay, "host:port" (IPv6 in brackets): TCP connect and the 220
 * greeting, each within timeout_ms.  Not answering is a warning.
 */
void doctor_check_relay(const char *hostport, int timeout_ms, struct doctor_report *r);

/*
 * The DKIM keys: loaded and strong (dkim_open(), an error when not), or a
 * warning when none is configured.  *out gets the signer (caller frees with
 * dkim_free()), NULL when none or on error.
 */
void doctor_check_dkim(const struct config *cfg, struct dkim **out, struct doctor_report *r);

/*
 * DNS, with short timeouts: each DKIM selector's TXT record holds our public
 * key; SPF and DMARC (p=) for the From domain; MX or A for the unsubscribe
 * domains (base_url host, unsubscribe_mailto domain).  Findings are ok or
 * warnings only.  $MAILOUT_DNS_SERVER (IP:PORT) replaces the resolver of
 * /etc/resolv.conf (for tests).
 */
void doctor_check_dns(const struct config *cfg, const struct dkim *d, struct doctor_report *r);

/*
 * Compares one DKIM TXT record (the strings of the record joined) with our
 * key: type "rsa" or "ed25519" and pubkey, the base64 p= value.  1 when it
 * publishes that key (whitespace inside p= ignored; k= defaults to rsa; h=,
 * when present, must allow sha256; s=, when present, must allow email);
 * else 0 with the reason in why (n bytes).
 */
int doctor_dkim_txt_match(const char *txt, const char *type, const char *pubkey, char *why,
                          size_t n);

#endif
