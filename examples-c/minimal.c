/* minimal.c: the smallest useful program (also shown in examples-c/README.md). */
#include <firecrest.h>
#include <stdio.h>

int main(void) {
    firecrest_client *c = NULL;
    char *json = NULL, *name = NULL;
    firecrest_status s = firecrest_client_new_from_env(NULL, &c); /* pyfirecrest's variables */
    if (s == FIRECREST_STATUS_OK) s = firecrest_all_systems(c, &json);
    if (s == FIRECREST_STATUS_OK) s = firecrest_json_get_string(json, "/0/system", &name);
    if (s == FIRECREST_STATUS_OK) {
        printf("first system: %s\n", name);
    } else {
        char msg[1024];
        firecrest_last_error_message(msg, sizeof msg, NULL);
        fprintf(stderr, "%s: %s\n", firecrest_status_str(s), msg);
    }
    firecrest_string_free(name);
    firecrest_string_free(json);
    firecrest_client_free(c);
    return s == FIRECREST_STATUS_OK ? 0 : 1;
}
