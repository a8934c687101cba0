//! When to try again: `Retry-After` (seconds or an HTTP date), exponential backoff with jitter,
//! and the polling schedule of task and job waits.

use crate::error::Error;
use std::time::{Duration, SystemTime};
use ureq::http::HeaderMap;

/// The longest `Retry-After` the client waits for; a longer one fails at once with RateLimited.
pub(super) const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// Backoff without `Retry-After`: 250 ms, 500 ms, 1 s, … capped here.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// `Retry-After` as a delay: delta-seconds or an HTTP date (relative to `now`).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers.get("retry-after")?.to_str().ok()?.trim();
    parse_retry_after(v, now)
}

pub(crate) fn parse_retry_after(v: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(saturating_secs(secs));
        }
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Seconds from a server (`Retry-After`, `expires_in`, a JWT's `exp`) as a Duration: negative
/// is zero, too large for a Duration is Duration::MAX. `Duration::from_secs_f64` would panic on
/// either, and a server's number must not bring the client (or the C caller) down.
pub(crate) fn saturating_secs(secs: f64) -> Duration {
    if secs.is_nan() || secs <= 0.0 {
        Duration::ZERO
    } else {
        Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
    }
}

/// Delay before retry number `attempt` (0-based) when the server named none: exponential from
/// 250 ms, capped, with up to 25 % jitter so that many clients do not retry in step.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(250)
        .saturating_mul(1u32 << attempt.min(16))
        .min(MAX_BACKOFF);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base + base.mul_f64(f64::from(nanos % 1000) / 4000.0)
}

/// Up to this, the delays between looks double from the first; beyond it they follow the time
/// waited. A short wait is then noticed at most this late.
const POLL_SHORT_CAP: Duration = Duration::from_millis(500);

/// The delay before look number `round + 1` (0-based) of a wait that has lasted `elapsed`:
/// `first`, doubling up to half a second (quick operations are seen quickly, with few looks),
/// then a tenth of the time waited so far, never more than `longest`. Whatever ends is so seen
/// at most 10 % of the wait (or half a second) late, and the looks grow only with the
/// logarithm of the wait (about 24 more per tenfold). A pure doubling makes fewer looks but
/// notices an end up to a whole wait late.
pub(crate) fn poll_delay(
    first: Duration,
    longest: Duration,
    round: u32,
    elapsed: Duration,
) -> Duration {
    let doubling = first
        .saturating_mul(1u32 << round.min(16))
        .min(POLL_SHORT_CAP.max(first));
    doubling.max(elapsed / 10).min(longest.max(first))
}

/// Says in the message that the failure survived `retries` repetitions.
pub(super) fn with_retry_note(err: Error, retries: u32) -> Error {
    if retries == 0 {
        return err;
    }
    let plural = if retries == 1 { "retry" } else { "retries" };
    let msg = format!("{} (after {retries} {plural})", err.message());
    err.with_message(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("1e30", now), Some(Duration::MAX));
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let d0 = backoff(0);
        assert!(d0 >= Duration::from_millis(250) && d0 <= Duration::from_millis(313));
        assert!(backoff(2) >= Duration::from_secs(1));
        assert!(backoff(30) <= MAX_BACKOFF + MAX_BACKOFF / 4);
        let (first, long) = (Duration::from_millis(100), Duration::from_secs(5));
        let ms = Duration::from_millis;
        assert_eq!(poll_delay(first, long, 0, Duration::ZERO), first);
        assert_eq!(poll_delay(first, long, 2, ms(300)), ms(400));
        assert_eq!(poll_delay(first, long, 5, ms(1500)), ms(500));
        assert_eq!(poll_delay(first, long, 12, Duration::from_secs(8)), ms(800));
        assert_eq!(poll_delay(first, long, 40, Duration::from_secs(600)), long);
        // A first delay beyond the cap of the doubling is kept; a longest below it does not
        // shorten it.
        assert_eq!(poll_delay(ms(900), long, 0, Duration::ZERO), ms(900));
        assert_eq!(
            poll_delay(first, Duration::ZERO, 3, Duration::from_secs(9)),
            first
        );
    }
}
