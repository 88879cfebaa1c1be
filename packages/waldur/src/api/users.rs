//! `users/me/`: the token's own user. The relayer's health check calls it
//! because it needs the token (unlike `configuration/`, which answers
//! anyone) and returns one small object.

use serde::Deserialize;

use crate::client::WaldurClient;
use crate::error::Error;

/// The fields of `User` the probe asks for (sparse fields: the full object
/// would also carry the token itself).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CurrentUser {
    #[serde(default)]
    pub uuid: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

impl WaldurClient {
    /// `GET users/me/?field=uuid&field=username`: who the token is. A 401
    /// means the token is refused.
    pub async fn current_user(&self) -> Result<CurrentUser, Error> {
        self.get("users/me/?field=uuid&field=username").await
    }
}
