//! The fee-paying account's secp256k1 key on disk: hex of the 32-byte
//! secret, like the ed25519 callback key (`crate::chain::keys::generate` writes
//! a file of the same form), but refused when others can read it: this key
//! spends money.

use std::path::Path;

use cosmrs::crypto::secp256k1::SigningKey;

/// Loads the fee key; the file must be private to its owner (no group or
/// other permission bits).
pub fn load_fee_key(path: &Path) -> Result<SigningKey, String> {
    let shown = path.display();
    // `keys::load` refuses a file others can read (`keys::require_private`).
    let secret = crate::chain::keys::load(path).map_err(|e| format!("fee {e}"))?;
    SigningKey::from_slice(&secret)
        .map_err(|e| format!("fee key file {shown}: not a valid secp256k1 secret: {e}"))
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
            let err = load_fee_key(&path).err().unwrap();
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
