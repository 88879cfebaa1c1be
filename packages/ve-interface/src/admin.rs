//! The two-step admin transfer every contract offers (`propose_admin`,
//! `accept_admin`, `cancel_admin_transfer`, the `pending_admin` query);
//! its executes are in `ve_cw::admin`.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::Addr;
pub use cw_utils::Expiration;

/// A proposed admin, waiting to accept (also the `pending_admin` answer).
#[cw_serde]
pub struct PendingAdmin {
    pub new_admin: Addr,
    pub expiry: Option<Expiration>,
}

/// A contract's config that holds its admin.
pub trait AdminConfig: serde::Serialize + serde::de::DeserializeOwned {
    fn admin(&self) -> &Addr;
    fn set_admin(&mut self, admin: Addr);
}

/// Implements [`AdminConfig`] for configs whose admin is their `admin` field.
macro_rules! admin_in_field {
    ($($config:ty),+ $(,)?) => {$(
        impl AdminConfig for $config {
            fn admin(&self) -> &Addr {
                &self.admin
            }
            fn set_admin(&mut self, admin: Addr) {
                self.admin = admin;
            }
        }
    )+};
}

admin_in_field!(
    crate::marketplace::state::Config,
    crate::settlement::state::Config,
    crate::hpc::state::Config,
    crate::waldur_callback::state::Config,
);
