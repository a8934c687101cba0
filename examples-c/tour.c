/*
 * tour.c: the FirecREST tutorial's exercises, in C.
 *
 * Reads pyfirecrest's environment variables: FIRECREST_URL, FIRECREST_CLIENT_ID,
 * FIRECREST_CLIENT_SECRET, AUTH_TOKEN_URL, plus FIRECREST_SYSTEM (the system to use) and
 * FIRECREST_HOME (a directory on it the user may write). Runs unchanged against FirecREST v1 and
 * v2 (steps a server's version lacks print UNSUPPORTED and the tour goes on) and against the
 * project's emulator. Exit status 0 when no step failed.
 */
#define _POSIX_C_SOURCE 200809L

#include <firecrest.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int steps_ok = 0, steps_unsupported = 0, steps_failed = 0;

static void step(int n, const char *title) { printf("\n== step %d: %s\n", n, title); }

/* Prints why `what` failed; counts the step as unsupported or failed. */
static void report(const char *what, firecrest_status s) {
    char msg[1024];
    size_t len = 0;
    firecrest_last_error_message(msg, sizeof msg, &len); /* a longer message is cut, fine here */
    if (s == FIRECREST_STATUS_UNSUPPORTED) {
        printf("  %s: UNSUPPORTED on this server (%s)\n", what, msg);
        steps_unsupported++;
    } else {
        printf("  %s FAILED: %s (%d), HTTP %d: %s\n", what, firecrest_status_str(s), (int)s,
               (int)firecrest_last_error_http_status(), msg);
        steps_failed++;
    }
}

static void ok(void) {
    printf("  ok\n");
    steps_ok++;
}

/* Prints the label, then the string at `member` of element i of the array at `array` in a JSON
 * text returned by the library ("?" when there is none). */
static void print_member(const char *label, const char *json, const char *array, size_t i,
                         const char *member) {
    char *v = NULL;
    if (firecrest_json_get_string_at(json, array, i, member, &v) != FIRECREST_STATUS_OK) v = NULL;
    printf("%s%s", label, v ? v : "?");
    firecrest_string_free(v);
}

/* Prints "<label><member1><sep><member2>" for each element of the array at `array` in `json`,
 * then frees `json` and counts the step as ok. */
static void rows_ok(char *json, const char *array, const char *label, const char *member1,
                    const char *sep, const char *member2) {
    size_t n = 0;
    firecrest_json_array_len(json, array, &n);
    for (size_t i = 0; i < n; i++) {
        print_member(label, json, array, i, member1);
        print_member(sep, json, array, i, member2);
        printf("\n");
    }
    firecrest_string_free(json);
    ok();
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int write_file(const char *path, size_t size, unsigned seed) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    for (size_t i = 0; i < size; i++) {
        fputc((int)((i * 31u + seed) % 251u), f);
    }
    return fclose(f);
}

/* 1 when the two local files have the same bytes. */
static int same_file(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb) same = 0;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/*
 * Polls the transfer's status integer (one request each time) until it is `until` or a
 * terminal status, printing each change. Returns the last status, or -1 on an error.
 */
static int poll_until(firecrest_transfer *t, int32_t until, int timeout_s) {
    int32_t last = -1;
    for (long waited = 0; waited <= timeout_s * 1000L; waited += 100) {
        int32_t st = 0;
        firecrest_status s = firecrest_transfer_status(t, &st);
        if (s != FIRECREST_STATUS_OK) {
            report("firecrest_transfer_status", s);
            return -1;
        }
        if (st != last) {
            printf("  status %d\n", (int)st);
            last = st;
        }
        if (st == until || st == FIRECREST_UPLOAD_DONE || st == FIRECREST_UPLOAD_FAILED ||
            st == FIRECREST_DOWNLOAD_READY || st == FIRECREST_DOWNLOAD_FAILED ||
            st == FIRECREST_TASK_DONE || st == FIRECREST_TASK_FAILED ||
            st == FIRECREST_TASK_INVALIDATED) {
            return st;
        }
        sleep_ms(100);
    }
    printf("  gave up waiting after %d s\n", timeout_s);
    return last;
}

int main(void) {
    const char *system = getenv("FIRECREST_SYSTEM");
    const char *home = getenv("FIRECREST_HOME");
    if (!system || !home) {
        fprintf(stderr, "tour: set FIRECREST_SYSTEM and FIRECREST_HOME (and FIRECREST_URL, "
                        "FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET, AUTH_TOKEN_URL)\n");
        return 2;
    }
    printf("firecrest library %s (header %d.%d.%d)\n", firecrest_version(),
           FIRECREST_VERSION_MAJOR, FIRECREST_VERSION_MINOR, FIRECREST_VERSION_PATCH);

    firecrest_client *c = NULL;
    firecrest_status s = firecrest_client_new_from_env(NULL, &c);
    if (s != FIRECREST_STATUS_OK) {
        report("firecrest_client_new_from_env", s);
        return 1;
    }
    int32_t version = 0;
    s = firecrest_client_detect_api_version(c, &version);
    if (s != FIRECREST_STATUS_OK) {
        report("firecrest_client_detect_api_version", s);
        firecrest_client_free(c);
        return 1;
    }
    printf("FirecREST API v%d at %s, system %s, home %s\n", (int)version, getenv("FIRECREST_URL"),
           system, home);

    /* Local scratch directory and unique remote names, so that runs never collide. */
    const char *tmp = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/firecrest-tour-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("tour: mkdtemp");
        firecrest_client_free(c);
        return 1;
    }
    char small_local[600], small_back[600], big_local[600], big_back[600];
    snprintf(small_local, sizeof small_local, "%s/small.txt", dir);
    snprintf(small_back, sizeof small_back, "%s/small-back.txt", dir);
    snprintf(big_local, sizeof big_local, "%s/big.bin", dir);
    snprintf(big_back, sizeof big_back, "%s/big-back.bin", dir);
    char small_name[128], small_remote[700], big_remote[700];
    snprintf(small_name, sizeof small_name, "firecrest-tour-%ld-small.txt", (long)getpid());
    snprintf(small_remote, sizeof small_remote, "%s/%s", home, small_name);
    snprintf(big_remote, sizeof big_remote, "%s/firecrest-tour-%ld-big.bin", home,
             (long)getpid());
    char job_dir[700];
    snprintf(job_dir, sizeof job_dir, "%s/firecrest-tour-%ld-job", home, (long)getpid());
    const size_t big_size = 3u * 1024u * 1024u + 17u;

    char *json = NULL;

    step(1, "the deployment's parameters");
    s = firecrest_parameters(c, &json);
    if (s == FIRECREST_STATUS_OK) {
        rows_ok(json, "/utilities", "  utilities: ", "/name", " = ", "/value");
        json = NULL;
    } else {
        report("firecrest_parameters", s);
    }

    step(2, "the user name");
    char *user = NULL;
    s = firecrest_whoami(c, NULL, &user);
    if (s == FIRECREST_STATUS_OK) {
        printf("  user: %s\n", user);
        firecrest_string_free(user);
        ok();
    } else {
        report("firecrest_whoami", s);
    }

    step(3, "the services and their status");
    s = firecrest_all_services(c, &json);
    if (s == FIRECREST_STATUS_OK) {
        rows_ok(json, "", "  service ", "/service", ": ", "/status");
        json = NULL;
    } else {
        report("firecrest_all_services", s);
    }

    step(4, "the systems");
    s = firecrest_all_systems(c, &json);
    if (s == FIRECREST_STATUS_OK) {
        rows_ok(json, "", "  system ", "/system", ": ", "/status");
        json = NULL;
    } else {
        report("firecrest_all_systems", s);
    }

    step(5, "a directory listing");
    s = firecrest_list_files(c, system, home, 0, &json);
    if (s == FIRECREST_STATUS_OK) {
        size_t n = 0;
        firecrest_json_array_len(json, "", &n);
        printf("  %s has %zu entries\n", home, n);
        for (size_t i = 0; i < n && i < 20; i++) {
            int64_t size = 0;
            print_member("  ", json, "", i, "/type");
            print_member("", json, "", i, "/permissions");
            firecrest_json_get_int_at(json, "", i, "/size", &size);
            printf(" %10lld ", (long long)size);
            print_member("", json, "", i, "/name");
            printf("\n");
        }
        firecrest_string_free(json);
        json = NULL;
        ok();
    } else {
        report("firecrest_list_files", s);
    }

    step(6, "a small upload and download");
    if (write_file(small_local, 1000, 7) != 0) {
        perror("tour: writing the small file");
        steps_failed++;
    } else if ((s = firecrest_simple_upload(c, system, small_local, home, small_name)) !=
               FIRECREST_STATUS_OK) {
        report("firecrest_simple_upload", s);
    } else if ((s = firecrest_simple_download(c, system, small_remote, small_back)) !=
               FIRECREST_STATUS_OK) {
        report("firecrest_simple_download", s);
    } else {
        char *sum = NULL;
        if (firecrest_checksum(c, system, small_remote, &sum) == FIRECREST_STATUS_OK) {
            printf("  sha256 %s\n", sum);
            firecrest_string_free(sum);
        }
        int same = same_file(small_local, small_back);
        printf("  uploaded %s, downloaded it back: %s\n", small_remote,
               same ? "same bytes" : "DIFFERENT BYTES");
        if (same) {
            ok();
        } else {
            steps_failed++;
        }
    }

    step(7, "an external upload, polling the status integers");
    firecrest_transfer *up = NULL;
    if (write_file(big_local, big_size, 3) != 0) {
        perror("tour: writing the large file");
        steps_failed++;
    } else if ((s = firecrest_external_upload(c, system, big_local, big_remote, &up)) !=
               FIRECREST_STATUS_OK) {
        report("firecrest_external_upload", s);
    } else {
        int st = poll_until(up, FIRECREST_UPLOAD_URL_READY, 120);
        if (st == FIRECREST_UPLOAD_URL_READY) {
            printf("  sending %zu bytes to the staging area\n", big_size);
            s = firecrest_transfer_finish_upload(up);
            if (s != FIRECREST_STATUS_OK) {
                report("firecrest_transfer_finish_upload", s);
            } else {
                st = poll_until(up, FIRECREST_UPLOAD_DONE, 300);
                if (st == FIRECREST_UPLOAD_DONE) {
                    printf("  upload done: %s\n", big_remote);
                    ok();
                } else {
                    printf("  upload ended with status %d\n", st);
                    steps_failed++;
                }
            }
        } else {
            printf("  upload never became ready (status %d)\n", st);
            steps_failed++;
        }
        firecrest_transfer_free(up);
    }

    step(8, "an external download, polling the status integers");
    firecrest_transfer *down = NULL;
    if ((s = firecrest_external_download(c, system, big_remote, &down)) != FIRECREST_STATUS_OK) {
        report("firecrest_external_download", s);
    } else {
        int st = poll_until(down, FIRECREST_DOWNLOAD_READY, 300);
        if (st != FIRECREST_DOWNLOAD_READY) {
            printf("  download never became ready (status %d)\n", st);
            steps_failed++;
        } else {
            printf("  the staged file is ready\n");
            ok();

            step(9, "finish_download");
            s = firecrest_transfer_finish_download(down, big_back);
            if (s != FIRECREST_STATUS_OK) {
                report("firecrest_transfer_finish_download", s);
            } else {
                int same = same_file(big_local, big_back);
                printf("  downloaded %zu bytes: %s\n", big_size,
                       same ? "same bytes" : "DIFFERENT BYTES");
                if (same) {
                    ok();
                } else {
                    steps_failed++;
                }
            }

            step(10, "the object-storage link");
            char *url = NULL;
            s = firecrest_transfer_object_storage_link(down, &url);
            if (s == FIRECREST_STATUS_OK) {
                /* The query string is the signature: whoever has it can fetch the file. */
                char *query = strchr(url, '?');
                if (query) *query = '\0';
                printf("  link: %s%s\n", url, query ? "?<signature hidden>" : "");
                firecrest_string_free(url);
                ok();
            } else {
                report("firecrest_transfer_object_storage_link", s);
            }

            step(11, "invalidation");
            s = firecrest_transfer_invalidate(down);
            if (s == FIRECREST_STATUS_OK) {
                printf("  the link is invalidated\n");
                ok();
            } else {
                report("firecrest_transfer_invalidate", s);
            }
        }
        firecrest_transfer_free(down);
    }

    step(12, "a batch job");
    {
        /* The job writes a file in its working directory; it runs the same on v1 and v2. */
        s = firecrest_mkdir(c, system, job_dir, 1);
        firecrest_job *job = NULL;
        char *id = NULL;
        int32_t state = 0, exit_code = -1;
        if (s != FIRECREST_STATUS_OK) {
            report("firecrest_mkdir", s);
        } else if ((s = firecrest_job_submit(
                        c, system, "#!/bin/bash\necho \"hello from job $SLURM_JOB_ID\" > hello.txt\n",
                        job_dir, &job)) != FIRECREST_STATUS_OK) {
            report("firecrest_job_submit", s);
        } else if ((s = firecrest_job_id(job, &id)) != FIRECREST_STATUS_OK) {
            report("firecrest_job_id", s);
        } else if ((s = firecrest_job_wait(job, 120000, &state)) != FIRECREST_STATUS_OK) {
            report("firecrest_job_wait", s);
        } else if ((s = firecrest_job_exit_code(job, &exit_code)) != FIRECREST_STATUS_OK) {
            report("firecrest_job_exit_code", s);
        } else {
            char out[800];
            snprintf(out, sizeof out, "%s/hello.txt", job_dir);
            char *text = NULL;
            if ((s = firecrest_view(c, system, out, &text)) != FIRECREST_STATUS_OK) {
                report("firecrest_view", s);
            } else {
                printf("  job %s: state %d (COMPLETED is %d), exit code %d, wrote: %s", id,
                       (int)state, FIRECREST_JOB_COMPLETED, (int)exit_code, text);
                if (state == FIRECREST_JOB_COMPLETED && exit_code == 0) {
                    ok();
                } else {
                    printf("  the job did not complete\n");
                    steps_failed++;
                }
            }
            firecrest_string_free(text);
        }
        firecrest_string_free(id);
        firecrest_job_free(job);
    }

    step(13, "cleaning up");
    int cleaned = 1;
    const char *remote[3] = {small_remote, big_remote, job_dir};
    for (int i = 0; i < 3; i++) {
        s = firecrest_remove(c, system, remote[i]);
        if (s != FIRECREST_STATUS_OK && s != FIRECREST_STATUS_NOT_FOUND) {
            report("firecrest_remove", s);
            cleaned = 0;
        }
    }
    const char *local[4] = {small_local, small_back, big_local, big_back};
    for (int i = 0; i < 4; i++) remove(local[i]);
    rmdir(dir);
    if (cleaned) ok();

    firecrest_client_free(c);
    printf("\ntour finished: %d ok, %d unsupported, %d failed\n", steps_ok, steps_unsupported,
           steps_failed);
    return steps_failed == 0 ? 0 : 1;
}
