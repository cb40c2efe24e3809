/*
 * http_impl.h - what the HTTP server (http.c: daemon, connections, limits,
 * framing, dispatch) shares with its routes (http_routes.c: the route
 * table and one handler per route).  Not a public interface: only those
 * two files include it.
 *
 * A new endpoint is one handler and one row of http_routes[]: the server
 * derives 404 and 405 (with Allow) from the table, reads and parses the
 * body of form routes, keeps the raw body of HTTP_ROUTE_BODY routes, and
 * hides HTTP_ROUTE_METRICS rows from clients outside metrics_allow (they
 * get 404 like an unknown path).
 */
#ifndef MAILOUT_HTTP_IMPL_H
#define MAILOUT_HTTP_IMPL_H

#include <pthread.h>
#include <stddef.h>

#include <microhttpd.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "http_form.h"
#include "metrics.h"
#include "tmpl.h"

struct ipnet_list;
struct http_watch;
struct http_admin;

struct http_server {
    struct MHD_Daemon *d;
    const struct config *cfg;
    char *data_dir;
    pthread_key_t db_key; /* each worker thread's database connection */
    struct metrics *metrics;
    struct ipnet_list *metrics_allow;
    struct http_watch *watch;
    struct http_admin *admin; /* the admin view's token and sessions; NULL: /admin is off */
};

struct http_call;

enum http_route_match {
    HTTP_ROUTE_EXACT,  /* the path is exactly path */
    HTTP_ROUTE_PREFIX, /* the path starts with path; the rest is http_call.rest */
};

/* HTTP_ROUTE_FORM: the POST body is a form, parsed into call->form (415 for other types) */
#define HTTP_ROUTE_FORM 0x1u
/* HTTP_ROUTE_METRICS: only for metrics_allow clients; anyone else gets 404 */
#define HTTP_ROUTE_METRICS 0x2u
/*
 * HTTP_ROUTE_BODY: the POST body is kept raw in call->body (at most
 * HTTP_FORM_BODY_MAX bytes), neither parsed nor refused for its type, so
 * the handler can check what must come first (a token in the path) before
 * it reads the body.  A body over the limit is not refused here either:
 * the handler gets call->body_too_large and answers 413 itself - at once,
 * before the body is read, when Content-Length announces it.
 */
#define HTTP_ROUTE_BODY 0x4u
/* HTTP_ROUTE_ADMIN: only when admin_token_file is set; otherwise 404 like an unknown path */
#define HTTP_ROUTE_ADMIN 0x8u

struct http_route {
    const char *method; /* "GET" (which answers HEAD too) or "POST" */
    const char *path;
    enum http_route_match match;
    unsigned flags;
    /* Queues the response (http_page() and friends); MHD_NO drops the connection. */
    enum MHD_Result (*handle)(struct http_call *call);
};

/* The routes in match order (http_routes.c). */
extern const struct http_route http_routes[];
extern const size_t http_nroutes;

/* One request, from its headers to its answer. */
struct http_call {
    struct http_server *s;
    struct MHD_Connection *c;
    const struct http_route *route; /* NULL until matched */
    const char *rest;               /* the path after a prefix route's path, borrowed from MHD */
    char lang[8];                   /* en or de, from ?lang= or Accept-Language */
    struct buf body;                /* a form or body route's body, at most HTTP_FORM_BODY_MAX */
    size_t body_seen;               /* bytes of body received, kept or not */
    int body_too_large;             /* HTTP_ROUTE_BODY: the body is (or will be) over the limit */
    struct http_form form;          /* form routes: the parsed body when form_ok */
    int form_ok;
    char form_error[128]; /* why the form was refused, for the log */
};

/*
 * Responses.  Each queues the answer with the security headers every
 * response carries and counts 4xx/5xx; the return value is the handler's.
 * http_page() renders templates/LANG/NAME (page.h) in lang with v and frees v.
 */
enum MHD_Result http_page(struct http_call *call, unsigned code, const char *lang, const char *name,
                          struct tmpl_vars *v);
/* page_error.html in the request's language, with a title and message (plain text). */
enum MHD_Result http_error(struct http_call *call, unsigned code, const char *title,
                           const char *message);
/* 503 "Service unavailable" (the database is down or failed), logging what: msg. */
enum MHD_Result http_unavailable(struct http_call *call, const char *what, const char *msg);
/* body (taken: emptied) as type. */
enum MHD_Result http_text(struct http_call *call, unsigned code, const char *type,
                          struct buf *body);

/*
 * body (taken: emptied) as type, with extra headers: name, value, ...,
 * NULL.  A Content-Security-Policy among them replaces the default one.
 */
enum MHD_Result http_respond(struct http_call *call, unsigned code, const char *type,
                             struct buf *body, const char *const *headers);

/*
 * The admin view (http_admin.c): its token and sessions, loaded when the
 * server starts (NULL with err naming the key: a token file readable by
 * group or others, shorter than ADMIN_TOKEN_MIN, missing), and its routes.
 */
struct http_admin *http_admin_new(const struct config *cfg, struct mo_err *err);
void http_admin_free(struct http_admin *a);
enum MHD_Result http_admin_home(struct http_call *call);   /* GET /admin */
enum MHD_Result http_admin_get(struct http_call *call);    /* GET /admin/... */
enum MHD_Result http_admin_login(struct http_call *call);  /* POST /admin/login */
enum MHD_Result http_admin_logout(struct http_call *call); /* POST /admin/logout */

/* This worker thread's database connection, reconnected when broken; NULL with err. */
struct db *http_db(struct http_call *call, struct mo_err *err);
/* The client's address as text (IPNET_ADDR_MAX bytes). */
void http_client_ip(struct http_call *call, char *out, size_t n);
/* The client's address, borrowed from MHD for the request; NULL if unknown. */
const struct sockaddr *http_client_addr(struct http_call *call);
/* The User-Agent header for the ledger: at most n-1 bytes, control and non-UTF-8 bytes as '?'. */
void http_user_agent(struct http_call *call, char *out, size_t n);
/* Adds 1 to a metric. */
void http_count(struct http_call *call, enum metric_id id);

#endif
