//! What the client returns. One schema whatever the server's API version: v1's field names,
//! `null` where a version lacks a field. The C layer serialises these with serde, so the JSON
//! a C or Fortran program sees is exactly these structs.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
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

/// A [`FileEntry`] as read from the server's answer: each string borrowed from the answer
/// unless it had to be unescaped. A large listing is read without one allocation per string;
/// the typed API makes its owned entries from these, and the C layer writes its JSON from them
/// without owning any. Serialises exactly as [`FileEntry`] does.
#[derive(Debug, Serialize)]
pub(crate) struct FileEntryRef<'a> {
    pub name: Cow<'a, str>,
    #[serde(rename = "type")]
    pub kind: Cow<'a, str>,
    pub link_target: Option<Cow<'a, str>>,
    pub user: Cow<'a, str>,
    pub group: Cow<'a, str>,
    pub permissions: Cow<'a, str>,
    pub last_modified: Cow<'a, str>,
    pub size: u64,
}

/// A version's own form of a listed entry (its field names and forms, declared with serde's
/// `remote` derive over [`FileEntryRef`]'s fields), read from its answer straight into a
/// [`FileEntryRef`] borrowing from the same answer.
pub(crate) trait ListedEntry<'de> {
    fn read<D: serde::Deserializer<'de>>(d: D) -> Result<FileEntryRef<'de>, D::Error>;
}

/// One entry of the list, read in the version's form `E`.
struct Entry<E>(std::marker::PhantomData<fn() -> E>);

impl<'de, E: ListedEntry<'de>> serde::de::DeserializeSeed<'de> for Entry<E> {
    type Value = FileEntryRef<'de>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        E::read(d)
    }
}

/// Reads an answer whose `output` member is a list of entries (`ls` on both versions), handing
/// each entry to `read` as soon as it is read: a listing is never held whole, only the entry
/// being read and what the caller makes of it.
pub(crate) struct OutputEntries<'r, E> {
    read: &'r mut dyn FnMut(&FileEntryRef<'_>),
    entry: std::marker::PhantomData<fn() -> E>,
}

impl<'r, E> OutputEntries<'r, E> {
    pub(crate) fn new(read: &'r mut dyn FnMut(&FileEntryRef<'_>)) -> Self {
        OutputEntries {
            read,
            entry: std::marker::PhantomData,
        }
    }
}

impl<'de, E: ListedEntry<'de>> serde::de::DeserializeSeed<'de> for OutputEntries<'_, E> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, E: ListedEntry<'de>> serde::de::Visitor<'de> for OutputEntries<'_, E> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an answer with an `output` list")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        use serde::de::{Error, IgnoredAny};
        let mut seen = false;
        while let Some(output) = map.next_key_seed(IsOutput)? {
            if !output {
                map.next_value::<IgnoredAny>()?;
            } else if std::mem::replace(&mut seen, true) {
                return Err(A::Error::duplicate_field("output"));
            } else {
                map.next_value_seed(OutputEntries::<E>::new(&mut *self.read).list())?;
            }
        }
        if seen {
            Ok(())
        } else {
            Err(A::Error::missing_field("output"))
        }
    }
}

impl<'r, E> OutputEntries<'r, E> {
    fn list(self) -> EntryList<'r, E> {
        EntryList(self)
    }
}

/// The `output` list itself.
struct EntryList<'r, E>(OutputEntries<'r, E>);

impl<'de, E: ListedEntry<'de>> serde::de::DeserializeSeed<'de> for EntryList<'_, E> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, E: ListedEntry<'de>> serde::de::Visitor<'de> for EntryList<'_, E> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of entries")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element_seed(Entry::<E>(std::marker::PhantomData))? {
            (self.0.read)(&entry.decoded());
        }
        Ok(())
    }
}

/// Whether a field name is `output`, without keeping it.
struct IsOutput;

impl<'de> serde::de::DeserializeSeed<'de> for IsOutput {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl serde::de::Visitor<'_> for IsOutput {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(v == "output")
    }
}

impl<'a> FileEntryRef<'a> {
    /// The entry with ls's text made plain, as both versions' servers send it: the name's and
    /// the link target's octal escapes put back ([`ls_name`]), an empty link target meaning
    /// none.
    pub(crate) fn decoded(self) -> FileEntryRef<'a> {
        FileEntryRef {
            name: ls_name(self.name),
            link_target: self.link_target.filter(|t| !t.is_empty()).map(ls_name),
            ..self
        }
    }

    pub(crate) fn to_entry(&self) -> FileEntry {
        FileEntry {
            name: self.name.to_string(),
            kind: self.kind.to_string(),
            link_target: self.link_target.as_deref().map(str::to_string),
            user: self.user.to_string(),
            group: self.group.to_string(),
            permissions: self.permissions.to_string(),
            last_modified: self.last_modified.to_string(),
            size: self.size,
        }
    }
}

/// A size that servers send as a decimal string (v1, v2) or a number: read straight from the
/// answer, without building a JSON value first.
pub(crate) fn size_from_text_or_number<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<u64, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a size as a number or a decimal string")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom(format!("negative size {v}")))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<u64, E> {
            v.trim()
                .parse()
                .map_err(|_| E::custom(format!("bad size {v:?}")))
        }
    }
    d.deserialize_any(V)
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

/// A name as the server's `ls --quoting-style=c` left it, with the bytes it printed as octal
/// escapes (every non-ASCII byte, so `\303\274` for `ü`) put back. The server unquotes the
/// name but not these escapes. Only octal escapes are decoded, and only when the bytes form
/// UTF-8: anything else keeps the server's text, so a name is never made up.
pub(crate) fn ls_name(name: Cow<'_, str>) -> Cow<'_, str> {
    if !name.contains('\\') {
        return name;
    }
    let raw = name.as_bytes();
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let digits = raw
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)) && d[0] <= b'3');
        match (raw[i], digits) {
            (b'\\', Some(d)) => {
                bytes.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            (b, _) => {
                bytes.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(bytes).map_or(name, Cow::Owned)
}

/// Options of `list_files`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListOptions {
    pub show_hidden: bool,
    pub recursive: bool,
    /// Owners and groups as numbers (`ls -n`), not names.
    pub numeric_uid: bool,
    /// Describe what symbolic links point to, not the links (`ls -L`).
    pub dereference: bool,
}

/// Options of `compress` (the archive is a gzip-compressed tar on both API versions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompressOptions {
    /// Archive what symlinks point to rather than the links (`tar --dereference`).
    pub dereference: bool,
    /// Instead of `source`, the regular files under its parent whose path (`./name/…`)
    /// matches this regular expression as a whole, as the server's `find . -type f -regex`
    /// selects them (FirecREST v2 only).
    pub match_pattern: Option<String>,
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
    /// `skip_param=true` when skipping. The client has checked that at most one count is given.
    pub(crate) fn query<'p>(&self, skip_param: &'p str) -> Vec<(&'p str, String)> {
        let mut query = Vec::new();
        if let Some(b) = self.bytes {
            query.push(("bytes", b.to_string()));
        } else if let Some(l) = self.lines {
            query.push(("lines", l.to_string()));
        }
        if self.skip {
            query.push((skip_param, "true".to_string()));
        }
        query
    }
}

/// Where an external transfer stands. [`TransferState::code`] is FirecREST v1's status integer,
/// the number the C API reports (`FIRECREST_UPLOAD_DONE` = 114, …); on v2 the same states are
/// derived from the transfer job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransferState {
    /// 100: the task exists, nothing has happened yet.
    Queued,
    /// 110: the upload waits for the staging area's form or URLs.
    UploadWaitingUrl,
    /// 111: the form or part URLs are there: the client may send the file.
    UploadUrlReady,
    /// 112: the file is in the staging area.
    UploadInStaging,
    /// 113: the server moves it to the system.
    UploadMoving,
    /// 114: the file is on the system.
    UploadDone,
    /// 115: the upload failed.
    UploadFailed,
    /// 116: the server copies the file into the staging area.
    DownloadStaging,
    /// 117: the staged object can be downloaded.
    DownloadReady,
    /// 118: the download failed.
    DownloadFailed,
    /// 200: the task finished.
    TaskDone,
    /// 302: the staged object's link was invalidated.
    Invalidated,
    /// 400: the task failed.
    TaskFailed,
    /// A status integer this client does not name.
    Other(i32),
}

impl TransferState {
    /// The status integer (the C constant's value).
    pub const fn code(self) -> i32 {
        use TransferState as S;
        match self {
            S::Queued => 100,
            S::UploadWaitingUrl => 110,
            S::UploadUrlReady => 111,
            S::UploadInStaging => 112,
            S::UploadMoving => 113,
            S::UploadDone => 114,
            S::UploadFailed => 115,
            S::DownloadStaging => 116,
            S::DownloadReady => 117,
            S::DownloadFailed => 118,
            S::TaskDone => 200,
            S::Invalidated => 302,
            S::TaskFailed => 400,
            S::Other(n) => n,
        }
    }

    /// The state with this status integer (`Other` for one without a name).
    pub fn from_code(code: i32) -> TransferState {
        use TransferState as S;
        match code {
            100 => S::Queued,
            110 => S::UploadWaitingUrl,
            111 => S::UploadUrlReady,
            112 => S::UploadInStaging,
            113 => S::UploadMoving,
            114 => S::UploadDone,
            115 => S::UploadFailed,
            116 => S::DownloadStaging,
            117 => S::DownloadReady,
            118 => S::DownloadFailed,
            200 => S::TaskDone,
            302 => S::Invalidated,
            400 => S::TaskFailed,
            n => S::Other(n),
        }
    }

    /// A final state that means success (114, 117, 200).
    pub fn is_success(self) -> bool {
        matches!(
            self,
            TransferState::UploadDone | TransferState::DownloadReady | TransferState::TaskDone
        )
    }

    /// A final state that means failure (115, 118, 302, 400 and any larger integer).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            TransferState::UploadFailed
                | TransferState::DownloadFailed
                | TransferState::Invalidated
                | TransferState::TaskFailed
        ) || matches!(self, TransferState::Other(n) if n > 400)
    }
}

impl std::fmt::Display for TransferState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// A batch job's state, as FirecREST judges a scheduler's word (every element of a comma list,
/// `CANCELLED by …`, PBS's letters). [`JobState::code`] is the C `FIRECREST_JOB_*` integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobState {
    /// Waiting in the queue (Slurm PENDING, PBS Q/H).
    Pending,
    /// Running, or finishing (RUNNING, COMPLETING, CONFIGURING, SUSPENDED, PBS R/E).
    Running,
    Completed,
    Failed,
    Cancelled,
    Timeout,
    OutOfMemory,
    NodeFail,
    Preempted,
    BootFail,
    Deadline,
    /// A final state without a name here (PBS `F`); the word is in the job's info.
    OtherFinal,
    /// A word this client does not know; the word is in the job's info. Not final.
    Other,
}

impl JobState {
    /// The C constant's value; never renumbered.
    pub const fn code(self) -> i32 {
        match self {
            JobState::Pending => 1,
            JobState::Running => 2,
            JobState::Completed => 3,
            JobState::Failed => 4,
            JobState::Cancelled => 5,
            JobState::Timeout => 6,
            JobState::OutOfMemory => 7,
            JobState::NodeFail => 8,
            JobState::Preempted => 9,
            JobState::BootFail => 10,
            JobState::Deadline => 11,
            JobState::OtherFinal => 98,
            JobState::Other => 99,
        }
    }

    /// The job will not change any more.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            JobState::Pending | JobState::Running | JobState::Other
        )
    }

    /// The state a scheduler's word means. A job is finished when every comma-separated element
    /// of its state is final (FirecREST's own rule); the first final element names it.
    pub fn from_word(word: &str) -> JobState {
        let parts: Vec<&str> = word
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() {
            return JobState::Other;
        }
        let each: Vec<JobState> = parts.iter().map(|p| JobState::from_one(p)).collect();
        if each.iter().all(|s| s.is_final()) {
            return each[0];
        }
        each.into_iter()
            .find(|s| !s.is_final() && *s != JobState::Other)
            .unwrap_or(JobState::Other)
    }

    fn from_one(word: &str) -> JobState {
        const FINAL: [(&str, JobState); 9] = [
            ("COMPLETED", JobState::Completed),
            ("FAILED", JobState::Failed),
            ("CANCELLED", JobState::Cancelled),
            ("TIMEOUT", JobState::Timeout),
            ("OUT_OF_MEMORY", JobState::OutOfMemory),
            ("NODE_FAIL", JobState::NodeFail),
            ("PREEMPTED", JobState::Preempted),
            ("BOOT_FAIL", JobState::BootFail),
            ("DEADLINE", JobState::Deadline),
        ];
        let upper = word.to_ascii_uppercase();
        if let Some((_, s)) = FINAL.iter().find(|(w, _)| upper.contains(w)) {
            return *s;
        }
        match upper.as_str() {
            "F" => JobState::OtherFinal,
            "Q" | "H" | "W" | "T" => JobState::Pending,
            "R" | "E" | "B" | "X" | "S" | "U" => JobState::Running,
            w if w.contains("PENDING") || w.contains("REQUEUE") => JobState::Pending,
            w if [
                "RUNNING",
                "COMPLETING",
                "CONFIGURING",
                "SUSPENDED",
                "STAGE_OUT",
                "SIGNALING",
                "RESIZING",
                "STOPPED",
            ]
            .iter()
            .any(|r| w.contains(r)) =>
            {
                JobState::Running
            }
            _ => JobState::Other,
        }
    }
}

/// What a batch job runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobScript {
    /// The script's text (`#!/bin/bash\n#SBATCH …\n…`).
    Text(String),
    /// A script on this machine, read and sent.
    LocalFile(std::path::PathBuf),
    /// A script already on the system (an absolute remote path).
    Remote(String),
}

/// A job to submit: the script, the remote working directory (the job runs there; relative
/// paths in the script and default output files land there, on v1 and v2 alike) and the
/// scheduler options FirecREST passes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    pub script: JobScript,
    pub working_dir: String,
    pub name: Option<String>,
    pub account: Option<String>,
    pub partition: Option<String>,
    pub reservation: Option<String>,
    /// Environment variables of the job, in order.
    pub env: Vec<(String, String)>,
    /// Standard output and error files (remote paths; `%j` is the job id).
    pub stdout: Option<String>,
    pub stderr: Option<String>,
}

impl JobSpec {
    pub fn new(script: JobScript, working_dir: impl Into<String>) -> JobSpec {
        JobSpec {
            script,
            working_dir: working_dir.into(),
            name: None,
            account: None,
            partition: None,
            reservation: None,
            env: Vec::new(),
            stdout: None,
            stderr: None,
        }
    }
}

/// A compute node as the scheduler describes it (v1 `scontrol show nodes`, v2
/// `/status/{system}/nodes`). The C API returns these as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub name: String,
    /// Slurm's state words, e.g. `["IDLE"]` or `["MIXED", "DRAIN"]`.
    pub state: Vec<String>,
    pub partitions: Vec<String>,
    /// The node's active features; empty where Slurm says `(null)`.
    pub features: Vec<String>,
}

/// A scheduler partition (v1 `scontrol show partitions`, v2 `/status/{system}/partitions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    pub name: String,
    /// `UP`, `DOWN`, `DRAIN`, `INACTIVE`.
    pub state: String,
    pub total_cpus: Option<u64>,
    pub total_nodes: Option<u64>,
    /// Whether jobs without a partition go here (v1 only; `null` on v2).
    pub default: Option<bool>,
}

/// A scheduler reservation (v1 `scontrol show reservations`, v2
/// `/status/{system}/reservations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub name: String,
    /// `ACTIVE` or `INACTIVE`.
    pub state: String,
    /// The node list in Slurm's notation (`nid[001-004]`).
    pub nodes: String,
    /// `YYYY-MM-DDTHH:MM:SS`, the scheduler's time.
    pub start_time: String,
    pub end_time: String,
    /// Empty where Slurm says `(null)`.
    pub features: Vec<String>,
}

/// Slurm's feature text (`a,b`, `a&b`, `(null)`) as a list.
pub(crate) fn feature_list(text: &str) -> Vec<String> {
    text.split([',', '&'])
        .map(str::trim)
        .filter(|f| !f.is_empty() && *f != "(null)")
        .map(str::to_string)
        .collect()
}

/// How far back a job list reaches for jobs that have ended (FirecREST v2 2.5.7's
/// `time_window`; its default is a day). Running and pending jobs are always listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeWindow {
    Hour,
    EightHours,
    Day,
    ThreeDays,
    Week,
}

impl TimeWindow {
    /// The server's spelling: `1h`, `8h`, `24h`, `3d`, `7d`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeWindow::Hour => "1h",
            TimeWindow::EightHours => "8h",
            TimeWindow::Day => "24h",
            TimeWindow::ThreeDays => "3d",
            TimeWindow::Week => "7d",
        }
    }
}

/// From the server's spelling (`1h`, `8h`, `24h`, `3d`, `7d`); anything else is an
/// [`UnknownTimeWindow`] that lists them (an `InvalidArgument` as a crate `Error`).
impl std::str::FromStr for TimeWindow {
    type Err = UnknownTimeWindow;

    fn from_str(text: &str) -> std::result::Result<TimeWindow, UnknownTimeWindow> {
        [
            TimeWindow::Hour,
            TimeWindow::EightHours,
            TimeWindow::Day,
            TimeWindow::ThreeDays,
            TimeWindow::Week,
        ]
        .into_iter()
        .find(|w| w.as_str() == text)
        .ok_or_else(|| UnknownTimeWindow(text.to_string()))
    }
}

/// A time window the server does not know; its message lists the five it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTimeWindow(pub String);

impl std::fmt::Display for UnknownTimeWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "time_window {:?} is not one of 1h, 8h, 24h, 3d, 7d",
            self.0
        )
    }
}

impl std::error::Error for UnknownTimeWindow {}

/// Which of the user's jobs `Client::jobs_filtered` lists: `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// Only jobs of this name.
    pub name: Option<String>,
    /// Ended jobs this far back (v2 only; the server's default where `None`).
    pub time_window: Option<TimeWindow>,
}

/// A job as the scheduler reports it: one schema on v1 and v2 (`null` where the server does
/// not say). The C API returns this as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobInfo {
    pub job_id: String,
    pub name: String,
    /// The scheduler's own word (`COMPLETED`, `CANCELLED by 1001`, …).
    pub state: String,
    /// `state` as the C integer (`FIRECREST_JOB_*`).
    pub state_code: i32,
    pub user: Option<String>,
    pub account: Option<String>,
    pub partition: Option<String>,
    pub nodes: Option<String>,
    pub working_directory: Option<String>,
    /// Once final: the script's exit code.
    pub exit_code: Option<i32>,
    /// Start and end as the server gives them (v2: Unix seconds; v1: its time text).
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    /// Standard output/error files and the script, where the server tells them.
    pub stdout: Option<String>,
    pub stderr: Option<String>,
    pub script: Option<String>,
}

impl JobInfo {
    pub fn job_state(&self) -> JobState {
        JobState::from_word(&self.state)
    }
}

#[cfg(test)]
mod name_tests {
    use super::ls_name;
    use std::borrow::Cow;

    #[test]
    fn octal_escapes_become_utf8() {
        assert_eq!(ls_name(Cow::Borrowed(r"\303\274nicode.txt")), "ünicode.txt");
        assert_eq!(ls_name(Cow::Borrowed(r"a\342\202\254b")), "a€b");
        assert_eq!(ls_name(Cow::Borrowed("plain")), "plain");
        // Not UTF-8 once decoded, or not an escape: the server's text stays.
        assert_eq!(ls_name(Cow::Borrowed(r"x\377")), r"x\377");
        assert_eq!(ls_name(Cow::Borrowed(r"back\slash")), r"back\slash");
        assert_eq!(ls_name(Cow::Borrowed(r"end\30")), r"end\30");
        assert_eq!(ls_name(Cow::Borrowed(r"tab\011")), "tab\t");
    }
}

#[cfg(test)]
mod entry_tests {
    use super::{FileEntry, FileEntryRef};
    use std::borrow::Cow;

    /// C's JSON is written from the borrowed form, Rust's values are the owned one: the two
    /// must be the same JSON.
    #[test]
    fn a_borrowed_entry_is_written_as_its_owned_form() {
        for link in [None, Some(Cow::Owned("/t\"x".to_string()))] {
            let entry = FileEntryRef {
                name: Cow::Borrowed("a b"),
                kind: Cow::Borrowed("l"),
                link_target: link,
                user: Cow::Owned("ü".into()),
                group: Cow::Borrowed("g"),
                permissions: Cow::Borrowed("rwxr-xr-x"),
                last_modified: Cow::Borrowed("2026-11-26T17:50:29"),
                size: u64::MAX,
            };
            let written = serde_json::to_string(&entry).unwrap();
            let owned: FileEntry = entry.to_entry();
            assert_eq!(written, serde_json::to_string(&owned).unwrap());
        }
    }
}
