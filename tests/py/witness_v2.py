"""pyfirecrest's v2 client (firecrest.v2.Firecrest), unchanged, against a FirecREST v2 endpoint
(here the emulator started with API v2).

Run by tests/pyfirecrest_v2.rs; usable by hand against any v2 deployment with the environment
described in witness_common.py. Prints each step; exits non-zero on the first wrong result.
"""

import io
import os
import tempfile

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
)

# Multi-part uploads need several parts; a part size above this would make the file too big
# for a quick test.
LARGEST_USABLE_PART = 16 * 1024 * 1024


def main():
    with tempfile.TemporaryDirectory(prefix="pyfirecrest-v2-") as work:
        witness(Env(), work)


def witness(env, work):
    client = firecrest.v2.Firecrest(firecrest_url=env.url, authorization=env.auth())
    client.timeout = HTTP_TIMEOUT
    system, home = env.system, env.home

    step("systems")
    systems = client.systems()
    by_name = {s["name"]: s for s in systems}
    note(f"systems: {list(by_name)}, server version: {client.server_version()}")
    check(system in by_name, f"{system} listed", list(by_name))
    data_op = by_name[system].get("dataOperation") or {}
    note(f"max_ops_file_size={data_op.get('max_ops_file_size')}")
    transfer = data_op.get("data_transfer") or {}
    check(transfer.get("serviceType") == "s3", "data_transfer.serviceType s3", transfer)
    part_size = (transfer.get("multipart") or {}).get("max_part_size")
    note(f"multipart.max_part_size={part_size}")
    check(
        isinstance(part_size, int) and 0 < part_size <= LARGEST_USABLE_PART,
        f"a multipart.max_part_size of at most {LARGEST_USABLE_PART} bytes",
        part_size,
    )

    step("userinfo")
    info = client.userinfo(system)
    note(f"{info}")
    if env.user:
        check(info["user"]["name"] == env.user, f"user {env.user}", info["user"])
    check(isinstance(info["user"]["id"], str), "ids are strings", info["user"])

    step("list_files (home)")
    listing = client.list_files(system, home)
    note(f"{len(listing)} entries")
    check(isinstance(listing, list), "a list", listing)

    step("download (missing file) raises FileNotFoundError")
    # pyfirecrest recognises a 404 whose message holds "No such file or directory".
    try:
        client.download(system, f"{home}/no-such-file", os.path.join(work, "missing"))
        raise AssertionError("no error for a missing file")
    except FileNotFoundError as e:
        note(f"{e}")

    remote_dir = f"{home}/witness-v2"
    step(f"mkdir {remote_dir}")
    made = client.mkdir(system, remote_dir, create_parents=True)
    # The real server names the new entry by its full path (recorded in
    # emulator/tests/emulator_v2_transcripts/15-ops-mkdir.json).
    check(made["name"] == remote_dir and made["type"] == "d", "mkdir returns the new directory", made)
    check(entry_named(client.list_files(system, home), "witness-v2")["type"] == "d", "listed as a directory")

    step("upload / download (direct, below MAX_DIRECT_UPLOAD_SIZE)")
    small_path = os.path.join(work, "small.bin")
    small = random_file(small_path, 64 * 1024 + 17)
    check(len(small) < client.MAX_DIRECT_UPLOAD_SIZE, "small file goes the direct way")
    check(client.upload(system, small_path, remote_dir, "small.bin") is None, "direct upload returns None")
    entry = entry_named(client.list_files(system, remote_dir), "small.bin")
    check(entry["size"] == str(len(small)), "listed size (a string)", entry)
    small_back = os.path.join(work, "small.back")
    check(client.download(system, f"{remote_dir}/small.bin", small_back) is None, "direct download returns None")
    with open(small_back, "rb") as f:
        check(f.read() == small, "direct download gives the uploaded bytes")
    report_file(f"{remote_dir}/small.bin", small)

    step("ops and jobs: checksum, stat, file, head, tail, view, chmod, symlink, cp, mv, rm")
    small_remote = f"{remote_dir}/small.bin"
    digest = client.checksum(system, small_remote)
    check(digest == {"algorithm": "SHA256", "checksum": sha256(small)}, "checksum", digest)
    check(client.stat(system, small_remote)["size"] == len(small), "stat size (an integer)")
    lines = sample_lines()
    text = "".join(lines)
    client.upload(system, io.BytesIO(text.encode()), remote_dir, "lines.txt", file_size=len(text))
    lines_remote = f"{remote_dir}/lines.txt"
    kind = client.file_type(system, lines_remote)
    check("text" in kind, "file type of a text file", kind)
    head = client.head(system, lines_remote, num_lines=3)
    check(head["content"] == "".join(lines[:3]) and head["contentType"] == "lines", "head -n 3", head)
    tail = client.tail(system, lines_remote, num_lines=2)
    check(tail["content"] == "".join(lines[-2:]), "tail -n 2", tail)
    check(client.view(system, lines_remote) == text, "view returns the whole file")
    changed = client.chmod(system, lines_remote, "600")
    check(changed["permissions"] == "rw-------", "chmod returns the changed entry", changed)
    # pyfirecrest 3.10.0 returns symlink's whole body, {"output": File}.
    link = client.symlink(system, lines_remote, f"{remote_dir}/link")["output"]
    check(link["type"] == "l" and link["linkTarget"] == lines_remote, "symlink entry", link)
    # cp, mv and the job fallback of rm are transfer jobs: pyfirecrest waits for them and reads
    # their output log for the success line.
    client.cp(system, lines_remote, f"{remote_dir}/copy.txt")
    client.mv(system, f"{remote_dir}/copy.txt", f"{remote_dir}/moved.txt")
    check(client.view(system, f"{remote_dir}/moved.txt") == text, "cp + mv keep the content")
    for name in ("moved.txt", "link", "lines.txt"):
        client.rm(system, f"{remote_dir}/{name}")
    check_names(client.list_files(system, remote_dir), ["small.bin"], "only small.bin left after the deletions")

    step("compress / extract (ops), also with a match pattern")
    client.mkdir(system, f"{remote_dir}/tree/sub", create_parents=True)
    client.upload(system, io.BytesIO(b"packed\n"), f"{remote_dir}/tree/sub", "a.txt", file_size=7)
    client.upload(system, io.BytesIO(b"skip\n"), f"{remote_dir}/tree", "b.bin", file_size=5)
    client.compress(system, f"{remote_dir}/tree", f"{remote_dir}/tree.tar.gz")
    client.mkdir(system, f"{remote_dir}/out")
    client.extract(system, f"{remote_dir}/tree.tar.gz", f"{remote_dir}/out")
    check(client.view(system, f"{remote_dir}/out/tree/sub/a.txt") == "packed\n", "extract gives the packed file")
    client.compress(system, f"{remote_dir}/tree", f"{remote_dir}/txt.tar.gz", match_pattern=".*\\.txt")
    client.mkdir(system, f"{remote_dir}/txt")
    client.extract(system, f"{remote_dir}/txt.tar.gz", f"{remote_dir}/txt")
    kept = [e["name"] for e in client.list_files(system, f"{remote_dir}/txt/tree")]
    check(kept == ["sub"], "the match pattern kept only the .txt file's directory", kept)
    for name in ("tree", "tree.tar.gz", "out", "txt.tar.gz", "txt"):
        client.rm(system, f"{remote_dir}/{name}")
    check_names(client.list_files(system, remote_dir), ["small.bin"], "only small.bin left after the archives")

    step("upload (multi-part S3, waits for the transfer job)")
    big_path = os.path.join(work, "big.bin")
    size = max(2 * part_size + part_size // 2, client.MAX_DIRECT_UPLOAD_SIZE) + 4099
    big = random_file(big_path, size)
    up = client.upload(system, big_path, remote_dir, "big.bin")
    check(up is not None, "a large upload returns the transfer")
    directives = up.transfer_data["transferDirectives"]
    parts = directives["partsUploadUrls"]
    note(f"{size} bytes, {len(parts)} parts of {directives.get('maxPartSize')}, job {up.transfer_data['transferJob']['jobId']}")
    check(len(parts) >= 2, "several part URLs", len(parts))
    entry = entry_named(client.list_files(system, remote_dir), "big.bin")
    check(entry["size"] == str(len(big)), "listed size of the uploaded file", entry)
    report_file(f"{remote_dir}/big.bin", big)

    step("download (multi-part S3, waits for the transfer job)")
    big_back = os.path.join(work, "big.back")
    down = client.download(system, f"{remote_dir}/big.bin", big_back)
    check(down is not None, "a large download returns the transfer")
    note(f"job {down.transfer_data['transferJob']['jobId']}")
    with open(big_back, "rb") as f:
        back = f.read()
    check(len(back) == len(big), "downloaded size", len(back))
    check(back == big, "download gives the uploaded bytes")

    print("PASS: pyfirecrest v2 witness", flush=True)


if __name__ == "__main__":
    main()
