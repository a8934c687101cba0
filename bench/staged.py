#!/usr/bin/env python3
"""pyfirecrest's side of bench/testbed: one staged v2 transfer with blocking=True, as
examples-c/transfer.c does it.

    staged.py upload LOCAL_FILE REMOTE_FILE
    staged.py download REMOTE_FILE LOCAL_FILE
    staged.py rm REMOTE_FILE

Server and credentials come from the same variables as transfer.c (FIRECREST_URL,
FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET, AUTH_TOKEN_URL, FIRECREST_SYSTEM). With
PYF_NO_SESSION_TIMEOUT set, the 5 s default read timeout of pyfirecrest's HTTP session (which
sends the parts and the multipart completion) is lifted, so that an object store slower than
that to complete many parts does not fail the upload.
"""
import os
import sys

import firecrest
from firecrest.v2 import Firecrest

env = os.environ
# The server refuses tokens with less than 30 s left; ask for a new one well before.
auth = firecrest.ClientCredentialsAuth(
    env["FIRECREST_CLIENT_ID"],
    env["FIRECREST_CLIENT_SECRET"],
    env["AUTH_TOKEN_URL"],
    min_token_validity=60,
)
client = Firecrest(firecrest_url=env["FIRECREST_URL"], authorization=auth)
if env.get("PYF_NO_SESSION_TIMEOUT"):
    import httpx

    client._session.timeout = httpx.Timeout(None)
system = env["FIRECREST_SYSTEM"]
op, a, b = (sys.argv[1:4] + [""])[:3]
if op == "upload":
    client.upload(system, a, os.path.dirname(b), os.path.basename(b), blocking=True)
elif op == "download":
    client.download(system, a, b, blocking=True)
elif op == "rm":
    client.rm(system, a)
else:
    sys.exit("usage: staged.py upload LOCAL REMOTE | download REMOTE LOCAL | rm REMOTE")
