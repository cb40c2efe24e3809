/*
 * processor.h - the register of third parties that receive personal data
 * (R-GDPR-13) and the residency rule for them (R-GDPR-15).
 *
 * A processor (or independent controller) has a name, a role, a country, the
 * hosts it operates (SMTP relays, webhook receivers), a DPA reference and a
 * transfer mechanism.  Every SMTP relay host and the webhook host must belong
 * to one before mailout hands it data; relays and webhooks on loopback and
 * the maildir: transport are the sender's own infrastructure and are exempt.
 * An unregistered host, or one whose processor breaks the residency setting,
 * is refused with MO_E_UNAVAILABLE (exit 69) naming the host.
 */
#ifndef MAILOUT_PROCESSOR_H
#define MAILOUT_PROCESSOR_H

#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "doctor.h"
#include "err.h"

/* Longest host name kept (RFC 1035), plus room for an IPv6 literal. */
#define PROCESSOR_HOST_MAX 254

/*
 * Normalises one host as given by a user or taken from the configuration:
 * an IPv4 or IPv6 literal (brackets allowed) in canonical text form, or a
 * host name as lower-case A-labels without a trailing dot (U-labels are
 * converted, IDNA 2008).  0 with out set (n >= PROCESSOR_HOST_MAX), or -1
 * with the reason in why (whyn bytes).  Pure.
 */
int processor_host_norm(const char *in, char *out, size_t n, char *why, size_t whyn);

/*
 * The residency rule (R-GDPR-15).  residency: "eu" or "none"; country: ISO
 * alpha-2 or NULL; kind: the country's row in adequacy_countries ("eea",
 * "adequacy", "dpf") or NULL when it has none; mechanism: NULL or one of
 * adequacy, dpf, scc, bcr.  0 when allowed, else -1 with why (what is
 * missing, naming the country).  Pure.
 */
int processor_residency_check(const char *residency, const char *country, const char *kind,
                              const char *mechanism, char *why, size_t whyn);

/* What `processor add` records; NULL for an option not given. */
struct processor_spec {
    const char *name;
    const char *role;      /* processor | controller */
    const char *country;   /* ISO alpha-2, any case */
    const char *hosts;     /* HOST[,HOST...] */
    const char *dpa;       /* optional */
    const char *mechanism; /* optional: adequacy | dpf | scc | bcr */
    const char *purpose;   /* optional */
};

/*
 * Registers a processor in one transaction with its audit entry
 * (processor.add).  Bad values: MO_E_INPUT naming the option; a name that
 * exists or a host another processor has: MO_E_CONFLICT naming it; a country
 * the residency setting refuses: MO_E_INPUT.  Nothing is written on error.
 */
int processor_add(struct db *db, const struct config *cfg, const char *actor,
                  const struct processor_spec *spec, struct mo_err *err);

/*
 * Removes one (audited: processor.remove).  MO_E_NOTFOUND when unknown;
 * MO_E_CONFLICT when one of its hosts is a relay or the webhook host of the
 * configuration (change the configuration first).
 */
int processor_remove(struct db *db, const struct config *cfg, const char *actor, const char *name,
                     struct mo_err *err);

/*
 * Every processor (name NULL) or one (MO_E_NOTFOUND when unknown), as a JSON
 * array of {name, role, country, hosts[], dpa, mechanism, purpose,
 * created_at, created_by, residency_ok, residency_problem}.  Caller decrefs.
 */
json_t *processor_list(struct db *db, const struct config *cfg, const char *name,
                       struct mo_err *err);

/*
 * Checks one host (what: "SMTP relay" or "webhook") before data goes to it:
 * 0 when it is on loopback or belongs to a registered processor that the
 * residency setting allows; else -1, MO_E_UNAVAILABLE naming the host.
 */
int processor_check_host(struct db *db, const struct config *cfg, const char *what,
                         const char *host, struct mo_err *err);
/* Every relay of an SMTP transport (nothing for maildir:). */
int processor_check_relays(struct db *db, const struct config *cfg, struct mo_err *err);
/* The host of webhook_url (nothing when unset). */
int processor_check_webhook(struct db *db, const struct config *cfg, struct mo_err *err);

/*
 * doctor: every relay and webhook host without a processor, and every
 * processor the residency setting refuses, as errors ("processors").
 */
void processor_doctor(struct db *db, const struct config *cfg, struct doctor_report *r);

/*
 * For export (R-GDPR-8): the recipients of a person's data.  One entry for
 * the CRM webhook and one per SMTP relay processor (loopback ones grouped as
 * the controller's own infrastructure), each with recipient, name, role,
 * country, mechanism, dpa, hosts, what, purpose; then every other registered
 * processor (recipient "other").  Caller decrefs; NULL with err.
 */
json_t *processor_recipients(struct db *db, const struct config *cfg, struct mo_err *err);

#endif
