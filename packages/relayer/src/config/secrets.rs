//! Tokens: from the environment or a file, never from a flag or the
//! config file.

use std::path::Path;

use super::ConfigError;

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

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl Secrets {
    /// `VIRTENGINE_WALDUR_TOKEN`, else the daemon design's `WALDUR_TOKEN`;
    /// `VIRTENGINE_ADMIN_TOKEN`.
    pub fn from_env() -> Secrets {
        Secrets {
            waldur_token: var("VIRTENGINE_WALDUR_TOKEN").or_else(|| var("WALDUR_TOKEN")),
            admin_token: var("VIRTENGINE_ADMIN_TOKEN"),
        }
    }
}

/// The token in `path` (surrounding whitespace removed; must not be empty).
pub fn read_token_file(field: &str, path: &Path) -> Result<String, ConfigError> {
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
