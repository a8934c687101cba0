//! Fault injection (which requests get which fault, how many more times) and the counters
//! tests read.

use super::{Fault, FaultAction};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// What the server must do to one request: at most one fault of each kind (see [`Fault`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Matched {
    /// Answer with this status (and `Retry-After`) instead of serving the request.
    pub status: Option<(u16, Option<String>)>,
    pub delay: Option<Duration>,
    pub drop_after: Option<u64>,
    pub fail_transfer: bool,
}

/// The kinds of fault of which one request takes at most one each.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Status,
    Delay,
    DropAfter,
    FailTransfer,
}

fn kind(action: &FaultAction) -> Kind {
    match action {
        FaultAction::Status { .. } => Kind::Status,
        FaultAction::Delay(_) => Kind::Delay,
        FaultAction::DropAfter { .. } => Kind::DropAfter,
        FaultAction::FailTransfer => Kind::FailTransfer,
    }
}

struct Slot {
    fault: Fault,
    /// Remaining uses; None = forever.
    left: Option<u32>,
}

#[derive(Default)]
pub(crate) struct Faults {
    slots: Mutex<Vec<Slot>>,
}

impl Faults {
    pub fn add(&self, fault: Fault) {
        let left = if fault.times == 0 {
            None
        } else {
            Some(fault.times)
        };
        self.slots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Slot { fault, left });
    }

    pub fn clear(&self) {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The faults that apply to this request, each use counted; exhausted faults are removed.
    /// Of each kind only the earliest registered fault that matches is taken; when a status
    /// replaces the answer, drop and fail faults are left for a request they can act on.
    pub fn matching(&self, method: &str, path: &str) -> Matched {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let first = |kind_wanted: Kind| {
            slots.iter().position(|slot| {
                let f = &slot.fault;
                kind(&f.action) == kind_wanted
                    && slot.left != Some(0)
                    && path.starts_with(&f.path_prefix)
                    && f.method
                        .as_deref()
                        .is_none_or(|m| m.eq_ignore_ascii_case(method))
            })
        };
        let status = first(Kind::Status);
        let mut taken = vec![status, first(Kind::Delay)];
        if status.is_none() {
            taken.extend([first(Kind::DropAfter), first(Kind::FailTransfer)]);
        }
        let mut out = Matched::default();
        for i in taken.into_iter().flatten() {
            let slot = &mut slots[i];
            if let Some(n) = slot.left.as_mut() {
                *n -= 1;
            }
            match &slot.fault.action {
                FaultAction::Status {
                    status,
                    retry_after,
                } => out.status = Some((*status, retry_after.clone())),
                FaultAction::Delay(d) => out.delay = Some(*d),
                FaultAction::DropAfter { bytes } => out.drop_after = Some(*bytes),
                FaultAction::FailTransfer => out.fail_transfer = true,
            }
        }
        slots.retain(|s| s.left != Some(0));
        out
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    map: Mutex<HashMap<String, u64>>,
}

impl Counters {
    pub fn add(&self, name: &str) {
        *self
            .map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(name.to_string())
            .or_insert(0) += 1;
    }

    pub fn get(&self, name: &str) -> u64 {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .copied()
            .unwrap_or(0)
    }
}

/// One request as the emulator received it, for tests that check what a client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    pub method: String,
    /// The decoded path, without the query.
    pub path: String,
    /// The `X-Correlation-ID` header, if the request had one.
    pub correlation_id: Option<String>,
}

/// The requests received, oldest first (the most recent `SEEN_LIMIT`).
#[derive(Default)]
pub(crate) struct Seen {
    list: Mutex<std::collections::VecDeque<SeenRequest>>,
}

const SEEN_LIMIT: usize = 100_000;

impl Seen {
    pub fn add(&self, r: SeenRequest) {
        let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        if list.len() == SEEN_LIMIT {
            list.pop_front();
        }
        list.push_back(r);
    }

    pub fn all(&self) -> Vec<SeenRequest> {
        let list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        list.iter().cloned().collect()
    }
}

/// The `--fault` syntax, documented in the binary's `--help`:
/// `[METHOD ]PATH_PREFIX=ACTION[*TIMES]` with ACTION one of `STATUS`, `STATUS:RETRY_AFTER`,
/// `drop:BYTES`, `delay:MS`, `fail`. TIMES defaults to 1; 0 means forever.
pub fn parse_fault(spec: &str) -> Result<Fault, String> {
    let bad = |why: &str| format!("--fault '{spec}': {why}");
    let (lhs, rhs) = spec
        .rsplit_once('=')
        .ok_or_else(|| bad("expected [METHOD ]PATH_PREFIX=ACTION[*TIMES]"))?;
    let (method, prefix) = match lhs.trim().split_once(' ') {
        Some((m, p)) => (Some(m.trim().to_ascii_uppercase()), p.trim()),
        None => (None, lhs.trim()),
    };
    if !prefix.starts_with('/') {
        return Err(bad("the path prefix must start with '/'"));
    }
    let (action, times) = match rhs.split_once('*') {
        Some((a, t)) => (
            a,
            t.parse::<u32>()
                .map_err(|_| bad("TIMES must be a non-negative integer"))?,
        ),
        None => (rhs, 1),
    };
    let action = match action.split_once(':') {
        Some(("drop", n)) => FaultAction::DropAfter {
            bytes: n.parse().map_err(|_| bad("drop:BYTES needs an integer"))?,
        },
        Some(("delay", n)) => FaultAction::Delay(Duration::from_millis(
            n.parse().map_err(|_| bad("delay:MS needs an integer"))?,
        )),
        None if action == "fail" => FaultAction::FailTransfer,
        Some((status, retry)) => FaultAction::Status {
            status: parse_status(status).ok_or_else(|| bad("unknown action"))?,
            retry_after: Some(retry.to_string()),
        },
        None => FaultAction::Status {
            status: parse_status(action).ok_or_else(|| bad("unknown action"))?,
            retry_after: None,
        },
    };
    Ok(Fault {
        method,
        path_prefix: prefix.to_string(),
        action,
        times,
    })
}

fn parse_status(s: &str) -> Option<u16> {
    s.parse::<u16>().ok().filter(|c| (100..600).contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fault_flags() {
        let f = parse_fault("GET /utilities/ls=429:2*3").unwrap();
        assert_eq!(f.method.as_deref(), Some("GET"));
        assert_eq!(f.path_prefix, "/utilities/ls");
        assert_eq!(f.times, 3);
        assert_eq!(
            f.action,
            FaultAction::Status {
                status: 429,
                retry_after: Some("2".into())
            }
        );
        assert_eq!(
            parse_fault("/s3/=drop:100").unwrap().action,
            FaultAction::DropAfter { bytes: 100 }
        );
        assert_eq!(parse_fault("POST /storage=fail*0").unwrap().times, 0);
        assert!(parse_fault("nope").is_err());
        assert!(parse_fault("/x=999").is_err());
    }

    fn status(m: Matched) -> Option<u16> {
        m.status.map(|(s, _)| s)
    }

    #[test]
    fn faults_run_out() {
        let faults = Faults::default();
        faults.add(parse_fault("/a=500*2").unwrap());
        assert_eq!(status(faults.matching("GET", "/a/b")), Some(500));
        assert_eq!(faults.matching("GET", "/b"), Matched::default());
        assert_eq!(status(faults.matching("POST", "/a")), Some(500));
        assert_eq!(faults.matching("GET", "/a"), Matched::default());
    }

    #[test]
    fn stacked_faults_fire_one_per_request_in_order() {
        let faults = Faults::default();
        faults.add(parse_fault("/a=503").unwrap());
        faults.add(parse_fault("/a=429:1").unwrap());
        faults.add(parse_fault("/a=delay:5*2").unwrap());
        faults.add(parse_fault("/a=drop:10").unwrap());
        faults.add(parse_fault("/a=drop:20").unwrap());
        faults.add(parse_fault("/a=fail").unwrap());
        let first = faults.matching("GET", "/a");
        assert_eq!(status(first.clone()), Some(503));
        assert_eq!(first.delay, Some(Duration::from_millis(5)));
        // A replaced answer leaves the drop and fail faults for a request they act on.
        assert_eq!((first.drop_after, first.fail_transfer), (None, false));
        let second = faults.matching("GET", "/a");
        assert_eq!(second.status, Some((429, Some("1".into()))));
        assert_eq!(second.delay, Some(Duration::from_millis(5)));
        let third = faults.matching("GET", "/a");
        assert_eq!(third.status, None);
        assert_eq!(third.delay, None);
        assert_eq!((third.drop_after, third.fail_transfer), (Some(10), true));
        assert_eq!(faults.matching("GET", "/a").drop_after, Some(20));
        assert_eq!(faults.matching("GET", "/a"), Matched::default());
    }
}
