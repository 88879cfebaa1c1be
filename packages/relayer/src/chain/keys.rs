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
    #[error("key file {0}")]
    NotPrivate(#[from] SecretFileError),
}

/// Why a secret file (key or token) is refused before it is read.
#[derive(Error, Debug)]
pub enum SecretFileError {
    #[error("{path}: {error}")]
    Unreadable { path: String, error: String },
    #[error("{0} is not a file")]
    NotAFile(String),
    #[error(
        "{path} has mode {mode:04o}, readable or writable by others than its owner; \
         make it 0600: chmod 600 {path}"
    )]
    OpenToOthers { path: String, mode: u32 },
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

/// Refuses a secret file (key or token) that its group or others may
/// read or write: such a file may already have leaked, so the relayer
/// stops rather than use it. The message names the file, its mode and the
/// fix. A file that cannot be read is refused here too, naming it.
pub fn require_private(path: &Path) -> Result<(), SecretFileError> {
    let shown = || path.display().to_string();
    let metadata = std::fs::metadata(path).map_err(|e| SecretFileError::Unreadable {
        path: shown(),
        error: e.to_string(),
    })?;
    if !metadata.is_file() {
        return Err(SecretFileError::NotAFile(shown()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(SecretFileError::OpenToOthers {
                path: shown(),
                mode,
            });
        }
    }
    Ok(())
}

/// The seed in `path`, which must be private to its owner
/// ([`require_private`]).
pub fn load(path: &Path) -> Result<[u8; 32], KeyError> {
    require_private(path)?;
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
        // Written by `std::fs::write`: the umask's mode, usually 0644.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let bad = dir.path().join("bad.key");
            std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert!(matches!(
            load(&dir.path().join("bad.key")),
            Err(KeyError::Malformed(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signer.key");
        generate(&path).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o660] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let message = load(&path).unwrap_err().to_string();
            assert!(message.contains(&format!("{mode:04o}")), "{message}");
            assert!(message.contains("chmod 600"), "{message}");
            assert!(message.contains("signer.key"), "{message}");
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        load(&path).expect("owner read-only is private");
    }
}
