/*
 * queries.h - every SQL statement mailout runs, by id.
 *
 * The text lives in queries.c, one table; db.c prepares each statement once
 * per connection.  SQL is never assembled from strings: values are always
 * parameters, cast in the SQL text.
 */
#ifndef MAILOUT_QUERIES_H
#define MAILOUT_QUERIES_H

enum query_id {
    Q_MIGRATION_LIST = 0,
    Q_MIGRATION_APPLIED,
    Q_MIGRATION_INSERT,
    Q_AUDIT_APPEND,
    Q_SUPPRESSION_CHECK,
    Q_SUPPRESSION_LIFT,
    Q_SUPPRESSION_KEY_GET,
    Q_SUPPRESSION_KEY_RECORD,
    Q_TOPIC_ADD,
    Q_TOPIC_FIND,
    Q_CONSENT_TEXT_ADD,
    Q_CONSENT_TEXT_OF_TOPIC,
    Q_CONSENT_TEXT_LATEST,
    Q_LEDGER_APPEND,
    Q_LEDGER_REVOKE,
    Q_OUTBOX_CONSENT,
    Q_IMPORT_BAD_PROOF,
    Q_IMPORT_DROP_BAD_PROOF,
    Q_IMPORT_DROP_SUPPRESSED,
    Q_IMPORT_MERGE,
    Q_IMPORT_COUNT,
    Q_IMPORT_PROOF_REFUSED,
    Q_LEDGER_IMPORT_PROOF,
    Q_CONTACT_ENSURE,
    Q_CONTACT_FIND,
    Q_CONTACT_HMAC_MISSING,
    Q_CONTACT_HMAC_FILL,
    Q_CONTACT_GET,
    Q_CONTACT_STATES,
    Q_CONTACT_OBJECTION,
    Q_CONTACT_HISTORY,
    Q_DOI_CONTACT_LOCK,
    Q_DOI_NEXT_ID,
    Q_DOI_REQUEST_INSERT,
    Q_DOI_REQUEST_TOPIC,
    Q_DOI_LOOKUP,
    Q_DOI_LOOKUP_FOR_UPDATE,
    Q_DOI_MARK_CONFIRMED,
    Q_DOI_REQUEST_TITLES,
    Q_DOI_MAIL_QUEUE,
    Q_DOI_MAIL_NOTIFY,
    Q_DOI_MAIL_LISTEN,
    Q_DOI_MAIL_CANCEL,
    Q_DOI_MAIL_CLAIM,
    Q_DOI_MAIL_CLAIM_OWNED,
    Q_DOI_MAIL_SENT,
    Q_DOI_MAIL_FAILED,
    Q_DOI_MAIL_DEFER,
    Q_DOI_MAIL_RELEASE,
    Q_DOI_PURGE,
    Q_RATE_PURGE,
    Q_RATE_IP_CHECK,
    Q_SUBSCRIBE_FORM_TOPICS,
    /* campaigns and the legal-basis engine (campaign.c, ledger.c); queries with a
       {segment} marker run through segment_exec() */
    Q_CAMPAIGN_TEMPLATE_ID,
    Q_LEGAL_ENTITY_ENSURE,
    Q_CAMPAIGN_UNKNOWN_SKU,
    Q_CAMPAIGN_EMPTY_CATEGORY,
    Q_CAMPAIGN_INSERT,
    Q_CAMPAIGN_GET,
    Q_CAMPAIGN_GET_FOR_UPDATE,
    Q_CAMPAIGN_EXPLAIN,
    Q_CAMPAIGN_IN_SEGMENT,
    Q_CAMPAIGN_DECIDE_ONE,
    Q_CAMPAIGN_PATH,
    Q_CAMPAIGN_LAST_RUN,
    Q_CAMPAIGN_SINCE,
    Q_CAMPAIGN_OPEN_RUN,
    Q_CAMPAIGN_RUN_INSERT,
    Q_CAMPAIGN_RUN_DECIDE,
    Q_CAMPAIGN_RUN_QUEUE,
    Q_CAMPAIGN_RUN_COUNTS,
    Q_CAMPAIGN_RUN_DONE,
    Q_LEDGER_EXPIRE_RUN,
    /* issue 8, policy and template (policy.c, template.c) */
    Q_POLICY_LIST,
    Q_POLICY_FOR_COUNTRY,
    Q_POLICY_COPY_DEFAULT,
    Q_POLICY_VALUE_LOCK,
    Q_POLICY_SET,
    Q_TEMPLATE_ADD,
    /* segments (issue 8, segment.c) */
    Q_SEGMENT_CREATE,
    Q_SEGMENT_LOAD,
    Q_SEGMENT_COUNT,
    /* catalogue, orders and web activity (issue 8: h-import) */
    Q_PRODUCT_IMPORT_CONFLICTS,
    Q_PRODUCT_IMPORT_DROP_CONFLICTS,
    Q_PRODUCT_IMPORT_CATEGORIES,
    Q_PRODUCT_IMPORT_MERGE,
    Q_PRODUCT_EXISTS,
    Q_PRODUCT_RELATE,
    Q_CATEGORY_COVERS,
    Q_CATEGORY_ENSURE,
    Q_CATEGORY_RELATE,
    Q_ORDER_IMPORT_UNKNOWN_SKU,
    Q_ORDER_IMPORT_DROP_UNKNOWN_SKU,
    Q_ORDER_IMPORT_CONFLICTS,
    Q_ORDER_IMPORT_DROP_CONFLICTS,
    Q_ORDER_IMPORT_DROP_SUPPRESSED,
    Q_ORDER_IMPORT_ENTITIES,
    Q_ORDER_IMPORT_CONTACTS,
    Q_ORDER_IMPORT_COUNT,
    Q_ORDER_IMPORT_MERGE,
    Q_ACTIVITY_IMPORT_DROP,
    Q_ACTIVITY_IMPORT_COUNT,
    Q_ACTIVITY_IMPORT_MERGE,
    Q_ACTIVITY_PURGE,
    /* issue 9: campaign mail (h-mail) */
    Q_CAMPAIGN_MAIL_LOAD,
    Q_CAMPAIGN_MAIL_LABELS,
    Q_CAMPAIGN_MAIL_FIND,
    Q_CAMPAIGN_MAIL_CONTACT,
    /* issue 9: dispatch (h-dispatch) */
    Q_DISPATCH_LOCK,
    Q_DISPATCH_RECOVER,
    Q_DISPATCH_RUNS_DONE,
    Q_DISPATCH_CLAIM,
    Q_DISPATCH_ENGINE,
    Q_DISPATCH_SETTLE,
    Q_DISPATCH_HANDOVER,
    Q_DISPATCH_SENDING_MINE,
    Q_DISPATCH_RELEASE,
    Q_DISPATCH_RECORD,
    Q_DISPATCH_RESEND_UNCERTAIN,
    Q_DISPATCH_COUNTS,
    /* issue 9: campaign control, status, rate (h-control) */
    Q_CTL_CAMPAIGN_ID,
    Q_CTL_CAMPAIGN_LOCK,
    Q_CTL_LAST_RUN_LOCK,
    Q_CTL_RUN_SET_STATE,
    Q_CTL_RUN_EVER_CLAIMED,
    Q_CTL_QUEUE_CANCEL,
    Q_CTL_QUEUE_RETRY,
    Q_CTL_RUN_REOPEN,
    Q_CTL_STATUS,
    Q_CTL_METRICS,
    Q_THROTTLE_TAKE,
    /* issue 9: doctor and DKIM (h-dkim) */
    Q_DOCTOR_MIGRATIONS,
    /* issue 9: transport (h-transport) */
    /* issue 10: shared (lead) */
    Q_UNSUB_TOKEN_LOOKUP,
    Q_SUPPRESSION_ADD,
    /* issue 10: unsubscribe pages, one-click, preferences (h-web) */
    Q_TOKEN_REVOKE,
    Q_UNSUB_TOKEN_LOCK,
    Q_UNSUB_PAGE,
    Q_UNSUB_CONTACT_EMAIL,
    /* issue 10: pause and the engine (h-pause) */
    Q_PAUSE_SAME,
    Q_LEDGER_PAUSE,
    Q_CONTACT_PAUSES,
    /* issue 10: inbound mail, bounces, complaints (h-inbound) */
    Q_INBOUND_CONTACT_NORM,
    Q_INBOUND_CONTACT_BY_MESSAGE,
    Q_INBOUND_BOUNCE_ADD,
    Q_INBOUND_SOFT_COUNT,
    /* issue 10: webhooks (h-webhook) */
    Q_WEBHOOK_CLAIM,
    Q_WEBHOOK_DELIVERED,
    Q_WEBHOOK_FAILED,
    Q_WEBHOOK_RELEASE,
    Q_WEBHOOK_RELEASE_OWNER,
    Q_WEBHOOK_TOTALS,
    Q_WEBHOOK_DEAD_LIST,
    Q_WEBHOOK_RETRY,
    Q_WEBHOOK_CONTACT,
    /* issue 10: consent receipt, admin opt-out (h-admin) */
    Q_SUPPRESSION_REASON,
    Q_RECEIPT_REQUEST,
    Q_RECEIPT_TOPICS,
    Q_RECEIPT_TOKEN_INSERT,
    Q_RECEIPT_MAIL_QUEUE,
    Q_RECEIPT_HASH,
    /* issue 11: schedules, iCalendar (h-ical) */
    Q_SCHED_CAMPAIGN,
    Q_SCHED_UPSERT,
    Q_SCHED_DELETE,
    Q_SCHED_GET,
    Q_SCHED_OCCURRENCES,
    /* issue 11: the scheduler (h-sched) */
    Q_SCHED_DUE,
    Q_SCHED_LOCK,
    Q_SCHED_OCC_FIND,
    Q_SCHED_OCC_INSERT,
    Q_SCHED_ADVANCE,
    /* issue 11: mailout run, signals, reload (h-run) */
    /* issue 11: send windows (h-window) */
    Q_WINDOW_CAMPAIGN_LOCK,
    Q_WINDOW_SET,
    Q_WINDOW_REQUEUE,
    Q_WINDOW_GET,
    Q_WINDOW_RUNS_WAITING,
    Q_WINDOW_DEFER_RUN,
    Q_WINDOW_DEFER_CLAIMED,
    Q_WINDOW_IMPORT_BAD_ZONE,
    Q_WINDOW_IMPORT_DROP_BAD_ZONE,
    /* issue 12: hash chains, audit verify (h-chain) */
    Q_CHAIN_UTC,
    Q_CHAIN_LOCK,
    Q_CHAIN_HEAD,
    Q_CHAIN_COLUMNS,
    Q_CHAIN_PENDING_CONSENT,
    Q_CHAIN_PENDING_SEND,
    Q_CHAIN_LINK_INSERT,
    Q_CHAIN_PENDING_DELETE,
    Q_CHAIN_PENDING_STALE,
    Q_CHAIN_LINKS_CONSENT,
    Q_CHAIN_LINKS_SEND,
    Q_CHAIN_UNLINKED_CONSENT,
    Q_CHAIN_UNLINKED_SEND,
    Q_CHAIN_AUDIT_BATCH,
    /* issue 12: audit contact/campaign/log, export (h-audit) */
    Q_REPORT_SENDS,
    Q_REPORT_REVOCATIONS,
    Q_REPORT_SUPPRESSION,
    Q_REPORT_CAMPAIGN,
    Q_REPORT_RUNS,
    Q_REPORT_LOG,
    Q_REPORT_TOPICS,
    Q_REPORT_TEXTS,
    Q_REPORT_ORDERS,
    Q_REPORT_ACTIVITY,
    Q_REPORT_POLICY,
    Q_REPORT_BOUNCES,
    Q_AUDIT_APPEND_HOST,
    /* issue 12: erasure (h-erase) */
    Q_ERASE_FIND,
    Q_ERASE_TOMBSTONE,
    Q_ERASE_RUN,
    /* issue 12: admin web view (h-admin) */
    Q_ADMIN_RUNS,
    Q_ADMIN_CAMPAIGN_NAMES,
    Q_ADMIN_SERIES,
    /* issue 13: processors and host checks (h-proc) */
    /* issue 13: audit ropa, /privacy-info (h-ropa) */
    /* issue 13: data-subject request log (h-dsr) */
    /* issue 13: retention maintenance (h-retain) */
    /* issue 13: sensitive attributes, minors (h-sensitive) */
    Q_SENSITIVE_TEXT_ADD,
    Q_SENSITIVE_TOPIC_TEXT,
    Q_SENSITIVE_CAMPAIGN_TEMPLATE,
    Q__COUNT
};

struct query {
    enum query_id id;
    const char *name;
    const char *sql;
    int nparams;
};

/* Borrowed, static. */
const struct query *query_get(enum query_id id);

#endif
