//! Who is calling: the emulator's tokens and the Waldur roles they stand
//! for, with the permission checks of the order and resource actions.
//!
//! Waldur decides with role permissions (waldur_core/permissions,
//! `permission_factory(PermissionEnum.X, ["project", "project.customer"])`
//! or `["offering.customer"]`). The emulator has three callers:
//!
//! - the provider (the token given at start): the owner of every seeded
//!   customer, the service account a provider's agent or relayer uses; it
//!   holds every customer and project permission, so it may approve as
//!   consumer and as provider. Staff too when `set_token_is_staff(true)`.
//! - a consumer (`EmulatorState::add_consumer_token`): a project member
//!   of the given projects, without `APPROVE_ORDER`, `REJECT_ORDER` or
//!   `CANCEL_ORDER`; it sees only its projects' orders and resources.
//! - staff (`EmulatorState::add_staff_token`): `is_staff`, allowed
//!   everything.

use std::collections::BTreeSet;

use crate::api_error::ApiError;

/// The role of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Owner of every customer; `staff` mirrors `set_token_is_staff`.
    Provider {
        staff: bool,
    },
    /// A member of these projects only.
    Consumer {
        projects: BTreeSet<String>,
    },
    Staff,
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user's name, recorded as an order's `created_by`.
    pub username: String,
    pub role: Role,
}

impl Caller {
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Staff | Role::Provider { staff: true })
    }

    /// Whether the caller can see objects of `project_uuid` at all
    /// (Waldur's querysets filter by connected projects and customers;
    /// an object outside them is a 404, not a 403).
    pub fn sees_project(&self, project_uuid: &str) -> bool {
        match &self.role {
            Role::Provider { .. } | Role::Staff => true,
            Role::Consumer { projects } => projects.contains(project_uuid),
        }
    }

    /// A customer-owner or staff permission (`APPROVE_ORDER`,
    /// `REJECT_ORDER`, `CANCEL_ORDER`, `SET_RESOURCE_BACKEND_ID`, ...) on
    /// the project's customer or the offering's customer.
    pub fn has_owner_permission(&self) -> bool {
        match self.role {
            Role::Provider { .. } | Role::Staff => true,
            Role::Consumer { .. } => false,
        }
    }

    /// 403 unless the caller holds an owner permission.
    pub fn require_owner_permission(&self) -> Result<(), ApiError> {
        if self.has_owner_permission() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}
