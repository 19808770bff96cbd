/* SPDX-License-Identifier: ISC */
/* addrs: a small chained hash table of per-address counts, keyed with a random
 * seed so that a client choosing many IPv6 addresses cannot make one long chain. */
#include "addrs.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

int addr_table_init(struct addr_table *t, size_t nbuckets)
{
    size_t n = 16;
    while (n < nbuckets)
        n <<= 1;
    memset(t, 0, sizeof *t);
    t->buckets = calloc(n, sizeof(struct addr_count *));
    if (!t->buckets)
        return -1;
    t->nbuckets = n;
    if (getrandom(&t->seed, sizeof t->seed, 0) != (ssize_t)sizeof t->seed)
        t->seed = (unsigned long)(uintptr_t)t ^ 0x9e3779b97f4a7c15ul; /* not secret, still not fixed */
    return 0;
}

void addr_table_free(struct addr_table *t)
{
    for (size_t i = 0; i < t->nbuckets; i++)
        for (struct addr_count *a = t->buckets[i], *next; a; a = next) {
            next = a->next;
            free(a);
        }
    free(t->buckets);
    memset(t, 0, sizeof *t);
}

int addr_key(const struct sockaddr *sa, unsigned char key[ADDR_KEY_LEN])
{
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(key, 0, ADDR_KEY_LEN);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        key[0] = 4;
        memcpy(key + 1, &in->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const unsigned char *b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
        if (memcmp(b, v4mapped, sizeof v4mapped) == 0) {
            key[0] = 4;
            memcpy(key + 1, b + 12, 4);
        } else {
            key[0] = 6;
            memcpy(key + 1, b, 8); /* the /64 */
        }
        return 0;
    }
    return -1;
}

static size_t bucket_of(const struct addr_table *t, const unsigned char *key)
{
    uint64_t h = 1469598103934665603ull ^ t->seed; /* FNV-1a, seeded */
    for (size_t i = 0; i < ADDR_KEY_LEN; i++) {
        h ^= key[i];
        h *= 1099511628211ull;
    }
    return (size_t)(h ^ (h >> 29)) & (t->nbuckets - 1);
}

struct addr_count *addr_table_get(struct addr_table *t, const struct sockaddr *sa)
{
    unsigned char key[ADDR_KEY_LEN];
    if (addr_key(sa, key) < 0)
        return NULL;
    size_t b = bucket_of(t, key);
    for (struct addr_count *a = t->buckets[b]; a; a = a->next)
        if (memcmp(a->key, key, ADDR_KEY_LEN) == 0)
            return a;
    struct addr_count *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    memcpy(a->key, key, ADDR_KEY_LEN);
    a->next = t->buckets[b];
    t->buckets[b] = a;
    t->count++;
    return a;
}

void addr_table_release(struct addr_table *t, struct addr_count *a)
{
    if (!a || a->conns > 0 || a->sessions > 0)
        return;
    for (struct addr_count **p = &t->buckets[bucket_of(t, a->key)]; *p; p = &(*p)->next)
        if (*p == a) {
            *p = a->next;
            free(a);
            t->count--;
            return;
        }
}
