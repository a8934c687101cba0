"""bench/small_files.py: pyfirecrest moving N small files one after the other.

    python small_files.py LOCAL_DIR REMOTE_DIR N v1|v2 BACK_DIR

LOCAL_DIR holds f0..f{N-1}; they are uploaded to REMOTE_DIR, then downloaded back into
BACK_DIR (made if missing). Prints "upload_s <s> download_s <s> upload_cpu_s <s> download_cpu_s <s>"
(wall time and this process's CPU time of each phase)."""
import os
import sys
import time

import firecrest


def main():
    local, remote, n, api, back = sys.argv[1:6]
    n = int(n)
    auth = firecrest.ClientCredentialsAuth(
        os.environ["FIRECREST_CLIENT_ID"],
        os.environ["FIRECREST_CLIENT_SECRET"],
        os.environ["AUTH_TOKEN_URL"],
    )
    url, system = os.environ["FIRECREST_URL"], os.environ["FIRECREST_SYSTEM"]
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
    t, cpu = time.monotonic(), time.process_time()
    for i in range(n):
        up(i)
    t_up, cpu_up = time.monotonic() - t, time.process_time() - cpu
    t, cpu = time.monotonic(), time.process_time()
    for i in range(n):
        down(i)
    t_down, cpu_down = time.monotonic() - t, time.process_time() - cpu
    print(
        f"upload_s {t_up:.3f} download_s {t_down:.3f} "
        f"upload_cpu_s {cpu_up:.4f} download_cpu_s {cpu_down:.4f}"
    )


if __name__ == "__main__":
    main()
