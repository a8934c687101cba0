/*
 * calls.c: every file and identity call of the C interface, each checked against what it must
 * have done (arguments in the documented order, results in the documented JSON schema). Needs
 * the variables of edges.c. Prints "calls: N passed, M failed"; exit status 0 when none failed.
 */
#define _POSIX_C_SOURCE 200809L

#include <firecrest.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int passed = 0, failed = 0;

static void check(int cond, const char *what) {
    if (cond) {
        passed++;
        return;
    }
    failed++;
    char msg[2048];
    firecrest_last_error_message(msg, sizeof msg, NULL);
    printf("FAIL: %s (last error: %s)\n", what, msg);
}

static int ok(firecrest_status s, const char *what) {
    check(s == FIRECREST_STATUS_OK, what);
    return s == FIRECREST_STATUS_OK;
}

/* The names in a list_files result, joined by spaces (caller frees). */
static char *names(const char *json) {
    size_t n = 0, used = 0;
    firecrest_json_array_len(json, "", &n);
    char *out = calloc(1, 4096);
    for (size_t i = 0; i < n && out; i++) {
        char p[64], *name = NULL;
        snprintf(p, sizeof p, "/%zu/name", i);
        if (firecrest_json_get_string(json, p, &name) == FIRECREST_STATUS_OK) {
            used += (size_t)snprintf(out + used, 4096 - used, "%s%s", used ? " " : "", name);
        }
        firecrest_string_free(name);
    }
    return out;
}

/* The list_files entry called `name` in `dir`, as JSON text of the one entry, or NULL. */
static char *entry(firecrest_client *c, const char *system, const char *dir, const char *name) {
    char *json = NULL, *found = NULL;
    if (firecrest_list_files(c, system, dir, 1, &json) != FIRECREST_STATUS_OK) return NULL;
    size_t n = 0;
    firecrest_json_array_len(json, "", &n);
    for (size_t i = 0; i < n && !found; i++) {
        char p[64], *v = NULL;
        snprintf(p, sizeof p, "/%zu/name", i);
        if (firecrest_json_get_string(json, p, &v) == FIRECREST_STATUS_OK && strcmp(v, name) == 0) {
            snprintf(p, sizeof p, "/%zu", i);
            firecrest_json_get_string(json, p, &found);
        }
        firecrest_string_free(v);
    }
    firecrest_string_free(json);
    return found;
}

static int field_is(const char *json, const char *pointer, const char *expected) {
    char *v = NULL;
    int same = json && firecrest_json_get_string(json, pointer, &v) == FIRECREST_STATUS_OK &&
               strcmp(v, expected) == 0;
    if (json && !same) printf("  %s is \"%s\", want \"%s\"\n", pointer, v ? v : "?", expected);
    firecrest_string_free(v);
    return same;
}

/* A growing memory buffer for the write callback. */
struct memory {
    char data[4096];
    size_t len;
    int calls_before_refusal; /* < 0: never refuse */
};

static int32_t to_memory(void *userdata, const uint8_t *data, size_t len) {
    struct memory *m = userdata;
    if (m->calls_before_refusal == 0) return 5;
    if (m->calls_before_refusal > 0) m->calls_before_refusal--;
    if (m->len + len > sizeof m->data) return 1;
    memcpy(m->data + m->len, data, len);
    m->len += len;
    return 0;
}

/* Progress of a directory transfer: counts the calls, keeps the last byte count. */
struct progress {
    int calls;
    uint64_t done;
};

static int32_t count_progress(void *userdata, uint64_t done, uint64_t total) {
    struct progress *p = userdata;
    p->calls++;
    p->done = done;
    (void)total;
    return 0;
}

static int write_text(const char *path, const char *text, mode_t mode) {
    FILE *f = fopen(path, "w");
    if (!f) return 0;
    fputs(text, f);
    fclose(f);
    return chmod(path, mode) == 0;
}

/* The text of a small local file (at most 255 bytes), "" when unreadable. */
static const char *read_text(const char *path) {
    static char buf[256];
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return buf;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static mode_t mode_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (st.st_mode & 0777) : 0;
}

/* compress, extract, upload_dir and download_dir, in the remote directory `dir`. */
static void directories(firecrest_client *c, const char *system, const char *dir, const char *tmp,
                        int32_t version) {
    char local[600], p[1024], remote_tree[700], archive[720], ex[720], back[600];
    snprintf(local, sizeof local, "%s/calls-tree-%ld", tmp, (long)getpid());
    snprintf(p, sizeof p, "%s/sub", local);
    check(mkdir(local, 0755) == 0 && mkdir(p, 0750) == 0, "a local tree");
    snprintf(p, sizeof p, "%s/sub/run.sh", local);
    check(write_text(p, "#!/bin/sh\necho hi\n", 0755), "local run.sh");
    snprintf(p, sizeof p, "%s/notes.txt", local);
    check(write_text(p, "private notes\n", 0600), "local notes.txt");

    snprintf(remote_tree, sizeof remote_tree, "%s/tree", dir);
    struct progress prog = {0, 0};
    if (ok(firecrest_upload_dir(c, system, local, remote_tree, count_progress, &prog),
           "upload_dir")) {
        check(prog.calls >= 1 && prog.done > 0, "upload_dir reported progress");
        char *text = NULL;
        snprintf(p, sizeof p, "%s/sub/run.sh", remote_tree);
        if (ok(firecrest_head(c, system, p, 0, 0, 0, &text), "head of an uploaded file")) {
            check(strcmp(text, "#!/bin/sh\necho hi\n") == 0, "uploaded content");
            firecrest_string_free(text);
        }
    }
    check(firecrest_upload_dir(c, system, NULL, remote_tree, NULL, NULL) ==
              FIRECREST_STATUS_NULL_ARGUMENT,
          "upload_dir(NULL local_dir)");
    snprintf(p, sizeof p, "%s/notes.txt", local);
    check(firecrest_upload_dir(c, system, p, remote_tree, NULL, NULL) ==
              FIRECREST_STATUS_INVALID_ARGUMENT,
          "upload_dir of a file");

    snprintf(archive, sizeof archive, "%s/tree.tar.gz", dir);
    snprintf(ex, sizeof ex, "%s/ex", dir);
    ok(firecrest_compress(c, system, remote_tree, archive, 0, NULL), "compress");
    ok(firecrest_mkdir(c, system, ex, 1), "mkdir for extract");
    if (ok(firecrest_extract(c, system, archive, ex), "extract")) {
        char *text = NULL;
        snprintf(p, sizeof p, "%s/tree/notes.txt", ex);
        if (ok(firecrest_head(c, system, p, 0, 0, 0, &text), "head of an extracted file")) {
            check(strcmp(text, "private notes\n") == 0, "extracted content");
            firecrest_string_free(text);
        }
    }
    firecrest_status s = firecrest_compress(c, system, remote_tree, archive, 0, ".*\\.sh");
    check(version == 1 ? s == FIRECREST_STATUS_UNSUPPORTED : s == FIRECREST_STATUS_OK,
          "compress with a match pattern: UNSUPPORTED on v1, done on v2");

    snprintf(back, sizeof back, "%s/calls-back-%ld", tmp, (long)getpid());
    if (ok(firecrest_download_dir(c, system, remote_tree, back, NULL, NULL), "download_dir")) {
        snprintf(p, sizeof p, "%s/sub/run.sh", back);
        check(strcmp(read_text(p), "#!/bin/sh\necho hi\n") == 0 && mode_of(p) == 0755,
              "downloaded run.sh: content and mode 755");
        snprintf(p, sizeof p, "%s/notes.txt", back);
        check(strcmp(read_text(p), "private notes\n") == 0 && mode_of(p) == 0600,
              "downloaded notes.txt: content and mode 600");
        snprintf(p, sizeof p, "%s/sub", back);
        check(mode_of(p) == 0750, "downloaded sub: mode 750");
    }
    check(firecrest_download_dir(c, system, remote_tree, back, NULL, NULL) ==
              FIRECREST_STATUS_INVALID_ARGUMENT,
          "download_dir onto an existing directory");
    snprintf(p, sizeof p, "%s/none", dir);
    snprintf(back, sizeof back, "%s/calls-none-%ld", tmp, (long)getpid());
    check(firecrest_download_dir(c, system, p, back, NULL, NULL) != FIRECREST_STATUS_OK &&
              mode_of(back) == 0,
          "download_dir of a missing directory fails and leaves nothing");
}

int main(void) {
    const char *system = getenv("FIRECREST_SYSTEM"), *home = getenv("FIRECREST_HOME");
    const char *tmp = getenv("TMPDIR");
    if (!system || !home) {
        fprintf(stderr, "calls: set the FirecREST variables (see edges.c)\n");
        return 2;
    }
    firecrest_client *c = NULL;
    if (!ok(firecrest_client_new_from_env(NULL, &c), "client_new_from_env")) return 1;
    char *json = NULL, *text = NULL;

    /* identity */
    int32_t version = 0;
    ok(firecrest_client_detect_api_version(c, &version), "detect_api_version");
    check(version == firecrest_client_api_version(c) && (version == 1 || version == 2),
          "api_version agrees with detect");
    if (ok(firecrest_whoami(c, system, &text), "whoami(system)")) {
        check(strcmp(text, "testuser") == 0, "whoami(system) is testuser");
        firecrest_string_free(text);
    }
    if (ok(firecrest_groups(c, system, &json), "groups")) {
        check(field_is(json, "/user/name", "testuser"), "groups: /user/name");
        size_t n = 0;
        check(firecrest_json_array_len(json, "/groups", &n) == FIRECREST_STATUS_OK && n >= 1,
              "groups: /groups is a non-empty array");
        firecrest_string_free(json);
    }
    if (ok(firecrest_system(c, system, &json), "system")) {
        check(field_is(json, "/system", system) && field_is(json, "/status", "available"),
              "system: name and status");
        firecrest_string_free(json);
    }
    if (ok(firecrest_filesystems(c, system, &json), "filesystems")) {
        check(strlen(json) > 2, "filesystems: not empty");
        firecrest_string_free(json);
    }

    /* the scheduler's view: the emulator has node localhost in partition normal and one
       reservation, the same on both versions */
    if (ok(firecrest_nodes(c, system, &json), "nodes")) {
        check(field_is(json, "/0/name", "localhost") && field_is(json, "/0/partitions/0", "normal")
                  && field_is(json, "/0/state/0", "IDLE"),
              "nodes: name, partitions, state");
        size_t n = 99;
        check(firecrest_json_array_len(json, "/0/features", &n) == FIRECREST_STATUS_OK && n == 0,
              "nodes: (null) features are an empty list");
        firecrest_string_free(json);
    }
    if (ok(firecrest_partitions(c, system, &json), "partitions")) {
        int64_t cpus = 0;
        check(field_is(json, "/0/name", "normal") && field_is(json, "/0/state", "UP")
                  && firecrest_json_get_int(json, "/0/total_cpus", &cpus) == FIRECREST_STATUS_OK
                  && cpus == 2,
              "partitions: name, state, total_cpus");
        firecrest_string_free(json);
    }
    if (ok(firecrest_reservations(c, system, &json), "reservations")) {
        check(field_is(json, "/0/name", "maintenance") && field_is(json, "/0/nodes", "localhost")
                  && field_is(json, "/0/start_time", "2030-01-01T08:00:00"),
              "reservations: name, nodes, start_time");
        firecrest_string_free(json);
    }
    check(firecrest_nodes(c, system, NULL) == FIRECREST_STATUS_NULL_ARGUMENT,
          "nodes: NULL json_out is refused");

    /* the job list, filtered: a name nobody uses lists nothing; a window only v2 honours */
    if (ok(firecrest_jobs_filtered(c, system, "no-such-job-name", NULL, &json), "jobs_filtered")) {
        size_t n = 99;
        check(firecrest_json_array_len(json, "", &n) == FIRECREST_STATUS_OK && n == 0,
              "jobs_filtered: no job of that name");
        firecrest_string_free(json);
    }
    check(firecrest_jobs_filtered(c, system, NULL, "2d", &json) ==
              FIRECREST_STATUS_INVALID_ARGUMENT,
          "jobs_filtered: an unknown window is refused");
    firecrest_status windowed = firecrest_jobs_filtered(c, system, NULL, "24h", &json);
    if (windowed == FIRECREST_STATUS_OK) firecrest_string_free(json);
    check(windowed == (version == 2 ? FIRECREST_STATUS_OK : FIRECREST_STATUS_UNSUPPORTED),
          "jobs_filtered: a window on v2, UNSUPPORTED on v1");

    /* a scratch directory on the system */
    char dir[512], sub[600], a[600], b[600], link[600], copy[600];
    snprintf(dir, sizeof dir, "%s/calls-%ld", home, (long)getpid());
    snprintf(sub, sizeof sub, "%s/x/y", dir);
    snprintf(a, sizeof a, "%s/a.txt", dir);
    snprintf(b, sizeof b, "%s/b.txt", dir);
    snprintf(copy, sizeof copy, "%s/copy.txt", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    ok(firecrest_mkdir(c, system, sub, 1), "mkdir(parents)");
    check(firecrest_mkdir(c, system, sub, 0) != FIRECREST_STATUS_OK, "mkdir of an existing dir");

    /* a small text file, uploaded under another name */
    char local[600];
    snprintf(local, sizeof local, "%s/calls-%ld.txt", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    FILE *f = fopen(local, "w");
    for (int i = 1; f && i <= 20; i++) fprintf(f, "line %d\n", i);
    if (f) fclose(f);
    ok(firecrest_simple_upload(c, system, local, dir, "a.txt"), "simple_upload(filename)");
    remove(local);

    if (ok(firecrest_list_files(c, system, dir, 0, &json), "list_files")) {
        char *n = names(json);
        check(n && strcmp(n, "a.txt x") == 0, "list_files names are a.txt x");
        free(n);
        /* The element getters read what the pointers they stand for read. */
        char *name = NULL, *type = NULL;
        int64_t size = -1, size_at = -2;
        check(firecrest_json_get_string_at(json, "", 1, "/name", &name) == FIRECREST_STATUS_OK &&
                  strcmp(name, "x") == 0,
              "get_string_at(\"\", 1, \"/name\") is x");
        check(firecrest_json_get_string_at(json, "", 1, "/type", &type) == FIRECREST_STATUS_OK &&
                  strcmp(type, "d") == 0,
              "get_string_at(\"\", 1, \"/type\") is d");
        check(firecrest_json_get_int(json, "/0/size", &size) == FIRECREST_STATUS_OK &&
                  firecrest_json_get_int_at(json, "", 0, "/size", &size_at) == FIRECREST_STATUS_OK &&
                  size == size_at,
              "get_int_at(\"\", 0, \"/size\") is /0/size");
        check(firecrest_json_get_int_at(json, "", 2, "/size", &size_at) ==
                      FIRECREST_STATUS_INVALID_ARGUMENT &&
                  size_at == size,
              "get_int_at past the last entry: invalid argument, nothing written");
        firecrest_string_free(name);
        firecrest_string_free(type);
        firecrest_string_free(json);
    }
    char *e = entry(c, system, dir, "a.txt");
    check(field_is(e, "/type", "-"), "a.txt is a regular file");
    int64_t size = 0;
    check(e && firecrest_json_get_int(e, "/size", &size) == FIRECREST_STATUS_OK &&
              size == 20 * 7 + 11 * 1,
          "a.txt size");
    firecrest_string_free(e);
    if (ok(firecrest_list_files_recursive(c, system, dir, 0, 1, &json), "list_files_recursive")) {
        check(strstr(json, "\"y\"") != NULL || strstr(json, "x/y") != NULL,
              "recursive listing reaches x/y");
        firecrest_string_free(json);
    }

    /* content */
    if (ok(firecrest_head(c, system, a, 0, 2, 0, &text), "head(2 lines)")) {
        check(strcmp(text, "line 1\nline 2\n") == 0, "head text");
        firecrest_string_free(text);
    }
    if (ok(firecrest_tail(c, system, a, 8, 0, 0, &text), "tail(8 bytes)")) {
        check(strcmp(text, "line 20\n") == 0, "tail text");
        firecrest_string_free(text);
    }
    if (ok(firecrest_view(c, system, a, &text), "view")) {
        /* FirecREST v1 servers answer view with the first 10 lines (71 bytes here). */
        size_t want = version == 1 ? 71 : 151;
        check(strncmp(text, "line 1\n", 7) == 0 && strlen(text) == want, "view text");
        firecrest_string_free(text);
    }
    if (ok(firecrest_file_type(c, system, a, &text), "file_type")) {
        check(strstr(text, "text") != NULL, "file_type says text");
        firecrest_string_free(text);
    }
    if (ok(firecrest_checksum(c, system, a, &text), "checksum")) {
        check(strlen(text) == 64, "checksum is 64 hex digits");
        firecrest_string_free(text);
    }

    /* changes */
    ok(firecrest_chmod(c, system, a, "600"), "chmod");
    e = entry(c, system, dir, "a.txt");
    check(field_is(e, "/permissions", "rw-------"), "chmod 600 took effect");
    firecrest_string_free(e);
    if (ok(firecrest_stat(c, system, a, 0, &json), "stat")) {
        int64_t mode = 0;
        check(firecrest_json_get_int(json, "/mode", &mode) == FIRECREST_STATUS_OK &&
                  (mode & 0777) == 0600 && (mode & 0170000) == 0100000,
              "stat mode is a regular file 0600");
        firecrest_string_free(json);
    }
    ok(firecrest_copy(c, system, a, copy), "copy");
    ok(firecrest_mv(c, system, a, b), "mv");
    ok(firecrest_symlink(c, system, b, link), "symlink(target, link_path)");
    e = entry(c, system, dir, "link");
    check(field_is(e, "/type", "l") && field_is(e, "/link_target", b), "symlink points at b.txt");
    firecrest_string_free(e);
    if (ok(firecrest_list_files(c, system, dir, 0, &json), "list_files after changes")) {
        char *n = names(json);
        check(n && strcmp(n, "b.txt copy.txt link x") == 0, "names after copy, mv, symlink");
        if (n && strcmp(n, "b.txt copy.txt link x") != 0) printf("  names: %s\n", n);
        free(n);
        firecrest_string_free(json);
    }
    char back[600];
    snprintf(back, sizeof back, "%s/calls-%ld-back.txt", tmp && *tmp ? tmp : "/tmp",
             (long)getpid());
    if (ok(firecrest_simple_download(c, system, copy, back), "simple_download")) {
        f = fopen(back, "r");
        char line[32] = "";
        check(f && fgets(line, sizeof line, f) && strcmp(line, "line 1\n") == 0,
              "downloaded copy starts with line 1");
        if (f) fclose(f);
        remove(back);
    }
    /* memory in and out: upload a buffer, read it back through write callbacks */
    const char hello[] = "hello from memory\n";
    char hello_path[700];
    snprintf(hello_path, sizeof hello_path, "%s/hello.txt", dir);
    ok(firecrest_simple_upload_buffer(c, system, (const uint8_t *)hello, strlen(hello), dir,
                                      "hello.txt"),
       "simple_upload_buffer");
    struct memory m = {{0}, 0, -1};
    uint64_t got = 0;
    if (ok(firecrest_simple_download_cb(c, system, hello_path, to_memory, &m, &got),
           "simple_download_cb")) {
        check(got == strlen(hello) && m.len == got && memcmp(m.data, hello, m.len) == 0,
              "simple_download_cb delivered the bytes");
    }
    struct memory refuse = {{0}, 0, 0};
    check(firecrest_simple_download_cb(c, system, hello_path, to_memory, &refuse, NULL) ==
              FIRECREST_STATUS_ABORTED_BY_CALLBACK,
          "a refusing write callback aborts");
    check(firecrest_simple_download_cb(c, system, hello_path, NULL, NULL, NULL) ==
              FIRECREST_STATUS_NULL_ARGUMENT,
          "simple_download_cb(NULL cb)");
    firecrest_transfer *t = NULL;
    if (ok(firecrest_external_download(c, system, hello_path, &t), "external_download")) {
        struct memory m2 = {{0}, 0, -1};
        got = 0;
        if (ok(firecrest_transfer_finish_download_cb(t, to_memory, &m2, &got),
               "finish_download_cb")) {
            check(got == strlen(hello) && memcmp(m2.data, hello, m2.len) == 0,
                  "finish_download_cb delivered the bytes");
        }
        firecrest_transfer_free(t);
    }

    directories(c, system, dir, tmp ? tmp : "/tmp", version);

    ok(firecrest_remove(c, system, dir), "remove(dir)");
    check(firecrest_list_files(c, system, dir, 0, &json) != FIRECREST_STATUS_OK,
          "the directory is gone");

    firecrest_client_free(c);
    printf("calls: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
