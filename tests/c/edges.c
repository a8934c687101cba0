/*
 * edges.c: the C interface's edges, each checked for its documented status and a message that
 * names what was wrong. Needs the emulator's (or a FirecREST's) variables: FIRECREST_URL,
 * FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET, AUTH_TOKEN_URL, FIRECREST_SYSTEM, FIRECREST_HOME,
 * and the test-only export (build with -DFIRECREST_TEST_EXPORTS against a library built with the
 * cargo feature `test-exports`). Prints "edges: N passed, M failed"; exit status 0 when none failed.
 */
#define _POSIX_C_SOURCE 200809L

#include <firecrest.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FIRECREST_TEST_EXPORTS
#error "build edges.c with -DFIRECREST_TEST_EXPORTS"
#endif

static int passed = 0, failed = 0;

static void check(int cond, const char *what) {
    if (cond) {
        passed++;
    } else {
        failed++;
        char msg[1024];
        firecrest_last_error_message(msg, sizeof msg, NULL);
        printf("FAIL: %s (last error: %s)\n", what, msg);
    }
}

/* The last error message on this thread (static buffer). */
static const char *last_message(void) {
    static char msg[4096];
    firecrest_last_error_message(msg, sizeof msg, NULL);
    return msg;
}

/* `s` is `expected` and the last message mentions `needle`. */
static void expect(firecrest_status s, firecrest_status expected, const char *needle,
                   const char *what) {
    char line[8192];
    snprintf(line, sizeof line, "%s: got %s, want %s", what, firecrest_status_str(s),
             firecrest_status_str(expected));
    check(s == expected, line);
    if (s == expected && needle) {
        snprintf(line, sizeof line, "%s: message \"%s\" mentions \"%s\"", what, last_message(),
                 needle);
        check(strstr(last_message(), needle) != NULL, line);
    }
}

static const char *env(const char *name) {
    const char *v = getenv(name);
    if (!v) {
        fprintf(stderr, "edges: %s is not set\n", name);
        exit(2);
    }
    return v;
}

static int32_t token_cb_refuses(void *userdata, char *buf, size_t buf_len) {
    (void)buf;
    (void)buf_len;
    ++*(int *)userdata;
    return 7;
}

static int32_t token_cb_bogus(void *userdata, char *buf, size_t buf_len) {
    ++*(int *)userdata;
    snprintf(buf, buf_len, "%s", "not-a-valid-token");
    return 0;
}

static int32_t progress_aborts(void *userdata, uint64_t done, uint64_t total) {
    (void)done;
    (void)total;
    ++*(int *)userdata;
    return 1;
}

struct shared {
    firecrest_client *c;
    const char *system, *home;
    int ok;
};

static void *list_home(void *arg) {
    struct shared *sh = arg;
    for (int i = 0; i < 5; i++) {
        char *json = NULL;
        if (firecrest_list_files(sh->c, sh->system, sh->home, 1, &json) == FIRECREST_STATUS_OK) {
            sh->ok++;
        }
        firecrest_string_free(json);
    }
    return NULL;
}

int main(void) {
    const char *url = env("FIRECREST_URL"), *token_url = env("AUTH_TOKEN_URL");
    const char *client_id = env("FIRECREST_CLIENT_ID"), *secret = env("FIRECREST_CLIENT_SECRET");
    const char *system = env("FIRECREST_SYSTEM"), *home = env("FIRECREST_HOME");
    firecrest_status s;
    char *json = NULL;

    /* ---- library basics */
    char version[32];
    snprintf(version, sizeof version, "%d.%d.%d", FIRECREST_VERSION_MAJOR,
             FIRECREST_VERSION_MINOR, FIRECREST_VERSION_PATCH);
    check(strcmp(version, firecrest_version()) == 0, "version macros match firecrest_version()");
    check(FIRECREST_VERSION_NUMBER == FIRECREST_VERSION_MAJOR * 10000 +
                                          FIRECREST_VERSION_MINOR * 100 + FIRECREST_VERSION_PATCH,
          "FIRECREST_VERSION_NUMBER");
    check(strcmp(firecrest_status_str(FIRECREST_STATUS_NOT_FOUND), "FIRECREST_STATUS_NOT_FOUND") ==
              0,
          "status_str(NOT_FOUND)");
    check(strcmp(firecrest_status_str(12345), "FIRECREST_STATUS_UNKNOWN") == 0,
          "status_str(unknown value)");
    check(FIRECREST_STATUS_OK == 0 && FIRECREST_STATUS_PANIC == 98 &&
              FIRECREST_STATUS_ABORTED_BY_CALLBACK == 60 && FIRECREST_UPLOAD_URL_READY == 111 &&
              FIRECREST_TASK_INVALIDATED == 302,
          "constant values");

    /* ---- _free(NULL) is a no-op */
    firecrest_string_free(NULL);
    firecrest_auth_free(NULL);
    firecrest_options_free(NULL);
    firecrest_client_free(NULL);
    firecrest_transfer_free(NULL);
    check(1, "_free(NULL)");

    /* ---- NULL arguments */
    firecrest_auth *auth = NULL;
    expect(firecrest_auth_static_token_new(NULL, &auth), FIRECREST_STATUS_NULL_ARGUMENT,
           "access_token", "static_token_new(NULL)");
    expect(firecrest_auth_static_token_new("t", NULL), FIRECREST_STATUS_NULL_ARGUMENT, "auth_out",
           "static_token_new(out NULL)");
    expect(firecrest_auth_callback_new(NULL, NULL, &auth), FIRECREST_STATUS_NULL_ARGUMENT, "cb",
           "callback_new(NULL cb)");
    expect(firecrest_client_new(NULL, NULL, NULL, NULL), FIRECREST_STATUS_NULL_ARGUMENT,
           "firecrest_url", "client_new(NULL url)");
    expect(firecrest_options_set_timeout_ms(NULL, 5), FIRECREST_STATUS_NULL_ARGUMENT, "`o`",
           "options_set_timeout_ms(NULL)");
    expect(firecrest_all_systems(NULL, &json), FIRECREST_STATUS_NULL_ARGUMENT, "`c`",
           "all_systems(NULL client)");
    expect(firecrest_transfer_status(NULL, NULL), FIRECREST_STATUS_NULL_ARGUMENT, "`t`",
           "transfer_status(NULL)");
    expect(firecrest_json_get_string(NULL, "", &json), FIRECREST_STATUS_NULL_ARGUMENT, "json",
           "json_get_string(NULL json)");
    check(json == NULL, "no output written on failure");
    check(firecrest_client_api_version(NULL) == 0, "api_version(NULL) is 0");

    /* ---- the last error: thread-local, copied, BUFFER_TOO_SMALL with the full length */
    expect(firecrest_auth_static_token_new(NULL, &auth), FIRECREST_STATUS_NULL_ARGUMENT, NULL,
           "an error to read");
    char small[8];
    size_t full = 0;
    s = firecrest_last_error_message(small, sizeof small, &full);
    check(s == FIRECREST_STATUS_BUFFER_TOO_SMALL, "last_error_message: BUFFER_TOO_SMALL");
    check(strlen(small) == sizeof small - 1, "truncated message is NUL-terminated");
    check(full == strlen(last_message()) && full > sizeof small, "full length reported");
    s = firecrest_last_error_message(NULL, 0, &full);
    check(s == FIRECREST_STATUS_BUFFER_TOO_SMALL && full > 0, "length query with NULL buffer");
    check(firecrest_last_error_message(NULL, 5, NULL) == FIRECREST_STATUS_NULL_ARGUMENT,
          "NULL buffer with a length");
    check(firecrest_last_error_http_status() == 0, "no HTTP status for a NULL argument");

    /* ---- options */
    firecrest_options *o = NULL;
    check(firecrest_options_new(&o) == FIRECREST_STATUS_OK, "options_new");
    expect(firecrest_options_set_api_version(o, 7), FIRECREST_STATUS_INVALID_ARGUMENT, "version",
           "set_api_version(7)");
    expect(firecrest_options_set_timeout_ms(o, 0), FIRECREST_STATUS_INVALID_ARGUMENT, "ms",
           "set_timeout_ms(0)");
    expect(firecrest_options_set_poll_interval_ms(o, 50, 10), FIRECREST_STATUS_INVALID_ARGUMENT,
           "initial_ms", "poll interval initial > max");
    check(firecrest_options_set_timeout_ms(o, 20000) == FIRECREST_STATUS_OK &&
              firecrest_options_set_max_retries(o, 1) == FIRECREST_STATUS_OK &&
              firecrest_options_set_poll_interval_ms(o, 10, 200) == FIRECREST_STATUS_OK &&
              firecrest_options_set_token_refresh_margin_s(o, 30) == FIRECREST_STATUS_OK &&
              firecrest_options_set_parallel_parts(o, 2) == FIRECREST_STATUS_OK &&
              firecrest_options_set_user_agent(o, "edges.c") == FIRECREST_STATUS_OK,
          "option setters");
    expect(firecrest_options_set_transfer_account(o, "two words"),
           FIRECREST_STATUS_INVALID_ARGUMENT, "transfer_account", "account with a space");
    expect(firecrest_options_set_transfer_account(o, ""), FIRECREST_STATUS_INVALID_ARGUMENT,
           "account", "empty account");
    check(firecrest_options_set_transfer_account(o, "testproject") == FIRECREST_STATUS_OK,
          "set_transfer_account");

    /* ---- client construction: a malformed URL, an unreadable CA file */
    firecrest_client *never = NULL;
    check(firecrest_auth_static_token_new("token", &auth) == FIRECREST_STATUS_OK, "static token");
    expect(firecrest_client_new("ftp://example", auth, NULL, &never),
           FIRECREST_STATUS_INVALID_ARGUMENT, "ftp://example", "client_new(malformed URL)");
    firecrest_options *ca = NULL;
    firecrest_options_new(&ca);
    check(firecrest_options_set_ca_file(ca, "/no/such/ca.pem") == FIRECREST_STATUS_OK,
          "set_ca_file");
    expect(firecrest_client_new(url, auth, ca, &never), FIRECREST_STATUS_IO, "/no/such/ca.pem",
           "client_new(missing CA file)");
    check(never == NULL, "no client written on failure");
    firecrest_options_free(ca);
    firecrest_auth_free(auth);
    auth = NULL;

    /* ---- a working client */
    firecrest_client *c = NULL;
    check(firecrest_auth_client_credentials_new(client_id, secret, token_url, &auth) ==
              FIRECREST_STATUS_OK,
          "client_credentials_new");
    check(firecrest_client_new(url, auth, o, &c) == FIRECREST_STATUS_OK, "client_new");
    firecrest_auth_free(auth); /* the client keeps its own reference */
    auth = NULL;
    if (!c) {
        printf("edges: %d passed, %d failed (no client)\n", passed, failed + 1);
        return 1;
    }
    check(firecrest_all_systems(c, &json) == FIRECREST_STATUS_OK, "all_systems");
    firecrest_string_free(json);
    json = NULL;
    int32_t v = firecrest_client_api_version(c);
    check(v == 1 || v == 2, "api_version known after a call");

    /* ---- invalid UTF-8 */
    expect(firecrest_list_files(c, "\xff\xfe", home, 0, &json), FIRECREST_STATUS_INVALID_ARGUMENT,
           "system", "list_files(non-UTF-8 system)");
    expect(firecrest_list_files(c, system, NULL, 0, &json), FIRECREST_STATUS_NULL_ARGUMENT, "path",
           "list_files(NULL path)");
    expect(firecrest_list_files(c, system, home, 0, NULL), FIRECREST_STATUS_NULL_ARGUMENT,
           "json_out", "list_files(NULL json_out)");

    /* ---- unknown system, missing path: the message names them and carries the HTTP status */
    s = firecrest_list_files(c, "no-such-system", home, 0, &json);
    check(s == FIRECREST_STATUS_NOT_FOUND || s == FIRECREST_STATUS_API_ERROR ||
              s == FIRECREST_STATUS_FORBIDDEN,
          "unknown system: NOT_FOUND, FORBIDDEN or API_ERROR");
    check(strstr(last_message(), "no-such-system") != NULL, "unknown system named in message");
    check(firecrest_last_error_http_status() >= 400, "unknown system: HTTP status kept");
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no-such-dir-%ld", home, (long)getpid());
    s = firecrest_list_files(c, system, missing, 0, &json);
    check(s == FIRECREST_STATUS_NOT_FOUND || s == FIRECREST_STATUS_API_ERROR,
          "missing path: NOT_FOUND or API_ERROR");
    check(strstr(last_message(), "no-such-dir") != NULL, "missing path named in message");
    check(json == NULL, "no JSON written on failure");

    /* ---- wrong credentials: AUTH, and the secret never appears */
    firecrest_client *bad = NULL;
    const char *wrong_secret = "wrong-secret-0123456789";
    check(firecrest_auth_client_credentials_new(client_id, wrong_secret, token_url, &auth) ==
              FIRECREST_STATUS_OK,
          "client_credentials_new(wrong secret)");
    check(firecrest_client_new(url, auth, NULL, &bad) == FIRECREST_STATUS_OK, "client_new(bad)");
    firecrest_auth_free(auth);
    auth = NULL;
    s = firecrest_list_files(bad, system, home, 0, &json);
    expect(s, FIRECREST_STATUS_AUTH, NULL, "wrong credentials");
    check(strstr(last_message(), wrong_secret) == NULL, "the secret is not in the message");
    check(strlen(last_message()) > 0, "wrong credentials: a message");
    firecrest_client_free(bad);
    bad = NULL;

    /* ---- token callbacks: a refusal aborts, a bogus token is UNAUTHORIZED */
    int calls = 0;
    check(firecrest_auth_callback_new(token_cb_refuses, &calls, &auth) == FIRECREST_STATUS_OK,
          "callback_new");
    check(firecrest_client_new(url, auth, o, &bad) == FIRECREST_STATUS_OK, "client_new(cb)");
    firecrest_auth_free(auth);
    auth = NULL;
    expect(firecrest_list_files(bad, system, home, 0, &json),
           FIRECREST_STATUS_ABORTED_BY_CALLBACK, "callback", "token callback returning 7");
    check(calls >= 1, "token callback called");
    firecrest_client_free(bad);
    bad = NULL;
    calls = 0;
    check(firecrest_auth_callback_new(token_cb_bogus, &calls, &auth) == FIRECREST_STATUS_OK,
          "callback_new(bogus)");
    check(firecrest_client_new(url, auth, o, &bad) == FIRECREST_STATUS_OK, "client_new(bogus)");
    firecrest_auth_free(auth);
    auth = NULL;
    s = firecrest_list_files(bad, system, home, 0, &json);
    check(s == FIRECREST_STATUS_UNAUTHORIZED, "bogus token: UNAUTHORIZED");
    check(firecrest_last_error_http_status() == 401, "bogus token: HTTP 401");
    check(strstr(last_message(), "not-a-valid-token") == NULL, "the token is not in the message");
    firecrest_client_free(bad);
    bad = NULL;

    /* ---- connection refused (port 1 on loopback) */
    check(firecrest_auth_static_token_new("token", &auth) == FIRECREST_STATUS_OK, "static token");
    firecrest_options *quick = NULL;
    firecrest_options_new(&quick);
    firecrest_options_set_max_retries(quick, 0);
    firecrest_options_set_api_version(quick, 1);
    check(firecrest_client_new("http://127.0.0.1:1", auth, quick, &bad) == FIRECREST_STATUS_OK,
          "client_new(port 1)");
    firecrest_auth_free(auth);
    auth = NULL;
    firecrest_options_free(quick);
    s = firecrest_all_systems(bad, &json);
    check(s == FIRECREST_STATUS_CONNECT, "connection refused: CONNECT");
    check(strlen(last_message()) > 0 && firecrest_last_error_http_status() == 0,
          "connection refused: message, no HTTP status");
    firecrest_client_free(bad);
    bad = NULL;

    /* ---- a progress callback that aborts; the local file is not created */
    char local[600], remote[700];
    const char *tmp = getenv("TMPDIR");
    snprintf(local, sizeof local, "%s/edges-%ld.bin", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    FILE *f = fopen(local, "wb");
    for (int i = 0; f && i < 300000; i++) fputc(i % 256, f);
    if (f) fclose(f);
    snprintf(remote, sizeof remote, "%s/edges-%ld.bin", home, (long)getpid());
    firecrest_transfer *t = NULL;
    check(firecrest_simple_upload(c, system, local, home, NULL) == FIRECREST_STATUS_OK,
          "simple_upload for the abort test");
    remove(local);
    check(firecrest_external_download(c, system, remote, &t) == FIRECREST_STATUS_OK,
          "external_download");
    if (t) {
        int progress_calls = 0;
        expect(firecrest_transfer_finish_upload(t), FIRECREST_STATUS_INVALID_STATE, NULL,
               "finish_upload on a download");
        check(firecrest_transfer_set_progress(t, progress_aborts, &progress_calls) ==
                  FIRECREST_STATUS_OK,
              "set_progress");
        expect(firecrest_transfer_finish_download(t, local), FIRECREST_STATUS_ABORTED_BY_CALLBACK,
               NULL, "finish_download with an aborting callback");
        check(progress_calls == 1, "the aborting callback was called once");
        check(access(local, F_OK) != 0, "no local file after an aborted download");
        int32_t last = 0;
        check(firecrest_transfer_last_status(t, &last) == FIRECREST_STATUS_OK &&
                  last == FIRECREST_DOWNLOAD_READY,
              "last_status is DOWNLOAD_READY");
        firecrest_transfer_invalidate(t);
        firecrest_transfer_free(t);
        t = NULL;
    }
    firecrest_remove(c, system, remote);

    /* ---- JSON helpers */
    const char *doc = "[{\"name\":\"a\",\"size\":\"42\",\"n\":-3,\"z\":null}]";
    int64_t n = 0;
    size_t len = 0;
    char *value = NULL;
    check(firecrest_json_get_int(doc, "/0/size", &n) == FIRECREST_STATUS_OK && n == 42,
          "json_get_int of a decimal string");
    check(firecrest_json_get_int(doc, "/0/n", &n) == FIRECREST_STATUS_OK && n == -3,
          "json_get_int");
    check(firecrest_json_array_len(doc, "", &len) == FIRECREST_STATUS_OK && len == 1,
          "json_array_len");
    check(firecrest_json_get_string(doc, "/0/name", &value) == FIRECREST_STATUS_OK &&
              strcmp(value, "a") == 0,
          "json_get_string");
    firecrest_string_free(value);
    expect(firecrest_json_get_string(doc, "/0/z", &value), FIRECREST_STATUS_JSON, "null",
           "json_get_string(null)");
    expect(firecrest_json_get_string(doc, "/5", &value), FIRECREST_STATUS_INVALID_ARGUMENT, "/5",
           "json pointer to nothing");
    expect(firecrest_json_get_string("{oops", "", &value), FIRECREST_STATUS_JSON, "json",
           "malformed JSON");

    /* ---- one client, several threads */
    struct shared sh[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        sh[i] = (struct shared){c, system, home, 0};
        pthread_create(&th[i], NULL, list_home, &sh[i]);
    }
    int all = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        all += sh[i].ok;
    }
    check(all == 20, "20 concurrent list_files on one client");

    /* ---- a panic reaching the boundary comes back as PANIC; the library still works */
    expect(firecrest_test_panic("boom from edges.c"), FIRECREST_STATUS_PANIC, "boom from edges.c",
           "panic at the boundary");
    check(firecrest_all_systems(c, &json) == FIRECREST_STATUS_OK, "usable after a panic");
    firecrest_string_free(json);

    firecrest_client_free(c);
    firecrest_options_free(o);
    printf("edges: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
