/*
 * config.h - mailout.conf: `key = value` lines, `#` comments.
 *
 * config_load() fills a fresh struct config that is read-only afterwards;
 * every string field is non-NULL (empty when unset) and owned by the struct.
 * Relative paths in the file (data_dir, the *_file keys, maildir:DIR) are
 * resolved against the file's directory, so the fields hold paths usable
 * from any working directory.  from and reply_to are RFC 5322 mailboxes,
 * checked at load time and split into address and display name.
 * transport may list several relays (smtp://A:25, smtp://B:587), tried in
 * order; smtp_starttls defaults to required, or optional when every relay is
 * on loopback; smtp_user with any non-loopback relay needs
 * smtp_starttls = required (one setting for all relays).
 */
#ifndef MAILOUT_CONFIG_H
#define MAILOUT_CONFIG_H

#include <stddef.h>

#include "err.h"

enum config_starttls {
    STARTTLS_OFF = 0,
    STARTTLS_OPTIONAL,
    STARTTLS_REQUIRED,
};

enum config_transport_kind {
    TRANSPORT_MAILDIR = 0,
    TRANSPORT_SMTP,
};

struct config {
    char *path;       /* the file read, "" when none */
    char *config_dir; /* directory of path (relative paths in the file are read from it), "." */
    char *db;
    char *db_role;
    char *base_url;
    char *listen;
    char *listen_host; /* from listen */
    unsigned listen_port;
    char *transport;
    enum config_transport_kind transport_kind;
    char *transport_target; /* the Maildir directory, or the first relay's host:port */
    char **relays;          /* smtp: every relay's host:port, in the order written */
    size_t nrelays;         /* smtp: at least 1; maildir: 0 */
    enum config_starttls smtp_starttls;
    char *smtp_user;
    char *smtp_password_file;
    char *smtp_helo;
    char *smtp_ca_file;
    char *from;      /* as written: an address or "Display Name <address>" */
    char *from_addr; /* the bare address of from: local part as written, A-label domain */
    char *from_name; /* the display name of from, UTF-8 ("" when none) */
    char *reply_to;
    char *reply_to_addr; /* the bare address of reply_to ("" when unset) */
    char *reply_to_name; /* its display name ("" when none) */
    char *postal_address;
    char *unsubscribe_mailto;
    char *privacy_url;
    char *imprint_url;
    char *dkim_domain;
    char *dkim_selector;
    char *dkim_key_file;         /* PEM, RSA (>= 1024 bits) or Ed25519; "" = no DKIM */
    char *dkim_ed25519_key_file; /* a second, Ed25519 signature; "" = none */
    char *dkim_ed25519_selector; /* its selector (required with the file) */
    long long rate;
    long long domain_concurrency;
    char *data_dir;
    long long token_ttl;          /* seconds */
    long long pending_retention;  /* seconds a pending request is kept after it expires */
    long long activity_retention; /* seconds web activity is kept after it happened */
    long long confirm_mail_limit; /* confirmation mails per address per 24 h */
    long long subscribe_ip_limit; /* POST /subscribe per client IP per hour */
    char *admin_token_file;
    char *metrics_allow; /* client networks for /metrics, comma-separated CIDRs; "" = loopback */
    char *legal_entity;
    char *contact_attributes;
    char *suppression_key_file;
    char *webhook_url;
    char *webhook_secret_file;
    char *log_level;
    /* issue 10: h-webhook */
    long long webhook_timeout;      /* seconds one POST may take */
    long long webhook_max_attempts; /* failed attempts before a dead letter (1..100) */
    long long webhook_backoff_base; /* seconds before the first retry, doubling */
    long long
        bounce_soft_limit;    /* soft bounces within 30 days that suppress; 0 never (h-inbound) */
    long long schedule_grace; /* seconds a missed occurrence may still run (issue 11) */
    long long admin_session_ttl; /* seconds an admin view session lasts (issue 12, h-admin) */
    /* issue 13: h-proc */
    char *residency; /* "eu" (default) or "none" (R-GDPR-15) */
    /* issue 13: h-retain */
    long long contact_retention_months; /* idle months before maintenance erases a contact */
    long long reply_retention_months;   /* months send_records.smtp_reply is kept */
    long long maintenance_interval;     /* seconds between run's maintenance turns (1m..30d) */
};

/*
 * Loads the configuration.  path: the --config value or NULL, in which case
 * $MAILOUT_CONFIG, then ./mailout.conf are tried (a missing ./mailout.conf
 * means defaults).  $MAILOUT_DB then overrides db.  Returns 0, or -1 with err
 * naming the file, line and key (MO_E_INPUT, MO_E_NOINPUT for a missing file).
 */
int config_load(struct config *cfg, const char *path, struct mo_err *err);
/* Same, from a string (for tests); name is used in messages. */
int config_load_string(struct config *cfg, const char *name, const char *text, struct mo_err *err);
/* Sets one key as if read from a file (for --db and the like). */
int config_set(struct config *cfg, const char *key, const char *value, struct mo_err *err);
void config_release(struct config *cfg);

/* 1 when host (as in HOST:PORT, IPv6 in brackets) is localhost, 127.0.0.0/8 or ::1. */
int config_host_is_loopback(const char *host);
/* 1 when the transport is SMTP and every relay is on loopback. */
int config_smtp_loopback(const struct config *cfg);

/* Parses "7d", "12h", "30m", "45s" or plain seconds; -1 on error. */
long long config_parse_duration(const char *s);

#endif
