/*
 * transfer.c: stage one file in or out of an HPC system through FirecREST, the way a job script
 * would, with a progress line.
 *
 *   transfer upload   LOCAL_FILE   REMOTE_FILE
 *   transfer download REMOTE_FILE  LOCAL_FILE
 *
 * The system is $FIRECREST_SYSTEM; the server and credentials come from pyfirecrest's variables
 * (FIRECREST_URL, FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET, AUTH_TOKEN_URL). Exit status 0 on
 * success, 1 on failure (the reason on stderr), 2 on a usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <firecrest.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Longest wait for the server's side of a transfer (staging, moving into place). */
#define WAIT_MS (30u * 60u * 1000u)

static int fail(const char *what, firecrest_status s) {
    char msg[2048];
    size_t len = 0;
    firecrest_last_error_message(msg, sizeof msg, &len);
    fprintf(stderr, "\ntransfer: %s failed: %s (%d): %s\n", what, firecrest_status_str(s),
            (int)s, msg);
    return 1;
}

struct progress {
    const char *label;
    int last_percent;
    uint64_t last_done;
};

/* Redraws the progress line when the percentage changes (every 4 MiB when the total is
 * unknown, i.e. 0); never aborts. */
static int32_t on_progress(void *userdata, uint64_t done, uint64_t total) {
    struct progress *p = userdata;
    if (total) {
        int percent = (int)(done * 100u / total);
        if (percent != p->last_percent) {
            fprintf(stderr, "\r%s: %llu / %llu bytes (%3d%%)", p->label,
                    (unsigned long long)done, (unsigned long long)total, percent);
            p->last_percent = percent;
        }
    } else if (done - p->last_done >= 4u * 1024u * 1024u || p->last_done == 0) {
        fprintf(stderr, "\r%s: %llu bytes", p->label, (unsigned long long)done);
        p->last_done = done;
    }
    return 0;
}

static int upload(firecrest_client *c, const char *system, const char *local,
                  const char *remote) {
    firecrest_transfer *t = NULL;
    firecrest_status s = firecrest_external_upload(c, system, local, remote, &t);
    if (s != FIRECREST_STATUS_OK) return fail("starting the upload", s);
    struct progress p = {"upload", -1, 0};
    int32_t status = 0;
    int rc = 0;
    if ((s = firecrest_transfer_set_progress(t, on_progress, &p)) != FIRECREST_STATUS_OK) {
        rc = fail("setting the progress callback", s);
    } else if ((s = firecrest_transfer_wait(t, FIRECREST_UPLOAD_URL_READY, WAIT_MS, &status)) !=
               FIRECREST_STATUS_OK) {
        rc = fail("waiting for the staging area", s);
    } else if ((s = firecrest_transfer_finish_upload(t)) != FIRECREST_STATUS_OK) {
        rc = fail("sending the file", s);
    } else {
        fprintf(stderr, "\nupload: in the staging area, moving to %s:%s\n", system, remote);
        s = firecrest_transfer_wait(t, FIRECREST_UPLOAD_DONE, WAIT_MS, &status);
        if (s != FIRECREST_STATUS_OK) {
            rc = fail("moving the file into place", s);
        } else {
            fprintf(stderr, "upload: done (status %d)\n", (int)status);
        }
    }
    firecrest_transfer_free(t);
    return rc;
}

static int download(firecrest_client *c, const char *system, const char *remote,
                    const char *local) {
    firecrest_transfer *t = NULL;
    firecrest_status s = firecrest_external_download(c, system, remote, &t);
    if (s != FIRECREST_STATUS_OK) return fail("starting the download", s);
    struct progress p = {"download", -1, 0};
    int32_t status = 0;
    int rc = 0;
    if ((s = firecrest_transfer_set_progress(t, on_progress, &p)) != FIRECREST_STATUS_OK) {
        rc = fail("setting the progress callback", s);
    } else if ((s = firecrest_transfer_wait(t, FIRECREST_DOWNLOAD_READY, WAIT_MS, &status)) !=
               FIRECREST_STATUS_OK) {
        rc = fail("staging the file", s);
    } else if ((s = firecrest_transfer_finish_download(t, local)) != FIRECREST_STATUS_OK) {
        rc = fail("fetching the file", s);
    } else {
        struct stat st;
        long long size = stat(local, &st) == 0 ? (long long)st.st_size : -1;
        fprintf(stderr, "\ndownload: done, %s (%lld bytes)\n", local, size);
        /* The staged copy is no longer needed: nobody should be able to fetch it. FirecREST v2
         * cannot invalidate (the link expires by itself), which is no reason to fail. */
        s = firecrest_transfer_invalidate(t);
        if (s == FIRECREST_STATUS_UNSUPPORTED) {
            fprintf(stderr, "download: the server cannot invalidate the link; it will expire\n");
        } else if (s != FIRECREST_STATUS_OK) {
            rc = fail("invalidating the link", s);
        }
    }
    firecrest_transfer_free(t);
    return rc;
}

int main(int argc, char **argv) {
    const char *system = getenv("FIRECREST_SYSTEM");
    if (argc != 4 || !system ||
        (strcmp(argv[1], "upload") != 0 && strcmp(argv[1], "download") != 0)) {
        fprintf(stderr, "usage: %s upload LOCAL_FILE REMOTE_FILE\n"
                        "       %s download REMOTE_FILE LOCAL_FILE\n"
                        "with FIRECREST_SYSTEM, FIRECREST_URL, FIRECREST_CLIENT_ID,\n"
                        "FIRECREST_CLIENT_SECRET and AUTH_TOKEN_URL set\n",
                argv[0], argv[0]);
        return 2;
    }
    firecrest_client *c = NULL;
    firecrest_status s = firecrest_client_new_from_env(NULL, &c);
    if (s != FIRECREST_STATUS_OK) return fail("creating the client", s);
    int rc = strcmp(argv[1], "upload") == 0 ? upload(c, system, argv[2], argv[3])
                                            : download(c, system, argv[2], argv[3]);
    firecrest_client_free(c);
    return rc;
}
