//! The provider's signing key on disk: 32 random bytes, hex, in a file only
//! the operator can read.

use std::io::Write;
use std::path::Path;

use ed25519_zebra::SigningKey;
use rand_core::{OsRng, RngCore};
use thiserror::Error;

#[derive(Error, Debug)]
pub enum KeyError {
    #[error("key file {path}: {error}")]
    Io { path: String, error: String },
    #[error("key file {0} must hold 64 hex characters (a 32-byte seed)")]
    Malformed(String),
    #[error("key file {0} already exists; refusing to overwrite a key")]
    Exists(String),
}

fn io(path: &Path, e: impl std::fmt::Display) -> KeyError {
    KeyError::Io {
        path: path.display().to_string(),
        error: e.to_string(),
    }
}

/// Writes a new random seed to `path` (mode 0600) and returns it.
pub fn generate(path: &Path) -> Result<[u8; 32], KeyError> {
    if path.exists() {
        return Err(KeyError::Exists(path.display().to_string()));
    }
    let mut seed = [0u8; 32];
    OsRng.fill_bytes(&mut seed);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| io(path, e))?;
    file.write_all(hex::encode(seed).as_bytes())
        .map_err(|e| io(path, e))?;
    Ok(seed)
}

pub fn load(path: &Path) -> Result<[u8; 32], KeyError> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
    let bytes =
        hex::decode(text.trim()).map_err(|_| KeyError::Malformed(path.display().to_string()))?;
    bytes
        .try_into()
        .map_err(|_| KeyError::Malformed(path.display().to_string()))
}

pub fn public_key(seed: [u8; 32]) -> [u8; 32] {
    ed25519_zebra::VerificationKey::from(&SigningKey::from(seed)).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_then_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signer.key");
        let seed = generate(&path).unwrap();
        assert_eq!(load(&path).unwrap(), seed);
        assert!(matches!(generate(&path), Err(KeyError::Exists(_))));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::write(dir.path().join("bad.key"), "xyz").unwrap();
        assert!(matches!(
            load(&dir.path().join("bad.key")),
            Err(KeyError::Malformed(_))
        ));
    }
}
