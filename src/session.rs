//! A session: the transport, the FirecREST URL, the token source and the options, together.
//! Every request of an API version goes through [`Session::send`], which completes its URL,
//! attaches a token, and after a 401 asks for a new token and sends the request once more
//! (a token may expire early or be revoked).

use crate::auth::{self, Auth, Credential};
use crate::error::{Error, ErrorKind, Result};
use crate::options::Options;
use crate::transport::{correlation, Request, Response, Transport};

pub(crate) struct Session {
    http: Transport,
    base_url: String,
    auth: Auth,
    options: Options,
}

impl Session {
    pub(crate) fn new(base_url: &str, auth: Auth, options: Options) -> Result<Session> {
        let base_url = base_url.trim_end_matches('/').to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(Error::invalid_argument(format!(
                "firecrest_url {base_url:?} must start with http:// or https://"
            )));
        }
        options.check()?;
        auth.check()?;
        crate::logging::init_from_env();
        Ok(Session {
            http: Transport::new(&options)?,
            base_url,
            auth,
            options,
        })
    }

    pub(crate) fn options(&self) -> &Options {
        &self.options
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn auth(&self) -> &Auth {
        &self.auth
    }

    /// A valid access token (cached, refreshed before it expires).
    pub(crate) fn token(&self) -> Result<String> {
        self.auth
            .token(&self.http, self.options.token_refresh_margin)
            .map_err(|e| e.redact(&self.auth.secrets()))
    }

    /// Sends `req`: a path under the FirecREST URL with the bearer token, or an absolute URL as
    /// it is (no credentials). A 401 costs one new token and one more attempt, when the body
    /// can be sent again and the token source can give another token. No error that leaves
    /// carries the client's secret or a token, whatever the server echoed.
    pub(crate) fn send(&self, req: Request<'_>) -> Result<Response> {
        correlation::call(self.options.correlation_id.as_deref(), || {
            self.send_authorized(req)
        })
        .map_err(|e| e.redact(&self.auth.secrets()))
    }

    /// Runs one call of the client under one correlation id (see `transport::correlation`).
    pub(crate) fn call<T>(&self, f: impl FnOnce() -> T) -> T {
        correlation::call(self.options.correlation_id.as_deref(), f)
    }

    fn authorize(&self, req: &mut Request<'_>) -> Result<Option<String>> {
        let credential = self
            .auth
            .credential(&self.http, self.options.token_refresh_margin)
            .map_err(|e| e.redact(&self.auth.secrets()).context(req.context_text()))?;
        Ok(match credential {
            Credential::Bearer(token) => {
                req.set_credential("Authorization", format!("Bearer {token}"));
                Some(token)
            }
            Credential::Header { name, value } => {
                req.set_credential(&name, value);
                None
            }
        })
    }

    fn send_authorized(&self, mut req: Request<'_>) -> Result<Response> {
        if req.is_absolute() {
            return self.http.send(&mut req);
        }
        req.resolve(&self.base_url);
        let token = self.authorize(&mut req)?;
        // The token sent is redacted here as well: a provider's tokens are nowhere else.
        let send = |req: &mut Request<'_>, token: &Option<String>| {
            self.http.send(req).map_err(|e| match token {
                Some(t) => e.redact(std::slice::from_ref(t)),
                None => e,
            })
        };
        match send(&mut req, &token) {
            Err(e)
                if e.http_status() == 401
                    && req.has_credential()
                    && req.replayable()
                    && self.auth.can_refresh() =>
            {
                log::info!(target: crate::logging::TARGET,
                    "HTTP 401: asking for a new token and sending the request once more");
                if let Some(token) = &token {
                    self.auth.invalidate(token);
                }
                let token = self.authorize(&mut req)?;
                send(&mut req, &token)
            }
            other => other,
        }
    }

    /// The user FirecREST sees, from the access token's claims, without a request.
    pub(crate) fn username_from_token(&self) -> Result<String> {
        auth::username_from_token(&self.token()?).ok_or_else(|| {
            Error::new(
                ErrorKind::Auth,
                "the access token is not a JWT with preferred_username (pass a system to ask the server)",
            )
        })
    }
}
