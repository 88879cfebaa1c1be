//! Input checks shared by the contracts, each failing with a
//! [`FieldError`](crate::FieldError) that names the field.

use std::collections::BTreeMap;

use crate::FieldError;

pub const MAX_NAME_CHARS: usize = 255;
pub const MAX_DESCRIPTION_CHARS: usize = 4096;
pub const MAX_LABEL_CHARS: usize = 64;
pub const MAX_MAP_ENTRIES: usize = 64;
pub const MAX_VALUE_CHARS: usize = 256;
pub const MAX_REASON_CHARS: usize = 256;
pub const MAX_REF_CHARS: usize = 512;
pub const MAX_IDENTITY_SCORE: u8 = 100;

/// Free text: bounded, no control characters except newlines and tabs
/// (descriptions are Markdown).
pub fn text(field: &'static str, s: &str, max: usize, allow_empty: bool) -> Result<(), FieldError> {
    if !allow_empty && s.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    let len = s.chars().count();
    if len > max {
        return Err(FieldError::new(
            field,
            format!("{len} characters, at most {max}"),
        ));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldError::new(field, "contains control characters"));
    }
    Ok(())
}

/// A machine label: 1-64 of `a-z 0-9 _ . -`.
pub fn label(field: &'static str, s: &str) -> Result<(), FieldError> {
    let ok = (1..=MAX_LABEL_CHARS).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("{s:?} must be 1-{MAX_LABEL_CHARS} characters of a-z, 0-9, _ . -"),
        ))
    }
}

/// Key/value attributes: at most 64, label keys, bounded text values.
pub fn attributes(field: &'static str, map: &BTreeMap<String, String>) -> Result<(), FieldError> {
    if map.len() > MAX_MAP_ENTRIES {
        return Err(FieldError::new(
            field,
            format!("{} entries, at most {MAX_MAP_ENTRIES}", map.len()),
        ));
    }
    for (k, v) in map {
        label(field, k)?;
        text(field, v, MAX_VALUE_CHARS, true)?;
    }
    Ok(())
}

pub fn identity_score(score: u8) -> Result<(), FieldError> {
    if score > MAX_IDENTITY_SCORE {
        return Err(FieldError::new(
            "min_identity_score",
            format!("{score} is above {MAX_IDENTITY_SCORE}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_name_the_problem() {
        assert!(text("name", "ok", 2, false).is_ok());
        assert_eq!(
            text("name", " ", 5, false).unwrap_err().to_string(),
            "invalid name: must not be empty"
        );
        assert_eq!(
            text("name", "abc", 2, false).unwrap_err().to_string(),
            "invalid name: 3 characters, at most 2"
        );
        assert!(text("d", "line\nline\tx", 20, true).is_ok());
        assert!(text("d", "bell\u{7}", 20, true).is_err());
        assert!(label("region", "eu-west-1").is_ok());
        assert!(label("region", "EU").is_err());
        assert!(label("region", &"a".repeat(65)).is_err());
        let many: BTreeMap<String, String> =
            (0..65).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(attributes("specs", &many).is_err());
        assert!(identity_score(100).is_ok());
        assert!(identity_score(101).is_err());
    }
}
