//! How FirecREST v1 turns a remote command's stderr into an HTTP answer: the utilities service
//! matches the stderr text against a fixed list of rules (permission denied, no such file,
//! invalid path…) and answers 400 with an `X-*` error header named after the rule, as the
//! recorded transcripts show. The emulator's file operations produce the same stderr texts the
//! real commands print, and go through the same rules.

use crate::exchange::Resp;
use serde_json::json;

pub(crate) const PERMISSION_TEXT: &str = "User does not have permissions to access path";

/// The error header utilities sends for a remote command's stderr, and the status.
pub(crate) fn classify(stderr: &str) -> (u16, (&'static str, String)) {
    let has = |s: &str| stderr.contains(s);
    let header = if has("OPENSSH") {
        ("X-Permission-Denied", PERMISSION_TEXT.to_string())
    } else if has("cannot access") {
        ("X-Invalid-Path", "path is an invalid path".to_string())
    } else if has("No such file") {
        if has("cannot stat") {
            ("X-Not-Found", "sourcePath not found".to_string())
        } else if has("cannot create") || has("cannot move") {
            (
                "X-Invalid-Path",
                "sourcePath and/or targetPath are invalid paths".to_string(),
            )
        } else if has("cannot remove") {
            ("X-Invalid-Path", "path is an invalid path.".to_string())
        } else {
            ("X-Invalid-Path", "path is an invalid path".to_string())
        }
    } else if has("cannot open") || has("Permission denied") {
        ("X-Permission-Denied", PERMISSION_TEXT.to_string())
    } else if has("File exists")
        && (has("mkdir: cannot create directory") || has("ln: failed to create symbolic link"))
    {
        ("X-Exists", "targetPath already exists".to_string())
    } else if has("Not a directory") {
        (
            "X-Not-A-Directory",
            "targetPath is not a directory".to_string(),
        )
    } else if has("directory") {
        (
            "X-A-Directory",
            "path is a directory, can't checksum directories".to_string(),
        )
    } else if has("overwrite") {
        ("X-Exists", "targetPath already exists".to_string())
    } else if has("not permitted") || has("read permission") {
        ("X-Permission-Denied", PERMISSION_TEXT.to_string())
    } else if has("invalid group") {
        ("X-Invalid-Group", "group is an invalid group".to_string())
    } else if has("invalid user") {
        ("X-Invalid-Owner", "owner is an invalid user".to_string())
    } else if has("invalid mode") {
        ("X-Invalid-Mode", "mode is an invalid mode".to_string())
    } else {
        ("X-Error", stderr.to_string())
    };
    (400, header)
}

/// The stderr as FirecREST reports it: newlines are lost.
pub(crate) fn flatten(stderr: &str) -> String {
    stderr.replace('\n', "")
}

/// A failed utilities command: `{"description": "Error on <op> operation", "error": <stderr>}`.
pub(crate) fn command_failed(op: &str, stderr: &str) -> Resp {
    let stderr = flatten(stderr);
    let (status, (name, value)) = classify(&stderr);
    Resp::json(
        status,
        json!({"description": format!("Error on {op} operation"), "error": stderr}),
    )
    .header(name, value)
}

/// A 400 without an X- header (`description` + `error`).
pub(crate) fn bad_request(description: &str, error: &str) -> Resp {
    Resp::json(400, json!({"description": description, "error": error}))
}

/// The storage service's wording of the same classes (transcripts 50, 63, extra/24, 28).
pub(crate) fn storage_header(stderr: &str, path: &str) -> (&'static str, String) {
    let has = |s: &str| stderr.contains(s);
    // A missing file also says "cannot open" (head -c 1), so it is tested first (transcript 63).
    if has("No such file") || has("cannot access") {
        ("X-Invalid-Path", format!("{path} is an invalid path."))
    } else if has("Permission denied") || has("cannot open") || has("not permitted") {
        (
            "X-Permission-Denied",
            "User does not have permissions to access machine or path".to_string(),
        )
    } else if has("Not a directory") {
        ("X-Not-A-Directory", format!("{path} is not a directory"))
    } else if has("directory") {
        ("X-A-Directory", format!("{path} is a directory"))
    } else {
        ("X-Error", flatten(stderr))
    }
}

#[cfg(test)]
mod tests {
    use super::classify;

    #[test]
    fn classification_follows_the_transcripts() {
        let h = |s: &str| classify(s).1;
        assert_eq!(
            h("ls: cannot access '/x': No such file or directory").1,
            "path is an invalid path"
        );
        assert_eq!(
            h("ls: cannot open directory '/root': Permission denied").0,
            "X-Permission-Denied"
        );
        assert_eq!(
            h("stat: cannot statx '/x': No such file or directory").0,
            "X-Not-Found"
        );
        assert_eq!(
            h("rm: cannot remove '/x': No such file or directory").1,
            "path is an invalid path."
        );
        assert_eq!(
            h("mkdir: cannot create directory '/x': File exists").0,
            "X-Exists"
        );
        assert_eq!(
            h("mkdir: cannot create directory '/a/b': No such file or directory").1,
            "sourcePath and/or targetPath are invalid paths"
        );
        assert_eq!(h("sha256sum: /d: Is a directory").0, "X-A-Directory");
        assert_eq!(h("chown: invalid spec: 'x:'").0, "X-Error");
        assert_eq!(h("chown: invalid user: 'x:y'").0, "X-Invalid-Owner");
        assert_eq!(h("chmod: invalid mode: '999'").0, "X-Invalid-Mode");
        assert_eq!(
            h("chown: changing ownership of '/x': Operation not permitted").0,
            "X-Permission-Denied"
        );
    }
}
