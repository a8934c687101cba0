//! What the client returns. One schema whatever the server's API version: v1's field names,
//! `null` where a version lacks a field. The C layer serialises these with serde, so the JSON
//! a C or Fortran program sees is exactly these structs.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// FirecREST API generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApiVersion {
    V1 = 1,
    V2 = 2,
}

impl ApiVersion {
    pub fn number(self) -> i32 {
        self as i32
    }

    pub fn from_number(n: i32) -> Option<ApiVersion> {
        match n {
            1 => Some(ApiVersion::V1),
            2 => Some(ApiVersion::V2),
            _ => None,
        }
    }
}

/// A system (cluster) and its health. `status` is `"available"` or `"not available"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct System {
    pub system: String,
    pub status: String,
    pub description: String,
}

/// A FirecREST micro-service (v1 only). `status_code` is the HTTP code of the health probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub service: String,
    pub status: String,
    pub status_code: Option<i64>,
    pub description: String,
}

/// One entry of `/status/parameters` (v1) or its v2 equivalent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    /// A string for every parameter except `FILESYSTEMS` (an array), as the server sends it.
    pub value: serde_json::Value,
    pub unit: String,
    pub description: String,
}

/// `/status/parameters`: section name (`general`, `utilities`, `storage`, `compute`) → entries.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Parameters {
    pub sections: BTreeMap<String, Vec<Parameter>>,
}

impl Parameters {
    /// The value of `name` in any section, as a string.
    pub fn get(&self, name: &str) -> Option<String> {
        self.sections
            .values()
            .flatten()
            .find(|p| p.name == name)
            .map(|p| match &p.value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
    }
}

/// A directory entry (`ls -l` parsed by the server).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    /// First character of the mode string: `-`, `d`, `l`, `c`, `b`, `p`, `s`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The target of a symlink, `null` otherwise.
    pub link_target: Option<String>,
    pub user: String,
    pub group: String,
    /// `rwxr-xr-x`: the mode string without the type character.
    pub permissions: String,
    /// `YYYY-MM-DDTHH:MM:SS`, server time, no zone.
    pub last_modified: String,
    pub size: u64,
}

/// `stat` of a remote path; `mode` includes the file-type bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stat {
    pub mode: i64,
    pub ino: i64,
    pub dev: i64,
    pub nlink: i64,
    pub uid: i64,
    pub gid: i64,
    pub size: i64,
    pub atime: i64,
    pub mtime: i64,
    pub ctime: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdName {
    pub id: String,
    pub name: String,
}

/// `whoami?groups=true` (v1) or `/status/{system}/userinfo` (v2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserGroups {
    pub user: IdName,
    pub group: IdName,
    pub groups: Vec<IdName>,
}

/// A v1 task (`/tasks`). `status` is the integer of the server's status string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub task_id: String,
    pub status: i32,
    pub description: String,
    pub service: String,
    pub system: String,
    pub user: String,
    pub created_at: String,
    pub updated_at: String,
    /// Depends on the service and status: a string, an object, an array.
    pub data: serde_json::Value,
}

/// Options of `list_files`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListOptions {
    pub show_hidden: bool,
    pub recursive: bool,
}

/// Options of `head` and `tail`: at most one of `bytes` and `lines` (default 10 lines).
/// `skip` is v1's `skip_ending`/`skip_beginning` (v2's `skipTrailing`/`skipHeading`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeadTailOptions {
    pub bytes: Option<u64>,
    pub lines: Option<u64>,
    pub skip: bool,
}

impl HeadTailOptions {
    /// The query parameters of head/tail on either API: `bytes` or `lines`, and
    /// `skip_param=true` when skipping. `what` names the call in the error for both counts.
    pub(crate) fn query<'p>(
        &self,
        what: &str,
        skip_param: &'p str,
    ) -> crate::Result<Vec<(&'p str, String)>> {
        let mut query = Vec::new();
        match (self.bytes, self.lines) {
            (Some(_), Some(_)) => {
                return Err(crate::Error::invalid_argument(format!(
                    "{what}: give bytes or lines, not both"
                )))
            }
            (Some(b), None) => query.push(("bytes", b.to_string())),
            (None, Some(l)) => query.push(("lines", l.to_string())),
            (None, None) => {}
        }
        if self.skip {
            query.push((skip_param, "true".to_string()));
        }
        Ok(query)
    }
}
