/*
 * attrs.h - the declared custom attributes (config key contact_attributes,
 * import option --attributes) and the special categories of data.
 *
 * One parser for the list, used by the importer, the segment compiler,
 * templates, doctor and the configuration check:
 *
 *     contact_attributes = vip, tier, health:sensitive
 *
 * Items are separated by commas; spaces and tabs around an item are
 * ignored.  An item is NAME or NAME:sensitive, NAME being 1 to
 * ATTRS_NAME_MAX ASCII letters, digits or '_' starting with a letter or '_'
 * (stored lower case).  An empty item, a duplicate name, another flag or any
 * other byte is an error naming the item.  Sensitive attributes are the
 * special categories of GDPR Art. 9(1) and financial data: they are never
 * used by a segment or a template unless the consent behind it was explicit
 * for them (Art. 9(2)(a); consent-text add --explicit).
 */
#ifndef MAILOUT_ATTRS_H
#define MAILOUT_ATTRS_H

#include <stddef.h>

#include "err.h"

#define ATTRS_NAME_MAX 64    /* bytes of one name */
#define ATTRS_MAX      256   /* items in one list */
#define ATTRS_TEXT_MAX 16384 /* bytes of the whole list */

struct attr_def {
    char name[ATTRS_NAME_MAX + 1]; /* lower case */
    int sensitive;
};

struct attr_list {
    struct attr_def *v;
    int n;
};

/*
 * Parses s (NULL or "" is the empty list) into out.  what names the source
 * for messages ("contact_attributes" or "--attributes").  MO_E_INPUT with
 * one line such as "contact_attributes: item 2 'x:y': unknown flag 'y'
 * (only ':sensitive')"; then out is empty.  Release with attrs_free().
 */
int attrs_parse(const char *s, const char *what, struct attr_list *out, struct mo_err *err);
void attrs_free(struct attr_list *l);

/* The entry named name (any case), or NULL. */
const struct attr_def *attrs_find(const struct attr_list *l, const char *name);

/*
 * 1 when the attribute name is treated as sensitive: declared NAME:sensitive
 * in l, or its name matches a special-category or financial term
 * (attrs_special_term) however it is declared, so data loaded under another
 * list (import --attributes) or a list without the flag is never used
 * without explicit consent.
 */
int attrs_is_sensitive(const struct attr_list *l, const char *name);

/*
 * The built-in special-category or financial term (English or German) that
 * the column name matches, or NULL.  The rule: the name is lower-cased and
 * split into words at every byte that is not a letter or digit (and at
 * letter/digit boundaries); a term matches when it equals one word, or
 * (for a term of two words such as credit_card) a run of consecutive
 * words; a term marked as a stem (pregnan, schwanger, gesundheit ...)
 * matches a word that starts with it.  German compounds are matched by the
 * stems listed (e.g. "krankenversicherung").  So "partner", "party_size"
 * never match "part"/"party" by accident: "party" is not in the list at all
 * (too common) and "partei" only as a whole word.  "religion",
 * "Religion ", "credit_card_no", "Gesundheit" match.
 */
const char *attrs_special_term(const char *column);

#endif
