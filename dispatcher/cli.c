/*
 * cli.c - global options, configuration loading, the command table, help
 * and the map from errors to exit codes (sysexits(3), INTERFACE.md).
 */
#include "cli.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>

#include "autoconf.h"
#include "log.h"
#include "xalloc.h"

#ifndef MO_SRCDIR
#define MO_SRCDIR "."
#endif
#ifndef MO_BUILDDIR
#define MO_BUILDDIR "."
#endif
#ifndef MO_PKGDATADIR
#define MO_PKGDATADIR "/usr/local/share/mailout"
#endif

static const struct cli_command commands[] = {
    {"db", "migrate", cmd_db_migrate, "db migrate", "apply the pending numbered migrations in sql/",
     "Applies every pending sql/NNNN_name.sql in number order, each in its own\n"
     "transaction, and records it with its SHA-256 checksum in mailout_migrations.\n"
     "Running it again is a no-op.  A migration changed after it was applied is\n"
     "refused.  A failing migration leaves the database as it was; the error names\n"
     "the file and the line.  Connect as the schema owner (the role that may create\n"
     "tables and the mailout_app role).\n"},
    {"db", "status", cmd_db_status, "db status", "list applied and pending migrations",
     "Prints one line per migration: 'applied', the time and the file, or\n"
     "'pending' and the file.  With --json: {\"applied\": [...], \"pending\": [...]}.\n"},
    {"topic", "add", cmd_topic_add, "topic add NAME --title TEXT",
     "add a purpose people can subscribe to",
     "NAME is 1-63 lower-case letters, digits, '_', '.' or '-'.  The title is shown\n"
     "on the subscribe form, in confirmation mails and on pages.\n"
     "\n"
     "  -t, --title TEXT   the human title (required)\n"},
    {"consent-text", "add", cmd_consent_text_add,
     "consent-text add TOPIC FILE [--locale L] [--explicit ATTR[,ATTR]]",
     "store the exact wording shown when asking for consent",
     "Stores FILE (UTF-8, '-' for standard input) as the next version of TOPIC's\n"
     "consent text in locale L and prints its id alone on stdout; forms send that id\n"
     "as consent_text.  The same text again prints the existing id.  The text must\n"
     "tell people they can withdraw: one without any of withdraw, revoke,\n"
     "unsubscribe, opt out, widerruf, abmelden or abbestellen is refused (exit 65).\n"
     "--explicit makes the text the explicit consent (GDPR Art. 9(2)(a)) for\n"
     "sensitive attributes (contact_attributes NAME:sensitive): each must be\n"
     "declared sensitive and named in the text (any case), else exit 65.  A\n"
     "campaign uses a sensitive attribute in its segment or template only when its\n"
     "topic has such a text, and only for contacts who consented under one.\n"
     "\n"
     "  -l, --locale L          language of the text (default en)\n"
     "  -x, --explicit A[,B]    sensitive attributes this text asks explicit consent for\n"},
    {"contact", "import", cmd_contact_import,
     "contact import FILE.csv [--skip-invalid] [--attributes A,B]",
     "load contacts from an RFC 4180 CSV file",
     "Header row names the columns (any order): email (required), name, country,\n"
     "locale, birth_date, time_zone (an IANA zone such as Europe/Berlin, for send\n"
     "windows; one the zone database does not know is a bad row); consent proof,\n"
     "all five or none: consent_topic, consented_at, consent_source,\n"
     "consent_text_id, consent_ip.  Declared custom\n"
     "attributes are kept; other columns are dropped and reported, except that a\n"
     "column whose name looks like special-category or financial data (health,\n"
     "religion, ethnicity, union, iban, credit_card, gesundheit, ... as a word) is\n"
     "refused (exit 65, nothing loaded) unless declared NAME:sensitive.  A plain import\n"
     "creates no consent.  Suppressed addresses are not imported.  Any bad row\n"
     "means nothing is loaded (exit 65) and every bad row is reported as\n"
     "FILE:LINE: reason.  Addresses are stored without surrounding spaces.\n"
     "Every import, failed or not, ends with one summary line on stdout:\n"
     "'loaded N, rejected N, suppressed N, dropped N: ...'.  loaded counts the\n"
     "contacts stored (each address once), rejected the invalid rows, suppressed\n"
     "the rows whose address is suppressed, dropped the valid rows not stored for\n"
     "another reason (none in a contact import); after the colon: consent proofs\n"
     "recorded or refused, duplicate rows merged, undeclared columns dropped.\n"
     "\n"
     "  -s, --skip-invalid     load the good rows, report the bad ones, exit 0\n"
     "  -a, --attributes A,B   custom attribute columns to keep, NAME or\n"
     "                         NAME:sensitive (also: key contact_attributes)\n"},
    {"contact", "show", cmd_contact_show, "contact show EMAIL [--json]",
     "one contact: attributes, consent state per topic, full history with proof",
     "Prints the contact's attributes, the consent state per topic derived from\n"
     "the ledger, and every ledger event with its proof: time, IP, user agent,\n"
     "source, channel, actor, consent text id, version and SHA-256.  --json (a\n"
     "global option) prints one JSON document.\n"},
    {"product", "import", cmd_product_import, "product import FILE.csv [--skip-invalid]",
     "load the product catalogue from an RFC 4180 CSV file",
     "Header row names the columns (any order): sku (required, 1-128 bytes), name,\n"
     "category (required: a path such as pumps/centrifugal, lower-case segments of\n"
     "a-z, 0-9, '_' and '-' joined by '/').  A category includes everything below\n"
     "it; a path gets its row when first used, its ancestors need none.  Importing\n"
     "an sku again updates its name and category.  Any bad row means nothing is\n"
     "loaded (exit 65), every bad row reported as FILE:LINE: reason.  Ends with\n"
     "'loaded N, rejected N, suppressed N, dropped N: ...'.\n"
     "\n"
     "  -s, --skip-invalid   load the good rows, report the bad ones, exit 0\n"},
    {"product", "relate", cmd_product_relate, "product relate SKU SKU",
     "mark two products as similar (symmetric)",
     "Relates two products both ways (stored once).  Relating them again changes\n"
     "nothing and says so (exit 0).  An unknown sku exits 66 naming it; a product\n"
     "related to itself exits 65.  Audited.\n"},
    {"product", "relate-category", cmd_product_relate_category, "product relate-category PATH PATH",
     "mark two categories as related (symmetric)",
     "Relates two category paths both ways (stored once), creating the category\n"
     "row of a path that has none.  A path with no product at or below it exits 66\n"
     "naming it; a malformed path or a path related to itself exits 65.  Relating\n"
     "them again changes nothing and says so (exit 0).  Audited.\n"},
    {"order", "import", cmd_order_import, "order import FILE.csv [--skip-invalid]",
     "load purchases (for the existing-customer exception)",
     "Header row names the columns (any order): order_id, email, sku, ordered_at\n"
     "(ISO 8601; all four required), legal_entity (the seller; default: the key\n"
     "legal_entity), collected_in_sale (true/false, default true), opt_out_offered\n"
     "(true/false, default false).  One row per order line, upserted on (order_id,\n"
     "sku): importing the same file again changes nothing.  An unknown email\n"
     "creates the contact without consent, unless the address is suppressed: that\n"
     "row is counted as suppressed and stored nowhere.  An unknown seller creates\n"
     "the legal entity.  An unknown sku, or an order line repeated with other\n"
     "values, is a bad row.  Bad rows, --skip-invalid and the summary line as in\n"
     "product import.\n"
     "\n"
     "  -s, --skip-invalid   load the good rows, report the bad ones, exit 0\n"},
    {"activity", "import", cmd_activity_import, "activity import FILE.csv [--skip-invalid]",
     "load viewed products and downloads (tracking consent only)",
     "Header row names the columns (any order, all required): email, kind (view or\n"
     "download), item (sku or document id, 1-200 bytes), at (ISO 8601).  Rows of\n"
     "unknown contacts or of contacts without a current consent to the topic\n"
     "tracking are dropped and counted (exit 0); what they held is stored nowhere,\n"
     "the audit log included.  Contacts are never created.  When a tracking consent\n"
     "ends (withdrawal, objection, erasure) the contact's activity is deleted;\n"
     "maintenance deletes activity older than activity_retention.  Bad rows,\n"
     "--skip-invalid and the summary line as in product import.\n"
     "\n"
     "  -s, --skip-invalid   load the good rows, report the bad ones, exit 0\n"},
    {"subscribe", NULL, cmd_subscribe,
     "subscribe EMAIL --topic T [--topic T2] [--consent-text ID ...] [--age-confirmed] "
     "[--ip IP] [--user-agent UA] [--source S] [--locale L]",
     "start double opt-in: pending consent and a confirmation mail",
     "Records a 'requested' event per topic with its consent text and sends one\n"
     "confirmation mail (no advertising) with a link to base_url/confirm/TOKEN at\n"
     "once, reporting the relay's answer.  A mail the relay defers (4xx, exit 75)\n"
     "or that cannot reach the relay (exit 69) stays queued: `serve` or `dispatch`\n"
     "sends it later.  A refused mail (5xx) exits 65.  The address is stored and\n"
     "mailed trimmed, with an international domain as A-labels.  Nothing counts as\n"
     "consent until the person confirms.  At most confirm_mail_limit mails per\n"
     "address in 24 hours (exit 75 beyond).\n"
     "\n"
     "  -t, --topic T          topic (repeatable; one consent per topic)\n"
     "  -x, --consent-text ID  the consent text shown, one per --topic in order\n"
     "                         (default: the latest text of the topic)\n"
     "  -a, --age-confirmed    the person attested the consent age (needed when no\n"
     "                         birth date is known)\n"
     "  -i, --ip IP, -u, --user-agent UA, -s, --source S   proof of the request\n"
     "  -l, --locale L         language of the mail and pages (en, de)\n"},
    {"unsubscribe", NULL, cmd_unsubscribe,
     "unsubscribe EMAIL [--topic T] [--reason TEXT] [--suppress]",
     "record an opt-out received by other means",
     "Without --topic this is an objection to all marketing (GDPR Art. 21).\n"
     "Takes effect at once; only the person's own new confirmation lifts it.\n"
     "EMAIL must be a contact: an unknown address exits 66 and nothing is stored.\n"
     "With --suppress the address also goes on the do-not-contact list: it is\n"
     "never mailed again (not even a confirmation mail) and never imported again.\n"
     "For an unknown address that stores only its keyed hash: no contact, and the\n"
     "address nowhere in the database, the audit log included.\n"
     "\n"
     "  -t, --topic T       withdraw only this topic\n"
     "  -r, --reason TEXT   note kept with the event\n"
     "  -s, --suppress      also suppress the address (reason admin)\n"},
    {"pause", NULL, cmd_pause, "pause EMAIL --months N [--reason TEXT]",
     "pause all marketing to a contact for N months (0: resume)",
     "Records a 'paused' ledger event for all marketing that ends N calendar\n"
     "months from now (UTC); until then the legal-basis engine excludes the\n"
     "contact with the reason paused (after suppressed, objected and\n"
     "unsubscribed, before minor), at once and at every later claim.  A pause is\n"
     "no opt-out: it withdraws no consent, lifts no objection, and confirmations\n"
     "still work.  The latest pause decides: --months 0 ends a running pause now.\n"
     "A pause already running at least as long changes nothing (still audited).\n"
     "The CRM webhook outbox gets a 'paused' event.  Only for a known address\n"
     "(unknown: exit 66); N outside 0-24 exits 65; nothing is written then.\n"
     "\n"
     "  -m, --months N      1 to 24 months; 0 resumes\n"
     "  -r, --reason TEXT   note kept with the event\n"},
    /* segments (issue 8) */
    {"segment", "create", cmd_segment_create, "segment create NAME --where EXPR",
     "store a named recipient condition",
     "NAME is 1-63 lower-case letters, digits, '_', '.' or '-'.  EXPR (grammar in\n"
     "mailout(1) and INTERFACE.md) is checked first: a syntax error names its\n"
     "line and column ('segment: 1:23: expected ')''), exit 65, nothing stored.\n"
     "Fields: email (case-insensitive), name, country, locale, birth_date\n"
     "('YYYY-MM-DD'), attr.NAME (declared in contact_attributes); operators\n"
     "= != < <= > >= LIKE, [NOT] IN (...), IS [NOT] NULL; AND, OR, NOT, ( );\n"
     "bought(sku 'X' [, DAYS]), bought(category 'PATH' [, DAYS]), viewed(...),\n"
     "downloaded(...) (only contacts with a current tracking consent who are not\n"
     "known minors), subscribed('TOPIC'); 'true' alone is every contact.  Values\n"
     "are always passed as parameters.  A segment chooses whom to consider; the\n"
     "legal-basis engine still decides who may be mailed.  An existing NAME exits\n"
     "65.  A sensitive attribute (NAME:sensitive) is allowed with a warning: it\n"
     "matches only contacts who consented under a text explicit for it\n"
     "(consent-text add --explicit), and a campaign using it needs such a text.\n"
     "\n"
     "  -w, --where EXPR   the condition (required)\n"},
    {"segment", "count", cmd_segment_count, "segment count NAME",
     "count the contacts a segment selects now",
     "Prints the number of contacts the segment selects, with now as the\n"
     "reference time of DAYS windows.  With --json: {\"segment\": NAME,\n"
     "\"count\": N}.  An unknown segment exits 66.  Writes nothing.\n"},
    {"serve", NULL, cmd_serve, "serve",
     "run the HTTP endpoints (subscribe, confirm, metrics) and the confirmation sender",
     "Listens on the key listen: GET/POST /subscribe, GET/POST /confirm/TOKEN,\n"
     "GET /healthz, GET /metrics, and with admin_token_file the read-only admin view\n"
     "under /admin.  POST /subscribe answers before any SMTP traffic:\n"
     "a sender thread sends the queued confirmation mails afterwards (woken at once,\n"
     "or every second), retrying a deferral (4xx) with growing pauses until the\n"
     "token expires and recording a refusal (5xx).  Stops on SIGINT or SIGTERM\n"
     "within a few seconds, even when the relay hangs (its mails are tried again).\n"
     "Purges expired pending requests once an hour.\n"},
    {"dispatch", NULL, cmd_dispatch, "dispatch [--once] [--resend-uncertain]",
     "work the send queue: campaign runs and confirmation mails",
     "Sends the campaign runs built by `campaign send` and the confirmation mails of\n"
     "double opt-in.  Each worker claims up to 100 due rows, re-checks every legal\n"
     "basis (a revocation since `campaign send` excludes the recipient, with the\n"
     "reason), renders, signs (DKIM when configured) and sends them over one SMTP\n"
     "session, then records every attempt in send_records.  4xx: retried later\n"
     "(1 min, doubling, given up as failed after 8 attempts); 5xx: failed, and a\n"
     "mailbox that does not exist is suppressed (hard bounce).  A relay that cannot\n"
     "be reached loses nothing: the rows wait and are sent when it is back.\n"
     "Several dispatchers, on one host or several, share the queue with no\n"
     "duplicate and no gap; rows of a dispatcher that died come back (claimed)\n"
     "or become uncertain (inside an SMTP session: never re-sent by themselves).\n"
     "SIGINT or SIGTERM: the session in flight finishes and is recorded, claimed\n"
     "rows are given back, exit 0.  On a terminal a progress line is shown.\n"
     "\n"
     "  -o, --once            send until nothing is due (never waiting for rows\n"
     "                        another live dispatcher holds), print a summary, exit 0\n"
     "                        (refused or deferred mails do not change the exit\n"
     "                        code; an unreachable relay exits 69)\n"
     "  -j, --sessions N      worker threads, each with its own SMTP session\n"
     "                        (default 2, at most 16)\n"
     "      --resend-uncertain  first queue the uncertain rows again (recorded in the\n"
     "                        audit log); their recipients may get a second copy\n"},
    {"run", NULL, cmd_run, "run [--sessions N]",
     "run everything: the scheduler, dispatch, the HTTP endpoints and the senders",
     "One long-running process with the scheduler (due schedule occurrences become\n"
     "runs, each exactly once), the dispatch workers (as `dispatch`), the HTTP\n"
     "endpoints (as `serve`), the confirmation-mail sender and the CRM webhook\n"
     "deliverer.  Several `run` processes may share one database: they never start\n"
     "the same occurrence twice and share the sending.  An occurrence that fell due\n"
     "while every service was down runs at start-up when it is at most\n"
     "schedule_grace old (default 1h); older ones are recorded as skipped.\n"
     "`maintenance` runs a few seconds after the start and then every\n"
     "maintenance_interval (default 24h), as actor maintenance; a failure is logged\n"
     "and tried again at the next turn.\n"
     "\n"
     "SIGTERM or SIGINT: the HTTP listener closes, SMTP sessions in flight (at most\n"
     "20 messages each) finish and are recorded, claimed rows are given back, exit\n"
     "0 within 30 s; a session stuck with a relay that stopped answering is left\n"
     "behind, its rows uncertain.  SIGHUP reads the configuration file again: a\n"
     "file that does not load (or whose keys cannot be read) is refused with one\n"
     "log line naming file:line and key, and the running configuration is kept;\n"
     "a good one is applied by stopping everything as for SIGTERM and starting it\n"
     "again, the HTTP listener included.\n"
     "\n"
     "Logs one line per event to stderr, filtered by log_level: start, reload\n"
     "(reloaded or refused), stop, and each mail; contacts by id, never by address.\n"
     "contrib/systemd/mailout.service runs it under systemd (journald logging).\n"
     "\n"
     "  -j, --sessions N   dispatch worker threads (default 2, at most 16)\n"},
    {"maintenance", NULL, cmd_maintenance, "maintenance [--dry-run] [--json]",
     "storage limitation: expired requests, old activity, idle contacts, old replies",
     "Deletes double-opt-in requests that expired more than pending_retention ago\n"
     "(default 7d) and web activity older than activity_retention (default 180d);\n"
     "erases, as `erase` does (tombstone, suppression entry, history without its\n"
     "personal fields), every contact without a current consent to any topic that\n"
     "was stored, ordered, active on the web, mailed and acted in the consent\n"
     "ledger last more than contact_retention_months ago (default 36 calendar\n"
     "months; a lapse a campaign run recorded does not count; erased contacts are\n"
     "skipped); and sets the SMTP reply of send records older than\n"
     "reply_retention_months (default 24) to NULL.  Each step records its counts in\n"
     "the audit log, never an address.  `run` does all this daily.\n"
     "\n"
     "  -n, --dry-run   print what would go (counts; the idle contacts by id and\n"
     "                  address) and change nothing, not even the audit log\n"},
    {"policy", "show", cmd_policy_show, "policy show [COUNTRY] [--json]",
     "show the jurisdiction policies (RULES.md section 9)",
     "Prints one row per country, '*' first: the policy for every country without\n"
     "a row of its own (the strictest).  With COUNTRY ('*' or an ISO 3166 alpha-2\n"
     "code, any case) only the row that applies to it: its own, or '*' (and says\n"
     "so).  --json (a global option) prints the rows as a JSON array of objects\n"
     "with every key and the note; a '*' row shown for another country has\n"
     "\"fallback_for\": COUNTRY.\n"},
    {"policy", "set", cmd_policy_set, "policy set COUNTRY KEY VALUE",
     "change one value of a jurisdiction policy (audited)",
     "COUNTRY is '*' or an ISO 3166 alpha-2 code (any case, stored in upper case).\n"
     "A country without a row of its own gets one, copied from '*', first.  Every\n"
     "change is recorded in the audit log (policy.set: key, old and new value).\n"
     "A bad key or value exits 65 and changes nothing.  Keys and values:\n"
     "  consent_age               13-18 (GDPR Art. 8)\n"
     "  existing_customer_months  0-24 (0: no existing-customer exception; never\n"
     "                            beyond 24, RULES.md 10.3)\n"
     "  inquiry_months            0-6\n"
     "  opt_out_regime            true or false (marketing without prior consent)\n"
     "  double_opt_in             true or false\n"
     "  consent_lapse_months      0-120 (0: consent never lapses)\n"
     "  frequency_cap_day, frequency_cap_week, frequency_cap_month\n"
     "                            0 or more messages (0: no cap)\n"
     "  opt_out_label             1-200 characters, no control characters\n"
     "  charity_soft_opt_in       true or false (UK PECR reg. 22(3A))\n"
     "  one_click_scope           topic or all (what a one-click unsubscribe\n"
     "                            withdraws: the message's topic, or all marketing)\n"},
    {"template", "add", cmd_template_add,
     "template add NAME --subject TEXT --text FILE [--html FILE] [--locale L]",
     "add a marketing template",
     "NAME is 1-63 lower-case letters, digits, '_', '.' or '-'.  The subject (one\n"
     "line, at most 500 characters) and the parts are logic-less templates\n"
     "({{name}}, {{#attr.vip}}...{{/attr.vip}}); a syntax error exits 65 naming the\n"
     "part and LINE:COL.  Files are UTF-8, at most 1 MiB each ('-' for standard\n"
     "input); a missing file exits 66.  A name already taken exits 65.  A subject\n"
     "starting like a reply or forward (Re:, Fwd:, Fw:, AW:, WG:) exits 65.\n"
     "A part without {{unsubscribe_url}} or without {{postal_address}} gets the\n"
     "standard footer of the locale (the right to object, free of charge, with the\n"
     "unsubscribe and preferences links, legal entity and postal address) appended\n"
     "before it is stored, and a line on standard error says so.  Templates never\n"
     "set headers: mailout alone writes From, To, List-Unsubscribe and the like.\n"
     "Variables: email, name, country, locale, attr.NAME, unsubscribe_url,\n"
     "preferences_url, from_name, legal_entity, postal_address, campaign, topic.\n"
     "\n"
     "  -s, --subject TEXT   the subject line template (required)\n"
     "  -t, --text FILE      the text/plain part (required)\n"
     "  -H, --html FILE      the text/html part\n"
     "  -l, --locale L       en (default) or de: the language of the standard footer\n"},
    {"test-mail", NULL, cmd_transport_test, "test-mail EMAIL [--count N] [--from ADDR]",
     "send N plain test messages through the configured transport",
     "Sends N (default 1) short test messages to EMAIL through the configured\n"
     "transport, all over one SMTP session, and prints each outcome.  Checks the\n"
     "transport settings; the messages carry no marketing.  They are DKIM-signed\n"
     "like all mail when dkim_key_file is set (a bad key exits 65, nothing sent).\n"
     "\n"
     "  -n, --count N     number of messages (1-100)\n"
     "  -f, --from ADDR   envelope and header sender (default: the key from)\n"},
    {"doctor", NULL, cmd_doctor, "doctor",
     "check configuration, database, relays, DKIM key and DNS records before sending",
     "Prints one finding per line, 'ok: ...', 'warning: ...' or 'error: ...' (with\n"
     "--json an array of {level, check, message}).  Checks: the sender identity\n"
     "(from, postal_address, legal_entity, privacy_url) and what marketing mail\n"
     "needs; the database is reachable and every migration applied; each relay\n"
     "accepts a TCP connection and greets with 220 (3 s timeouts); the DKIM keys\n"
     "load and are strong enough (RSA of at least 1024 bits, 2048 recommended).\n"
     "When DNS answers (2 s timeouts): the TXT record SELECTOR._domainkey.DOMAIN\n"
     "publishes our public key (the record to publish is printed when not), the\n"
     "From domain has an SPF record and a DMARC record with p=, and the\n"
     "unsubscribe domains (base_url host, unsubscribe_mailto domain) have MX or\n"
     "A records.  Exit 65 when an error means a send would be refused\n"
     "(configuration, DKIM key, database); otherwise 0.  DNS findings are only\n"
     "warnings, a failed lookup too.  Changes nothing.\n"},
    {"campaign", "create", cmd_campaign_create,
     "campaign create NAME --topic T --template T --segment S [--promotes SKU,...] "
     "[--category PATH,...] [--legal-entity NAME]",
     "a campaign: what to send, to whom, about what, on whose behalf",
     "The segment chooses whom to consider; the legal-basis engine decides, per\n"
     "contact, whether the campaign may be sent to them.  Recipients need consent\n"
     "to the topic, or (existing customers) a purchase related to what the campaign\n"
     "promotes: the same sku, a sku in a promoted category or below it, or an\n"
     "explicit product or category relation.  A campaign that promotes nothing\n"
     "reaches customers only through their consent.  The sender's legal entity\n"
     "defaults to the key legal_entity (created if new); without one the campaign\n"
     "is refused (exit 65).  Unknown topic, template, segment or sku, or a category\n"
     "no product is in, exit 66.\n"
     "\n"
     "  -t, --topic T          the purpose recipients consented to\n"
     "  -T, --template T       the message template\n"
     "  -s, --segment S        the contacts considered\n"
     "  -p, --promotes SKU,..  products the campaign promotes\n"
     "  -c, --category PATH,.. categories it promotes (a path covers everything below)\n"
     "  -l, --legal-entity N   the sender's legal entity\n"},
    {"campaign", "explain", cmd_campaign_explain,
     "campaign explain NAME [--contact EMAIL | --since-last-run] [--at TIME] [--limit N]",
     "who may be mailed and why: counts per basis and reason, or one contact's path",
     "Runs the legal-basis engine over the campaign's segment and prints the\n"
     "number of contacts per basis (consent, existing_customer, opt_out_regime)\n"
     "and per exclusion reason (suppressed, objected, unsubscribed, paused, minor,\n"
     "frequency_cap, consent_expired, unrelated_purchase, purchase_too_old,\n"
     "different_legal_entity, not_collected_in_sale, no_opt_out_offered,\n"
     "no_basis); the total is the segment's size.  Writes nothing: a lapsed\n"
     "consent is only reported here and recorded when a run is built.\n"
     "\n"
     "  -c, --contact EMAIL    one contact's decision, rule by rule, with evidence\n"
     "                         (the consent event, or the order and its relation)\n"
     "  -s, --since-last-run   who gained, lost or changed a basis since the last\n"
     "                         run was built, and why\n"
     "  -a, --at TIME          decide as of TIME (ISO 8601; default now): ages,\n"
     "                         purchase windows, lapses and caps are counted to\n"
     "                         TIME; every event recorded so far counts\n"
     "  -n, --limit N          contacts listed by --since-last-run (default 100)\n"},
    {"campaign", "schedule", cmd_campaign_schedule,
     "campaign schedule NAME --at TIME [--tz ZONE] [--rrule RULE] | --ics FILE | --list "
     "[--count N] | --export | --clear",
     "when a campaign runs: once, a recurrence, or an iCalendar event",
     "Sets (replaces), shows, exports or removes the campaign's schedule; exactly\n"
     "one of --at, --ics, --list, --export, --clear.  `mailout run` makes one run\n"
     "per occurrence.  libical does the calendar arithmetic (RRULE, EXDATE, RDATE,\n"
     "time zones from the system tzdata); a recurrence keeps its wall-clock time\n"
     "across daylight-saving changes.\n"
     "\n"
     "  -a, --at TIME      once at TIME, or the start of --rrule.  TIME is ISO 8601\n"
     "                     YYYY-MM-DDTHH:MM[:SS], read in --tz unless it ends in Z\n"
     "                     or an offset such as +01:00\n"
     "  -z, --tz ZONE      IANA zone for TIME and the recurrence (default UTC)\n"
     "  -r, --rrule RULE   RFC 5545 recurrence rule, e.g. FREQ=WEEKLY;BYDAY=TU or\n"
     "                     FREQ=MONTHLY;BYDAY=1MO;COUNT=6 (FREQ DAILY, WEEKLY,\n"
     "                     MONTHLY or YEARLY; COUNT or UNTIL; BYHOUR allowed)\n"
     "  -i, --ics FILE     a VCALENDAR with one VEVENT (or a bare VEVENT; - reads\n"
     "                     stdin): DTSTART;TZID=Zone or UTC (a floating DTSTART is\n"
     "                     refused), RRULE, EXDATE, RDATE\n"
     "  -l, --list         the next occurrences in the zone and in UTC, and the\n"
     "                     occurrences handled so far (runs, and skipped ones with\n"
     "                     their reason)\n"
     "  -n, --count N      occurrences --list shows (default 10, at most 1000)\n"
     "  -e, --export       print the schedule as an .ics file with its VTIMEZONE,\n"
     "                     for calendar applications\n"
     "  -x, --clear        remove the schedule (handled occurrences stay recorded)\n"
     "\n"
     "Refused with exit 65, nothing written: a malformed TIME, an unknown zone, an\n"
     "invalid rule (the message names the part), a local time inside a\n"
     "spring-forward gap (it does not exist), and a schedule with no occurrence\n"
     "after now.  An ambiguous local time (the hour repeated when clocks go back)\n"
     "takes its first instance and says so on stderr.  Unknown campaign: 66.\n"},
    {"campaign", "window", cmd_campaign_window,
     "campaign window NAME [--days DAYS] [--hours HH:MM-HH:MM] | --clear",
     "when mail may reach each recipient: weekdays and hours in their local time",
     "Sets, clears or (without options) shows the campaign's send window.  Mail\n"
     "goes out only while it is open in the recipient's local time: the zone of\n"
     "the contact's time_zone (import column), else its country's zone where the\n"
     "country has one (DE yes, US no), else the campaign's zone (its schedule's\n"
     "zone), else UTC.  A recipient outside the window stays queued, due at the\n"
     "next opening (set when the run is built, and again at claim if the window\n"
     "closed meanwhile); the legal basis is checked when the row is finally\n"
     "claimed.  Setting or clearing re-times the queued recipients of unfinished\n"
     "runs.  'campaign status' shows how many wait.  A window ends on the day it\n"
     "starts: the end must be after the start (24:00 is the end of the day), so\n"
     "a window never crosses midnight.  Bad values exit 65; --clear with --days or\n"
     "--hours exits 64; an unknown campaign exits 66.  Audited (campaign.window).\n"
     "\n"
     "  -d, --days DAYS          weekdays: mon tue wed thu fri sat sun, lists and\n"
     "                           ranges (mon-fri, mon,wed,fri, sat-sun, fri-mon);\n"
     "                           default every day\n"
     "  -H, --hours HH:MM-HH:MM  local opening and closing time, e.g. 09:00-17:00;\n"
     "                           default 00:00-24:00\n"
     "  -c, --clear              remove the window: send at any time\n"},
    {"campaign", "send", cmd_campaign_send, "campaign send NAME",
     "build a run now: decide every contact and queue those with a basis",
     "Decides every contact of the segment with the legal-basis engine, records\n"
     "each decision, queues one send row per contact with a basis (dispatch sends\n"
     "them, checking the basis again when it claims each one) and records the\n"
     "'expired' ledger event of every lapsed consent once.  One transaction; sends\n"
     "nothing itself.  Refused (exit 65) while the campaign's last run is not done,\n"
     "and, with nothing built, when the configuration cannot send marketing mail\n"
     "(from, postal_address, base_url).  Without DKIM (dkim_key_file) it warns:\n"
     "mailbox providers then offer no one-click unsubscribe (RFC 8058).\n"},
    {"campaign", "preview", cmd_campaign_preview, "campaign preview NAME --contact EMAIL",
     "print the exact message one contact would get, writing nothing",
     "Prints the full MIME message campaign NAME would send to the contact now,\n"
     "raw on standard output: the rendered template, the list headers\n"
     "(List-Unsubscribe, List-Unsubscribe-Post, List-Id), the standard footer where\n"
     "the rendered template lacks the unsubscribe link or the postal address, the\n"
     "advertisement label under the opt-out regime, and the DKIM signature when\n"
     "DKIM is configured.  Its unsubscribe links carry a placeholder token that no\n"
     "endpoint accepts.  Writes nothing.  For a contact without a legal basis (or\n"
     "outside the segment) the message is still printed and the exclusion reason\n"
     "is named on standard error; exit 0.  Unknown campaign or contact: exit 66;\n"
     "a configuration that cannot send marketing mail (from, postal_address,\n"
     "base_url https:// except on loopback) or contact data that cannot go into\n"
     "a header (a line break in the name): exit 65.\n"
     "\n"
     "  -c, --contact EMAIL    the recipient (required)\n"},
    {"campaign", "retry", cmd_campaign_retry, "campaign retry NAME",
     "queue the failed recipients of the last run again",
     "Puts every failed recipient of the campaign's last run back in the queue,\n"
     "due now, with its attempts kept; dispatch checks each one's basis again\n"
     "when it claims it (a hard bounce since suppressed is then excluded).  A\n"
     "done run is reopened (queued); deferred recipients retry by themselves.\n"
     "Nothing failed: says so, exit 0.  A cancelled last run, or none: exit 65.\n"
     "Unknown campaign: exit 66.  Audited (campaign.retry).\n"},
    {"campaign", "pause", cmd_campaign_pause, "campaign pause NAME",
     "stop dispatch from claiming more of the last run",
     "Pauses the campaign's last run (queued or sending): workers claim nothing\n"
     "more from it and give back the rows they hold at their next handover; the\n"
     "SMTP transaction in flight finishes.  Already paused: says so, exit 0.  A\n"
     "done or cancelled last run, or none: exit 65.  Unknown campaign: exit 66.\n"
     "Audited (campaign.pause).\n"},
    {"campaign", "resume", cmd_campaign_resume, "campaign resume NAME",
     "let dispatch work a paused run again",
     "Resumes the campaign's paused last run: it becomes sending when any of its\n"
     "recipients was already claimed or attempted, else queued.  Not paused\n"
     "(queued or sending): says so, exit 0.  A done or cancelled last run, or\n"
     "none: exit 65.  Unknown campaign: exit 66.  Audited (campaign.resume).\n"},
    {"campaign", "cancel", cmd_campaign_cancel, "campaign cancel NAME",
     "cancel the last run: its queued recipients are never sent",
     "Cancels the campaign's last run (queued, sending or paused): its queued\n"
     "recipients become cancelled at once, in the same transaction; rows a worker\n"
     "already holds become cancelled when it hands them back, and a message\n"
     "already inside an SMTP session completes.  The campaign may then be sent\n"
     "again.  Already cancelled: says so, exit 0.  A done last run, or none: exit\n"
     "65.  Unknown campaign: exit 66.  Audited (campaign.cancel).\n"},
    {"campaign", "status", cmd_campaign_status, "campaign status NAME",
     "progress of every run: queued, sent, failed, uncertain",
     "Prints one line per run of the campaign, newest first: its state (queued,\n"
     "sending, paused, done, cancelled) and its recipients by outcome.  queued\n"
     "counts every recipient not yet settled (waiting, claimed or inside an SMTP\n"
     "session); deferred, those of them waiting after a temporary failure;\n"
     "uncertain, those a stopped worker may or may not have delivered (sent again\n"
     "only by 'dispatch --resend-uncertain'); excluded, those whose basis was gone\n"
     "at claim.  Exit 0 whatever the recipients' states; unknown campaign: 66.\n"
     "--json: {\"campaign\": NAME, \"runs\": [{\"run\", \"state\", \"recipients\",\n"
     "\"queued\", \"sent\", \"failed\", \"uncertain\", \"excluded\", \"cancelled\",\n"
     "\"deferred\", \"in_flight\", \"created_at\", \"finished_at\"}]}.\n"},
    /* issue 10: h-webhook */
    {"webhook", "status", cmd_webhook_status, "webhook status [--json]",
     "CRM webhook outbox: pending, delivered, dead letters",
     "Counts the consent changes queued for the CRM webhook (webhook_url): pending\n"
     "(not yet delivered; how many are being sent now and the age of the oldest),\n"
     "delivered, dead letters and failed attempts, then lists up to 20 dead letters\n"
     "(id, event, contact id, attempts, last HTTP status or error).  Writes nothing.\n"
     "--json: {\"configured\", \"pending\", \"in_flight\", \"delivered\", \"dead\",\n"
     "\"failed_attempts\", \"oldest_pending_seconds\" (null when none),\n"
     "\"dead_letters\": [{\"id\", \"event\", \"contact_id\", \"attempts\", \"last_status\",\n"
     "\"last_error\", \"dead_at\"}]}.\n"},
    {"webhook", "retry", cmd_webhook_retry, "webhook retry [--id ID]",
     "send the CRM webhook's dead letters again",
     "Queues every dead letter (or only outbox row ID) again with a fresh round of\n"
     "webhook_max_attempts attempts; `serve` delivers them.  A dead letter does not\n"
     "hold back its contact's later events, so a retried one may arrive after\n"
     "them: receivers apply an event only if its id is higher than the last one\n"
     "they applied for that contact.  Prints how many were queued.  An ID that is\n"
     "no dead letter exits 66.  Audited (webhook.retry, with the ids).\n"
     "\n"
     "  -i, --id ID   only this outbox row\n"},
    /* issue 12: h-audit */
    {"audit", "contact", cmd_audit_contact, "audit contact EMAIL [--json|--csv]",
     "everything done about one person: consent proof, sends, revocations, webhooks",
     "Prints the contact, every consent event with its proof (topic, kind, time,\n"
     "source, channel, actor, consent text id, version and SHA-256, IP, user agent,\n"
     "address entered, token and receipt SHA-256, request id), every send with its\n"
     "legal basis, evidence and SMTP outcome (status, code, reply, Message-ID, run,\n"
     "campaign), every revocation (withdrawn, objected, paused) with its channel and\n"
     "the message it came from (campaign and run), and every CRM webhook delivery.\n"
     "Writes nothing.  Unknown address: 66.\n"
     "--json: {\"contact\": {...}, \"consent_events\": [...], \"sends\": [...],\n"
     "\"revocations\": [...], \"webhook_deliveries\": [...]} (keys in mailout(1)).\n"
     "\n"
     "      --csv   one RFC 4180 row per event (section, id, at, kind, topic, channel,\n"
     "              source, actor, basis, status, smtp_code, message_id, run_id,\n"
     "              campaign, consent_text_sha256, ip, user_agent)\n"},
    {"audit", "campaign", cmd_audit_campaign, "audit campaign NAME [--json|--csv]",
     "per run: recipients per basis and exclusion, outcomes, unsubscribes, complaints",
     "For every run of the campaign: contacts considered, recipients per legal basis\n"
     "and excluded contacts per reason (as the engine decided when the run was\n"
     "built), sent, failed, uncertain and bounced, unsubscribes and complaints\n"
     "made from the run's messages, and their rates over the sent count.  Writes\n"
     "nothing.  Unknown campaign: 66.\n"
     "--json: {\"campaign\": {...}, \"runs\": [{\"run_id\", \"state\", \"started_at\",\n"
     "\"finished_at\", \"considered\", \"recipients\", \"by_basis\": {...},\n"
     "\"excluded\": {...}, \"sent\", \"failed\", \"uncertain\", \"bounced\",\n"
     "\"unsubscribes\", \"complaints\", \"unsubscribe_rate\", \"complaint_rate\",\n"
     "\"bounce_rate\"}]}.\n"
     "\n"
     "      --csv   one RFC 4180 row per run, a basis_X and excluded_X column each\n"},
    {"audit", "log", cmd_audit_log, "audit log [--since TIME] [--json|--csv]",
     "admin actions: command, OS user, host, time, objects by id",
     "Lists the hash-chained audit log: sequence, time, actor (cli:USER for the\n"
     "command line, else http, web, inbound, system), the host a command ran on,\n"
     "the action (the command, e.g. campaign.send), the object (an id or name,\n"
     "never an address) and the detail.  Writes nothing.\n"
     "--json: {\"entries\": [{\"seq\", \"at\", \"actor\", \"user\", \"host\",\n"
     "\"action\", \"object\", \"detail\"}]}.\n"
     "\n"
     "      --since TIME   only entries at or after TIME (ISO 8601; UTC unless it\n"
     "                     ends in Z or an offset); a bad TIME exits 65\n"
     "      --csv          RFC 4180 rows: seq, at, actor, user, host, action, object,\n"
     "                     detail\n"},
    {"export", NULL, cmd_export, "export EMAIL",
     "everything held on one person as one JSON document (GDPR Art. 15)",
     "Prints one JSON document (with or without --json): the contact and its\n"
     "attributes, purposes and the consent state per topic, consent events with\n"
     "their proof and the exact consent texts, orders and activity, sends with\n"
     "their basis, revocations, bounces, CRM webhook deliveries, who receives the\n"
     "data (the webhook endpoint, the SMTP relays), retention periods, the source\n"
     "and the person's rights with how to exercise them.  Fields: mailout(1),\n"
     "EXPORT FORMAT.  Audited (contact.export, object contact:ID).  Unknown\n"
     "address: 66.\n"},
    /* issue 12: h-chain */
    {"audit", "verify", cmd_audit_verify, "audit verify [--json]",
     "check the hash chains of the audit log, consent ledger and send records",
     "Links the consent events and send records not sealed yet into their hash\n"
     "chains, then checks in one snapshot, streaming in batches:\n"
     "  - audit_log: every entry's hash recomputed (audit_log_hash), each entry's\n"
     "    prev_hash equal to the hash before it, seq from 1 without gaps;\n"
     "  - the consent chain (consent_events) and the send chain (send_records):\n"
     "    each link's hash and prev_hash, seq from 1 without gaps, the row of\n"
     "    each link present and its digest recomputed, and every row linked\n"
     "    (or still queued for sealing).\n"
     "Digests cover every column; personal columns (the address entered, IP and\n"
     "user agent of a consent event, the SMTP reply of a send) enter only as a\n"
     "keyed hash under a key derived from the suppression key, so an erasure\n"
     "leaves the chains intact while any other change to a row breaks them.\n"
     "Exit 0 when everything is intact, printing per chain the entries checked\n"
     "and the hash of the last one (record it elsewhere: a later verify that\n"
     "shows another head for the same entries means the end was rewritten).\n"
     "Exit 65 naming the first broken entry in one line, e.g.\n"
     "  audit verify: consent_events id 42 (consent chain seq 17): edited (digest differs)\n"
     "Causes: edited, deleted, inserted outside mailout (no chain link), missing\n"
     "(a chain entry deleted), link edited, does not follow (prev_hash differs).\n"
     "--json: {\"intact\": true, \"chains\": [{\"chain\", \"entries\", \"head\"}]}, or\n"
     "{\"intact\": false, \"broken\": TEXT} with exit 65.\n"},
    /* issue 13: h-ropa */
    {"audit", "ropa", cmd_audit_ropa, "audit ropa [--json]",
     "records of processing (GDPR Art. 30(1)(a)-(g)) from configuration and data",
     "Prints the records of processing activities, one section per point of\n"
     "GDPR Art. 30(1): (a) the controller (legal_entity, from, reply_to,\n"
     "postal_address, privacy_url, imprint_url, the legal entities); (b) the\n"
     "purposes: every topic with its current consent text per locale (id,\n"
     "version, SHA-256), the existing-customer exception (policy windows,\n"
     "catalogue relations) and activity tracking; (c) the data subjects with\n"
     "counts (subscribers per topic, customers with orders, contacts per source)\n"
     "and the categories of data (contact fields, declared contact_attributes,\n"
     "those ending in :sensitive marked as special category, orders, web\n"
     "activity, consent proof, send log); (d) the recipients (processors), or\n"
     "\"none\" when mail stays on the sender's own infrastructure; (e) transfers\n"
     "outside the EEA with their mechanism, and residency; (f) retention periods;\n"
     "(g) security measures (roles, append-only history, hash chains, keyed\n"
     "hashes, TLS, DKIM, admin view, /metrics).  Writes nothing.\n"
     "Required: legal_entity, from, a country for every processor, and a\n"
     "transfer mechanism for a processor in a third country without an adequacy\n"
     "decision.  A missing one exits 65 naming it, e.g.\n"
     "  audit ropa: processor 'Acme Mail' has no country\n"
     "--json: {\"format\", \"generated_at\", \"a_controller\", \"b_purposes\",\n"
     "\"c_categories\", \"d_recipients\", \"e_transfers\", \"f_retention\",\n"
     "\"g_security\"} (keys in mailout(1), RECORDS OF PROCESSING).\n"},
    /* issue 10: inbound mail (h-inbound) */
    {"inbound", NULL, cmd_inbound, "inbound [--dry-run]",
     "read one mail message on stdin: mailto unsubscribe, bounce or complaint",
     "Reads one RFC 5322 message from standard input, as an MTA's pipe delivers it,\n"
     "and acts on it in one transaction:\n"
     "  - an ARF complaint (RFC 5965; also Microsoft JMRP): the person, found by the\n"
     "    returned message's unsubscribe token, its Message-ID or the reported\n"
     "    recipient, objects to all marketing (channel complaint) and the address\n"
     "    is suppressed;\n"
     "  - a bounce, a DSN (RFC 3464) or a plain-text one (qmail, Postfix, Exim,\n"
     "    Sendmail, Exchange, ...): each recipient is matched on its normalised\n"
     "    address and recorded in the bounces table; a permanent failure (Action\n"
     "    failed, Status 5.x.x) suppresses the address, delays (4.x.x) are counted\n"
     "    and bounce_soft_limit of them within 30 days suppress it;\n"
     "  - mail to unsubscribe_mailto (or its local part +TOKEN): the token of the\n"
     "    address or of the Subject ('unsubscribe TOKEN', as the List-Unsubscribe\n"
     "    mailto writes it) withdraws that message's topic for its recipient\n"
     "    (channel mailto); without a known token the From address, when it is a\n"
     "    known contact, objects to all marketing.\n"
     "Anything else that is mail (an auto-reply, a positive delivery report) is\n"
     "recognised and ignored.  Exit 0 when handled or ignored (a bounce or\n"
     "complaint about an address that is no contact is ignored, said on stderr);\n"
     "65 when the input is not a mail message (empty, binary, NUL bytes, cut off)\n"
     "or nobody can be attributed (an unknown From without a token): the MTA then\n"
     "returns it and does not retry; 75 only when the database cannot be reached,\n"
     "so the MTA retries.  Prints what was done (--json: one document).\n"
     "\n"
     "Postfix: in master.cf\n"
     "  mailout unix - n n - - pipe flags=Rq user=mailout\n"
     "    argv=/usr/bin/mailout --config /etc/mailout.conf inbound\n"
     "and route the unsubscribe and bounce addresses to it, e.g. transport_maps:\n"
     "  unsubscribe@example.com  mailout:\n"
     "  bounces@example.com      mailout:\n"
     "(or an alias: bounces: \"|/usr/bin/mailout --config /etc/mailout.conf inbound\").\n"
     "Send complaint feedback loops (ARF) to one of them too.\n"
     "\n"
     "  -n, --dry-run   classify and print, touch no database\n"},
    /* issue 13: processors (h-proc) */
    {"processor", "add", cmd_processor_add,
     "processor add NAME --role processor|controller --country CC --host HOST[,HOST...] "
     "[--dpa REF] [--mechanism adequacy|dpf|scc|bcr] [--purpose TEXT]",
     "register a third party that receives personal data (R-GDPR-13)",
     "Registers a processor (acts on our instructions, Art. 28) or an independent\n"
     "controller with the hosts it operates: SMTP relays and webhook receivers.\n"
     "Every relay host of transport and the host of webhook_url must belong to a\n"
     "registered processor before mailout sends to it; loopback hosts and the\n"
     "maildir: transport are exempt.  Hosts are host names (stored as lower-case\n"
     "A-labels) or IP addresses, without port; a host belongs to one processor.\n"
     "With residency = eu (the default, R-GDPR-15) a country outside the EEA needs\n"
     "an adequacy decision (seed table adequacy_countries), or a mechanism: the US\n"
     "needs dpf, scc or bcr; any other country scc or bcr.  adequacy for a country\n"
     "without a decision and dpf outside the US are refused.  With residency = none\n"
     "no country is refused.  Bad values exit 65 naming the option, an existing\n"
     "name or a host of another processor 65, missing options 64; nothing is\n"
     "written then.  Audited (processor.add).\n"
     "\n"
     "  -r, --role ROLE        processor or controller\n"
     "  -c, --country CC       ISO 3166-1 alpha-2 country where the data is processed\n"
     "  -H, --host HOSTS       comma-separated host names or IP addresses\n"
     "  -d, --dpa REF          reference of the data processing agreement\n"
     "  -m, --mechanism M      adequacy, dpf (EU-US Data Privacy Framework), scc, bcr\n"
     "  -p, --purpose TEXT     what the party does with the data\n"},
    {"processor", "list", cmd_processor_list, "processor list [--json]",
     "list the registered processors",
     "One line per processor: name, role, country, mechanism, hosts, and\n"
     "'(breaks residency)' when the current residency setting refuses it.\n"
     "--json: {\"residency\", \"processors\": [{\"name\", \"role\", \"country\",\n"
     "\"hosts\", \"dpa\", \"mechanism\", \"purpose\", \"adequacy\", \"created_at\",\n"
     "\"created_by\", \"residency_ok\", \"residency_problem\"}]}.  Writes nothing.\n"},
    {"processor", "show", cmd_processor_show, "processor show NAME [--json]",
     "show one registered processor",
     "Prints the processor's record (as one element of processor list --json with\n"
     "--json).  Unknown name: exit 66.\n"},
    {"processor", "remove", cmd_processor_remove, "processor remove NAME",
     "remove a registered processor",
     "Removes the processor.  Refused (exit 65) while one of its hosts is a relay of\n"
     "transport or the host of webhook_url: change the configuration first.\n"
     "Unknown name: exit 66.  Audited (processor.remove).\n"},
    /* issue 12: erasure (h-erase) */
    {"erase", NULL, cmd_erase, "erase EMAIL [--json]",
     "erase a person's personal data (GDPR Art. 17); no prompt",
     "Erases the contact with this address (normalized as contact import does)\n"
     "through the database function erase_contact(), owned by the role\n"
     "mailout_eraser, in one transaction: the contact row becomes a tombstone\n"
     "holding only its id and the keyed hash of the address; its attributes,\n"
     "activity, orders, double opt-in requests, confirmation mails, unsubscribe\n"
     "tokens, bounces, unsent queue rows and rate-limit rows are deleted; the\n"
     "address entered, IP and user agent of its consent events and the SMTP\n"
     "replies of its send records are set to NULL (the rows stay, as does the\n"
     "hash chain over them); the address is removed from CRM webhook payloads;\n"
     "the keyed hash goes on the suppression list (reason erased); an 'erased'\n"
     "webhook without the address is queued; an objection to all marketing and\n"
     "an audit entry (contact.erase, the contact id and counts) are recorded.\n"
     "The hash chains are sealed first.  Afterwards an import of the address is\n"
     "counted as suppressed; only the person's own new double opt-in can lift\n"
     "that (R-DOI-6).  Prints what was removed.  Exit 0 when erased, and when\n"
     "the address belongs to a contact erased before ('already erased'); 66 for\n"
     "an unknown address; 65 for an invalid one.\n"},
    /* issue 13: data-subject request log (h-dsr) */
    {"request", "add", cmd_request_add,
     "request add EMAIL --kind access|erasure|objection|rectification [--received DATE] "
     "[--channel C]",
     "record a data-subject request and its due date (GDPR Art. 12(3))",
     "Records an access, erasure, objection or rectification request and prints\n"
     "its id and due date: one month from receipt, the same day number in the\n"
     "next month or that month's last day when it has none (2026-01-31 is due\n"
     "2026-02-28; Regulation 1182/71 Art. 3(2)(c)).  The log holds no address:\n"
     "the person is the contact (live or erased) and the keyed hash of the\n"
     "address, so a request for an address mailout does not know is recorded\n"
     "too.  `export` closes the person's open access requests, `erase` the\n"
     "erasure requests and `unsubscribe` without --topic the objection requests.\n"
     "Audited (request.add).  Exit 65 for a bad address, kind, channel or date.\n"
     "\n"
     "  -k, --kind K         access, erasure, objection or rectification\n"
     "  -r, --received DATE  day of receipt, YYYY-MM-DD, not in the future\n"
     "                       (default: today, UTC)\n"
     "  -c, --channel C      email (default), web, post, phone or other\n"},
    {"request", "list", cmd_request_list, "request list [--open] [--overdue] [--json]",
     "list data-subject requests with their due dates",
     "One line per request: id, kind, channel, received, due date (marked\n"
     "'extended' after an extension), state, days left or overdue, and the\n"
     "person: the address of a live contact, [erased] after erasure, or\n"
     "[unknown HASH-PREFIX] for an address mailout does not know.  --json: an\n"
     "array of objects (fields in mailout(1), REQUEST LOG).\n"
     "\n"
     "      --open      only open requests\n"
     "      --overdue   only open requests past their due date\n"},
    {"request", "extend", cmd_request_extend, "request extend ID --reason TEXT",
     "extend a request by two further months (Art. 12(3))",
     "Moves the due date to three months from receipt (same month arithmetic),\n"
     "once, and only on or before the current due date: the person must be told\n"
     "of the extension and its reasons within the first month.  Refused with exit\n"
     "65 after the due date, for a request already extended or closed, and for a\n"
     "reason that is empty, longer than 500 bytes, not UTF-8, or holds a control\n"
     "character or '@' (the log keeps no address).  Unknown ID: 66.  Audited\n"
     "(request.extend, with the reason).\n"
     "\n"
     "  -R, --reason TEXT   the reasons given to the person\n"},
    {"request", "done", cmd_request_done, "request done ID",
     "close a data-subject request answered by other means",
     "Closes an open request (closed_via manual) and links its audit entry\n"
     "(request.done).  A closed request: 65; unknown ID: 66.\n"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *out)
{
    fprintf(out, "usage: mailout [--config FILE] [--db CONNINFO] [--json] COMMAND [ARGS]\n"
                 "\n"
                 "mailout sends email campaigns only to people it may lawfully write to,\n"
                 "and records every consent, send and unsubscribe in PostgreSQL.\n"
                 "\n"
                 "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s%s%s", commands[i].name, commands[i].sub ? " " : "",
                 commands[i].sub ? commands[i].sub : "");
        fprintf(out, "  %-22s %s\n", name, commands[i].summary);
    }
    fprintf(out,
            "\n"
            "Global options:\n"
            "  -c, --config FILE   configuration file (else $MAILOUT_CONFIG, ./mailout.conf)\n"
            "  -d, --db CONNINFO   database (libpq conninfo or URI; overrides db and $MAILOUT_DB)\n"
            "  -j, --json          print one JSON document on stdout\n"
            "  -h, --help          this help; 'mailout COMMAND --help' for a command\n"
            "  -V, --version       print the version\n"
            "--config, --db and --json may also follow the command words.\n"
            "\n"
            "Exit codes: 0 ok, 64 usage, 65 bad input, 66 missing file or named thing,\n"
            "69 service unavailable, 70 internal error, 75 temporary failure.\n"
            "See mailout(1).\n");
}

static void print_command_help(const struct cli_command *c)
{
    printf("usage: mailout %s\n\n%s.\n\n%s", c->synopsis, c->summary, c->help);
}

/* getopt codes of the global options when they follow the command words */
enum { OPT_G_CONFIG = 0x101, OPT_G_DB, OPT_G_JSON };

static int load_config(struct cli *cli, struct mo_err *err);

int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts,
               const struct option *longopts,
               int (*on_opt)(int c, const char *arg, void *ctx, struct mo_err *err), void *ctx,
               int *optind_out, struct mo_err *err)
{
    struct option all[36];
    size_t n = 0;
    char so[64];
    int c;

    for (; longopts && longopts[n].name && n < 30; n++)
        all[n] = longopts[n];
    all[n++] = (struct option){"help", no_argument, NULL, 'h'};
    /* global options may follow the command: mailout campaign status X --json */
    all[n++] = (struct option){"config", required_argument, NULL, OPT_G_CONFIG};
    all[n++] = (struct option){"db", required_argument, NULL, OPT_G_DB};
    all[n++] = (struct option){"json", no_argument, NULL, OPT_G_JSON};
    all[n] = (struct option){NULL, 0, NULL, 0};
    snprintf(so, sizeof(so), ":%sh", shortopts ? shortopts : "");
    optind = 0; /* 0 makes glibc re-initialise, including the ordering mode */
    opterr = 0;
    while ((c = getopt_long(argc, argv, so, all, NULL)) != -1) {
        if (c == 'h') {
            print_command_help(cli->cmd);
            return 1;
        }
        if (c == '?')
            return mo_err_set(err, MO_E_USAGE, "unknown option '%s' for '%s'", argv[optind - 1],
                              cli->cmd->synopsis);
        if (c == ':')
            return mo_err_set(err, MO_E_USAGE, "option '%s' needs a value", argv[optind - 1]);
        if (c == OPT_G_CONFIG) {
            cli->config_path = optarg;
            continue;
        }
        if (c == OPT_G_DB) {
            cli->db_opt = optarg;
            continue;
        }
        if (c == OPT_G_JSON) {
            cli->json = 1;
            continue;
        }
        if (on_opt == NULL || on_opt(c, optarg, ctx, err) < 0)
            return mo_err_set(err, MO_E_USAGE, "unexpected option '%s'", argv[optind - 1]);
    }
    *optind_out = optind;
    return load_config(cli, err);
}

struct db *cli_db(struct cli *cli, struct mo_err *err)
{
    if (load_config(cli, err) < 0)
        return NULL;
    if (cli->cfg.db[0] == '\0') {
        mo_err_set(err, MO_E_USAGE,
                   "no database configured: set the key db in %s, $MAILOUT_DB or --db",
                   *cli->cfg.path ? cli->cfg.path : "mailout.conf");
        return NULL;
    }
    return db_connect(&cli->cfg, err);
}

int cli_operands_db(struct cli *cli, int argc, char **argv, int noperands, int *first,
                    struct db **db, struct mo_err *err)
{
    int rc = cli_getopt(cli, argc, argv, "", NULL, NULL, NULL, first, err);

    *db = NULL;
    if (rc != 0)
        return rc;
    if (argc - *first != noperands)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    *db = cli_db(cli, err);
    return *db == NULL ? -1 : 0;
}

void cli_report_stderr(const char *msg, void *arg)
{
    (void)arg;
    fprintf(stderr, "%s\n", msg);
}

const char *cli_plural(long n)
{
    return n == 1 ? "" : "s";
}

int cli_opt_value(int c, const char *arg, void *ctx, struct mo_err *err)
{
    (void)c;
    (void)err;
    *(const char **)ctx = arg;
    return 0;
}

int cli_print_json(json_t *j)
{
    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(j);
    return 0;
}

int cli_data_path(const struct cli *cli, const char *sub, char *out, size_t n)
{
    int w = snprintf(out, n, "%s/%s", cli->data_dir, sub);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* The source tree when the binary runs from its build tree, else the install. */
static const char *default_data_dir(void)
{
    static char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char real_build[PATH_MAX];

    if (n > 0) {
        exe[n] = '\0';
        char *dir = dirname(exe);
        if (realpath(MO_BUILDDIR, real_build) && strcmp(dir, real_build) == 0)
            return MO_SRCDIR;
    }
    return MO_PKGDATADIR;
}

/* Loads the configuration once the global options are known (before or after the command). */
static int load_config(struct cli *cli, struct mo_err *err)
{
    if (cli->loaded)
        return 0;
    if (config_load(&cli->cfg, cli->config_path, err) < 0) {
        config_release(&cli->cfg);
        return -1;
    }
    cli->loaded = 1;
    if (cli->db_opt && config_set(&cli->cfg, "db", cli->db_opt, err) < 0)
        return -1;
    mo_log_set_level_name(cli->cfg.log_level);
    cli->data_dir = *cli->cfg.data_dir ? cli->cfg.data_dir : default_data_dir();
    return 0;
}

int cli_config_reload(const struct cli *cli, struct config *next, struct mo_err *err)
{
    /* the file read at start (which may have come from $MAILOUT_CONFIG), else the same search */
    const char *path = *cli->cfg.path ? cli->cfg.path : cli->config_path;

    if (config_load(next, path, err) < 0) {
        config_release(next);
        return -1;
    }
    if (cli->db_opt && config_set(next, "db", cli->db_opt, err) < 0) {
        config_release(next);
        return -1;
    }
    return 0;
}

void cli_config_swap(struct cli *cli, struct config *other)
{
    struct config t = cli->cfg;

    cli->cfg = *other;
    *other = t;
    mo_log_set_level_name(cli->cfg.log_level);
    cli->data_dir = *cli->cfg.data_dir ? cli->cfg.data_dir : default_data_dir();
}

static int report(const struct mo_err *err)
{
    fprintf(stderr, "mailout: %s\n", err->msg[0] ? err->msg : "unknown error");
    if (err->detail[0])
        fprintf(stderr, "detail: %s\n", err->detail);
    return mo_err_exit_code(err->code ? err->code : MO_E_INTERNAL);
}

int cli_main(int argc, char **argv)
{
    static const struct option global[] = {
        {"config", required_argument, NULL, 'c'}, {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0}};
    struct cli cli;
    struct mo_err err;
    int c, rc;

    memset(&cli, 0, sizeof(cli));
    mo_err_init(&err);
    signal(SIGPIPE, SIG_IGN);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:c:d:jhV", global, NULL)) != -1) {
        switch (c) {
        case 'c':
            cli.config_path = optarg;
            break;
        case 'd':
            cli.db_opt = optarg;
            break;
        case 'j':
            cli.json = 1;
            break;
        case 'h':
            print_usage(stdout);
            return 0;
        case 'V':
            printf("mailout %s\n", PACKAGE_VERSION);
            return 0;
        case ':':
            fprintf(stderr, "mailout: option '%s' needs a value\n", argv[optind - 1]);
            return EX_USAGE;
        default:
            fprintf(stderr, "mailout: unknown option '%s'\n", argv[optind - 1]);
            print_usage(stderr);
            return EX_USAGE;
        }
    }
    argc -= optind;
    argv += optind;
    if (argc == 0) {
        fprintf(stderr, "mailout: no command given\n");
        print_usage(stderr);
        return EX_USAGE;
    }
    if (strcmp(argv[0], "help") == 0) {
        if (argc == 1) {
            print_usage(stdout);
            return 0;
        }
        argv++;
        argc--;
        for (size_t i = 0; i < NCOMMANDS; i++)
            if (strcmp(commands[i].name, argv[0]) == 0 &&
                (commands[i].sub == NULL || (argc > 1 && strcmp(commands[i].sub, argv[1]) == 0))) {
                print_command_help(&commands[i]);
                return 0;
            }
        fprintf(stderr, "mailout: unknown command '%s'\n", argv[0]);
        return EX_USAGE;
    }
    for (size_t i = 0; i < NCOMMANDS && cli.cmd == NULL; i++) {
        if (strcmp(commands[i].name, argv[0]) != 0)
            continue;
        if (commands[i].sub == NULL)
            cli.cmd = &commands[i];
        else if (argc > 1 && strcmp(commands[i].sub, argv[1]) == 0) {
            cli.cmd = &commands[i];
            argc--;
            argv++;
        }
    }
    if (cli.cmd == NULL) {
        int known = 0;
        for (size_t i = 0; i < NCOMMANDS; i++)
            known |= strcmp(commands[i].name, argv[0]) == 0;
        if (known && (argc == 1 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            printf("usage:\n");
            for (size_t i = 0; i < NCOMMANDS; i++)
                if (strcmp(commands[i].name, argv[0]) == 0)
                    printf("  mailout %-40s %s\n", commands[i].synopsis, commands[i].summary);
            return argc == 1 ? EX_USAGE : 0;
        }
        if (known)
            fprintf(stderr, "mailout: unknown subcommand '%s %s'\n", argv[0], argv[1]);
        else
            fprintf(stderr, "mailout: unknown command '%s'; 'mailout --help' lists them\n",
                    argv[0]);
        return EX_USAGE;
    }
    /* --help needs no configuration */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_command_help(cli.cmd);
            return 0;
        }
    }
    /* the configuration is loaded by cli_getopt(), once options after the command are known */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cli.cmd->run(&cli, argc, argv, &err);
    curl_global_cleanup();
    if (cli.loaded)
        config_release(&cli.cfg);
    if (rc < 0)
        return report(&err);
    return rc;
}
