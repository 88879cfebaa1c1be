//! The fee-paying account's secp256k1 key on disk: hex of the 32-byte
//! secret, like the ed25519 callback key (`crate::chain::keys::generate` writes
//! a file of the same form), but refused when others can read it: this key
//! spends money.

use std::path::Path;

use cosmrs::crypto::secp256k1::SigningKey;
use thiserror::Error;

use crate::chain::keys::KeyError;

#[derive(Error, Debug)]
pub enum FeeKeyError {
    /// The file: missing, readable by others, not 32 bytes of hex.
    #[error("fee {0}")]
    File(#[from] KeyError),
    #[error("fee key file {path}: not a valid secp256k1 secret: {error}")]
    NotSecp256k1 { path: String, error: String },
}

/// Loads the fee key; the file must be private to its owner (no group or
/// other permission bits).
pub fn load_fee_key(path: &Path) -> Result<SigningKey, FeeKeyError> {
    // `keys::load` refuses a file others can read (`keys::require_private`).
    let secret = crate::chain::keys::load(path)?;
    SigningKey::from_slice(&secret).map_err(|e| FeeKeyError::NotSecp256k1 {
        path: path.display().to_string(),
        error: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_a_private_key_and_refuses_a_readable_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fee.key");
        crate::chain::keys::generate(&path).unwrap();
        let key = load_fee_key(&path).unwrap();
        let address = key.public_key().account_id("virtengine").unwrap();
        assert!(address.to_string().starts_with("virtengine1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = load_fee_key(&path).err().unwrap().to_string();
            assert!(err.contains("0600"), "{err}");
        }
        // Zero is not a secp256k1 secret.
        let zero = dir.path().join("zero.key");
        crate::chain::keys::generate(&zero).unwrap();
        std::fs::write(&zero, "00".repeat(32)).unwrap();
        assert!(load_fee_key(&zero).is_err());
        assert!(load_fee_key(&dir.path().join("missing.key")).is_err());
    }
}
