//! The systems' description (`GET /status/systems`) kept per client, so that small transfers
//! and transfer jobs, which read `dataOperation` from it, do not each pay an extra request.
//!
//! Only configuration is read from the cached copy; `all_systems`/`system` always ask the server,
//! because health changes by the minute. Their fresh answers refresh the cache for free.

use super::RawSystems;
use crate::error::Result;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a description is trusted: limits and directives change only when the server is
/// reconfigured, and a few minutes bounds how long a client works from an old one.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(300);

/// Shared by clones through `ClientInner`.
#[derive(Default)]
pub(crate) struct SystemsCache {
    slot: Mutex<Option<(Instant, Arc<RawSystems>)>>,
}

impl SystemsCache {
    /// The cached description if younger than `MAX_AGE`, else the one `fetch` returns. The lock
    /// is held while fetching, so threads that miss together share one request.
    pub(crate) fn get_or_fetch(
        &self,
        fetch: impl FnOnce() -> Result<RawSystems>,
    ) -> Result<Arc<RawSystems>> {
        self.get_or_fetch_within(MAX_AGE, fetch)
    }

    fn get_or_fetch_within(
        &self,
        max_age: Duration,
        fetch: impl FnOnce() -> Result<RawSystems>,
    ) -> Result<Arc<RawSystems>> {
        let mut slot = self.lock();
        if let Some((at, raw)) = slot.as_ref() {
            if at.elapsed() < max_age {
                return Ok(Arc::clone(raw));
            }
        }
        let raw = Arc::new(fetch()?);
        *slot = Some((Instant::now(), Arc::clone(&raw)));
        Ok(raw)
    }

    /// Keeps a description just fetched for another reason.
    pub(crate) fn store(&self, raw: RawSystems) -> Arc<RawSystems> {
        let raw = Arc::new(raw);
        *self.lock() = Some((Instant::now(), Arc::clone(&raw)));
        raw
    }

    /// A poisoned lock only means a fetch panicked; the slot itself is always consistent.
    fn lock(&self) -> MutexGuard<'_, Option<(Instant, Arc<RawSystems>)>> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn described(version: &str) -> Result<RawSystems> {
        Ok(RawSystems {
            systems: vec![],
            app_version: Some(version.into()),
        })
    }

    fn version(raw: &RawSystems) -> &str {
        raw.app_version.as_deref().unwrap()
    }

    #[test]
    fn kept_until_too_old_and_failures_not_kept() {
        let cache = SystemsCache::default();
        let err = cache.get_or_fetch(|| Err(Error::invalid_argument("down")));
        assert!(err.is_err());
        assert_eq!(
            version(&cache.get_or_fetch(|| described("1")).unwrap()),
            "1"
        );
        assert_eq!(
            version(&cache.get_or_fetch(|| described("2")).unwrap()),
            "1"
        );
        let old = cache.get_or_fetch_within(Duration::ZERO, || described("3"));
        assert_eq!(version(&old.unwrap()), "3");
        cache.store(described("4").unwrap());
        assert_eq!(
            version(&cache.get_or_fetch(|| described("5")).unwrap()),
            "4"
        );
    }
}
