/*
 * job.c: run a batch job on an HPC system through FirecREST and fetch what it wrote, the way a
 * workflow driver would chain its stages.
 *
 *   job [WORKING_DIRECTORY]
 *
 * Submits a short script that writes result.txt in WORKING_DIRECTORY (a remote directory; default
 * $FIRECREST_HOME), waits
 * for the job to end, downloads result.txt and prints it, then prints the job's final state and
 * exit code. The system is $FIRECREST_SYSTEM; the server and credentials come from pyfirecrest's
 * variables (FIRECREST_URL, FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET, AUTH_TOKEN_URL). The
 * same program runs unchanged against FirecREST v1 and v2. Exit status: the job's exit code when
 * it ran, 1 when something failed (the reason on stderr), 2 on a usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <firecrest.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest wait for the job (queue and run). */
#define WAIT_MS (60u * 60u * 1000u)

static const char SCRIPT[] =
    "#!/bin/bash\n"
    "#SBATCH --job-name=firecrest-c-example\n"
    "#SBATCH --time=00:05:00\n"
    "echo \"job $SLURM_JOB_ID ran on $(hostname) in $(pwd)\" > result.txt\n"
    "echo \"stage input: $STAGE\" >> result.txt\n";

static int fail(const char *what, firecrest_status s) {
    char msg[2048];
    size_t len = 0;
    firecrest_last_error_message(msg, sizeof msg, &len);
    fprintf(stderr, "job: %s failed: %s (%d): %s\n", what, firecrest_status_str(s), (int)s, msg);
    return 1;
}

/* Writes downloaded bytes to stdout. */
static int32_t to_stdout(void *userdata, const uint8_t *data, size_t len) {
    (void)userdata;
    return fwrite(data, 1, len, stdout) == len ? 0 : 1;
}

static const char *state_name(int32_t state) {
    switch (state) {
    case FIRECREST_JOB_PENDING: return "PENDING";
    case FIRECREST_JOB_RUNNING: return "RUNNING";
    case FIRECREST_JOB_COMPLETED: return "COMPLETED";
    case FIRECREST_JOB_FAILED: return "FAILED";
    case FIRECREST_JOB_CANCELLED: return "CANCELLED";
    case FIRECREST_JOB_TIMEOUT: return "TIMEOUT";
    default: return "OTHER";
    }
}

int main(int argc, char **argv) {
    const char *workdir = argc == 2 ? argv[1] : getenv("FIRECREST_HOME");
    if (argc > 2 || !workdir || !*workdir) {
        fprintf(stderr, "usage: job [WORKING_DIRECTORY] (default $FIRECREST_HOME)\n");
        return 2;
    }
    const char *system = getenv("FIRECREST_SYSTEM");
    if (!system || !*system) {
        fprintf(stderr, "job: FIRECREST_SYSTEM is not set\n");
        return 2;
    }

    firecrest_client *c = NULL;
    firecrest_status s = firecrest_client_new_from_env(NULL, &c);
    if (s != FIRECREST_STATUS_OK) return fail("creating the client", s);

    firecrest_job_options *opts = NULL;
    firecrest_job *job = NULL;
    char *id = NULL;
    int rc = 1;
    if ((s = firecrest_job_options_new(&opts)) != FIRECREST_STATUS_OK) {
        fail("creating job options", s);
    } else if ((s = firecrest_job_options_add_env(opts, "STAGE", "42")) != FIRECREST_STATUS_OK) {
        fail("setting the environment", s);
    } else if ((s = firecrest_job_submit_with(c, system, SCRIPT, NULL, NULL, workdir, opts,
                                              &job)) != FIRECREST_STATUS_OK) {
        fail("submitting the job", s);
    } else if ((s = firecrest_job_id(job, &id)) != FIRECREST_STATUS_OK) {
        fail("reading the job id", s);
    } else {
        printf("submitted job %s on %s\n", id, system);
        int32_t state = 0;
        int32_t exit_code = -1;
        if ((s = firecrest_job_wait(job, WAIT_MS, &state)) != FIRECREST_STATUS_OK) {
            fail("waiting for the job", s);
        } else {
            printf("job %s ended %s\n", id, state_name(state));
            if (firecrest_job_exit_code(job, &exit_code) == FIRECREST_STATUS_OK) {
                printf("exit code %d\n", (int)exit_code);
            }
            char path[4096];
            snprintf(path, sizeof path, "%s/result.txt", workdir);
            printf("--- %s\n", path);
            fflush(stdout);
            s = firecrest_simple_download_cb(c, system, path, to_stdout, NULL, NULL);
            if (s != FIRECREST_STATUS_OK) {
                fail("downloading the job's output", s);
            } else if (state == FIRECREST_JOB_COMPLETED) {
                rc = 0;
            } else {
                rc = exit_code > 0 ? exit_code : 1;
            }
        }
    }
    firecrest_string_free(id);
    firecrest_job_free(job);
    firecrest_job_options_free(opts);
    firecrest_client_free(c);
    return rc;
}
