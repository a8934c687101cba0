//! What the commands print: JSON as pyfirecrest prints it (`json.dumps(obj, indent=4)`: four
//! spaces, `": "` and non-ASCII escaped as `\uXXXX`), the library's types in the key names of
//! FirecREST v2 (pyfirecrest's CLI prints v2's answers), and the `--table` views.

use firecrest::{FileEntry, HeadTailOptions, System, UserGroups};
use serde::Serialize;
use std::io::Write;

/// `value` as Python's `json.dumps(value, indent=4)` writes it; keys in the order of the
/// structs below, which is the order of the server's answers.
pub fn to_python_json(value: &impl Serialize) -> String {
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    value.serialize(&mut ser).expect("plain data serialises");
    let text = String::from_utf8(buf).expect("serde_json writes UTF-8");
    // ensure_ascii: JSON's own syntax is ASCII, so every other character is inside a string.
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Prints `value` as JSON on stdout, with a final newline.
pub fn print_json(value: &impl Serialize) {
    println!("{}", to_python_json(value));
}

/// Prints `text` as it is, with no newline added (head, tail, view print file content).
pub fn print_raw(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

#[derive(Serialize)]
pub struct SystemOut<'a> {
    name: &'a str,
    status: &'a str,
    description: &'a str,
}

pub fn system(s: &System) -> SystemOut<'_> {
    SystemOut {
        name: &s.system,
        status: &s.status,
        description: &s.description,
    }
}

/// A directory entry in v2's names.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    link_target: Option<&'a str>,
    user: &'a str,
    group: &'a str,
    permissions: &'a str,
    last_modified: &'a str,
    /// v2 sends the size as a string, and pyfirecrest prints it so.
    size: String,
}

pub fn file_entry(e: &FileEntry) -> Entry<'_> {
    Entry {
        name: &e.name,
        kind: &e.kind,
        link_target: e.link_target.as_deref(),
        user: &e.user,
        group: &e.group,
        permissions: &e.permissions,
        last_modified: &e.last_modified,
        size: e.size.to_string(),
    }
}

#[derive(Serialize)]
pub struct Checksum<'a> {
    algorithm: &'static str,
    checksum: &'a str,
}

pub fn checksum(sum: &str) -> Checksum<'_> {
    Checksum {
        algorithm: "SHA256",
        checksum: sum.trim(),
    }
}

/// `id`'s text: `uid=1000(me) gid=1000(me) groups=1000(me),1001(project)`.
pub fn id_line(u: &UserGroups) -> String {
    let pair = |i: &firecrest::IdName| format!("{}({})", i.id, i.name);
    let groups: Vec<String> = u.groups.iter().map(pair).collect();
    format!(
        "uid={} gid={} groups={}",
        pair(&u.user),
        pair(&u.group),
        groups.join(",")
    )
}

/// head/tail `--json`: v2's answer, positions as FirecREST reports them (head: 0..n or 0..-n
/// when skipping the end; tail: -n..-1, or n..-1 when starting at line/byte n).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Portion<'a> {
    content: &'a str,
    content_type: &'static str,
    start_position: i64,
    end_position: i64,
}

pub fn head_tail<'a>(content: &'a str, options: &HeadTailOptions, tail: bool) -> Portion<'a> {
    let (n, kind) = match (options.bytes, options.lines) {
        (Some(b), _) => (b as i64, "bytes"),
        (_, Some(l)) => (l as i64, "lines"),
        _ => (10, "lines"),
    };
    let (start, end) = match (tail, options.skip) {
        (false, false) => (0, n),
        (false, true) => (0, -n),
        (true, false) => (-n, -1),
        (true, true) => (n, -1),
    };
    Portion {
        content,
        content_type: kind,
        start_position: start,
        end_position: end,
    }
}

/// Rows of text in columns as wide as their widest cell; the last column is not padded.
fn columns(rows: &[Vec<String>], right_aligned: &[bool]) -> String {
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..rows.first().map_or(0, Vec::len)).map(width).collect();
    let mut out = String::new();
    for row in rows {
        let last = row.len() - 1;
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(
                |(i, cell)| match (i == last, right_aligned.get(i) == Some(&true)) {
                    (_, true) => format!("{cell:>w$}", w = widths[i]),
                    (true, false) => cell.clone(),
                    (false, false) => format!("{cell:<w$}", w = widths[i]),
                },
            )
            .collect();
        out.push_str(&cells.join("  "));
        out.push('\n');
    }
    out
}

/// `ls -l` style: mode, user, group, size, time, name (`-> target` for links).
pub fn ls_table(entries: &[FileEntry]) -> String {
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let name = match &e.link_target {
                Some(t) => format!("{} -> {t}", e.name),
                None => e.name.clone(),
            };
            vec![
                format!("{}{}", e.kind, e.permissions),
                e.user.clone(),
                e.group.clone(),
                e.size.to_string(),
                e.last_modified.replace('T', " "),
                name,
            ]
        })
        .collect();
    columns(&rows, &[false, false, false, true, false, false])
}

pub fn systems_table(systems: &[System]) -> String {
    let mut rows = vec![vec![
        "SYSTEM".to_string(),
        "STATUS".to_string(),
        "DESCRIPTION".to_string(),
    ]];
    rows.extend(
        systems
            .iter()
            .map(|s| vec![s.system.clone(), s.status.clone(), s.description.clone()]),
    );
    columns(&rows, &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_is_pythons() {
        let v = json!({"a": [1, {"b": "é😀"}], "c": []});
        assert_eq!(
            to_python_json(&v),
            "{\n    \"a\": [\n        1,\n        {\n            \"b\": \"\\u00e9\\ud83d\\ude00\"\n        }\n    ],\n    \"c\": []\n}"
        );
    }

    #[test]
    fn tables_line_up() {
        let t = columns(
            &[
                vec!["a".into(), "1".into(), "x".into()],
                vec!["bbb".into(), "22".into(), "y".into()],
            ],
            &[false, true, false],
        );
        assert_eq!(t, "a     1  x\nbbb  22  y\n");
    }
}

/// `job-metadata`: v2's metadata keys, from the job's information.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobMetadata<'a> {
    job_id: &'a str,
    script: Option<&'a str>,
    standard_output: Option<&'a str>,
    standard_error: Option<&'a str>,
}

pub fn job_metadata(info: &firecrest::JobInfo) -> JobMetadata<'_> {
    JobMetadata {
        job_id: &info.job_id,
        script: info.script.as_deref(),
        standard_output: info.stdout.as_deref(),
        standard_error: info.stderr.as_deref(),
    }
}

/// A job as pyfirecrest prints it (v2's `Job` keys, as far as the library reports them), so that
/// scripts reading `[0]["status"]["state"]` work with either CLI.
pub fn job(info: &firecrest::JobInfo) -> serde_json::Value {
    let number_or_text = |t: &Option<String>| match t {
        Some(t) => t
            .parse::<i64>()
            .map(serde_json::Value::from)
            .unwrap_or_else(|_| serde_json::Value::from(t.as_str())),
        None => serde_json::Value::Null,
    };
    serde_json::json!({
        "jobId": info.job_id,
        "name": info.name,
        "status": {
            "state": info.state,
            "exitCode": info.exit_code,
        },
        "time": {
            "start": number_or_text(&info.start_time),
            "end": number_or_text(&info.end_time),
        },
        "account": info.account,
        "nodes": info.nodes,
        "partition": info.partition,
        "user": info.user,
        "workingDirectory": info.working_directory,
    })
}
