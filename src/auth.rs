//! Authorization: OAuth2 client credentials, a static token, or a user-supplied provider.
//!
//! CONTRACT (skeleton): the public constructors below are what the C layer and users call.
//! The token cache (reuse until `expires_in` minus a margin, single-flight refresh, drop on 401)
//! lives behind `Auth` so that every client built from one `Auth` shares its tokens.

use crate::error::Result;
use std::fmt;
use std::sync::Arc;

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
    Static(String),
    Provider(Box<dyn TokenProvider>),
}

pub(crate) struct AuthInner {
    pub(crate) kind: AuthKind,
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

    fn from_kind(kind: AuthKind) -> Auth {
        Auth {
            inner: Arc::new(AuthInner { kind }),
        }
    }
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
        }
    }
}
