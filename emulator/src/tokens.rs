//! The Keycloak-like token endpoint (client_credentials grant) and the JWTs it issues.
//!
//! Tokens are real JWTs (`header.claims.signature`, base64url) signed with HMAC-SHA256 over a
//! key drawn at random on every start, so clients can read the claims without verifying them,
//! and only this emulator instance accepts them.

use super::exchange::{Req, Resp};
use super::util::{hmac_sha256, now_secs, random_bytes, random_hex, same_bytes};
use super::State;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub(crate) const TOKEN_PATH: &str = "/auth/realms/kcrealm/protocol/openid-connect/token";
pub(crate) const REALM_PATH: &str = "/auth/realms/kcrealm";

/// Why a bearer token was refused; the texts are FirecREST v1's 401 descriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    Malformed,
    BadSignature,
    Expired,
    MissingScope,
}

impl TokenError {
    pub fn v1_text(self) -> &'static str {
        match self {
            TokenError::Malformed => "Bad header or JWT, general exception raised",
            TokenError::BadSignature => "JWT token has invalid signature",
            TokenError::Expired => "JWT token has expired",
            TokenError::MissingScope => "Scope 'firecrest' wasn't found in JWT",
        }
    }
}

pub(crate) struct Tokens {
    key: Vec<u8>,
    pub client_id: String,
    pub client_secret: String,
    ttl_secs: AtomicU64,
    pub user: String,
}

impl Tokens {
    pub fn new(client_id: &str, user: &str, ttl: Duration) -> Tokens {
        Tokens {
            key: random_bytes(32),
            client_id: client_id.to_string(),
            client_secret: random_hex(16),
            ttl_secs: AtomicU64::new(ttl.as_secs()),
            user: user.to_string(),
        }
    }

    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs.load(Ordering::Relaxed)
    }

    /// Signs `claims` as an HS256 JWT with this instance's key.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "HS256", "typ": "JWT", "kid": "firecrest-emulator"});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = hmac_sha256(&self.key, signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// A fresh access token for the emulator's user, valid for the configured TTL.
    pub fn issue(&self, base_url: &str) -> String {
        let iat = now_secs();
        let jti = random_hex(16);
        let claims = json!({
            "exp": iat + self.ttl_secs() as i64,
            "iat": iat,
            "jti": format!("{}-{}-{}-{}-{}", &jti[0..8], &jti[8..12], &jti[12..16], &jti[16..20], &jti[20..32]),
            "iss": format!("{base_url}{REALM_PATH}"),
            "aud": "account",
            "sub": "00000000-0000-4000-8000-000000001001",
            "typ": "Bearer",
            "azp": self.client_id,
            "acr": "1",
            "realm_access": {"roles": ["offline_access", "uma_authorization", "default-roles-kcrealm"]},
            "resource_access": {"account": {"roles": ["manage-account", "manage-account-links", "view-profile"]}},
            "scope": "firecrest profile email",
            "clientId": self.client_id,
            "clientHost": "127.0.0.1",
            "clientAddress": "127.0.0.1",
            "email_verified": false,
            "preferred_username": self.user,
        });
        self.sign(&claims)
    }

    /// Checks signature, expiry and scope; returns the claims.
    pub fn verify(&self, token: &str) -> Result<Value, TokenError> {
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() != 3 {
            return Err(TokenError::Malformed);
        }
        let decode = |s: &str| URL_SAFE_NO_PAD.decode(s.trim_end_matches('='));
        let header: Value = decode(parts[0])
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(TokenError::Malformed)?;
        let claims: Value = decode(parts[1])
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(TokenError::Malformed)?;
        let sig = decode(parts[2]).map_err(|_| TokenError::Malformed)?;
        if header.get("alg").and_then(Value::as_str) != Some("HS256") {
            return Err(TokenError::BadSignature);
        }
        let expected = hmac_sha256(&self.key, format!("{}.{}", parts[0], parts[1]).as_bytes());
        if !same_bytes(&expected, &sig) {
            return Err(TokenError::BadSignature);
        }
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
        if now_secs() >= exp {
            return Err(TokenError::Expired);
        }
        let scope = claims.get("scope").and_then(Value::as_str).unwrap_or("");
        if !scope.split(' ').any(|s| s == "firecrest") {
            return Err(TokenError::MissingScope);
        }
        Ok(claims)
    }

    /// The FirecREST username of verified claims: FirecREST takes it from
    /// `preferred_username`.
    pub fn username(claims: &Value) -> String {
        claims
            .get("preferred_username")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    }
}

/// `Authorization: Bearer <token>` → the token.
pub(crate) fn bearer(req: &Req) -> Option<String> {
    let h = req.header("Authorization")?;
    let (scheme, token) = h.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// What the gateway makes of an API key: None when the emulator takes no keys or the request
/// carries none (the bearer token decides), else the user or Kong key-auth's 401 text.
pub(crate) fn api_key_user(state: &State, req: &Req) -> Option<Result<String, &'static str>> {
    let (header, key) = state.api_key.as_ref()?;
    let sent = req.header(header)?;
    Some(if same_bytes(sent.as_bytes(), key.as_bytes()) {
        Ok(state.tokens.user.clone())
    } else {
        Err("Invalid authentication credentials")
    })
}

fn token_error(status: u16, error: &str, description: &str) -> Resp {
    Resp::json(
        status,
        json!({"error": error, "error_description": description}),
    )
    .header("Cache-Control", "no-store")
}

/// POST of the token endpoint: client_credentials with the secret in the form
/// (client_secret_post) or in HTTP Basic (client_secret_basic).
pub(crate) fn handle(state: &State, req: &mut Req) -> Resp {
    if req.method != "POST" {
        return Resp::json(405, json!({"error": "HTTP 405 Method Not Allowed"}));
    }
    let form = req.form(64 * 1024).unwrap_or_default();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let (mut client_id, mut secret) = (field("client_id"), field("client_secret"));
    if let Some((id, s)) = basic_credentials(req) {
        client_id = Some(id);
        secret = Some(s);
    }
    match field("grant_type").as_deref() {
        Some("client_credentials") => {}
        other => {
            let shown = other.map_or("None".to_string(), str::to_string);
            return token_error(
                400,
                "unsupported_grant_type",
                &format!("Unsupported grant_type: {shown}"),
            );
        }
    }
    let tokens = &state.tokens;
    let id_ok = client_id.as_deref() == Some(tokens.client_id.as_str());
    let secret_ok = secret
        .as_deref()
        .is_some_and(|s| same_bytes(s.as_bytes(), tokens.client_secret.as_bytes()));
    if !id_ok || !secret_ok {
        return token_error(
            401,
            "unauthorized_client",
            "Invalid client or Invalid client credentials",
        );
    }
    Resp::json(
        200,
        json!({
            "access_token": tokens.issue(&state.base_url),
            "expires_in": tokens.ttl_secs(),
            "refresh_expires_in": 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": "firecrest profile email",
        }),
    )
    .header("Cache-Control", "no-store")
}

fn basic_credentials(req: &Req) -> Option<(String, String)> {
    let h = req.header("Authorization")?;
    let (scheme, b64) = h.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = String::from_utf8(STANDARD.decode(b64.trim()).ok()?).ok()?;
    let (id, secret) = raw.split_once(':')?;
    Some((
        super::util::form_decode(id),
        super::util::form_decode(secret),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_tampered_ones_do_not() {
        let t = Tokens::new("c", "testuser", Duration::from_secs(60));
        let tok = t.issue("http://x");
        let claims = t.verify(&tok).unwrap();
        assert_eq!(Tokens::username(&claims), "testuser");
        let other = Tokens::new("c", "testuser", Duration::from_secs(60));
        assert_eq!(other.verify(&tok), Err(TokenError::BadSignature));
        assert_eq!(t.verify("not-a-jwt"), Err(TokenError::Malformed));
        let expired = Tokens::new("c", "testuser", Duration::ZERO);
        assert_eq!(
            expired.verify(&expired.issue("http://x")),
            Err(TokenError::Expired)
        );
        let noscope = t.sign(&json!({"exp": now_secs() + 60, "scope": "profile"}));
        assert_eq!(t.verify(&noscope), Err(TokenError::MissingScope));
    }
}
