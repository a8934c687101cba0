//! Name resolution for the agent, once per host rather than once per request.
//!
//! ureq resolves the URL's host before it looks for an idle connection, so every request pays
//! for a lookup, and when the call has a deadline its resolver starts a thread for each one (to
//! abandon a lookup that outlives it). For a 10-entry listing that thread was a third of the
//! client's CPU. Here an IP address in the URL is used as it is, and a name's addresses are
//! kept for a minute, as curl's DNS cache keeps them, so a long-lived client still follows a
//! centre that moves its service.

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a name's addresses are reused (curl's default DNS cache timeout).
const KEEP: Duration = Duration::from_secs(60);

/// The lookup behind the cache; a parameter so the tests can count lookups.
type Lookup = Box<
    dyn Fn(&Uri, &Config, NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> + Send + Sync,
>;

fn system_lookup(
    uri: &Uri,
    config: &Config,
    timeout: NextTimeout,
) -> Result<ResolvedSocketAddrs, ureq::Error> {
    DefaultResolver::default().resolve(uri, config, timeout)
}

struct Known {
    host: String,
    port: u16,
    at: Instant,
    addrs: ResolvedSocketAddrs,
}

pub(crate) struct CachingResolver {
    lookup: Lookup,
    known: Mutex<Vec<Known>>,
}

impl std::fmt::Debug for CachingResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CachingResolver")
    }
}

impl Default for CachingResolver {
    fn default() -> Self {
        CachingResolver::with_lookup(Box::new(system_lookup))
    }
}

impl CachingResolver {
    fn with_lookup(lookup: Lookup) -> Self {
        CachingResolver {
            lookup,
            known: Mutex::new(Vec::new()),
        }
    }
}

/// The URL's host and port (the scheme's default port when it names none), or None where the
/// URL lacks them: the system lookup then gives ureq's own error.
fn host_port(uri: &Uri) -> Option<(&str, u16)> {
    let authority = uri.authority()?;
    let port = authority.port_u16().or_else(|| match uri.scheme_str()? {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    })?;
    Some((authority.host(), port))
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let Some((host, port)) = host_port(uri) else {
            return (self.lookup)(uri, config, timeout);
        };
        // An address needs no lookup (a bracketed IPv6 literal too).
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        let now = Instant::now();
        {
            let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
            known.retain(|k| now.duration_since(k.at) < KEEP);
            if let Some(k) = known.iter().find(|k| k.port == port && k.host == host) {
                return Ok(k.addrs.clone());
            }
        }
        // Looked up outside the lock: a slow lookup must not hold up requests to other hosts.
        let addrs = (self.lookup)(uri, config, timeout)?;
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if !known.iter().any(|k| k.port == port && k.host == host) {
            known.push(Known {
                host: host.to_string(),
                port,
                at: now,
                addrs: addrs.clone(),
            });
        }
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A resolver whose lookups answer 10.1.2.3 and are counted.
    fn counting() -> (CachingResolver, Arc<AtomicUsize>) {
        let lookups = Arc::new(AtomicUsize::new(0));
        let counter = lookups.clone();
        let r = CachingResolver::with_lookup(Box::new(move |uri: &Uri, _: &Config, _| {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut addrs = CachingResolver::default().empty();
            addrs.push(SocketAddr::new(
                [10, 1, 2, 3].into(),
                host_port(uri).unwrap().1,
            ));
            Ok(addrs)
        }));
        (r, lookups)
    }

    fn resolve(r: &CachingResolver, url: &str) -> Vec<SocketAddr> {
        let uri: Uri = url.parse().unwrap();
        let timeout = NextTimeout {
            after: Duration::from_secs(5).into(),
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        r.resolve(&uri, &Config::default(), timeout)
            .unwrap()
            .to_vec()
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_need_no_lookup_and_names_are_looked_up_once() {
        let (r, lookups) = counting();
        assert_eq!(
            resolve(&r, "http://127.0.0.1:8080/x"),
            [addr("127.0.0.1:8080")]
        );
        assert_eq!(resolve(&r, "https://[::1]/x"), [addr("[::1]:443")]);
        assert_eq!(
            lookups.load(Ordering::SeqCst),
            0,
            "an address was looked up"
        );
        for _ in 0..3 {
            assert_eq!(
                resolve(&r, "https://api.example.org:8443/x"),
                [addr("10.1.2.3:8443")]
            );
        }
        assert_eq!(
            lookups.load(Ordering::SeqCst),
            1,
            "a name was looked up more than once"
        );
        // Another port of the same host is another entry.
        assert_eq!(
            resolve(&r, "http://api.example.org/x"),
            [addr("10.1.2.3:80")]
        );
        assert_eq!(lookups.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_name_is_looked_up_again_after_a_minute() {
        let (r, lookups) = counting();
        resolve(&r, "https://old.example.org/x");
        r.known.lock().unwrap()[0].at -= KEEP;
        resolve(&r, "https://old.example.org/x");
        assert_eq!(lookups.load(Ordering::SeqCst), 2);
    }
}
