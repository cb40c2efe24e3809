/*
 * metrics.h - the counters and gauges `mailout serve` exposes on /metrics,
 * as one table of names and help texts, rendered in the Prometheus text
 * exposition format (version 0.0.4).
 *
 * A new metric is one enum value here and one row in metrics.c.  Names are
 * a promise to dashboards: never rename one.  Every function is safe to
 * call from any thread (the values are atomics).
 */
#ifndef MAILOUT_METRICS_H
#define MAILOUT_METRICS_H

#include "buf.h"

enum metric_id {
    METRIC_HTTP_REQUESTS,
    METRIC_SUBSCRIBE_ACCEPTED,
    METRIC_SUBSCRIBE_IP_LIMITED,
    METRIC_SUBSCRIBE_ADDRESS_LIMITED,
    METRIC_SUBSCRIBE_WITHOUT_TOPIC,
    METRIC_SUBSCRIBE_INVALID,
    METRIC_CONFIRM_SUCCESS,
    METRIC_CONFIRM_GONE,
    METRIC_CONFIRM_UNKNOWN,
    METRIC_HTTP_INTERNAL_ERRORS,
    METRIC_HTTP_RESPONSES_4XX,
    METRIC_HTTP_RESPONSES_5XX,
    METRIC_HTTP_FRAMING_REFUSED,
    METRIC_HTTP_SLOW_CLOSED,
    METRIC_UP,
    /* issue 10: h-web (GET and POST /u/TOKEN) */
    METRIC_UNSUBSCRIBE_SUCCESS,
    METRIC_UNSUBSCRIBE_UNKNOWN,
    METRIC_UNSUBSCRIBE_INVALID,
    METRIC_UNSUBSCRIBE_ERRORS,
    METRIC__COUNT
};

struct metrics;

/* A new set with every counter 0 and mailout_up 1; caller frees with metrics_free(). */
struct metrics *metrics_new(void);
/* NULL is a no-op. */
void metrics_free(struct metrics *m);
/* Adds 1 to a counter. */
void metrics_inc(struct metrics *m, enum metric_id id);
/* Sets a gauge (or a counter, in tests). */
void metrics_set(struct metrics *m, enum metric_id id, unsigned long value);
/* The current value. */
unsigned long metrics_get(const struct metrics *m, enum metric_id id);
/* The name of id ("mailout_http_requests_total"), static. */
const char *metrics_name(enum metric_id id);
/*
 * Appends every metric in table order, each as "# HELP", "# TYPE" and the
 * sample line.  Returns 0, or -1 when out's max would be exceeded (out then
 * holds the metrics that fit, each complete).
 */
int metrics_render(const struct metrics *m, struct buf *out);

struct campaign_totals; /* campaign_ctl.h */

/*
 * Appends the campaign mail metrics read from the database at scrape time:
 * mailout_database_up (1, or 0 when t is NULL: the database could not be
 * read, and nothing else is appended), the counter
 * mailout_campaign_messages_total{status="sent|failed|deferred|bounced|
 * complained|uncertain"} (attempts in send_records) and the gauge
 * mailout_send_queue{state="queued|claimed|sending|uncertain"}.  0, or -1
 * when out's max would be exceeded.
 */
int metrics_render_campaign(const struct campaign_totals *t, struct buf *out);

#endif
