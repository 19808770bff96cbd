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
    struct tls_config cfg;
    tls_config_init(&cfg);
    assert_int_equal(args_tls_option("t", ARGS_TLS_MIN, "1.3", &cfg), 1);
    assert_int_equal(cfg.min_version, TLS_V1_3);
    assert_int_equal(args_tls_option("t", ARGS_TLS_MAX, "1.3", &cfg), 1);
    assert_int_equal(cfg.max_version, TLS_V1_3);
    assert_int_equal(args_tls_option("t", ARGS_KEYLOG, "/tmp/k.log", &cfg), 1);
    assert_string_equal(cfg.keylog_file, "/tmp/k.log");
    assert_int_equal(args_tls_option("t", ARGS_PAD, "256", &cfg), 1);
    assert_int_equal(cfg.pad, 256);
    assert_int_equal(args_tls_range("t", &cfg), 0);
}

static void test_bad_values_and_other_options(void **state)
{
    (void)state;
    struct tls_config cfg;
    tls_config_init(&cfg);
    assert_int_equal(args_tls_option("t", ARGS_TLS_MIN, "1.1", &cfg), -1);
    assert_int_equal(args_tls_option("t", ARGS_TLS_MAX, "", &cfg), -1);
    assert_int_equal(args_tls_option("t", ARGS_PAD, "0", &cfg), -1);
    assert_int_equal(args_tls_option("t", ARGS_PAD, "16385", &cfg), -1);
    assert_int_equal(args_tls_option("t", ARGS_PAD, "12x", &cfg), -1);
    /* a refused value changes nothing */
    assert_int_equal(cfg.pad, 0);
    assert_int_equal(cfg.min_version, TLS_V1_2);
    assert_int_equal(cfg.max_version, 0);
    assert_int_equal(args_tls_option("t", 'v', NULL, &cfg), 0);
    assert_int_equal(args_tls_option("t", 300, "x", &cfg), 0);
    assert_int_equal(args_tls_option("t", ARGS_PAD, NULL, &cfg), -1);
    cfg.min_version = TLS_V1_3;
    cfg.max_version = TLS_V1_2;
    assert_int_equal(args_tls_range("t", &cfg), -1);
    assert_int_equal(args_refused("t", ':', "--pad"), 2);
    assert_int_equal(args_refused("t", '?', "--bogus"), 2);
}

static void test_long_option_table(void **state)
{
    (void)state;
    static const struct option opts[] = {ARGS_TLS_LONGOPTS, {NULL, 0, NULL, 0}};
    char a0[] = "prog", a1[] = "--tls-max=1.2", a2[] = "--pad", a3[] = "64";
    char *argv[] = {a0, a1, a2, a3, NULL};
    struct tls_config cfg;
    tls_config_init(&cfg);
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(4, argv, ":", opts, NULL)) != -1)
        assert_int_equal(args_tls_option("t", c, optarg, &cfg), 1);
    assert_int_equal(cfg.max_version, TLS_V1_2);
    assert_int_equal(cfg.pad, 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_options_apply_to_the_config),
        cmocka_unit_test(test_bad_values_and_other_options),
        cmocka_unit_test(test_long_option_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
