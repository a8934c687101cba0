//! From the global options to a `Client`, as pyfirecrest decides: one authentication mode
//! (client credentials, a token command or an API key), usage errors (exit 2) for a missing
//! URL or incomplete credentials. Nothing here touches the network: the first request is the
//! command's own.

use crate::args::{ClientAuthMethod, Global};
use crate::Failure;
use firecrest::{ApiVersion, Auth, Client, Options};
use std::time::Duration;

pub fn client(g: &Global) -> Result<Client, Failure> {
    if g.config.is_some() {
        return Err(Failure::Unsupported("--config (FIRECREST_CONFIG)".into()));
    }
    let url = g.firecrest_url.as_deref().filter(|u| !u.is_empty());
    let url = url.ok_or_else(|| {
        Failure::Usage("Missing option '--firecrest-url' (or FIRECREST_URL)".into())
    })?;
    let auth = auth(g)?;
    let mut options = Options {
        api_version: g.api_version.as_deref().and_then(api_version),
        user_agent: format!("firecrest-cli/{}", env!("CARGO_PKG_VERSION")),
        correlation_id: g.correlation_id.clone().filter(|c| !c.is_empty()),
        ..Options::default()
    };
    if let Some(t) = g.timeout.filter(|t| t.is_finite() && *t > 0.0) {
        options.io_timeout = Duration::from_secs_f64(t);
    }
    crate::debug(g, || {
        format!(
            "FirecREST URL {url}, API version {}",
            match options.api_version {
                Some(v) => format!("v{} (given)", v.number()),
                None => "detected from the server".into(),
            }
        )
    });
    Client::new(url, auth, options).map_err(Failure::Lib)
}

/// pyfirecrest parses a full version ("1.13.1", "2.2.0"); its major number is all we need.
fn api_version(text: &str) -> Option<ApiVersion> {
    let major = text
        .trim()
        .trim_start_matches(['v', 'V'])
        .split('.')
        .next()?;
    ApiVersion::from_number(major.parse().ok()?)
}

fn auth(g: &Global) -> Result<Auth, Failure> {
    let credentials = [&g.client_id, &g.client_secret, &g.token_url];
    let using_credentials = credentials.iter().any(|c| c.is_some());
    let modes = [
        g.token_command.is_some(),
        using_credentials,
        g.api_key.is_some(),
    ];
    if modes.iter().filter(|m| **m).count() > 1 {
        return Err(Failure::Usage(
            "--token-command, --api-key, and --client-id/--client-secret/--token-url \
             are mutually exclusive"
                .into(),
        ));
    }
    if let Some(key) = &g.api_key {
        crate::debug(g, || {
            format!("authentication: API key in {}", g.api_key_header)
        });
        return Ok(Auth::api_key(key).with_api_key_header(&g.api_key_header));
    }
    if let Some(command) = &g.token_command {
        crate::debug(g, || "authentication: token command".into());
        return Ok(Auth::token_command(command));
    }
    match (&g.client_id, &g.client_secret, &g.token_url) {
        (Some(id), Some(secret), Some(token_url)) => {
            crate::debug(g, || {
                format!("authentication: client credentials, client id {id}, token URL {token_url}")
            });
            let auth = Auth::client_credentials(id, secret, token_url);
            Ok(match g.client_auth_method {
                ClientAuthMethod::ClientSecretPost => auth,
                ClientAuthMethod::ClientSecretBasic => {
                    auth.with_method(firecrest::ClientAuthMethod::SecretBasic)
                }
            })
        }
        (None, None, None) => Err(Failure::Usage(
            "No authentication method provided. Use --api-key, --token-command, \
             or supply --client-id, --client-secret, and --token-url."
                .into(),
        )),
        _ => {
            let missing: Vec<&str> = ["--client-id", "--client-secret", "--token-url"]
                .into_iter()
                .zip(credentials)
                .filter(|(_, v)| v.is_none())
                .map(|(name, _)| name)
                .collect();
            Err(Failure::Usage(format!(
                "Client credentials mode requires all of: --client-id, --client-secret, \
                 --token-url. Missing: {}",
                missing.join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_versions() {
        assert_eq!(api_version("1.13.1"), Some(ApiVersion::V1));
        assert_eq!(api_version("2.2.0"), Some(ApiVersion::V2));
        assert_eq!(api_version("2"), Some(ApiVersion::V2));
        assert_eq!(api_version("3.0"), None);
        assert_eq!(api_version("latest"), None);
    }
}
