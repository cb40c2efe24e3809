/*
 * ipnet.h - client addresses: lists of networks that may use something
 * (metrics_allow), the text form of a client's address, and the key that
 * per-client limits count under.
 *
 * IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) are treated as the IPv4
 * address everywhere, in lists and in keys.
 */
#ifndef MAILOUT_IPNET_H
#define MAILOUT_IPNET_H

#include <stddef.h>
#include <sys/socket.h>

#include "err.h"

#define IPNET_ADDR_MAX 46 /* INET6_ADDRSTRLEN: an address as text, NUL included */
#define IPNET_KEY_MAX  50 /* a limit key as text ("2001:db8:1:2::/64"), NUL included */
#define IPNET_LIST_MAX 64 /* networks in one list */
#define IPNET_ITEM_MAX 64 /* characters of one network as written */
#define IPNET_LOOPBACK "127.0.0.0/8, ::1"

/* A parsed list of IPv4 and IPv6 networks. */
struct ipnet_list;

/*
 * Parses spec: comma-separated addresses or CIDR networks, IPv4 or IPv6
 * ("10.0.0.0/8, 192.0.2.7, 2001:db8::/32, ::1"), spaces around each item
 * ignored; an empty or blank spec means loopback (IPNET_LOOPBACK).  Host bits
 * past the prefix are ignored (10.1.2.3/8 is 10.0.0.0/8).  key names the
 * setting in messages.  Returns the list (free with ipnet_list_free()), or
 * NULL with err MO_E_INPUT naming the item and the key, e.g.
 *   invalid network '10.0.0.0/33' (key metrics_allow): prefix length must be 0-32
 */
struct ipnet_list *ipnet_list_parse(const char *spec, const char *key, struct mo_err *err);
/* Frees the list; NULL is a no-op. */
void ipnet_list_free(struct ipnet_list *l);
/* 1 if sa (AF_INET or AF_INET6) lies in one of l's networks; 0 otherwise or if either is NULL. */
int ipnet_list_match(const struct ipnet_list *l, const struct sockaddr *sa);

/*
 * Writes sa's address as text into out (n >= IPNET_ADDR_MAX): "192.0.2.1",
 * "2001:db8::1"; "0.0.0.0" when sa is NULL or not IPv4/IPv6.
 */
void ipnet_addr_text(const struct sockaddr *sa, char *out, size_t n);

/*
 * The key per-client limits count under, from an address in text: an IPv4
 * address as itself ("192.0.2.1"), an IPv4-mapped IPv6 address as its IPv4
 * address, any other IPv6 address as its /64 network ("2001:db8::/64"), since
 * one subscriber line usually holds a whole /64.  Writes it into out
 * (n >= IPNET_KEY_MAX) and returns 0; -1 (out "") when ip is not an address.
 */
int ipnet_limit_key(const char *ip, char *out, size_t n);

#endif
