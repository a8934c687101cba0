"""bench/listing.py: the same work as listing.c through pyfirecrest (3.x, v1 or v2 client).

    python listing.py DIR REPEAT v1|v2

Prints "cpu_us_per_call <µs> entries <n>": user+system CPU (getrusage) per call, first call
left out; every entry's name, type and size is read."""
import os
import resource
import sys

import firecrest


def cpu_us():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return (u.ru_utime + u.ru_stime) * 1e6


def main():
    path, repeat, api = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    auth = firecrest.ClientCredentialsAuth(
        os.environ["FIRECREST_CLIENT_ID"],
        os.environ["FIRECREST_CLIENT_SECRET"],
        os.environ["AUTH_TOKEN_URL"],
    )
    url, system = os.environ["FIRECREST_URL"], os.environ["FIRECREST_SYSTEM"]
    if api == "v1":
        client = firecrest.v1.Firecrest(firecrest_url=url, authorization=auth)
    else:
        client = firecrest.v2.Firecrest(firecrest_url=url, authorization=auth)

    def once():
        entries = client.list_files(system, path)
        for e in entries:
            _ = (e["name"], e["type"], e["size"])
        return len(entries)

    n = once()
    start = cpu_us()
    for _ in range(repeat):
        n = once()
    print(f"cpu_us_per_call {(cpu_us() - start) / repeat:.1f} entries {n}")


if __name__ == "__main__":
    main()
