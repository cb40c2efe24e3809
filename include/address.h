/*
 * address.h - email address validation and the normalized form used to match
 * addresses (consent, suppression, imports).
 *
 * Accepted: a bare addr-spec local@domain, after trimming surrounding spaces
 * and tabs.  The local part is an ASCII dot-atom (RFC 5322 atext separated by
 * single dots, 1-64 bytes).  The domain is a host name of at least two labels,
 * given in ASCII or UTF-8 (IDNA 2008, UTS #46 non-transitional, via libidn2);
 * after conversion to A-labels it is at most 253 characters, each label 1-63
 * letters, digits and hyphens, not starting or ending with a hyphen, and the
 * top label is not all digits.  The whole normalized address is at most 254.
 *
 * Refused: display names and angle brackets, quoted local parts, non-ASCII
 * local parts (they need SMTPUTF8), address literals ([192.0.2.1]), control
 * characters anywhere, and anything else that is not in the grammar above.
 *
 * Normalized form: local part with ASCII letters lower-cased, '@', the domain
 * as lower-case A-labels ("Info@Bücher.Example" -> "info@xn--bcher-kva.example").
 * Lower-casing the local part is a matching convention, not a claim that the
 * receiving server ignores case: send to the address as given.
 */
#ifndef MAILOUT_ADDRESS_H
#define MAILOUT_ADDRESS_H

#include "err.h"

/* Longest normalized address (RFC 5321 path limit minus the angle brackets). */
#define ADDRESS_MAX 254

/*
 * Validates in and writes its normalized form to *norm (caller frees with
 * free()).  Returns 0, or -1 with *norm NULL and err MO_E_INPUT
 * "invalid email 'VALUE': reason" (VALUE trimmed, control characters escaped,
 * long values shortened; no location: callers add file, line and column).
 */
int address_normalize(const char *in, char **norm, struct mo_err *err);

/*
 * Like address_normalize(), and also writes to *mailbox (may be NULL; caller
 * frees) the form to store and send to: trimmed, the local part exactly as
 * given, '@', the domain as lower-case A-labels
 * (" Info@Bücher.Example" -> "Info@xn--bcher-kva.example"): printable ASCII.
 */
int address_parse(const char *in, char **mailbox, char **norm, struct mo_err *err);

/* 1 if in is a valid address under the same rules, else 0. */
int address_valid(const char *in);

#endif
