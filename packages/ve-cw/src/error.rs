//! The errors every contract can give, declared once. Each contract's
//! `ContractError` wraps `CommonError` transparently (the text is the
//! same) and adds only its own variants; `common_error_conversions!` lets
//! `?` turn the wrapped errors straight into it.

use cosmwasm_std::{OverflowError, StdError};
use thiserror::Error;
use ve_types::IdError;

use crate::admin::AdminError;
use crate::{FieldError, ForeignEntity, FundsError, MigrateError, TransitionError};

#[derive(Error, Debug)]
pub enum CommonError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("arithmetic overflow: {0}")]
    Overflow(#[from] OverflowError),

    #[error("{0}")]
    InvalidId(#[from] IdError),

    #[error("unauthorized: {action} may only be done by {allowed}")]
    Unauthorized {
        action: &'static str,
        allowed: &'static str,
    },

    #[error(transparent)]
    Field(#[from] FieldError),

    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },

    #[error(transparent)]
    Transition(#[from] TransitionError),

    #[error("{entity} {id} is {state}; this needs {expected}")]
    WrongState {
        entity: &'static str,
        id: String,
        state: String,
        expected: &'static str,
    },

    #[error(transparent)]
    Funds(#[from] FundsError),

    #[error(transparent)]
    Foreign(#[from] ForeignEntity),

    #[error("nothing to update")]
    NothingToUpdate,

    #[error(transparent)]
    Migrate(#[from] MigrateError),

    #[error(transparent)]
    Admin(#[from] AdminError),
}

/// `From` each error `CommonError` wraps into `$error` (which must have a
/// `Common(CommonError)` variant), so `?` converts them in one step as it
/// did when each contract declared them itself.
#[macro_export]
macro_rules! common_error_conversions {
    ($error:ty) => {
        $crate::common_error_conversions!(
            $error:
            ::cosmwasm_std::StdError,
            ::cosmwasm_std::OverflowError,
            ::ve_types::IdError,
            $crate::FieldError,
            $crate::TransitionError,
            $crate::FundsError,
            $crate::ForeignEntity,
            $crate::MigrateError,
            $crate::admin::AdminError
        );
    };
    ($error:ty: $($wrapped:ty),+) => {
        $(
            impl From<$wrapped> for $error {
                fn from(error: $wrapped) -> Self {
                    Self::Common($crate::CommonError::from(error))
                }
            }
        )+
    };
}
