//! Tokens: from the environment or a file, never from a flag or the
//! config file.

use std::path::Path;

use super::error::ConfigError;

/// The tokens found in the environment.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    pub waldur_token: Option<String>,
    pub admin_token: Option<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a token.
        f.debug_struct("Secrets")
            .field(
                "waldur_token",
                &self.waldur_token.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The variable's value, trimmed; `Some("")` when it is set but blank, so
/// the settings can refuse it instead of taking it for "no token".
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string())
}

impl Secrets {
    /// `VIRTENGINE_WALDUR_TOKEN`, else the daemon design's `WALDUR_TOKEN`;
    /// `VIRTENGINE_ADMIN_TOKEN`. A variable set to nothing is kept as an
    /// empty token, which `Settings::resolve` refuses.
    pub fn from_env() -> Secrets {
        Secrets {
            waldur_token: var("VIRTENGINE_WALDUR_TOKEN").or_else(|| var("WALDUR_TOKEN")),
            admin_token: var("VIRTENGINE_ADMIN_TOKEN"),
        }
    }
}

/// The token in `path` (surrounding whitespace removed; must not be empty).
/// The file must be private to its owner, like the key files.
pub fn read_token_file(field: &str, path: &Path) -> Result<String, ConfigError> {
    crate::chain::keys::require_private(path)
        .map_err(|e| ConfigError::new(field, e.to_string()))?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(field, format!("{}: {e}", path.display())))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(ConfigError::new(
            field,
            format!("{} is empty", path.display()),
        ));
    }
    Ok(token.to_string())
}

/// A token from the environment, refused when set but empty: an operator
/// who exported an empty variable meant to set a token, and taking it for
/// "none" would leave the admin API open without a word.
pub fn env_token(
    field: &str,
    variable: &str,
    value: Option<&String>,
) -> Result<Option<String>, ConfigError> {
    match value {
        Some(token) if token.trim().is_empty() => Err(ConfigError::new(
            field,
            format!("{variable} is set but empty: give it a token, or unset it"),
        )),
        other => Ok(other.cloned()),
    }
}
