"""pyfirecrest 3.10's newer authorization classes and tracing, unchanged, against a FirecREST v2
endpoint (here the emulator started with API v2 and an API key): ApiKeyAuth, TokenCommandAuth,
and the X-Correlation-ID that firecrest.correlation_id() sets, which v2 echoes when it is a UUID
and refuses (HTTP 400) when it is not.

Run by tests/pyfirecrest_tracing.rs with, besides the variables of witness_common.py,
FIRECREST_WITNESS_API_KEY (the key the server takes) and FIRECREST_WITNESS_TOKEN_COMMAND (a
command that prints a valid token). Prints "CORRELATION <id>" for each id it sent.
"""

import os
import sys

import firecrest
from witness_common import HTTP_TIMEOUT, Env, check, note, step

ID = "2b1c7e4c-5a0e-4d38-9d0c-6f7e3f1b9a11"


def client(env, auth):
    c = firecrest.v2.Firecrest(firecrest_url=env.url, authorization=auth)
    c.timeout = HTTP_TIMEOUT
    return c


def main():
    env = Env()
    system, home = env.system, env.home

    step("ApiKeyAuth")
    c = client(env, firecrest.ApiKeyAuth(os.environ["FIRECREST_WITNESS_API_KEY"]))
    names = [e["name"] for e in c.list_files(system, home)]
    note(f"listed {len(names)} entries with an API key")
    try:
        client(env, firecrest.ApiKeyAuth("wrong-key")).list_files(system, home)
        check(False, "a wrong API key is refused", None)
    except firecrest.FirecrestException as e:
        check("401" in str(e), "a wrong API key: 401", str(e))

    step("TokenCommandAuth")
    c = client(env, firecrest.TokenCommandAuth(os.environ["FIRECREST_WITNESS_TOKEN_COMMAND"]))
    check(c.userinfo(system)["user"]["name"] == env.user, "userinfo with a token command", None)

    step("correlation_id")
    with firecrest.correlation_id(ID):
        c.list_files(system, home)
    print(f"CORRELATION {ID}")
    try:
        with firecrest.correlation_id("my-workflow-1234"):
            c.list_files(system, home)
        check(False, "an id that is not a UUID is refused", None)
    except Exception as e:  # the bare 400 has no body
        note(f"not a UUID: {type(e).__name__}: {e}")
        check("400" in str(e), "an id that is not a UUID: 400", str(e))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAILED: {e}")
        sys.exit(1)
