//! Authorization: OAuth2 client credentials, a token command, a static token, a user-supplied
//! provider, or an API key.
//!
//! The token cache (reuse until `expires_in` or the JWT's `exp` minus a margin, single-flight
//! refresh, drop on 401) lives behind `Auth` so that every client built from one `Auth` shares
//! its tokens.

mod command;

use crate::error::{Error, ErrorKind, Result};
use crate::transport::{self, ErrorResponse, Method, Request, Transport};
use base64::Engine;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// v2 refuses tokens with less than 30 s left, so no margin may be smaller.
const MIN_REFRESH_MARGIN: Duration = Duration::from_secs(30);

/// The realm role that marks a service account in FirecREST's token claims.
const SERVICE_ACCOUNT_ROLE: &str = "firecrest-sa";

/// How the client secret reaches the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuthMethod {
    /// `client_id` and `client_secret` as form fields (pyfirecrest's default).
    #[default]
    SecretPost,
    /// HTTP Basic `client_id:client_secret`.
    SecretBasic,
}

/// Supplies an access token whenever the client needs one (it may cache on its own).
pub trait TokenProvider: Send + Sync {
    fn token(&self) -> Result<String>;
}

impl<F> TokenProvider for F
where
    F: Fn() -> Result<String> + Send + Sync,
{
    fn token(&self) -> Result<String> {
        self()
    }
}

/// An authorization object (pyfirecrest's `ClientCredentialsAuth` and friends). Cheap to clone;
/// clones share one token cache. `Debug` never shows the secret or a token.
#[derive(Clone)]
pub struct Auth {
    pub(crate) inner: Arc<AuthInner>,
}

pub(crate) enum AuthKind {
    ClientCredentials {
        client_id: String,
        client_secret: String,
        token_url: String,
        method: ClientAuthMethod,
    },
    /// `sh -c command`: its output is the token (cached until the JWT's `exp`, if it has one).
    TokenCommand {
        command: String,
        timeout: Duration,
    },
    Static(String),
    Provider(Box<dyn TokenProvider>),
    /// A key sent as it is in its own header, in place of a bearer token.
    ApiKey {
        header: String,
        key: String,
    },
}

/// The default header of an API key (pyfirecrest's `ApiKeyAuth`).
pub const API_KEY_HEADER: &str = "X-API-Key";

/// How long a token command may run by default before it is stopped.
pub const TOKEN_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// What authorizes one request: a bearer token, or an API key in its header.
pub(crate) enum Credential {
    Bearer(String),
    Header { name: String, value: String },
}

pub(crate) struct AuthInner {
    pub(crate) kind: AuthKind,
    /// Client credentials and token commands. Held while a token is fetched, so that
    /// concurrent callers wait for that one request instead of sending their own (single flight).
    cache: Mutex<Option<CachedToken>>,
    /// The last token a provider gave, so that messages can be cleaned of it too.
    last_provided: Mutex<Option<String>>,
}

struct CachedToken {
    token: String,
    /// When the token stops being handed out (expiry minus the margin); None: see
    /// `until_refused`.
    refresh_at: Option<Instant>,
    /// With no known expiry: reuse until a 401 (client credentials) or not at all (a token
    /// command's token that is not a JWT is asked for every time, as pyfirecrest does).
    until_refused: bool,
}

impl Auth {
    pub fn client_credentials(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        token_url: impl Into<String>,
    ) -> Auth {
        Auth::from_kind(AuthKind::ClientCredentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            token_url: token_url.into(),
            method: ClientAuthMethod::SecretPost,
        })
    }

    pub fn static_token(token: impl Into<String>) -> Auth {
        Auth::from_kind(AuthKind::Static(token.into()))
    }

    pub fn provider(provider: impl TokenProvider + 'static) -> Auth {
        Auth::from_kind(AuthKind::Provider(Box::new(provider)))
    }

    /// Tokens printed by a command (pyfirecrest's `TokenCommandAuth`): `sh -c command`, whose
    /// standard output, trimmed, is the token. A JWT is reused until shortly before its `exp`
    /// (the client's `token_refresh_margin`); any other token is asked for on every request, as
    /// pyfirecrest does. A command that fails, prints nothing, or runs longer than
    /// [`TOKEN_COMMAND_TIMEOUT`] (see [`Auth::with_command_timeout`]) is an `Auth` error that
    /// quotes its standard error.
    pub fn token_command(command: impl Into<String>) -> Auth {
        Auth::from_kind(AuthKind::TokenCommand {
            command: command.into(),
            timeout: TOKEN_COMMAND_TIMEOUT,
        })
    }

    /// How long a token command may run; no effect on other kinds of authorization.
    pub fn with_command_timeout(self, timeout: Duration) -> Auth {
        match &self.inner.kind {
            AuthKind::TokenCommand { command, .. } => Auth::from_kind(AuthKind::TokenCommand {
                command: command.clone(),
                timeout,
            }),
            _ => self,
        }
    }

    /// An API key sent on every request in its own header (pyfirecrest's `ApiKeyAuth`),
    /// [`API_KEY_HEADER`] unless [`Auth::with_api_key_header`] names another.
    pub fn api_key(key: impl Into<String>) -> Auth {
        Auth::from_kind(AuthKind::ApiKey {
            header: API_KEY_HEADER.to_string(),
            key: key.into(),
        })
    }

    /// The header an API key travels in; no effect on other kinds of authorization.
    pub fn with_api_key_header(self, header: impl Into<String>) -> Auth {
        match &self.inner.kind {
            AuthKind::ApiKey { key, .. } => Auth::from_kind(AuthKind::ApiKey {
                header: header.into(),
                key: key.clone(),
            }),
            _ => self,
        }
    }

    /// Refuses what no request could carry: an empty command, key or header name, a header
    /// name that is not a token, a key with control characters.
    pub(crate) fn check(&self) -> Result<()> {
        match &self.inner.kind {
            AuthKind::TokenCommand { command, .. } if command.trim().is_empty() => {
                Err(Error::invalid_argument("the token command is empty"))
            }
            AuthKind::ApiKey { header, key } => {
                if key.is_empty() {
                    return Err(Error::invalid_argument("the API key is empty"));
                }
                let token_char =
                    |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
                if header.is_empty() || !header.bytes().all(token_char) {
                    return Err(Error::invalid_argument(format!(
                        "the API key header name {:?} is not an HTTP header name",
                        header.chars().take(100).collect::<String>()
                    )));
                }
                if key.bytes().any(|b| (b < b' ' && b != b'\t') || b == 0x7f) {
                    return Err(Error::invalid_argument(
                        "the API key contains a control character, which no HTTP header may carry",
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Client credentials with HTTP Basic authentication of the client (`client_secret_basic`).
    pub fn client_credentials_basic(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        token_url: impl Into<String>,
    ) -> Auth {
        Auth::client_credentials(client_id, client_secret, token_url)
            .with_method(ClientAuthMethod::SecretBasic)
    }

    /// Chooses how the client secret is sent; no effect on other kinds of authorization.
    pub fn with_method(self, new_method: ClientAuthMethod) -> Auth {
        match &self.inner.kind {
            AuthKind::ClientCredentials {
                client_id,
                client_secret,
                token_url,
                ..
            } => Auth::from_kind(AuthKind::ClientCredentials {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                token_url: token_url.clone(),
                method: new_method,
            }),
            _ => self,
        }
    }

    fn from_kind(kind: AuthKind) -> Auth {
        Auth {
            inner: Arc::new(AuthInner {
                kind,
                cache: Mutex::new(None),
                last_provided: Mutex::new(None),
            }),
        }
    }

    /// What authorizes the next request: an API key, or a token as [`Auth::token`] gives.
    pub(crate) fn credential(&self, http: &Transport, margin: Duration) -> Result<Credential> {
        match &self.inner.kind {
            AuthKind::ApiKey { header, key } => Ok(Credential::Header {
                name: header.clone(),
                value: key.clone(),
            }),
            _ => self.token(http, margin).map(Credential::Bearer),
        }
    }

    /// A valid access token: the cached one while it has more than `margin` left, else a
    /// new one (one request however many threads ask at once).
    pub(crate) fn token(&self, http: &Transport, margin: Duration) -> Result<String> {
        match &self.inner.kind {
            AuthKind::Static(token) => Ok(token.clone()),
            AuthKind::ApiKey { .. } => Err(Error::new(
                ErrorKind::Auth,
                "an API key is not an access token (pass a system to ask the server)",
            )),
            AuthKind::Provider(p) => {
                let token = p.token().map_err(|e| {
                    // A C token callback that refuses keeps its documented status.
                    let kind = match e.kind() {
                        ErrorKind::AbortedByCallback => ErrorKind::AbortedByCallback,
                        _ => ErrorKind::Auth,
                    };
                    Error::new(kind, format!("token provider: {}", e.message()))
                })?;
                *self
                    .inner
                    .last_provided
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
                Ok(token)
            }
            AuthKind::ClientCredentials { .. } | AuthKind::TokenCommand { .. } => {
                let mut cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(c) = cache.as_ref() {
                    if c.refresh_at.is_some_and(|t| Instant::now() < t)
                        || (c.refresh_at.is_none() && c.until_refused)
                    {
                        return Ok(c.token.clone());
                    }
                    log::info!(target: crate::logging::TARGET,
                        "token: the cached access token is due for refresh");
                }
                let fresh = self.fetch(http, margin.max(MIN_REFRESH_MARGIN))?;
                let token = fresh.token.clone();
                *cache = Some(fresh);
                Ok(token)
            }
        }
    }

    /// Forgets `token` after the server refused it (a newer token in the cache is kept).
    pub(crate) fn invalidate(&self, token: &str) {
        let mut cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.as_ref().is_some_and(|c| c.token == token) {
            *cache = None;
        }
    }

    /// What must never appear in a message: the client secret (as written and as sent), a
    /// static token, an API key, the cached token. A provider's tokens are not kept here; the
    /// session redacts the one it sent.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.inner.kind {
            AuthKind::ClientCredentials {
                client_id,
                client_secret,
                ..
            } => {
                // As it goes on the wire too: form-encoded in the body, inside Basic's base64.
                out.push(client_secret.clone());
                out.push(transport::percent_encode(client_secret));
                out.push(basic_credentials(client_id, client_secret));
            }
            AuthKind::Static(token) => out.push(token.clone()),
            AuthKind::ApiKey { key, .. } => out.push(key.clone()),
            AuthKind::Provider(_) | AuthKind::TokenCommand { .. } => {}
        }
        let cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
        out.extend(cache.as_ref().map(|c| c.token.clone()));
        drop(cache);
        let provided = self
            .inner
            .last_provided
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        out.extend(provided.clone());
        out.retain(|s| !s.is_empty());
        out
    }

    /// Whether asking again may give a different token.
    pub(crate) fn can_refresh(&self) -> bool {
        !matches!(
            self.inner.kind,
            AuthKind::Static(_) | AuthKind::ApiKey { .. }
        )
    }

    fn fetch(&self, http: &Transport, margin: Duration) -> Result<CachedToken> {
        if let AuthKind::TokenCommand { command, timeout } = &self.inner.kind {
            log::info!(target: crate::logging::TARGET, "token: running the token command");
            let started = Instant::now();
            let token = command::run(command, *timeout).inspect_err(|e| {
                log::warn!(target: crate::logging::TARGET, "token: {}", e.message());
            })?;
            let lifetime = jwt_lifetime(&token);
            log_new_token(lifetime, started.elapsed());
            return Ok(CachedToken {
                refresh_at: refresh_at(started, lifetime, margin),
                token,
                until_refused: false,
            });
        }
        let AuthKind::ClientCredentials {
            client_id,
            client_secret,
            token_url,
            method,
        } = &self.inner.kind
        else {
            unreachable!("fetch is only called for client credentials")
        };
        let mut form = vec![("grant_type", "client_credentials".to_string())];
        // A client-credentials grant changes nothing on the server, so a request lost to a
        // 502/503/timeout is sent again like any safe request.
        let mut req = Request::absolute(Method::Post, token_url)
            .context(format!(
                "token request to {}",
                transport::redact_query(token_url)
            ))
            .classifier(classify_token_error)
            .idempotent(true);
        match method {
            ClientAuthMethod::SecretPost => {
                form.push(("client_id", client_id.clone()));
                form.push(("client_secret", client_secret.clone()));
            }
            ClientAuthMethod::SecretBasic => {
                let b64 = basic_credentials(client_id, client_secret);
                req = req.header("Authorization", format!("Basic {b64}"));
            }
        }
        let started = Instant::now();
        log::info!(target: crate::logging::TARGET,
            "token: requesting a new access token from {}", transport::redact_query(token_url));
        let answer: TokenAnswer = http
            .send(&mut req.form(form))
            .and_then(|r| r.json())
            .inspect_err(|e| {
                log::warn!(target: crate::logging::TARGET,
                    "token: the token endpoint refused or failed ({:?}, HTTP {})",
                    e.kind(), e.http_status());
            })?;
        if answer.access_token.is_empty() {
            return Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "token request to {}: the answer has no access_token",
                    transport::redact_query(token_url)
                ),
            ));
        }
        let lifetime = answer.lifetime();
        log_new_token(lifetime, started.elapsed());
        Ok(CachedToken {
            refresh_at: refresh_at(started, lifetime, margin),
            token: answer.access_token,
            until_refused: true,
        })
    }
}

/// Says that a new token arrived and how long it lives, never the token.
fn log_new_token(lifetime: Option<Duration>, took: Duration) {
    match lifetime {
        Some(l) => log::info!(target: crate::logging::TARGET,
            "token: new access token after {} ms, valid for {} s", took.as_millis(), l.as_secs()),
        None => log::info!(target: crate::logging::TARGET,
            "token: new access token after {} ms, expiry unknown", took.as_millis()),
    }
}

/// When a token fetched at `started` stops being handed out; None (reuse until a 401) when its
/// lifetime is unknown or reaches beyond what an Instant can hold.
/// The credentials of `Authorization: Basic`: RFC 6749 §2.3.1 form-urlencodes both parts
/// before base64.
fn basic_credentials(client_id: &str, client_secret: &str) -> String {
    let pair = format!(
        "{}:{}",
        transport::percent_encode(client_id),
        transport::percent_encode(client_secret)
    );
    base64::engine::general_purpose::STANDARD.encode(pair)
}

pub(crate) fn refresh_at(
    started: Instant,
    lifetime: Option<Duration>,
    margin: Duration,
) -> Option<Instant> {
    started.checked_add(reuse_time(lifetime?, margin))
}

/// How long a token that lives `lifetime` is reused: until `margin` before it expires. A token
/// shorter-lived than the margin is still never used with less than MIN_REFRESH_MARGIN left (v2
/// refuses those); one living even less is reused for half its life rather than fetched on
/// every call.
fn reuse_time(lifetime: Duration, margin: Duration) -> Duration {
    if lifetime > margin {
        lifetime - margin
    } else if lifetime > MIN_REFRESH_MARGIN {
        lifetime - MIN_REFRESH_MARGIN
    } else {
        lifetime / 2
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct TokenAnswer {
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    expires_in: Option<f64>,
}

impl TokenAnswer {
    /// How long the token lives: `expires_in`, else the JWT's `exp`; None when unknown.
    pub(crate) fn lifetime(&self) -> Option<Duration> {
        self.expires_in
            .map(transport::saturating_secs)
            .or_else(|| jwt_lifetime(&self.access_token))
    }
}

/// A refused grant (a 4xx answer) is an authorization failure; a failing endpoint (5xx) is an
/// HTTP error, so that a user is not sent to check a secret that is right. The message keeps
/// the endpoint's status and `error_description`.
fn classify_token_error(r: &ErrorResponse<'_>) -> Error {
    let text = match serde_json::from_slice::<serde_json::Value>(r.body) {
        Ok(v) => {
            let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
            match (field("error"), field("error_description")) {
                (e, d) if !e.is_empty() && !d.is_empty() => format!("{e}: {d}"),
                (e, d) if e.is_empty() && d.is_empty() => transport::body_text(r.body),
                (e, d) => e + &d,
            }
        }
        Err(_) => transport::body_text(r.body),
    };
    let kind = match r.status {
        400..=499 if r.status != 429 => ErrorKind::Auth,
        status => transport::status_kind(status),
    };
    Error::new(kind, format!("{text} (HTTP {})", r.status))
        .context(r.context)
        .with_http_status(r.status)
}

/// The claims of a JWT, decoded without checking the signature (the server checks it).
pub(crate) fn jwt_claims(token: &str) -> Option<serde_json::Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn jwt_lifetime(token: &str) -> Option<Duration> {
    let exp = jwt_claims(token)?.get("exp")?.as_f64()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    Some(transport::saturating_secs(exp - now))
}

/// The user name FirecREST derives from a token: for a service account (realm role
/// `firecrest-sa`) the first role of the client in `resource_access`, else `preferred_username`.
pub(crate) fn username_from_token(token: &str) -> Option<String> {
    let claims = jwt_claims(token)?;
    let is_service_account = claims
        .pointer("/realm_access/roles")
        .and_then(|r| r.as_array())
        .is_some_and(|roles| {
            roles
                .iter()
                .any(|r| r.as_str() == Some(SERVICE_ACCOUNT_ROLE))
        });
    if is_service_account {
        let client = claims
            .get("clientId")
            .or_else(|| claims.get("azp"))
            .and_then(|c| c.as_str())?;
        return claims
            .get("resource_access")?
            .get(client)?
            .get("roles")?
            .get(0)?
            .as_str()
            .map(str::to_string);
    }
    claims
        .get("preferred_username")
        .and_then(|u| u.as_str())
        .map(str::to_string)
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.kind {
            AuthKind::ClientCredentials {
                client_id,
                token_url,
                method,
                ..
            } => f
                .debug_struct("Auth::ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &"<redacted>")
                .field("token_url", token_url)
                .field("method", method)
                .finish(),
            AuthKind::Static(_) => f.write_str("Auth::StaticToken(<redacted>)"),
            AuthKind::Provider(_) => f.write_str("Auth::Provider"),
            AuthKind::TokenCommand { timeout, .. } => f
                .debug_struct("Auth::TokenCommand")
                .field("command", &"<not shown>")
                .field("timeout", timeout)
                .finish(),
            AuthKind::ApiKey { header, .. } => f
                .debug_struct("Auth::ApiKey")
                .field("header", header)
                .field("key", &"<redacted>")
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: serde_json::Value) -> String {
        let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.sig",
            enc(br#"{"alg":"RS256","typ":"JWT"}"#),
            enc(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn username_rules() {
        let t = jwt(serde_json::json!({"preferred_username": "testuser"}));
        assert_eq!(username_from_token(&t).as_deref(), Some("testuser"));
        let sa = jwt(serde_json::json!({
            "preferred_username": "service-account-x",
            "clientId": "my-client",
            "realm_access": {"roles": ["offline_access", "firecrest-sa"]},
            "resource_access": {"my-client": {"roles": ["alice"]}}
        }));
        assert_eq!(username_from_token(&sa).as_deref(), Some("alice"));
        assert_eq!(username_from_token("not-a-jwt"), None);
    }

    #[test]
    fn reuse_time_keeps_the_margin() {
        let m = Duration::from_secs(60);
        assert_eq!(
            reuse_time(Duration::from_secs(300), m),
            Duration::from_secs(240)
        );
        assert_eq!(
            reuse_time(Duration::from_secs(10), m),
            Duration::from_secs(5)
        );
        // shorter than the margin, longer than v2's 30 s floor: keep the floor
        assert_eq!(
            reuse_time(Duration::from_secs(45), m),
            Duration::from_secs(15)
        );
    }

    #[test]
    fn absurd_lifetimes_from_the_server_do_not_panic() {
        let m = Duration::from_secs(60);
        let now = Instant::now();
        // expires_in: -1, 1e300; a JWT whose exp is far beyond any Instant.
        let expired = refresh_at(now, Some(transport::saturating_secs(-1.0)), m);
        assert_eq!(expired, Some(now));
        assert_eq!(
            refresh_at(now, Some(transport::saturating_secs(1e300)), m),
            None
        );
        let far = jwt(serde_json::json!({"exp": 1e300}));
        assert_eq!(refresh_at(now, jwt_lifetime(&far), m), None);
        assert_eq!(refresh_at(now, None, m), None);
    }

    #[test]
    fn a_failing_token_endpoint_is_not_a_wrong_secret() {
        let h = ureq::http::HeaderMap::new();
        let answer = |status| {
            classify_token_error(&ErrorResponse {
                status,
                headers: &h,
                body: br#"{"error":"unauthorized_client","error_description":"bad secret"}"#,
                context: "token request to http://t/token",
            })
        };
        assert_eq!(answer(401).kind(), ErrorKind::Auth);
        assert_eq!(answer(400).kind(), ErrorKind::Auth);
        assert_eq!(answer(500).kind(), ErrorKind::Http);
        assert_eq!(answer(502).kind(), ErrorKind::Http);
        assert_eq!(answer(429).kind(), ErrorKind::RateLimited);
        assert!(answer(401).message().contains("bad secret"));
    }

    #[test]
    fn debug_hides_secrets() {
        let a = Auth::client_credentials("id", "s3cr3t-value", "http://t/token");
        let text = format!("{a:?}");
        assert!(!text.contains("s3cr3t-value"), "{text}");
        let b = Auth::static_token("tok-abc-123");
        assert!(!format!("{b:?}").contains("tok-abc-123"));
    }
}
