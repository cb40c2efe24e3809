/*
 * ipnet.c - networks and client keys of ipnet.h.
 *
 * Owns: parsing address/CIDR lists, matching a socket address against them,
 * the text form of a client address and the /64 rule for IPv6 limit keys.
 * Does not own: which list a setting holds or what is allowed (callers),
 * counting or storing limit keys (doi.c hashes the key), or name lookups:
 * nothing here resolves a host name.
 */
#include "ipnet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct ipnet {
    int family;             /* AF_INET (4 bytes of addr) or AF_INET6 (16) */
    unsigned char addr[16]; /* host bits past prefix are zero */
    unsigned prefix;        /* 0-32 or 0-128 */
};

struct ipnet_list {
    struct ipnet net[IPNET_LIST_MAX];
    size_t n;
};

static const unsigned char v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Zeroes the bits of addr (len bytes) past the first prefix bits. */
static void ipnet_mask(unsigned char *addr, size_t len, unsigned prefix)
{
    for (size_t i = 0; i < len; i++) {
        unsigned bits = prefix > 8 * i ? prefix - 8 * (unsigned)i : 0;
        if (bits >= 8)
            continue;
        addr[i] &= (unsigned char)(0xff00u >> bits);
    }
}

/* Text to an address; an IPv4-mapped IPv6 address becomes IPv4.  1 on success. */
static int ipnet_pton(const char *s, int *family, unsigned char addr[16])
{
    if (inet_pton(AF_INET, s, addr) == 1) {
        *family = AF_INET;
        return 1;
    }
    if (inet_pton(AF_INET6, s, addr) != 1)
        return 0;
    if (memcmp(addr, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
        memmove(addr, addr + 12, 4);
        *family = AF_INET;
    } else {
        *family = AF_INET6;
    }
    return 1;
}

/* One item "ADDR" or "ADDR/LEN", already trimmed; 0, or -1 with err. */
static int ipnet_parse_item(const char *item, const char *key, struct ipnet *out,
                            struct mo_err *err)
{
    char addr[IPNET_ITEM_MAX + 1];
    const char *slash = strchr(item, '/');
    size_t alen = slash ? (size_t)(slash - item) : strlen(item);
    unsigned max, prefix;
    int mapped;

    if (alen == 0 || alen > IPNET_ITEM_MAX)
        return mo_err_set(err, MO_E_INPUT,
                          "invalid network '%.*s' (key %s): expected an IPv4 or IPv6 address, "
                          "optionally with /LENGTH",
                          IPNET_ITEM_MAX, item, key);
    memcpy(addr, item, alen);
    addr[alen] = '\0';
    mapped = strchr(addr, ':') != NULL;
    if (!ipnet_pton(addr, &out->family, out->addr))
        return mo_err_set(err, MO_E_INPUT,
                          "invalid network '%.*s' (key %s): '%s' is not an IPv4 or IPv6 address",
                          IPNET_ITEM_MAX, item, key, addr);
    mapped = mapped && out->family == AF_INET; /* ::ffff:a.b.c.d: its length counts in IPv6 bits */
    max = out->family == AF_INET ? 32 : 128;
    prefix = mapped ? 128 : max;
    if (slash) {
        const char *p = slash + 1;
        unsigned v = 0;
        size_t digits = 0;
        for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
            v = v * 10 + (unsigned)(*p - '0');
        if (digits == 0 || *p != '\0' || v > (mapped ? 128 : max) || (mapped && v < 96))
            return mo_err_set(err, MO_E_INPUT,
                              "invalid network '%.*s' (key %s): prefix length must be %s",
                              IPNET_ITEM_MAX, item, key,
                              mapped      ? "96-128"
                              : max == 32 ? "0-32"
                                          : "0-128");
        prefix = v;
    }
    out->prefix = mapped ? prefix - 96 : prefix;
    ipnet_mask(out->addr, out->family == AF_INET ? 4 : 16, out->prefix);
    return 0;
}

struct ipnet_list *ipnet_list_parse(const char *spec, const char *key, struct mo_err *err)
{
    struct ipnet_list *l = xcalloc(1, sizeof(*l));
    const char *p = spec;

    if (strspn(spec, " \t") == strlen(spec))
        p = IPNET_LOOPBACK;
    for (;;) {
        char item[IPNET_ITEM_MAX + 2];
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == 0) {
            mo_err_set(err, MO_E_INPUT, "invalid value '%s' (key %s): empty item in the list", spec,
                       key);
            goto fail;
        }
        if (l->n == IPNET_LIST_MAX) {
            mo_err_set(err, MO_E_INPUT, "invalid value (key %s): more than %d networks", key,
                       IPNET_LIST_MAX);
            goto fail;
        }
        if (len > IPNET_ITEM_MAX)
            len = IPNET_ITEM_MAX + 1; /* too long: refused below, shown cut */
        memcpy(item, p, len);
        item[len] = '\0';
        if (ipnet_parse_item(item, key, &l->net[l->n], err) < 0)
            goto fail;
        l->n++;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return l;
fail:
    free(l);
    return NULL;
}

void ipnet_list_free(struct ipnet_list *l)
{
    free(l);
}

/* The address of sa: family and bytes, IPv4-mapped IPv6 as IPv4.  0 if not IPv4/IPv6. */
static int ipnet_from_sockaddr(const struct sockaddr *sa, int *family, unsigned char addr[16])
{
    if (sa == NULL)
        return 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        memcpy(addr, &in->sin_addr, 4);
        *family = AF_INET;
        return 1;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        memcpy(addr, &in6->sin6_addr, 16);
        *family = AF_INET6;
        if (memcmp(addr, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
            memmove(addr, addr + 12, 4);
            *family = AF_INET;
        }
        return 1;
    }
    return 0;
}

int ipnet_list_match(const struct ipnet_list *l, const struct sockaddr *sa)
{
    unsigned char addr[16];
    int family;

    if (l == NULL || !ipnet_from_sockaddr(sa, &family, addr))
        return 0;
    for (size_t i = 0; i < l->n; i++) {
        unsigned char masked[16];
        size_t len = family == AF_INET ? 4 : 16;
        if (l->net[i].family != family)
            continue;
        memcpy(masked, addr, len);
        ipnet_mask(masked, len, l->net[i].prefix);
        if (memcmp(masked, l->net[i].addr, len) == 0)
            return 1;
    }
    return 0;
}

void ipnet_addr_text(const struct sockaddr *sa, char *out, size_t n)
{
    const void *a = NULL;

    if (sa && sa->sa_family == AF_INET)
        a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa && sa->sa_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (a != NULL && inet_ntop(sa->sa_family, a, out, (socklen_t)n) != NULL)
        return;
    if (n >= sizeof("0.0.0.0"))
        memcpy(out, "0.0.0.0", sizeof("0.0.0.0"));
    else if (n > 0)
        out[0] = '\0';
}

int ipnet_limit_key(const char *ip, char *out, size_t n)
{
    unsigned char addr[16];
    char text[IPNET_ADDR_MAX];
    int family, len;

    if (n)
        out[0] = '\0';
    if (!ipnet_pton(ip, &family, addr))
        return -1;
    if (family == AF_INET6)
        ipnet_mask(addr, 16, 64);
    if (inet_ntop(family, addr, text, sizeof(text)) == NULL)
        return -1;
    len = snprintf(out, n, "%s%s", text, family == AF_INET6 ? "/64" : "");
    if (len < 0 || (size_t)len >= n) {
        if (n)
            out[0] = '\0';
        return -1;
    }
    return 0;
}
