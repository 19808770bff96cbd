/* SPDX-License-Identifier: ISC */
/* Unit tests for tls_server_new / tls_client_new: every configuration error is
 * one sentence that names the file or option and says what to do. Certificates
 * are made by the project's own scripts/gen-certs.sh into temporary folders. */
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

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cert_dirs.h"
#include "tls.h"
#include "tls_internal.h"

static int group_setup(void **state)
{
    (void)state;
    if (cert_dirs_setup("cfg", "--client alice", "") < 0)
        return -1;
    /* A file that is not PEM at all. */
    FILE *f = fopen(in(dir_a, "garbage.pem"), "w");
    if (!f)
        return -1;
    fputs("this is not a certificate\n", f);
    fclose(f);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    return cert_dirs_teardown();
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected \"%s\" in: %s", needle, hay);
}

/* One sentence: a single line, not empty, no OpenSSL error-queue dump. */
static void assert_sentence(const char *err)
{
    assert_true(strlen(err) > 20);
    assert_null(strchr(err, '\n'));
    assert_null(strstr(err, "error:0")); /* "error:0A000..." is the queue format */
}

/* A program that has every option, as tlschat and tlschatd together do. */
static const struct tls_words words = {
    .cert = "--cert", .key = "--key", .ca = "--ca", .client_ca = "--client-ca", .pin = "--pin",
    .servername = "--servername", .versions = "--tls-min", .make_certs = "scripts/gen-certs.sh",
    .show_cert = "scripts/show-cert.sh", .add_name = "gen-certs.sh --san",
};

static void init_cfg(struct tls_config *cfg)
{
    tls_config_init(cfg);
    cfg->words = &words;
}

static void server_cfg(struct tls_config *cfg, const char *dir)
{
    init_cfg(cfg);
    cfg->cert_file = in(dir, "server.crt");
    cfg->key_file = in(dir, "server.key");
    cfg->ignore_env = 1;
}

static void client_cfg(struct tls_config *cfg, const char *dir)
{
    init_cfg(cfg);
    cfg->ca_file = in(dir, "ca.crt");
    cfg->ignore_env = 1;
}

static void expect_server_err(const struct tls_config *cfg, char *err, size_t errlen)
{
    err[0] = '\0';
    struct tls *t = tls_server_new(cfg, err, errlen);
    if (t) {
        tls_free(t);
        fail_msg("tls_server_new succeeded, expected an error");
    }
    assert_sentence(err);
}

static void expect_client_err(const struct tls_config *cfg, char *err, size_t errlen)
{
    err[0] = '\0';
    struct tls *t = tls_client_new(cfg, err, errlen);
    if (t) {
        tls_free(t);
        fail_msg("tls_client_new succeeded, expected an error");
    }
    assert_sentence(err);
}

static void test_config_defaults(void **state)
{
    (void)state;
    struct tls_config cfg;
    memset(&cfg, 0xaa, sizeof cfg);
    tls_config_init(&cfg);
    assert_null(cfg.cert_file);
    assert_null(cfg.key_file);
    assert_null(cfg.ca_file);
    assert_null(cfg.pin);
    assert_null(cfg.keylog_file);
    assert_int_equal(cfg.insecure, 0);
    assert_int_equal(cfg.min_version, TLS_V1_2);
    assert_int_equal(cfg.pad, 0);
}

static void test_valid_server_and_client(void **state)
{
    (void)state;
    char err[512] = "";
    struct tls_config cfg;
    server_cfg(&cfg, dir_a);
    struct tls *s = tls_server_new(&cfg, err, sizeof err);
    if (!s)
        fail_msg("tls_server_new: %s", err);
    assert_true(tls_is_server(s));
    assert_false(tls_requires_client_cert(s));
    tls_free(s);

    cfg.client_ca_file = in(dir_a, "ca.crt");
    cfg.min_version = TLS_V1_3;
    cfg.pad = 16384;
    s = tls_server_new(&cfg, err, sizeof err);
    if (!s)
        fail_msg("tls_server_new with client CA: %s", err);
    assert_true(tls_requires_client_cert(s));
    tls_free(s);

    client_cfg(&cfg, dir_a);
    struct tls *c = tls_client_new(&cfg, err, sizeof err);
    if (!c)
        fail_msg("tls_client_new: %s", err);
    assert_false(tls_is_server(c));
    assert_false(tls_requires_client_cert(c));
    assert_contains(tls_verified_by(c), "CA ");
    assert_contains(tls_verified_by(c), in(dir_a, "ca.crt"));
    tls_free(c);

    /* Client with a certificate for mutual TLS. */
    cfg.cert_file = in(dir_a, "client-alice.crt");
    cfg.key_file = in(dir_a, "client-alice.key");
    c = tls_client_new(&cfg, err, sizeof err);
    if (!c)
        fail_msg("tls_client_new with client certificate: %s", err);
    tls_free(c);

    init_cfg(&cfg);
    cfg.insecure = 1;
    cfg.ignore_env = 1;
    c = tls_client_new(&cfg, err, sizeof err);
    if (!c)
        fail_msg("tls_client_new --insecure: %s", err);
    assert_contains(tls_verified_by(c), "NOTHING");
    tls_free(c);
    tls_free(NULL); /* NULL is fine */
}

static void test_missing_cert_file(void **state)
{
    (void)state;
    char err[512];
    struct tls_config cfg;
    server_cfg(&cfg, dir_a);
    cfg.cert_file = in(dir_a, "no-such-server.crt");
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, cfg.cert_file);
    assert_contains(err, "No such file");
    assert_contains(err, "gen-certs.sh"); /* how to make one */
    assert_contains(err, "--cert");
}

static void test_missing_key_file(void **state)
{
    (void)state;
    char err[512];
    struct tls_config cfg;
    server_cfg(&cfg, dir_a);
    cfg.key_file = in(dir_a, "no-such-server.key");
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, cfg.key_file);
    assert_contains(err, "private key");
    assert_contains(err, "gen-certs.sh");
    assert_contains(err, "--key");
}

static void test_server_without_cert(void **state)
{
    (void)state;
    char err[512];
    struct tls_config cfg;
    init_cfg(&cfg);
    cfg.ignore_env = 1;
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, "--cert");
}

static void test_garbage_cert_and_key(void **state)
{
    (void)state;
    char err[512];
    struct tls_config cfg;
    server_cfg(&cfg, dir_a);
    cfg.cert_file = in(dir_a, "garbage.pem");
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, "not valid PEM");
    assert_contains(err, cfg.cert_file);

    server_cfg(&cfg, dir_a);
    cfg.key_file = in(dir_a, "garbage.pem");
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, "not valid PEM");
    assert_contains(err, cfg.key_file);
    assert_contains(err, "--key");

    /* A certificate given as the key. */
    server_cfg(&cfg, dir_a);
    cfg.key_file = in(dir_a, "server.crt");
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, cfg.key_file);
}

static void test_directory_as_key(void **state)
{
    (void)state;
    char err[512];
    struct tls_config cfg;
    server_cfg(&cfg, dir_a);
    cfg.key_file = dir_a; /* a directory: readable by nobody (root too) as a key */
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, dir_a);
    assert_contains(err, "private key");
    assert_contains(err, "is a directory");
    assert_contains(err, "--key");

    server_cfg(&cfg, dir_a);
    cfg.cert_file = dir_b;
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, "certificate");
    assert_contains(err, "is a directory");
    assert_contains(err, "--cert");

    client_cfg(&cfg, dir_a);
    cfg.ca_file = dir_b;
    expect_client_err(&cfg, err, sizeof err);
    assert_contains(err, "is a directory");
    assert_contains(err, "--ca");
}

static void test_key_does_not_match_cert(void **state)
{
    (void)state;
    char err[512];
    struct tls_config cfg;
    server_cfg(&cfg, dir_a);
    cfg.key_file = in(dir_b, "server.key");
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, "does not match");
    assert_contains(err, cfg.key_file);
    assert_contains(err, cfg.cert_file);

    /* The client's certificate and key for mutual TLS are checked the same way. */
    client_cfg(&cfg, dir_a);
    cfg.cert_file = in(dir_a, "client-alice.crt");
    cfg.key_file = in(dir_b, "server.key");
    expect_client_err(&cfg, err, sizeof err);
    assert_contains(err, "does not match");
}

static void test_client_without_ca_or_pin(void **state)
{
    (void)state;
    char err[512];
    struct tls_config cfg;
    init_cfg(&cfg);
    cfg.ignore_env = 1;
    expect_client_err(&cfg, err, sizeof err);
    assert_contains(err, "--ca");
    assert_contains(err, "--pin");
}

static void test_client_missing_ca_file(void **state)
{
    (void)state;
    char err[512];
    struct tls_config cfg;
    client_cfg(&cfg, dir_a);
    cfg.ca_file = in(dir_a, "no-such-ca.crt");
    expect_client_err(&cfg, err, sizeof err);
    assert_contains(err, cfg.ca_file);
    assert_contains(err, "--ca");

    client_cfg(&cfg, dir_a);
    cfg.ca_file = in(dir_a, "garbage.pem");
    expect_client_err(&cfg, err, sizeof err);
    assert_contains(err, cfg.ca_file);
}

static void test_server_missing_client_ca(void **state)
{
    (void)state;
    char err[512];
    struct tls_config cfg;
    server_cfg(&cfg, dir_a);
    cfg.client_ca_file = in(dir_a, "no-such-client-ca.crt");
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, cfg.client_ca_file);
    assert_contains(err, "--client-ca");
}

/* The certificate's SHA-256 over its DER, computed here without tls.c. */
static void cert_fingerprint_hex(const char *path, char *hex, size_t hexlen)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    assert_int_equal(X509_digest(x, EVP_sha256(), md, &n), 1);
    assert_int_equal(n, 32);
    assert_true(hexlen >= 65);
    for (unsigned i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    X509_free(x);
}

static void test_pin_forms(void **state)
{
    (void)state;
    char err[512] = "", hex[80], pin[300];
    cert_fingerprint_hex(in(dir_a, "server.crt"), hex, sizeof hex);
    struct tls_config cfg;
    init_cfg(&cfg);
    cfg.ignore_env = 1;

    snprintf(pin, sizeof pin, "sha256:%s", hex);
    cfg.pin = pin;
    struct tls *c = tls_client_new(&cfg, err, sizeof err);
    if (!c)
        fail_msg("pin alone: %s", err);
    assert_contains(tls_verified_by(c), "--pin");
    tls_free(c);

    /* openssl's AA:BB:.. form, upper case, without the prefix */
    size_t o = 0;
    for (int i = 0; i < 32; i++)
        o += (size_t)snprintf(pin + o, sizeof pin - o, "%s%c%c", i ? ":" : "", hex[2 * i], hex[2 * i + 1]);
    for (char *p = pin; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    c = tls_client_new(&cfg, err, sizeof err);
    if (!c)
        fail_msg("pin %s: %s", pin, err);
    tls_free(c);

    /* pin with a CA: both */
    snprintf(pin, sizeof pin, "sha256:%s", hex);
    cfg.ca_file = in(dir_a, "ca.crt");
    c = tls_client_new(&cfg, err, sizeof err);
    if (!c)
        fail_msg("pin and CA: %s", err);
    assert_contains(tls_verified_by(c), "--pin");
    assert_contains(tls_verified_by(c), "CA ");
    tls_free(c);
}

static void test_bad_pins(void **state)
{
    (void)state;
    char err[512];
    const char *bad[] = {
        "sha256:zz",
        "nonsense",
        "sha256:",
        "",
        /* 63 and 65 hex digits */
        "sha256:000000000000000000000000000000000000000000000000000000000000000",
        "sha256:00000000000000000000000000000000000000000000000000000000000000000",
        /* 64 digits, one not hex */
        "sha256:000000000000000000000000000000000000000000000000000000000000000g",
        /* sha1-length */
        "sha256:da39a3ee5e6b4b0d3255bfef95601890afd80709",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tls_config cfg;
        init_cfg(&cfg);
        cfg.ignore_env = 1;
        cfg.pin = bad[i];
        expect_client_err(&cfg, err, sizeof err);
        assert_contains(err, "--pin");
        assert_contains(err, "64 hex");
    }
}

static void test_bad_pad(void **state)
{
    (void)state;
    char err[512];
    struct tls_config cfg;
    server_cfg(&cfg, dir_a);
    cfg.pad = 16385;
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, "16385");
    assert_contains(err, "16384");

    client_cfg(&cfg, dir_a);
    cfg.pad = 1u << 20;
    expect_client_err(&cfg, err, sizeof err);
    assert_contains(err, "padding");
}

static void test_bad_min_version(void **state)
{
    (void)state;
    char err[512];
    struct tls_config cfg;
    server_cfg(&cfg, dir_a);
    cfg.min_version = 11;
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, "1.2");
    assert_contains(err, "1.3");
}

static void test_keylog_unwritable(void **state)
{
    (void)state;
    char err[512];
    struct tls_config cfg;
    client_cfg(&cfg, dir_a);
    /* Below a regular file: no one, not even root, can create it. */
    cfg.keylog_file = in(dir_a, "ca.crt/keys.log");
    expect_client_err(&cfg, err, sizeof err);
    assert_contains(err, "key log");
    assert_contains(err, cfg.keylog_file);

    server_cfg(&cfg, dir_a);
    cfg.keylog_file = "/nonexistent-tlschat-dir/keys.log";
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, "key log");
    assert_contains(err, "/nonexistent-tlschat-dir/keys.log");
}

static void test_keylog_from_environment(void **state)
{
    (void)state;
    char err[512] = "";
    struct tls_config cfg;
    const char *bad = "/nonexistent-tlschat-dir/env-keys.log";
    setenv("SSLKEYLOGFILE", bad, 1);

    /* Read from the environment unless told not to. */
    client_cfg(&cfg, dir_a);
    cfg.ignore_env = 0;
    expect_client_err(&cfg, err, sizeof err);
    assert_contains(err, bad);
    assert_contains(err, "SSLKEYLOGFILE");

    cfg.ignore_env = 1;
    struct tls *c = tls_client_new(&cfg, err, sizeof err);
    if (!c)
        fail_msg("ignore_env still read SSLKEYLOGFILE: %s", err);
    tls_free(c);

    /* A good key log path: created owner-only. */
    const char *good = in(dir_a, "keys.log");
    setenv("SSLKEYLOGFILE", good, 1);
    cfg.ignore_env = 0;
    c = tls_client_new(&cfg, err, sizeof err);
    unsetenv("SSLKEYLOGFILE");
    if (!c)
        fail_msg("keylog %s: %s", good, err);
    struct stat st;
    assert_int_equal(stat(good, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    tls_free(c);
    unlink(good);
}

/* The key log holds secrets and the programs may run as root: never through
 * a symbolic link, never into a FIFO or device, never a file others can read
 * or another user owns; an existing file is appended to, never chmod-ed. */
static void keylog_refused(const char *path, const char *why)
{
    char err[512] = "";
    struct tls_config cfg;
    client_cfg(&cfg, dir_a);
    cfg.keylog_file = path;
    expect_client_err(&cfg, err, sizeof err);
    assert_contains(err, path);
    assert_contains(err, why);
}

static void test_keylog_file_rules(void **state)
{
    (void)state;
    char err[512] = "";
    struct stat st;
    const char *target = in(dir_a, "public.txt");
    const char *link = in(dir_a, "keys-link.log");
    FILE *f = fopen(target, "w");
    assert_non_null(f);
    fputs("public\n", f);
    fclose(f);
    assert_int_equal(chmod(target, 0644), 0);
    assert_int_equal(symlink(target, link), 0);

    keylog_refused(link, "symbolic link");
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644); /* not chmod-ed */
    assert_int_equal(st.st_size, 7);           /* nothing written */

    keylog_refused(target, "can be read by others");
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);

    const char *fifo = in(dir_a, "keys.fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    keylog_refused(fifo, "not a regular file"); /* at once: no reader is waited for */
    keylog_refused("/dev/null", "not a regular file");
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666);
    keylog_refused(dir_a, "is a directory");

    /* An existing private file is appended to, and its mode left alone. */
    const char *mine = in(dir_a, "mine.log");
    f = fopen(mine, "w");
    assert_non_null(f);
    fputs("old line\n", f);
    fclose(f);
    assert_int_equal(chmod(mine, 0400), 0);
    assert_int_equal(chmod(mine, 0600), 0);
    struct tls_config cfg;
    client_cfg(&cfg, dir_a);
    cfg.keylog_file = mine;
    struct tls *c = tls_client_new(&cfg, err, sizeof err);
    if (!c)
        fail_msg("keylog %s: %s", mine, err);
    assert_non_null(tls_keylog_warning(c));
    assert_contains(tls_keylog_warning(c), mine);
    tls_free(c);
    assert_int_equal(stat(mine, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 9);

    /* No key log, no warning. */
    client_cfg(&cfg, dir_a);
    c = tls_client_new(&cfg, err, sizeof err);
    assert_non_null(c);
    assert_null(tls_keylog_warning(c));
    tls_free(c);
    unlink(link);
    unlink(target);
    unlink(fifo);
    unlink(mine);
}

static void test_reload(void **state)
{
    (void)state;
    char err[512] = "";
    struct tls_config cfg;
    char crt[300], key[300];
    /* Copies that the test can replace. */
    snprintf(crt, sizeof crt, "%s/reload.crt", dir_a);
    snprintf(key, sizeof key, "%s/reload.key", dir_a);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp '%s/server.crt' '%s' && cp '%s/server.key' '%s'", dir_a, crt, dir_a, key);
    assert_int_equal(system(cmd), 0);
    server_cfg(&cfg, dir_a);
    cfg.cert_file = crt;
    cfg.key_file = key;
    struct tls *s = tls_server_new(&cfg, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    assert_int_equal(tls_reload(s, err, sizeof err), 0);
    /* Replace the key by one that does not match: reload fails, says why. */
    snprintf(cmd, sizeof cmd, "cp '%s/server.key' '%s'", dir_b, key);
    assert_int_equal(system(cmd), 0);
    err[0] = '\0';
    assert_int_equal(tls_reload(s, err, sizeof err), -1);
    assert_contains(err, "does not match");
    unlink(crt);
    err[0] = '\0';
    assert_int_equal(tls_reload(s, err, sizeof err), -1);
    assert_contains(err, crt);
    tls_free(s);
    unlink(key);
}

/* A program with none of these options (tlschat-bench, say) gets hints in
 * plain words: no sentence names an option it does not have. */
static void test_hints_without_words(void **state)
{
    (void)state;
    char err[512];
    struct tls_config cfg;
    tls_config_init(&cfg);
    cfg.ignore_env = 1;
    cfg.cert_file = in(dir_a, "no-such-server.crt");
    cfg.key_file = in(dir_a, "server.key");
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, "make certificates first");
    assert_null(strstr(err, "--"));

    tls_config_init(&cfg);
    cfg.ignore_env = 1;
    expect_server_err(&cfg, err, sizeof err);
    assert_contains(err, "certificate and its key");
    assert_null(strstr(err, "--"));

    tls_config_init(&cfg);
    cfg.ignore_env = 1;
    expect_client_err(&cfg, err, sizeof err);
    assert_contains(err, "nothing to verify the server with");
    assert_null(strstr(err, "--"));

    tls_config_init(&cfg);
    cfg.ignore_env = 1;
    cfg.ca_file = in(dir_a, "server.key"); /* not a certificate */
    expect_client_err(&cfg, err, sizeof err);
    assert_contains(err, "is it the right file?");
    assert_null(strstr(err, "--"));
}

/* One checker each for versions, padding and pins: the library and the option
 * parsers call the same ones. */
static void test_value_checkers(void **state)
{
    (void)state;
    char err[256];
    unsigned char sha[TLS_SHA256_LEN];
    assert_int_equal(tls_version_parse("1.2"), TLS_V1_2);
    assert_int_equal(tls_version_parse("1.3"), TLS_V1_3);
    assert_int_equal(tls_version_parse("1.1"), -1);
    assert_int_equal(tls_version_parse(""), -1);
    assert_int_equal(tls_version_check(TLS_V1_2, 0, err, sizeof err), 0);
    assert_int_equal(tls_version_check(TLS_V1_3, TLS_V1_3, err, sizeof err), 0);
    assert_int_equal(tls_version_check(TLS_V1_3, TLS_V1_2, err, sizeof err), -1);
    assert_contains(err, "no TLS version is left");
    assert_int_equal(tls_version_check(11, 0, err, sizeof err), -1);
    assert_int_equal(tls_pad_check(0, err, sizeof err), 0);
    assert_int_equal(tls_pad_check(TLS_PAD_MAX, err, sizeof err), 0);
    assert_int_equal(tls_pad_check(TLS_PAD_MAX + 1, err, sizeof err), -1);
    assert_contains(err, "16385");
    memset(sha, 0, sizeof sha);
    assert_int_equal(tls_pin_parse("sha256:ff00000000000000000000000000000000000000000000000000000000000001", sha,
                                   err, sizeof err), 0);
    assert_int_equal(sha[0], 0xff);
    assert_int_equal(sha[31], 0x01);
    assert_int_equal(tls_pin_parse("FF:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:02",
                                   NULL, err, sizeof err), 0);
    assert_int_equal(tls_pin_parse("sha256:abc", NULL, err, sizeof err), -1);
    assert_contains(err, "'sha256:abc' is not a SHA-256 fingerprint");
    assert_null(strstr(err, "--"));
}

static void test_fingerprint_text(void **state)
{
    (void)state;
    char buf[80];
    tls_fingerprint_text((const unsigned char *)"abc", 3, buf, sizeof buf);
    assert_string_equal(buf, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* Too small a buffer: no overflow, and not a wrong fingerprint. */
    char small[20];
    memset(small, 'x', sizeof small);
    tls_fingerprint_text((const unsigned char *)"abc", 3, small, sizeof small);
    assert_non_null(memchr(small, '\0', sizeof small));
    assert_null(strstr(small, "ba7816bf8f01cfea"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_valid_server_and_client),
        cmocka_unit_test(test_missing_cert_file),
        cmocka_unit_test(test_missing_key_file),
        cmocka_unit_test(test_server_without_cert),
        cmocka_unit_test(test_garbage_cert_and_key),
        cmocka_unit_test(test_directory_as_key),
        cmocka_unit_test(test_key_does_not_match_cert),
        cmocka_unit_test(test_client_without_ca_or_pin),
        cmocka_unit_test(test_client_missing_ca_file),
        cmocka_unit_test(test_server_missing_client_ca),
        cmocka_unit_test(test_pin_forms),
        cmocka_unit_test(test_bad_pins),
        cmocka_unit_test(test_bad_pad),
        cmocka_unit_test(test_bad_min_version),
        cmocka_unit_test(test_keylog_unwritable),
        cmocka_unit_test(test_keylog_from_environment),
        cmocka_unit_test(test_keylog_file_rules),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_hints_without_words),
        cmocka_unit_test(test_value_checkers),
        cmocka_unit_test(test_fingerprint_text),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
