/* SPDX-License-Identifier: ISC */
/* addrs: how many connections each client address holds, and how many of them
 * are still in their handshake, so that no single host takes every seat. An
 * address is an IPv4 address or an IPv6 /64 (what one host or one home gets). */
#ifndef TLSCHAT_ADDRS_H
#define TLSCHAT_ADDRS_H

#include <stddef.h>
#include <sys/socket.h>

#define ADDR_KEY_LEN 9 /* family tag + 4 (IPv4) or 8 (IPv6 /64) bytes */

struct addr_count {
    unsigned char key[ADDR_KEY_LEN];
    unsigned conns;      /* connections from it now, in any state */
    unsigned handshakes; /* of those, still handshaking */
    unsigned sessions;   /* sessions kept for clients gone from it (resume.c) */
    struct addr_count *next;
};

struct addr_table {
    struct addr_count **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;    /* addresses with at least one connection */
    unsigned long seed; /* random: nobody can choose addresses that collide */
};

/* 0, or -1 when out of memory. */
int addr_table_init(struct addr_table *t, size_t nbuckets);
void addr_table_free(struct addr_table *t);

/* The key of sa: an IPv4 address (also one mapped into IPv6), or the /64 of an
 * IPv6 address. 0, or -1 for another family. */
int addr_key(const struct sockaddr *sa, unsigned char key[ADDR_KEY_LEN]);

/* The entry for sa, made with zero counts when new. NULL when out of memory or
 * not an IP address. */
struct addr_count *addr_table_get(struct addr_table *t, const struct sockaddr *sa);

/* Forget a when it holds no connection and no kept session. */
void addr_table_release(struct addr_table *t, struct addr_count *a);

#endif
