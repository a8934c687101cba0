"""Records the exchanges of this folder from a real FirecREST v2 server (the test bed in
../../../../../shared/testbed/firecrest-v2 or any other), in the format of the folder above.

    FIRECREST_URL=... AUTH_TOKEN_URL=... FIRECREST_CLIENT_ID=... FIRECREST_CLIENT_SECRET=... \
    FIRECREST_HOME=/home/<user> python record.py

Every fixture is built through the API (mkdir, upload, symlink, chmod) under
$FIRECREST_HOME/f7t-fidelity, which is removed again at the end. The user must not be root.
"""

import datetime
import json
import os
import sys
import time
import urllib.parse

import requests

URL = os.environ["FIRECREST_URL"].rstrip("/")
HOME = os.environ.get("FIRECREST_HOME", "/home/testuser")
SYSTEM = os.environ.get("FIRECREST_SYSTEM", "cluster")
OUT = os.path.dirname(os.path.abspath(__file__))
DIR = f"{HOME}/f7t-fidelity"
KEEP_HEADERS = {"content-type", "content-length", "location", "etag", "www-authenticate",
                "auth-token", "accept-ranges", "last-modified", "x-request-id",
                "x-correlation-id"}

token = requests.post(os.environ["AUTH_TOKEN_URL"], data={
    "grant_type": "client_credentials",
    "client_id": os.environ["FIRECREST_CLIENT_ID"],
    "client_secret": os.environ["FIRECREST_CLIENT_SECRET"],
}).json()["access_token"]
AUTH = {"Authorization": f"Bearer {token}"}
FILE_TXT = "".join(f"line {i:02}: the quick brown fox\n" for i in range(1, 21)).encode()


def record(number, name, description, method, path, query=None, body=None, files=None):
    """Sends one request and writes `<number>-<name>.json`."""
    url = f"{URL}/filesystem/{SYSTEM}{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    started = time.time()
    r = requests.request(method, url, headers=AUTH, json=body, files=files)
    elapsed = round(time.time() - started, 3)
    req = {"method": method, "url": url, "path": f"/filesystem/{SYSTEM}{path}",
           "query": query or {}, "headers": {"Authorization": "Bearer <token>"}}
    sent = r.request
    if method in ("POST", "PUT"):
        ct = sent.headers.get("Content-Type", "")
        if ct.startswith("multipart/form-data"):
            ct = "multipart/form-data; boundary=<boundary>"
        req["headers"]["Content-Type"] = ct
        req["headers"]["Content-Length"] = sent.headers.get("Content-Length", "0")
    if body is not None:
        req["json"] = body
    if files:
        req["multipart"] = [{"name": k, "filename": v[0], "value": f"<{len(v[1])} bytes>"}
                            for k, v in files.items()]
    headers = {k: v for k, v in r.headers.items()
               if k.lower() in KEEP_HEADERS or k.lower().startswith(("f7t-", "x-amz-"))}
    try:
        parsed = r.json()
    except ValueError:
        parsed = r.text if r.text else None
    doc = {"description": description, "request": req,
           "response": {"status": r.status_code, "headers": headers, "body": parsed},
           "meta": {"recordedAt": datetime.datetime.now(datetime.timezone.utc)
                    .strftime("%Y-%m-%dT%H:%M:%SZ"), "elapsedSeconds": elapsed}}
    with open(os.path.join(OUT, f"{number}-{name}.json"), "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(number, name, r.status_code, file=sys.stderr)
    return r


def upload(number, name, description, directory, filename, data):
    return record(number, name, description, "POST", "/ops/upload", {"path": directory},
                  files={"file": (filename, data)})


def chmod(number, name, description, path, mode):
    return record(number, name, description, "PUT", "/ops/chmod",
                  body={"path": path, "mode": mode})


def main():
    record("00", "mkdir", "mkdir of the fixture directory", "POST", "/ops/mkdir",
           body={"path": DIR, "parent": True})
    upload("01", "upload-file", "upload of file.txt (20 lines)", DIR, "file.txt", FILE_TXT)
    upload("02", "upload-secret", "upload of secret.txt", DIR, "secret.txt", b"x" * 64)
    chmod("03", "chmod-secret-000", "chmod 000 of secret.txt", f"{DIR}/secret.txt", "000")
    q = {"path": f"{DIR}/secret.txt"}
    record("04", "head-mode-000", "head of a mode-000 file", "GET", "/ops/head", q)
    record("05", "view-mode-000", "view of a mode-000 file", "GET", "/ops/view", q)
    record("06", "download-mode-000", "download of a mode-000 file", "GET", "/ops/download", q)
    record("07", "file-mode-000", "file of a mode-000 file", "GET", "/ops/file", q)
    record("08", "mkdir-locked", "mkdir of locked/", "POST", "/ops/mkdir",
           body={"path": f"{DIR}/locked"})
    chmod("09", "chmod-locked-000", "chmod 000 of the directory locked/", f"{DIR}/locked", "000")
    upload("10", "upload-into-mode-000", "upload into a mode-000 directory", f"{DIR}/locked",
           "up.txt", b"x" * 16)
    record("11", "ls-recursive-mode-000", "recursive ls of a tree holding a mode-000 directory",
           "GET", "/ops/ls", {"path": DIR, "recursive": "true"})
    f = f"{DIR}/file.txt"
    # (number, command, query beyond the path): head and tail with negative counts.
    for number, cmd, query in [
        ("12", "head", {"lines": "-5"}),
        ("13", "head", {"lines": "-5", "skipTrailing": "true"}),
        ("14", "head", {"bytes": "-7"}),
        ("15", "tail", {"bytes": "-7"}),
        ("16", "tail", {"bytes": "-7", "skipHeading": "true"}),
        ("17", "tail", {"lines": "-3"}),
    ]:
        what = "lines" if "lines" in query else "bytes"
        name = f"{cmd}-negative-{what}" + ("-skip" if len(query) > 1 else "")
        text = " ".join(f"{k}={v}" for k, v in query.items())
        record(number, name, f"{cmd} {text}", "GET", f"/ops/{cmd}", {"path": f, **query})
    record("18", "file-missing", "file of a missing path", "GET", "/ops/file",
           {"path": f"{DIR}/does-not-exist"})
    record("19", "symlink", "symlink link -> file.txt", "POST", "/ops/symlink",
           body={"path": f, "linkPath": f"{DIR}/link"})
    record("20", "stat-symlink", "stat of the symlink (not dereferenced)", "GET", "/ops/stat",
           {"path": f"{DIR}/link"})
    record("21", "chmod-no-mode", "chmod without mode", "PUT", "/ops/chmod", body={"path": f})
    record("22", "transfer-cp-no-target", "transfer/cp without targetPath", "POST",
           "/transfer/cp", body={"path": f})
    record("23", "ls-showhidden-maybe", "ls showHidden=maybe", "GET", "/ops/ls",
           {"path": DIR, "showHidden": "maybe"})
    shut = f"{DIR}/shut"
    record("24", "mkdir-shut", "mkdir of shut/", "POST", "/ops/mkdir", body={"path": shut})
    upload("25", "upload-into-shut", "upload of shut/inner.txt", shut, "inner.txt", FILE_TXT)
    chmod("26", "chmod-shut-000", "chmod 000 of the directory shut/", shut, "000")
    inner = {"path": f"{shut}/inner.txt"}
    record("27", "head-below-mode-000", "head of a file in a mode-000 directory", "GET",
           "/ops/head", inner)
    record("28", "stat-below-mode-000", "stat of a file in a mode-000 directory", "GET",
           "/ops/stat", inner)
    record("29", "ls-below-mode-000", "ls of a file in a mode-000 directory", "GET",
           "/ops/ls", inner)
    record("30", "chmod-below-mode-000", "chmod of a file in a mode-000 directory", "PUT",
           "/ops/chmod", body={"path": f"{shut}/inner.txt", "mode": "644"})
    record("31", "mkdir-below-mode-000", "mkdir in a mode-000 directory", "POST",
           "/ops/mkdir", body={"path": f"{shut}/sub"})
    record("32", "rm-below-mode-000", "rm of a file in a mode-000 directory", "DELETE",
           "/ops/rm", inner)
    record("33", "ls-mode-000", "ls of the mode-000 directory itself", "GET", "/ops/ls",
           {"path": shut})
    # Clean up (not recorded).
    base = f"{URL}/filesystem/{SYSTEM}"
    for p in (shut, f"{DIR}/locked", f"{DIR}/secret.txt"):
        requests.put(f"{base}/ops/chmod", headers=AUTH, json={"path": p, "mode": "700"})
    requests.delete(f"{base}/ops/rm", headers=AUTH, params={"path": DIR})


if __name__ == "__main__":
    main()
