/*
 * tmplfile.c - reads template files with a size cap and a language
 * fallback.  Rendering is tmpl.c's job.
 */
#include "tmplfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileio.h"
#include "mime.h"
#include "utf8.h"

void tmplfile_lang(const char *locale, char out[8])
{
    size_t n = 0;
    while (locale && n < 3 && islower((unsigned char)locale[n]))
        n++;
    if (n < 2 || (locale[n] && locale[n] != '-' && locale[n] != '_')) {
        snprintf(out, 8, "en");
        return;
    }
    memcpy(out, locale, n);
    out[n] = '\0';
}

static char *read_capped(const char *path, struct mo_err *err, int *missing)
{
    struct buf b;
    struct mo_err e;

    *missing = 0;
    mo_err_init(&e);
    if (fileio_read(path, TMPLFILE_MAX, "template", &b, &e) < 0) {
        buf_release(&b);
        *missing = e.code == MO_E_NOINPUT && !fileio_exists(path);
        if (!*missing)
            mo_err_set(err, e.code, "%s", e.msg);
        return NULL;
    }
    if (memchr(b.s, '\0', b.len) || !utf8_valid(b.s, b.len)) {
        buf_release(&b);
        mo_err_set(err, MO_E_INPUT, "template '%s' is not UTF-8 text", path);
        return NULL;
    }
    return buf_detach(&b);
}

char *tmplfile_load(const char *data_dir, const char *locale, const char *name, int optional,
                    struct mo_err *err)
{
    char lang[8], path[4096];
    int missing;
    char *s;

    tmplfile_lang(locale, lang);
    /* the en path is no longer than this one */
    if (snprintf(path, sizeof(path), "%s/templates/%s/%s", data_dir, lang, name) >=
        (int)sizeof(path)) {
        mo_err_set(err, MO_E_NOINPUT, "path too long: '%s' (key data_dir)", data_dir);
        return NULL;
    }
    s = read_capped(path, err, &missing);
    if (s || !missing)
        return s;
    if (strcmp(lang, "en") != 0) {
        snprintf(path, sizeof(path), "%s/templates/en/%s", data_dir, name);
        s = read_capped(path, err, &missing);
        if (s || !missing)
            return s;
    }
    if (!optional)
        mo_err_set(err, MO_E_NOINPUT, "template '%s' not found in %s/templates", name, data_dir);
    return NULL;
}

int tmplfile_split_header(char *s, const char *name, const char *what, char **value, char **body,
                          struct mo_err *err)
{
    size_t n = strlen(name);
    char *nl;

    if (strncmp(s, name, n) != 0 || s[n] != ':')
        return mo_err_set(err, MO_E_INPUT, "%s must start with a '%s:' line", what, name);
    nl = strchr(s, '\n');
    if (nl == NULL)
        return mo_err_set(err, MO_E_INPUT, "%s has nothing after its '%s:' line", what, name);
    *nl = '\0';
    if (nl > s && nl[-1] == '\r')
        nl[-1] = '\0';
    *value = s + n + 1;
    while (**value == ' ')
        (*value)++;
    *body = nl + 1;
    if (**body == '\r')
        (*body)++;
    if (**body == '\n')
        (*body)++;
    return 0;
}
