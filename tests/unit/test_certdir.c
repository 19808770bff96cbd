/* SPDX-License-Identifier: ISC */
/* Unit tests for certdir_find: the search order's edges, in a scratch
 * directory with the environment set per test (the e2e tests cover the
 * programs that use it). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certdir.h"

struct scratch {
    char top[64];
    char old_cwd[CERTDIR_PATH_MAX];
};

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

static void sub(const struct scratch *s, const char *rel, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%s", s->top, rel);
    assert_true(n > 0 && (size_t)n < len);
}

/* A scratch directory to stand in, with home/ and no variable of the order set. */
static int setup(void **state)
{
    static struct scratch s;
    snprintf(s.top, sizeof s.top, "/tmp/test_certdir.XXXXXX");
    assert_non_null(mkdtemp(s.top));
    assert_non_null(getcwd(s.old_cwd, sizeof s.old_cwd));
    assert_int_equal(chdir(s.top), 0);
    char home[CERTDIR_PATH_MAX];
    sub(&s, "home", home, sizeof home);
    assert_int_equal(mkdir(home, 0755), 0);
    setenv("HOME", home, 1);
    unsetenv("TLSCHAT_CERTS");
    unsetenv("CREDENTIALS_DIRECTORY");
    unsetenv("XDG_CONFIG_HOME");
    *state = &s;
    return 0;
}

static int teardown(void **state)
{
    const struct scratch *s = *state;
    char cmd[128];
    assert_int_equal(chdir(s->old_cwd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->top);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void test_env_with_a_trailing_slash(void **state)
{
    const struct scratch *s = *state;
    char dir[CERTDIR_PATH_MAX], want[CERTDIR_PATH_MAX], path[CERTDIR_PATH_MAX], err[512];
    sub(s, "env", dir, sizeof dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    sub(s, "env/ca.crt", want, sizeof want);
    touch(want);
    strcat(dir, "//");
    setenv("TLSCHAT_CERTS", dir, 1);
    assert_int_equal(certdir_find("ca.crt", "HINT", path, sizeof path, err, sizeof err), 0);
    assert_string_equal(path, want);
}

static void test_empty_env_is_unset_and_relative_places_are_ignored(void **state)
{
    const struct scratch *s = *state;
    char path[CERTDIR_PATH_MAX], err[1024], want[512], home_dir[128];
    setenv("TLSCHAT_CERTS", "", 1);
    setenv("CREDENTIALS_DIRECTORY", "relative", 1);
    setenv("XDG_CONFIG_HOME", "also-relative", 1);
    assert_int_equal(certdir_find("server.crt", "HINT", path, sizeof path, err, sizeof err), -1);
    assert_string_equal(path, "");
    sub(s, "home/.config/tlschat", home_dir, sizeof home_dir);
    snprintf(want, sizeof want, "found no server.crt in ./certs, %s or /etc/tlschat: HINT", home_dir);
    if (access("/etc/tlschat", F_OK) == 0)
        skip();
    assert_string_equal(err, want);
}

static void test_no_home_no_user_directory(void **state)
{
    (void)state;
    char path[CERTDIR_PATH_MAX], err[512];
    unsetenv("HOME");
    if (access("/etc/tlschat", F_OK) == 0)
        skip();
    assert_int_equal(certdir_find("ca.crt", "HINT", path, sizeof path, err, sizeof err), -1);
    assert_string_equal(err, "found no ca.crt in ./certs or /etc/tlschat: HINT");
}

static void test_local_certs_is_relative_and_wins_over_home(void **state)
{
    const struct scratch *s = *state;
    char path[CERTDIR_PATH_MAX], err[512], f[CERTDIR_PATH_MAX];
    assert_int_equal(mkdir("certs", 0755), 0);
    touch("certs/ca.crt");
    sub(s, "home/.config", f, sizeof f);
    assert_int_equal(mkdir(f, 0755), 0);
    sub(s, "home/.config/tlschat", f, sizeof f);
    assert_int_equal(mkdir(f, 0755), 0);
    sub(s, "home/.config/tlschat/ca.crt", f, sizeof f);
    touch(f);
    assert_int_equal(certdir_find("ca.crt", "HINT", path, sizeof path, err, sizeof err), 0);
    assert_string_equal(path, "certs/ca.crt");
    assert_int_equal(unlink("certs/ca.crt"), 0);
    assert_int_equal(certdir_find("ca.crt", "HINT", path, sizeof path, err, sizeof err), 0);
    assert_string_equal(path, f);
}

static void test_a_path_that_does_not_fit(void **state)
{
    (void)state;
    char path[8], err[512];
    setenv("TLSCHAT_CERTS", "/tmp", 1);
    assert_int_equal(certdir_find("server.crt", "HINT", path, sizeof path, err, sizeof err), -1);
    assert_string_equal(err, "TLSCHAT_CERTS is too long a path: set it to a shorter one");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_env_with_a_trailing_slash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_env_is_unset_and_relative_places_are_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_home_no_user_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_certs_is_relative_and_wins_over_home, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_path_that_does_not_fit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
