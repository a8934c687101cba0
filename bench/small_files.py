"""bench/small_files.py: pyfirecrest moving N small files one after the other.

    python small_files.py LOCAL_DIR REMOTE_DIR N v1|v2

LOCAL_DIR holds f0..f{N-1}; they are uploaded to REMOTE_DIR, then downloaded back into
LOCAL_DIR/back. Prints "upload_s <s> download_s <s>" (wall time of each phase)."""
import os
import sys
import time

import firecrest


def main():
    local, remote, n, api = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    auth = firecrest.ClientCredentialsAuth(
        os.environ["FIRECREST_CLIENT_ID"],
        os.environ["FIRECREST_CLIENT_SECRET"],
        os.environ["AUTH_TOKEN_URL"],
    )
    url, system = os.environ["FIRECREST_URL"], os.environ["FIRECREST_SYSTEM"]
    back = os.path.join(local, "back")
    os.makedirs(back, exist_ok=True)
    if api == "v1":
        c = firecrest.v1.Firecrest(firecrest_url=url, authorization=auth)
        up = lambda i: c.simple_upload(system, f"{local}/f{i}", remote, f"f{i}")
        down = lambda i: c.simple_download(system, f"{remote}/f{i}", f"{back}/f{i}")
    else:
        c = firecrest.v2.Firecrest(firecrest_url=url, authorization=auth)
        up = lambda i: c.upload(system, f"{local}/f{i}", remote, f"f{i}")
        down = lambda i: c.download(system, f"{remote}/f{i}", f"{back}/f{i}")
    c.list_files(system, remote)  # the token, outside the timing
    t = time.monotonic()
    for i in range(n):
        up(i)
    t_up = time.monotonic() - t
    t = time.monotonic()
    for i in range(n):
        down(i)
    t_down = time.monotonic() - t
    print(f"upload_s {t_up:.3f} download_s {t_down:.3f}")


if __name__ == "__main__":
    main()
