/* SPDX-License-Identifier: ISC */
/* addrs: per-address counts, IPv4, IPv6 /64 and IPv4-mapped IPv6. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "addrs.h"

static struct sockaddr_storage v4(const char *text, unsigned short port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
    return ss;
}

static struct sockaddr_storage v6(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
    return ss;
}

static struct addr_count *get(struct addr_table *t, struct sockaddr_storage ss)
{
    return addr_table_get(t, (struct sockaddr *)&ss);
}

static void test_same_host_same_entry(void **state)
{
    (void)state;
    struct addr_table t;
    assert_int_equal(addr_table_init(&t, 8), 0);
    struct addr_count *a = get(&t, v4("127.0.0.1", 1000));
    assert_non_null(a);
    a->conns++;
    /* another port of the same address, and the same address mapped into IPv6 */
    assert_ptr_equal(get(&t, v4("127.0.0.1", 2000)), a);
    assert_ptr_equal(get(&t, v6("::ffff:127.0.0.1")), a);
    struct addr_count *b = get(&t, v4("127.0.0.2", 1000));
    assert_ptr_not_equal(a, b);
    assert_int_equal(t.count, 2);
    /* one IPv6 /64 is one host's share; the next /64 is another */
    struct addr_count *c = get(&t, v6("2001:db8:1:2::1"));
    assert_ptr_equal(get(&t, v6("2001:db8:1:2:ffff:ffff:ffff:ffff")), c);
    assert_ptr_not_equal(get(&t, v6("2001:db8:1:3::1")), c);
    addr_table_free(&t);
}

static void test_release_only_when_empty(void **state)
{
    (void)state;
    struct addr_table t;
    assert_int_equal(addr_table_init(&t, 8), 0);
    struct addr_count *a = get(&t, v4("10.0.0.1", 1));
    a->conns = 1;
    addr_table_release(&t, a); /* still holds one: kept */
    assert_int_equal(t.count, 1);
    assert_ptr_equal(get(&t, v4("10.0.0.1", 2)), a);
    a->conns = 0;
    addr_table_release(&t, a);
    assert_int_equal(t.count, 0);
    addr_table_release(&t, NULL);
    addr_table_free(&t);
}

static void test_many_addresses(void **state)
{
    (void)state;
    struct addr_table t;
    assert_int_equal(addr_table_init(&t, 16), 0);
    char text[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(text, sizeof text, "2001:db8:%x:%x::1", i >> 8, i & 0xff);
        struct addr_count *a = get(&t, v6(text));
        assert_non_null(a);
        a->conns++;
    }
    assert_int_equal(t.count, 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(text, sizeof text, "2001:db8:%x:%x::2", i >> 8, i & 0xff);
        struct addr_count *a = get(&t, v6(text));
        assert_int_equal(a->conns, 1);
        a->conns = 0;
        addr_table_release(&t, a);
    }
    assert_int_equal(t.count, 0);
    addr_table_free(&t);
}

static void test_not_an_ip_address(void **state)
{
    (void)state;
    struct addr_table t;
    assert_int_equal(addr_table_init(&t, 8), 0);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_UNIX;
    assert_null(addr_table_get(&t, (struct sockaddr *)&ss));
    addr_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_host_same_entry),
        cmocka_unit_test(test_release_only_when_empty),
        cmocka_unit_test(test_many_addresses),
        cmocka_unit_test(test_not_an_ip_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
