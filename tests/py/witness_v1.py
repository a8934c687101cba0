"""pyfirecrest's v1 client, unchanged, against a FirecREST v1 endpoint (here the emulator).

Run by tests/pyfirecrest_v1.rs; usable by hand against any v1 deployment with the environment
described in witness_common.py. Prints each step; exits non-zero on the first wrong result.
"""

import io
import os
import tempfile

from packaging.version import parse

import firecrest
from witness_common import (
    HTTP_TIMEOUT,
    Env,
    check,
    check_names,
    entry_named,
    note,
    random_file,
    report_file,
    sample_lines,
    sha256,
    step,
    wait_until,
)


def param(section, name):
    values = [p["value"] for p in section if p.get("name") == name]
    check(len(values) == 1, f"one parameter {name}", [p.get("name") for p in section])
    return values[0]


def main():
    with tempfile.TemporaryDirectory(prefix="pyfirecrest-v1-") as work:
        witness(Env(), work)


def witness(env, work):
    client = firecrest.v1.Firecrest(firecrest_url=env.url, authorization=env.auth())
    client.timeout = HTTP_TIMEOUT
    system, home = env.system, env.home

    step("all_systems")
    systems = client.all_systems()
    by_name = {s["system"]: s for s in systems}
    note(f"{[(s['system'], s['status']) for s in systems]}")
    check(system in by_name, f"{system} listed", list(by_name))
    check(by_name[system]["status"] == "available", f"{system} available", by_name[system])
    others = [s for s in systems if s["status"] != "available"]
    check(all(s["status"] == "not available" for s in others), "v1 status words", others)

    step("parameters")
    params = client.parameters()
    for section in ("general", "utilities", "storage"):
        check(isinstance(params.get(section), list), f"section {section} is a list", params.get(section))
    version = param(params["general"], "FIRECREST_VERSION")
    note(f"FIRECREST_VERSION={version}")
    # pyfirecrest switches features (recursive ls, groups, …) on this version.
    check(parse(version) >= parse("1.16.0"), "FIRECREST_VERSION >= 1.16.0", version)
    utilities_max = param(params["utilities"], "UTILITIES_MAX_FILE_SIZE")
    storage_max = param(params["storage"], "STORAGE_MAX_FILE_SIZE")
    note(f"UTILITIES_MAX_FILE_SIZE={utilities_max} MB, STORAGE_MAX_FILE_SIZE={storage_max} MB")
    check(float(utilities_max) > 0 and float(storage_max) > 0, "positive size limits")

    step("whoami")
    from_token = client.whoami()
    from_server = client.whoami(system)
    groups = client.groups(system)
    note(f"token: {from_token}, server: {from_server}, groups: {groups}")
    check(from_token is not None, "whoami() decodes the access token (a JWT)")
    check(from_server == from_token, "whoami(system) agrees with the token", from_server)
    if env.user:
        check(from_token == env.user, f"user {env.user}", from_token)
    check(groups["user"]["name"] == from_token, "groups() user name", groups)
    check(isinstance(groups["user"]["id"], str), "ids are strings", groups["user"])

    step("list_files (home)")
    listing = client.list_files(system, home)
    note(f"{len(listing)} entries")
    check(isinstance(listing, list), "a list", listing)

    step("missing paths: ls gives X-Invalid-Path, stat gives X-Not-Found")
    for call, header in ((client.list_files, "X-Invalid-Path"), (client.stat, "X-Not-Found")):
        try:
            call(system, f"{home}/no-such-path")
            raise AssertionError(f"{call.__name__}: no error for a missing path")
        except firecrest.HeaderException as e:
            headers = e.responses[-1].headers
            check(header in headers, f"{call.__name__}: {header} header", dict(headers))

    remote_dir = f"{home}/witness-v1"
    step(f"mkdir {remote_dir}")
    client.mkdir(system, remote_dir, p=True)
    check(entry_named(client.list_files(system, home), "witness-v1")["type"] == "d", "a directory")

    step("simple_upload / simple_download")
    small_path = os.path.join(work, "small.bin")
    small = random_file(small_path, 64 * 1024 + 17)
    client.simple_upload(system, small_path, remote_dir)
    entry = entry_named(client.list_files(system, remote_dir), "small.bin")
    check(entry["size"] == str(len(small)), "listed size (a string)", entry)
    buf = io.BytesIO()
    client.simple_download(system, f"{remote_dir}/small.bin", buf)
    check(buf.getvalue() == small, "simple_download returns the uploaded bytes")
    report_file(f"{remote_dir}/small.bin", small)

    step("utilities: checksum, stat, file, head, tail, view, copy, mv, chmod, symlink, rm")
    small_remote = f"{remote_dir}/small.bin"
    check(client.checksum(system, small_remote) == sha256(small), "checksum is the sha256 of the bytes")
    check(client.stat(system, small_remote)["size"] == len(small), "stat size (an integer)")
    lines = sample_lines()
    text = "".join(lines)
    client.simple_upload(system, io.BytesIO(text.encode()), remote_dir, filename="lines.txt")
    lines_remote = f"{remote_dir}/lines.txt"
    kind = client.file_type(system, lines_remote)
    check("text" in kind, "file type of a text file", kind)
    check(client.head(system, lines_remote, lines="3") == "".join(lines[:3]), "head -n 3")
    check(client.tail(system, lines_remote, lines="2") == "".join(lines[-2:]), "tail -n 2")
    check(client.view(system, lines_remote).startswith(lines[0]), "view starts with the first line")
    client.copy(system, lines_remote, f"{remote_dir}/copy.txt")
    client.mv(system, f"{remote_dir}/copy.txt", f"{remote_dir}/moved.txt")
    client.chmod(system, f"{remote_dir}/moved.txt", "600")
    client.symlink(system, f"{remote_dir}/moved.txt", f"{remote_dir}/link")
    listing = client.list_files(system, remote_dir)
    check(entry_named(listing, "moved.txt")["permissions"] == "rw-------", "chmod 600")
    link = entry_named(listing, "link")
    check(link["type"] == "l" and link["link_target"] == f"{remote_dir}/moved.txt", "symlink entry", link)
    check(all(e["name"] != "copy.txt" for e in listing), "mv removed the source")
    for name in ("moved.txt", "link", "lines.txt"):
        client.simple_delete(system, f"{remote_dir}/{name}")
    check_names(client.list_files(system, remote_dir), ["small.bin"], "only small.bin left after the deletions")

    step("compress / extract (utilities)")
    client.mkdir(system, f"{remote_dir}/tree/sub", p=True)
    client.simple_upload(system, io.BytesIO(b"packed\n"), f"{remote_dir}/tree/sub", filename="a.txt")
    archive = client.compress(system, f"{remote_dir}/tree", f"{remote_dir}/tree.tar.gz")
    check(archive == f"{remote_dir}/tree.tar.gz", "compress returns the archive's path", archive)
    client.mkdir(system, f"{remote_dir}/out")
    client.extract(system, f"{remote_dir}/tree.tar.gz", f"{remote_dir}/out")
    check(client.head(system, f"{remote_dir}/out/tree/sub/a.txt") == "packed\n", "extract gives the packed file")
    for name in ("tree", "tree.tar.gz", "out"):
        client.simple_delete(system, f"{remote_dir}/{name}")
    check_names(client.list_files(system, remote_dir), ["small.bin"], "only small.bin left after the archives")

    step("external_upload + finish_upload")
    big_path = os.path.join(work, "big.bin")
    big = random_file(big_path, 3 * 1024 * 1024 + 4099)
    up = client.external_upload(system, big_path, remote_dir)
    note(f"task {up.task_id}")
    first = up.status
    note(f"status before finish_upload: {first}")
    check(first in ("100", "110", "111"), "a new upload task waits for the form (100/110/111)", first)
    # Blocks until 111 and runs the curl command found in the task data.
    up.finish_upload()
    check("curl" in up.object_storage_data["command"], "111 data.msg.command is a curl command")
    statuses = wait_until(
        f"upload task {up.task_id}", lambda: up.status, lambda s: s in ("114", "115")
    )
    note(f"statuses after the upload: {statuses}")
    check(statuses[-1] == "114", "upload task ends at 114", statuses)
    check(up.data["target"] == f"{remote_dir}/big.bin", "task data target", up.data)
    entry = entry_named(client.list_files(system, remote_dir), "big.bin")
    check(entry["size"] == str(len(big)), "listed size of the uploaded file", entry)
    report_file(f"{remote_dir}/big.bin", big)

    step("external_download + finish_download")
    down = client.external_download(system, f"{remote_dir}/big.bin")
    note(f"task {down.task_id}")
    statuses = wait_until(
        f"download task {down.task_id}", lambda: down.status, lambda s: s in ("117", "118")
    )
    note(f"statuses: {statuses}")
    check(statuses[-1] == "117", "download task ends at 117", statuses)
    check(down.data["source"] == f"{remote_dir}/big.bin", "task data source", down.data)
    back_path = os.path.join(work, "big.back")
    down.finish_download(back_path)
    with open(back_path, "rb") as f:
        back = f.read()
    check(len(back) == len(big), "downloaded size", len(back))
    check(back == big, "finish_download gives the uploaded bytes")

    step("invalidate_object_storage_link")
    down.invalidate_object_storage_link()
    # A fresh handle re-reads the task through GET /tasks?tasks=<id>, whose record on a real
    # server still says 117 after invalidation; only /tasks/<id> says 302 (recorded in
    # emulator/tests/emulator_v1_transcripts/74-xfer-download-task-after-invalidate-list.json).
    status = firecrest.v1.ExternalDownload(client, down.task_id).status
    note(f"task status after invalidation (list form): {status}")
    check(status == "117", "list form keeps the stored 117 record", status)

    print("PASS: pyfirecrest v1 witness", flush=True)


if __name__ == "__main__":
    main()
