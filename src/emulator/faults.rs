//! Fault injection (which requests get which fault, how many more times) and the counters
//! tests read.

use super::{Fault, FaultAction};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// What the server must do to one request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Matched {
    Status(u16, Option<String>),
    DropAfter(u64),
    Delay(Duration),
    FailTransfer,
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
        self.slots.lock().unwrap().push(Slot { fault, left });
    }

    pub fn clear(&self) {
        self.slots.lock().unwrap().clear();
    }

    /// The faults that apply to this request, each use counted; exhausted faults are removed.
    pub fn matching(&self, method: &str, path: &str) -> Vec<Matched> {
        let mut slots = self.slots.lock().unwrap();
        let mut out = Vec::new();
        for slot in slots.iter_mut() {
            let f = &slot.fault;
            let method_ok = f
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method));
            if !method_ok || !path.starts_with(&f.path_prefix) || slot.left == Some(0) {
                continue;
            }
            if let Some(n) = slot.left.as_mut() {
                *n -= 1;
            }
            out.push(match &f.action {
                FaultAction::Status {
                    status,
                    retry_after,
                } => Matched::Status(*status, retry_after.clone()),
                FaultAction::DropAfter { bytes } => Matched::DropAfter(*bytes),
                FaultAction::Delay(d) => Matched::Delay(*d),
                FaultAction::FailTransfer => Matched::FailTransfer,
            });
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
            .unwrap()
            .entry(name.to_string())
            .or_insert(0) += 1;
    }

    pub fn get(&self, name: &str) -> u64 {
        self.map.lock().unwrap().get(name).copied().unwrap_or(0)
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

    #[test]
    fn faults_run_out() {
        let faults = Faults::default();
        faults.add(parse_fault("/a=500*2").unwrap());
        assert_eq!(faults.matching("GET", "/a/b").len(), 1);
        assert_eq!(faults.matching("GET", "/b").len(), 0);
        assert_eq!(faults.matching("POST", "/a").len(), 1);
        assert_eq!(faults.matching("GET", "/a").len(), 0);
    }
}
