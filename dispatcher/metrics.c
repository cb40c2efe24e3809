/*
 * metrics.c - the metric table of metrics.h and its Prometheus rendering.
 *
 * Owns: each metric's name, type and help text, the values, the text
 * format.  Does not own: when something is counted (callers), who may read
 * /metrics (http.c with metrics_allow), or serving the text.
 */
#include "metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "campaign_ctl.h"
#include "xalloc.h"

struct metric_def {
    const char *name;
    const char *type; /* "counter" or "gauge" */
    const char *help;
};

static const struct metric_def metric_defs[METRIC__COUNT] = {
    [METRIC_HTTP_REQUESTS] = {"mailout_http_requests_total", "counter", "HTTP requests received."},
    [METRIC_SUBSCRIBE_ACCEPTED] = {"mailout_subscribe_accepted_total", "counter",
                                   "Subscribe requests that started a double opt-in."},
    [METRIC_SUBSCRIBE_IP_LIMITED] = {"mailout_subscribe_ip_limited_total", "counter",
                                     "Subscribe requests refused by the per-client limit."},
    [METRIC_SUBSCRIBE_ADDRESS_LIMITED] = {"mailout_subscribe_address_limited_total", "counter",
                                          "Subscribe requests over the per-address mail limit."},
    [METRIC_SUBSCRIBE_WITHOUT_TOPIC] = {"mailout_subscribe_without_topic_total", "counter",
                                        "Subscribe requests without a ticked topic."},
    [METRIC_SUBSCRIBE_INVALID] = {"mailout_subscribe_invalid_total", "counter",
                                  "Subscribe requests refused as invalid."},
    [METRIC_CONFIRM_SUCCESS] = {"mailout_confirm_success_total", "counter",
                                "Confirmations recorded."},
    [METRIC_CONFIRM_GONE] = {"mailout_confirm_gone_total", "counter",
                             "Confirmation links used with an expired or used token."},
    [METRIC_CONFIRM_UNKNOWN] = {"mailout_confirm_unknown_total", "counter",
                                "Confirmation links used with an unknown token."},
    [METRIC_HTTP_INTERNAL_ERRORS] = {"mailout_http_internal_errors_total", "counter",
                                     "Requests that failed inside the server."},
    [METRIC_HTTP_RESPONSES_4XX] = {"mailout_http_responses_4xx_total", "counter",
                                   "Responses with a 4xx status."},
    [METRIC_HTTP_RESPONSES_5XX] = {"mailout_http_responses_5xx_total", "counter",
                                   "Responses with a 5xx status."},
    [METRIC_HTTP_FRAMING_REFUSED] = {"mailout_http_framing_refused_total", "counter",
                                     "Requests refused for ambiguous framing (Content-Length, "
                                     "Transfer-Encoding)."},
    [METRIC_HTTP_SLOW_CLOSED] = {"mailout_http_slow_closed_total", "counter",
                                 "Connections closed because a request was not complete in time."},
    [METRIC_UP] = {"mailout_up", "gauge", "1 while the server runs."},
    /* issue 10: h-web */
    [METRIC_UNSUBSCRIBE_SUCCESS] = {"mailout_unsubscribe_success_total", "counter",
                                    "Unsubscribe requests (one-click and page), objections and "
                                    "preference changes recorded, repeats included."},
    [METRIC_UNSUBSCRIBE_UNKNOWN] = {"mailout_unsubscribe_unknown_total", "counter",
                                    "Unsubscribe pages and requests with an unknown token."},
    [METRIC_UNSUBSCRIBE_INVALID] = {"mailout_unsubscribe_invalid_total", "counter",
                                    "Unsubscribe requests refused for their body (neither "
                                    "one-click nor the page's form, or too large)."},
    [METRIC_UNSUBSCRIBE_ERRORS] = {"mailout_unsubscribe_errors_total", "counter",
                                   "Unsubscribe pages and requests that failed inside the server."},
};

struct metrics {
    atomic_ulong v[METRIC__COUNT];
};

struct metrics *metrics_new(void)
{
    struct metrics *m = xcalloc(1, sizeof(*m));

    for (int i = 0; i < METRIC__COUNT; i++)
        atomic_init(&m->v[i], 0);
    atomic_store(&m->v[METRIC_UP], 1);
    return m;
}

void metrics_free(struct metrics *m)
{
    free(m);
}

void metrics_inc(struct metrics *m, enum metric_id id)
{
    atomic_fetch_add(&m->v[id], 1);
}

void metrics_set(struct metrics *m, enum metric_id id, unsigned long value)
{
    atomic_store(&m->v[id], value);
}

unsigned long metrics_get(const struct metrics *m, enum metric_id id)
{
    return atomic_load(&m->v[id]);
}

const char *metrics_name(enum metric_id id)
{
    return metric_defs[id].name;
}

int metrics_render(const struct metrics *m, struct buf *out)
{
    for (int i = 0; i < METRIC__COUNT; i++) {
        const struct metric_def *d = &metric_defs[i];
        if (buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %lu\n", d->name, d->help, d->name,
                       d->type, d->name, metrics_get(m, (enum metric_id)i)) < 0)
            return -1;
    }
    return 0;
}

int metrics_render_campaign(const struct campaign_totals *t, struct buf *out)
{
    if (buf_printf(out,
                   "# HELP mailout_database_up 1 when this scrape could read the database.\n"
                   "# TYPE mailout_database_up gauge\nmailout_database_up %d\n",
                   t != NULL) < 0)
        return -1;
    if (t == NULL)
        return 0;
    if (buf_printf(out,
                   "# HELP mailout_campaign_messages_total Campaign mail attempts recorded, by "
                   "outcome.\n"
                   "# TYPE mailout_campaign_messages_total counter\n"
                   "mailout_campaign_messages_total{status=\"sent\"} %llu\n"
                   "mailout_campaign_messages_total{status=\"failed\"} %llu\n"
                   "mailout_campaign_messages_total{status=\"deferred\"} %llu\n"
                   "mailout_campaign_messages_total{status=\"bounced\"} %llu\n"
                   "mailout_campaign_messages_total{status=\"complained\"} %llu\n"
                   "mailout_campaign_messages_total{status=\"uncertain\"} %llu\n",
                   t->sent, t->failed, t->deferred, t->bounced, t->complained, t->uncertain) < 0)
        return -1;
    return buf_printf(out,
                      "# HELP mailout_send_queue Campaign recipients not yet settled, by queue "
                      "state.\n"
                      "# TYPE mailout_send_queue gauge\n"
                      "mailout_send_queue{state=\"queued\"} %llu\n"
                      "mailout_send_queue{state=\"claimed\"} %llu\n"
                      "mailout_send_queue{state=\"sending\"} %llu\n"
                      "mailout_send_queue{state=\"uncertain\"} %llu\n",
                      t->queued, t->claimed, t->sending, t->held_uncertain) < 0
               ? -1
               : 0;
}
