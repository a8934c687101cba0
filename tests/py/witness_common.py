"""Helpers shared by the pyfirecrest witness scripts (witness_v1.py, witness_v2.py).

The scripts read the emulator's coordinates from the environment, exactly as a user of
pyfirecrest would (FIRECREST_URL, AUTH_TOKEN_URL, FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET,
FIRECREST_SYSTEM, FIRECREST_HOME), print each step, and fail with a precise message on the first
result that differs from what a real FirecREST gives.
"""

import hashlib
import os
import sys
import time

import firecrest

# Per-request limit: a server that stops answering fails the step instead of hanging.
HTTP_TIMEOUT = 30
# Limit for a transfer task or job to reach its final state (the emulator moves in milliseconds).
TRANSFER_TIMEOUT = 60


class Env:
    def __init__(self):
        missing = [
            k
            for k in (
                "FIRECREST_URL",
                "AUTH_TOKEN_URL",
                "FIRECREST_CLIENT_ID",
                "FIRECREST_CLIENT_SECRET",
                "FIRECREST_SYSTEM",
                "FIRECREST_HOME",
            )
            if not os.environ.get(k)
        ]
        if missing:
            sys.exit(f"environment lacks {', '.join(missing)}")
        self.url = os.environ["FIRECREST_URL"]
        self.token_url = os.environ["AUTH_TOKEN_URL"]
        self.client_id = os.environ["FIRECREST_CLIENT_ID"]
        self.client_secret = os.environ["FIRECREST_CLIENT_SECRET"]
        self.system = os.environ["FIRECREST_SYSTEM"]
        self.home = os.environ["FIRECREST_HOME"].rstrip("/")
        self.user = os.environ.get("FIRECREST_WITNESS_USER")

    def auth(self):
        auth = firecrest.ClientCredentialsAuth(
            self.client_id, self.client_secret, self.token_url
        )
        auth.timeout = HTTP_TIMEOUT
        return auth


def step(name):
    print(f"== {name}", flush=True)


def note(text):
    print(f"   {text}", flush=True)


def check(cond, what, got=None):
    """Fail the witness with `what` (and the offending value) unless `cond`."""
    if not cond:
        detail = f": got {got!r}" if got is not None else ""
        raise AssertionError(f"{what}{detail}")


def random_file(path, size):
    data = os.urandom(size)
    with open(path, "wb") as f:
        f.write(data)
    return data


def sample_lines():
    """Thirty numbered text lines (for head, tail, view and file)."""
    return [f"line {i:02}: the quick brown fox\n" for i in range(1, 31)]


def check_names(listing, expected, what):
    names = sorted(e["name"] for e in listing)
    check(names == sorted(expected), what, names)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def report_file(remote_path, data):
    """Tell the Rust side (tests/support/py.rs) which remote file must now hold `data`; it checks the emulator's disk."""
    print(f"WITNESS-FILE {remote_path} {len(data)} {sha256(data)}", flush=True)


def entry_named(listing, name):
    found = [e for e in listing if e.get("name") == name]
    check(len(found) == 1, f"exactly one listing entry named {name!r}", [e.get("name") for e in listing])
    return found[0]


def wait_until(description, poll, done, interval=0.05, timeout=TRANSFER_TIMEOUT):
    """Calls poll() until done(value); returns the values seen (deduplicated in order)."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        value = poll()
        if not seen or seen[-1] != value:
            seen.append(value)
        if done(value):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"{description}: not done after {timeout}s, seen {seen}")
        time.sleep(interval)
