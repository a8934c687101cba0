//! The `X-Correlation-ID` every request carries, so that a failure can be found in the
//! centre's logs. One id covers every request of one call (a transfer's polls, a retried
//! request, a token refresh); which id that is:
//!
//! 1. the one the calling thread chose (`with_correlation_id`, or C's
//!    `firecrest_set_correlation_id`), for every call inside it;
//! 2. else the client's own (`Options::correlation_id`);
//! 3. else a fresh random UUID for each call.
//!
//! FirecREST v2 refuses a request whose id is not a UUID (HTTP 400 with an empty body), so the
//! ids a caller chooses are checked to be UUIDs for both versions.

use crate::error::{Error, Result};
use std::cell::RefCell;

thread_local! {
    /// The id of the call running on this thread, if one is running or the thread chose one.
    static CURRENT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A random (version 4) UUID in its usual text form.
pub(crate) fn fresh() -> String {
    let mut b = [0u8; 16];
    // A failing system RNG leaves zeros; the id is for finding logs, not a secret.
    let _ = getrandom::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Whether `id` is a UUID as FirecREST v2 reads one: 32 hex digits, with or without hyphens,
/// braces or a `urn:uuid:` prefix.
pub(crate) fn is_uuid(id: &str) -> bool {
    let s = id.strip_prefix("urn:").unwrap_or(id);
    let s = s.strip_prefix("uuid:").unwrap_or(s);
    let s = s.trim_start_matches('{').trim_end_matches('}');
    let digits: Vec<u8> = s.bytes().filter(|&b| b != b'-').collect();
    digits.len() == 32 && digits.iter().all(u8::is_ascii_hexdigit)
}

/// A caller's id, checked: `name` is how the error names the argument.
pub(crate) fn check(name: &str, id: &str) -> Result<()> {
    if is_uuid(id) {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "{name} {:?} is not a UUID (FirecREST v2 refuses any other X-Correlation-ID)",
            id.chars().take(100).collect::<String>()
        )))
    }
}

/// The id of the call running on this thread.
pub(crate) fn current() -> Option<String> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Sets (Some) or clears (None) the id of every later call on this thread (C's setter).
pub(crate) fn set_thread(id: Option<String>) {
    CURRENT.with(|c| *c.borrow_mut() = id);
}

/// Runs `f` with `id` as the thread's id, then puts back what was there.
pub(crate) fn with_id<T>(id: String, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<String>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = previous);
        }
    }
    let previous = CURRENT.with(|c| c.borrow_mut().replace(id));
    let _restore = Restore(previous);
    f()
}

/// Runs one call: under the thread's id if it has one, else under `default` or a fresh id.
pub(crate) fn call<T>(default: Option<&str>, f: impl FnOnce() -> T) -> T {
    if current().is_some() {
        return f();
    }
    with_id(default.map_or_else(fresh, str::to_string), f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_are_version_4_uuids() {
        let a = fresh();
        assert!(is_uuid(&a), "{a}");
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_ne!(a, fresh());
    }

    #[test]
    fn uuid_forms_v2_accepts() {
        assert!(is_uuid("0123456789abcdef0123456789ABCDEF"));
        assert!(is_uuid("{01234567-89ab-cdef-0123-456789abcdef}"));
        assert!(is_uuid("urn:uuid:01234567-89ab-cdef-0123-456789abcdef"));
        assert!(!is_uuid("my-workflow-1234"));
        assert!(!is_uuid("01234567-89ab-cdef-0123-456789abcdeg"));
        assert!(check("correlation_id", "nope").is_err());
    }

    #[test]
    fn scopes_nest_and_restore() {
        assert_eq!(current(), None);
        let seen = call(None, || current().unwrap());
        assert!(is_uuid(&seen));
        assert_eq!(current(), None);
        let outer = fresh();
        with_id(outer.clone(), || {
            // A call inside a chosen id keeps it, whatever the client's default.
            assert_eq!(call(Some("x"), current).as_deref(), Some(outer.as_str()));
        });
        assert_eq!(current(), None);
        assert_eq!(call(Some("d"), current).as_deref(), Some("d"));
    }
}
