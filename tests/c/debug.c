/*
 * debug.c: what a C user has to debug a failure and the token sources centres offer, each checked
 * against a running emulator: client credentials by HTTP Basic, an API key, a token command
 * (working, failing, hanging), the X-Correlation-ID of a failing call (the client's, the
 * thread's, a fresh one), and the log callback (records of every request, none with a secret).
 *
 * Needs the emulator's variables (FIRECREST_URL, FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET,
 * AUTH_TOKEN_URL, FIRECREST_SYSTEM, FIRECREST_HOME) and FIRECREST_TEST_API_KEY (the key the
 * emulator takes), FIRECREST_TEST_TOKEN_FILE (a file holding a valid access token).
 * Prints "debug: N passed, M failed"; exit status 0 when none failed.
 *
 * With the argument "stderr" it only makes one good and one failing call, for a run with
 * FIRECREST_LOG=debug whose stderr the test driver reads.
 */
#define _POSIX_C_SOURCE 200809L

#include <firecrest.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int passed = 0, failed = 0;

static void check(int cond, const char *what) {
    if (cond) {
        passed++;
    } else {
        failed++;
        char msg[2048];
        firecrest_last_error_message(msg, sizeof msg, NULL);
        printf("FAIL: %s (last error: %s)\n", what, msg);
    }
}

static const char *last_message(void) {
    static char msg[4096];
    firecrest_last_error_message(msg, sizeof msg, NULL);
    return msg;
}

static const char *last_id(void) {
    static char id[128];
    firecrest_last_error_correlation_id(id, sizeof id, NULL);
    return id;
}

static const char *env(const char *name) {
    const char *v = getenv(name);
    if (!v) {
        fprintf(stderr, "debug: %s is not set\n", name);
        exit(2);
    }
    return v;
}

static firecrest_client *client_with(firecrest_auth *auth, const firecrest_options *opts) {
    firecrest_client *c = NULL;
    firecrest_status s = firecrest_client_new(env("FIRECREST_URL"), auth, opts, &c);
    check(s == FIRECREST_STATUS_OK, "client_new");
    firecrest_auth_free(auth);
    return c;
}

static firecrest_status list(const firecrest_client *c, const char *path) {
    char *json = NULL;
    firecrest_status s = firecrest_list_files(c, env("FIRECREST_SYSTEM"), path, 0, &json);
    firecrest_string_free(json);
    return s;
}

/* The log callback's records, kept whole (the callback may run on any thread). */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[1 << 16];
static size_t log_len = 0;
static int log_calls = 0;

static void on_log(void *userdata, int32_t level, const char *message) {
    pthread_mutex_lock(&log_lock);
    *(int *)userdata += 1;
    size_t n = strlen(message);
    if (log_len + n + 16 < sizeof log_text) {
        log_len += (size_t)snprintf(log_text + log_len, sizeof log_text - log_len, "%d %s\n",
                                    (int)level, message);
    }
    pthread_mutex_unlock(&log_lock);
}

static const char *ID = "2b1c7e4c-5a0e-4d38-9d0c-6f7e3f1b9a11";
static const char *ID2 = "0f0e0d0c-0b0a-4908-8706-050403020100";

int main(int argc, char **argv) {
    const char *secret = env("FIRECREST_CLIENT_SECRET");
    char missing[1024];
    snprintf(missing, sizeof missing, "%s/no-such-dir", env("FIRECREST_HOME"));

    if (argc > 1 && strcmp(argv[1], "stderr") == 0) {
        firecrest_auth *a = NULL;
        firecrest_auth_client_credentials_new(env("FIRECREST_CLIENT_ID"), secret,
                                              env("AUTH_TOKEN_URL"), &a);
        firecrest_client *c = client_with(a, NULL);
        check(list(c, env("FIRECREST_HOME")) == FIRECREST_STATUS_OK, "stderr: list home");
        check(list(c, missing) != FIRECREST_STATUS_OK, "stderr: list missing");
        printf("failed id: %s\n", last_id());
        firecrest_client_free(c);
        printf("debug: %d passed, %d failed\n", passed, failed);
        return failed ? 1 : 0;
    }

    /* The log callback first, so that it sees every request below. */
    check(firecrest_set_log_callback(on_log, &log_calls, 9) == FIRECREST_STATUS_INVALID_ARGUMENT,
          "log level out of range");
    check(firecrest_set_log_callback(on_log, &log_calls, FIRECREST_LOG_DEBUG) ==
              FIRECREST_STATUS_OK,
          "set_log_callback");

    /* Client credentials by HTTP Basic. */
    firecrest_auth *a = NULL;
    check(firecrest_auth_client_credentials_basic_new(env("FIRECREST_CLIENT_ID"), secret,
                                                      env("AUTH_TOKEN_URL"),
                                                      &a) == FIRECREST_STATUS_OK,
          "basic_new");
    firecrest_client *c = client_with(a, NULL);
    char *user = NULL;
    check(firecrest_whoami(c, NULL, &user) == FIRECREST_STATUS_OK && user &&
              strcmp(user, "testuser") == 0,
          "whoami with Basic client authentication");
    firecrest_string_free(user);
    firecrest_client_free(c);
    check(firecrest_auth_client_credentials_basic_new(env("FIRECREST_CLIENT_ID"),
                                                      "wr0ng-basic-secret", env("AUTH_TOKEN_URL"),
                                                      &a) == FIRECREST_STATUS_OK,
          "basic_new (wrong secret)");
    c = client_with(a, NULL);
    check(list(c, env("FIRECREST_HOME")) == FIRECREST_STATUS_AUTH, "wrong Basic secret: AUTH");
    check(strstr(last_message(), "wr0ng-basic-secret") == NULL, "no secret in the message");
    firecrest_client_free(c);
    check(firecrest_auth_client_credentials_basic_new(NULL, secret, "x", &a) ==
              FIRECREST_STATUS_NULL_ARGUMENT,
          "basic_new NULL client_id");

    /* An API key. */
    const char *key = env("FIRECREST_TEST_API_KEY");
    check(firecrest_auth_api_key_new(key, NULL, &a) == FIRECREST_STATUS_OK, "api_key_new");
    c = client_with(a, NULL);
    check(list(c, env("FIRECREST_HOME")) == FIRECREST_STATUS_OK, "list with an API key");
    firecrest_client_free(c);
    check(firecrest_auth_api_key_new("wr0ng-api-key", "X-API-Key", &a) == FIRECREST_STATUS_OK,
          "api_key_new (wrong key)");
    c = client_with(a, NULL);
    check(list(c, env("FIRECREST_HOME")) == FIRECREST_STATUS_UNAUTHORIZED,
          "wrong API key: UNAUTHORIZED");
    check(strstr(last_message(), "wr0ng-api-key") == NULL, "no key in the message");
    firecrest_client_free(c);
    check(firecrest_auth_api_key_new(key, "Bad Header", &a) == FIRECREST_STATUS_INVALID_ARGUMENT,
          "api_key_new bad header name");
    check(firecrest_auth_api_key_new("", NULL, &a) == FIRECREST_STATUS_INVALID_ARGUMENT,
          "api_key_new empty key");

    /* A token command: working, failing, hanging. */
    char command[2048];
    snprintf(command, sizeof command, "cat '%s'", env("FIRECREST_TEST_TOKEN_FILE"));
    check(firecrest_auth_token_command_new(command, 0, &a) == FIRECREST_STATUS_OK,
          "token_command_new");
    c = client_with(a, NULL);
    check(list(c, env("FIRECREST_HOME")) == FIRECREST_STATUS_OK, "list with a token command");
    firecrest_client_free(c);
    check(firecrest_auth_token_command_new("echo 'no session for cscs' >&2; exit 3", 0, &a) ==
              FIRECREST_STATUS_OK,
          "token_command_new (failing)");
    c = client_with(a, NULL);
    check(list(c, env("FIRECREST_HOME")) == FIRECREST_STATUS_AUTH, "failing command: AUTH");
    check(strstr(last_message(), "no session for cscs") != NULL &&
              strstr(last_message(), "exit 3") != NULL,
          "the command's stderr and exit status in the message");
    firecrest_client_free(c);
    check(firecrest_auth_token_command_new("sleep 30", 300, &a) == FIRECREST_STATUS_OK,
          "token_command_new (hanging)");
    c = client_with(a, NULL);
    time_t start = time(NULL);
    check(list(c, env("FIRECREST_HOME")) == FIRECREST_STATUS_AUTH, "hanging command: AUTH");
    check(time(NULL) - start < 10, "a hanging command is stopped at its timeout");
    firecrest_client_free(c);
    check(firecrest_auth_token_command_new("   ", 0, &a) == FIRECREST_STATUS_INVALID_ARGUMENT,
          "token_command_new blank");

    /* Correlation ids: the client's, the thread's, a fresh one. */
    firecrest_options *o = NULL;
    firecrest_options_new(&o);
    check(firecrest_options_set_correlation_id(o, "my-workflow") ==
              FIRECREST_STATUS_INVALID_ARGUMENT,
          "a correlation id that is not a UUID");
    check(firecrest_options_set_correlation_id(o, ID) == FIRECREST_STATUS_OK,
          "options_set_correlation_id");
    firecrest_auth_client_credentials_new(env("FIRECREST_CLIENT_ID"), secret,
                                          env("AUTH_TOKEN_URL"), &a);
    c = client_with(a, o);
    firecrest_options_free(o);
    check(list(c, missing) != FIRECREST_STATUS_OK, "list missing (client's id)");
    check(strcmp(last_id(), ID) == 0, "the last error names the client's id");
    char needed_buf[4];
    size_t needed = 0;
    check(firecrest_last_error_correlation_id(needed_buf, sizeof needed_buf, &needed) ==
                  FIRECREST_STATUS_BUFFER_TOO_SMALL &&
              needed == strlen(ID),
          "correlation id: buffer too small reports the length");
    check(firecrest_set_correlation_id("nope") == FIRECREST_STATUS_INVALID_ARGUMENT,
          "set_correlation_id not a UUID");
    check(firecrest_set_correlation_id(ID2) == FIRECREST_STATUS_OK, "set_correlation_id");
    check(list(c, missing) != FIRECREST_STATUS_OK, "list missing (thread's id)");
    check(strcmp(last_id(), ID2) == 0, "the thread's id overrides the client's");
    check(firecrest_set_correlation_id(NULL) == FIRECREST_STATUS_OK, "set_correlation_id NULL");
    firecrest_client_free(c);
    firecrest_auth_client_credentials_new(env("FIRECREST_CLIENT_ID"), secret,
                                          env("AUTH_TOKEN_URL"), &a);
    c = client_with(a, NULL);
    check(list(c, missing) != FIRECREST_STATUS_OK, "list missing (fresh id)");
    char fresh[128];
    snprintf(fresh, sizeof fresh, "%s", last_id());
    check(strlen(fresh) == 36 && strcmp(fresh, ID) != 0 && strcmp(fresh, ID2) != 0,
          "a fresh id otherwise");
    printf("fresh id: %s\n", fresh);
    check(list(c, NULL) == FIRECREST_STATUS_NULL_ARGUMENT && last_id()[0] == '\0',
          "no id for a failure that is no request's");
    firecrest_client_free(c);

    /* The log: every request, with its id; no secret; then off. */
    check(firecrest_set_log_callback(NULL, NULL, FIRECREST_LOG_OFF) == FIRECREST_STATUS_OK,
          "log callback off");
    pthread_mutex_lock(&log_lock);
    int calls = log_calls;
    check(calls > 5, "the callback received records");
    check(strstr(log_text, "GET ") != NULL && strstr(log_text, "X-Correlation-ID: ") != NULL,
          "records name the method and the correlation id");
    check(strstr(log_text, fresh) != NULL, "the failing request's id is in the log");
    check(strstr(log_text, "token: running the token command") != NULL, "token command logged");
    check(strstr(log_text, secret) == NULL && strstr(log_text, "wr0ng") == NULL &&
              strstr(log_text, key) == NULL && strstr(log_text, "eyJ") == NULL &&
              strstr(log_text, "Bearer") == NULL,
          "no secret, key or token in the log");
    pthread_mutex_unlock(&log_lock);
    firecrest_auth_client_credentials_new(env("FIRECREST_CLIENT_ID"), secret,
                                          env("AUTH_TOKEN_URL"), &a);
    c = client_with(a, NULL);
    check(list(c, env("FIRECREST_HOME")) == FIRECREST_STATUS_OK, "list after the log is off");
    check(log_calls == calls, "no records after the callback is removed");
    firecrest_client_free(c);

    printf("debug: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
