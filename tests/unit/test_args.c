/* SPDX-License-Identifier: ISC */
/* args: the option checks the programs share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <getopt.h>

#include "args.h"
#include "tls.h"

static void test_tls_options_apply_to_the_config(void **state)
{
    (void)state;
    char err[256];
    struct tls_config cfg;
    tls_config_init(&cfg);
    assert_int_equal(args_tls_option(ARGS_TLS_MIN, "1.3", &cfg, err, sizeof err), 1);
    assert_int_equal(cfg.min_version, TLS_V1_3);
    assert_int_equal(args_tls_option(ARGS_TLS_MAX, "1.3", &cfg, err, sizeof err), 1);
    assert_int_equal(cfg.max_version, TLS_V1_3);
    assert_int_equal(args_tls_option(ARGS_KEYLOG, "/tmp/k.log", &cfg, err, sizeof err), 1);
    assert_string_equal(cfg.keylog_file, "/tmp/k.log");
    assert_int_equal(args_tls_option(ARGS_PAD, "256", &cfg, err, sizeof err), 1);
    assert_int_equal(cfg.pad, 256);
    assert_int_equal(args_tls_range(&cfg, err, sizeof err), 0);
}

static void test_bad_values_and_other_options(void **state)
{
    (void)state;
    char err[256];
    struct tls_config cfg;
    tls_config_init(&cfg);
    assert_int_equal(args_tls_option(ARGS_TLS_MIN, "1.1", &cfg, err, sizeof err), -1);
    assert_string_equal(err, "--tls-min takes 1.2 or 1.3, not '1.1'");
    assert_int_equal(args_tls_option(ARGS_TLS_MAX, "", &cfg, err, sizeof err), -1);
    assert_int_equal(args_tls_option(ARGS_PAD, "0", &cfg, err, sizeof err), -1);
    assert_int_equal(args_tls_option(ARGS_PAD, "16385", &cfg, err, sizeof err), -1);
    assert_string_equal(err, "--pad 16385: a padding block of 16385 bytes is larger than a TLS record (the most is 16384)");
    assert_int_equal(args_tls_option(ARGS_PAD, "12x", &cfg, err, sizeof err), -1);
    /* a refused value changes nothing */
    assert_int_equal(cfg.pad, 0);
    assert_int_equal(cfg.min_version, TLS_V1_2);
    assert_int_equal(cfg.max_version, 0);
    assert_int_equal(args_tls_option('v', NULL, &cfg, err, sizeof err), 0);
    assert_int_equal(args_tls_option(300, "x", &cfg, err, sizeof err), 0);
    assert_int_equal(args_tls_option(ARGS_PAD, NULL, &cfg, err, sizeof err), -1);
    cfg.min_version = TLS_V1_3;
    cfg.max_version = TLS_V1_2;
    assert_int_equal(args_tls_range(&cfg, err, sizeof err), -1);
    assert_string_equal(err, "--tls-max is below --tls-min: no TLS version is left");
    assert_int_equal(args_refused("t", ':', "--pad", err, sizeof err), 2);
    assert_string_equal(err, "--pad needs a value (see t --help)");
    assert_int_equal(args_refused("t", '?', "--bogus", err, sizeof err), 2);
    assert_string_equal(err, "unknown option '--bogus' (see t --help)");
}

static void test_numbers(void **state)
{
    (void)state;
    char err[128];
    long n = -5;
    assert_int_equal(args_number("--port", "8443", 0, 65535, &n, err, sizeof err), 0);
    assert_int_equal(n, 8443);
    assert_int_equal(args_number("--port", "70000", 0, 65535, &n, err, sizeof err), -1);
    assert_string_equal(err, "--port wants a whole number from 0 to 65535, not '70000'");
    assert_int_equal(n, 8443); /* untouched */
    assert_int_equal(args_number("--port", "", 0, 65535, &n, err, sizeof err), -1);
    assert_int_equal(args_number("--port", "12 ", 0, 65535, &n, err, sizeof err), -1);
    assert_int_equal(args_number("--port", "99999999999999999999", 0, 65535, &n, err, sizeof err), -1);
}

static void test_long_option_table(void **state)
{
    (void)state;
    static const struct option opts[] = {ARGS_TLS_LONGOPTS, {NULL, 0, NULL, 0}};
    char a0[] = "prog", a1[] = "--tls-max=1.2", a2[] = "--pad", a3[] = "64";
    char *argv[] = {a0, a1, a2, a3, NULL};
    char err[256];
    struct tls_config cfg;
    tls_config_init(&cfg);
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(4, argv, ":", opts, NULL)) != -1)
        assert_int_equal(args_tls_option(c, optarg, &cfg, err, sizeof err), 1);
    assert_int_equal(cfg.max_version, TLS_V1_2);
    assert_int_equal(cfg.pad, 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_options_apply_to_the_config),
        cmocka_unit_test(test_bad_values_and_other_options),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_long_option_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
