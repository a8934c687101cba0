/* bench/listing.c: CPU time of firecrest_list_files from C, the caller reading every entry's
 * name, type and size with the JSON getters, as a C program would.
 *
 *   listing DIR REPEAT [pointers|at]   (pyfirecrest's environment variables name the server)
 *
 * pointers (the default): each value read at a pointer the program writes with snprintf
 * ("/17/name"); at: each read with the element getters (firecrest_json_get_string_at), which
 * take the entry's index and "/name" instead.
 *
 * Prints "cpu_us_per_call <µs> entries <n>": user+system CPU of this process (getrusage) per
 * call, the first call (token, version detection) left out. */
#include <firecrest.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static double cpu_us(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

static int fail(firecrest_status s) {
    char msg[1024];
    firecrest_last_error_message(msg, sizeof msg, NULL);
    fprintf(stderr, "%s: %s\n", firecrest_status_str(s), msg);
    return 1;
}

/* One listing, every entry read; the number of entries, or -1. */
static long list_and_read(firecrest_client *c, const char *system, const char *dir, int at) {
    char *json = NULL;
    firecrest_status s = firecrest_list_files(c, system, dir, 0, &json);
    if (s != FIRECREST_STATUS_OK) return fail(s), -1;
    size_t n = 0;
    s = firecrest_json_array_len(json, "", &n);
    for (size_t i = 0; s == FIRECREST_STATUS_OK && i < n; i++) {
        char ptr[64], *name = NULL, *type = NULL;
        int64_t size = 0;
        if (at) {
            s = firecrest_json_get_string_at(json, "", i, "/name", &name);
            if (s == FIRECREST_STATUS_OK) s = firecrest_json_get_string_at(json, "", i, "/type", &type);
            if (s == FIRECREST_STATUS_OK) s = firecrest_json_get_int_at(json, "", i, "/size", &size);
        } else {
            snprintf(ptr, sizeof ptr, "/%zu/name", i);
            s = firecrest_json_get_string(json, ptr, &name);
            snprintf(ptr, sizeof ptr, "/%zu/type", i);
            if (s == FIRECREST_STATUS_OK) s = firecrest_json_get_string(json, ptr, &type);
            snprintf(ptr, sizeof ptr, "/%zu/size", i);
            if (s == FIRECREST_STATUS_OK) s = firecrest_json_get_int(json, ptr, &size);
        }
        firecrest_string_free(name);
        firecrest_string_free(type);
    }
    firecrest_string_free(json);
    if (s != FIRECREST_STATUS_OK) return fail(s), -1;
    return (long)n;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "at") && strcmp(argv[3], "pointers"))) {
        fprintf(stderr, "usage: listing DIR REPEAT [pointers|at]\n");
        return 2;
    }
    int at = argc == 4 && !strcmp(argv[3], "at");
    const char *system = getenv("FIRECREST_SYSTEM");
    int repeat = atoi(argv[2]);
    firecrest_client *c = NULL;
    firecrest_status s = firecrest_client_new_from_env(NULL, &c);
    if (s != FIRECREST_STATUS_OK) return fail(s);
    long n = list_and_read(c, system, argv[1], at);
    double start = cpu_us();
    for (int i = 0; n >= 0 && i < repeat; i++) n = list_and_read(c, system, argv[1], at);
    double per = (cpu_us() - start) / repeat;
    firecrest_client_free(c);
    if (n < 0) return 1;
    printf("cpu_us_per_call %.1f entries %ld\n", per, n);
    return 0;
}
