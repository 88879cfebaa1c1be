//! The settings' one error, apart so the file and secret readers use it
//! without importing the settings module that uses them.

use thiserror::Error;

/// A setting that is wrong, named by its file key (the flag and variable
/// follow from it).
#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("config `{field}`: {message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        ConfigError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}
