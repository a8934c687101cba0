"""bench/py_upload.py: pyfirecrest's v2 upload of one file (multipart through the staging area).

    python py_upload.py LOCAL_FILE REMOTE_DIR NAME

Prints "upload_s <s>" on success; a failure is printed and exits 1 (pyfirecrest's completion
request has a 5 s timeout, so a server slow to complete a large upload fails it)."""
import os
import sys
import time

import firecrest


def main():
    local, remote_dir, name = sys.argv[1], sys.argv[2], sys.argv[3]
    auth = firecrest.ClientCredentialsAuth(
        os.environ["FIRECREST_CLIENT_ID"],
        os.environ["FIRECREST_CLIENT_SECRET"],
        os.environ["AUTH_TOKEN_URL"],
    )
    c = firecrest.v2.Firecrest(firecrest_url=os.environ["FIRECREST_URL"], authorization=auth)
    t = time.monotonic()
    c.upload(os.environ["FIRECREST_SYSTEM"], local, remote_dir, name)
    print(f"upload_s {time.monotonic() - t:.3f}")


if __name__ == "__main__":
    main()
