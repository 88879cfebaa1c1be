//! Identifiers in Waldur's form.

/// A random version-4 UUID as 32 lowercase hex digits without hyphens,
/// which is how Waldur writes UUIDs in URLs and bodies.
pub fn new_uuid() -> String {
    let mut bits = fastrand::u128(..);
    // Version 4 and the RFC 4122 variant, so the value is a valid UUID.
    bits = (bits & !(0xf << 76)) | (0x4 << 76);
    bits = (bits & !(0x3 << 62)) | (0x2 << 62);
    format!("{bits:032x}")
}

/// Accepts a UUID with or without hyphens, in any case, as Waldur does.
pub fn normalize_uuid(raw: &str) -> String {
    raw.chars()
        .filter(|ch| *ch != '-')
        .map(|ch| ch.to_ascii_lowercase())
        .collect()
}

/// A URL-safe slug for a display name, at most 50 characters.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 50 {
            break;
        }
    }
    let trimmed = slug.trim_end_matches('-');
    if trimmed.is_empty() {
        "object".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_32_hex_version_4() {
        let uuid = new_uuid();
        assert_eq!(uuid.len(), 32);
        assert!(uuid
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(&uuid[12..13], "4");
        assert_ne!(new_uuid(), uuid);
    }

    #[test]
    fn hyphenated_uuids_are_accepted() {
        assert_eq!(
            normalize_uuid("0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"),
            "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("My HPC Cluster #1"), "my-hpc-cluster-1");
        assert_eq!(slugify("!!!"), "object");
    }
}
