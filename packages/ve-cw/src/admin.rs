//! Two-step transfer of a contract's admin, in the manner of cw-ownable
//! (whose releases still build against cosmwasm-std 2): the admin proposes
//! a new admin, optionally until an expiration; only the proposed address
//! can accept, and the admin can cancel. A typo in an address thus never
//! locks the contract. The admin itself stays where the contract keeps it
//! (its config); this keeps only the pending proposal.

use cosmwasm_std::{Addr, Api, BlockInfo, DepsMut, Env, MessageInfo, Response, StdError, Storage};
use cw_storage_plus::Item;
use thiserror::Error;
/// The transfer's messages and answer are the interface's.
pub use ve_interface::admin::{AdminConfig, Expiration, PendingAdmin};

use crate::{no_funds, FundsError};

/// JSON, like cw-ownable's record: rarely written, readable by raw-state
/// readers.
pub const PENDING_ADMIN_KEY: &str = "pending_admin";
const PENDING_ADMIN: Item<PendingAdmin> = Item::new(PENDING_ADMIN_KEY);

#[derive(Error, Debug)]
pub enum AdminError {
    #[error("{0}")]
    Std(#[from] StdError),
    #[error("only the admin {admin} may {action}, not {sender}")]
    NotAdmin {
        admin: String,
        sender: String,
        action: &'static str,
    },
    #[error("no admin transfer is pending")]
    NonePending,
    #[error("the pending admin is {pending}, not {sender}")]
    NotPendingAdmin { pending: String, sender: String },
    #[error("the admin transfer to {pending} expired ({expiry})")]
    Expired { pending: String, expiry: Expiration },
    #[error("invalid new_admin: {0}")]
    InvalidAddress(String),
    #[error(transparent)]
    Funds(#[from] FundsError),
}

fn ensure_admin(admin: &Addr, sender: &Addr, action: &'static str) -> Result<(), AdminError> {
    if admin == sender {
        Ok(())
    } else {
        Err(AdminError::NotAdmin {
            admin: admin.to_string(),
            sender: sender.to_string(),
            action,
        })
    }
}

/// The admin proposes `new_admin` (replacing an earlier proposal), to be
/// accepted before `expiry` when given.
pub fn propose(
    storage: &mut dyn Storage,
    api: &dyn Api,
    block: &BlockInfo,
    admin: &Addr,
    sender: &Addr,
    new_admin: &str,
    expiry: Option<Expiration>,
) -> Result<PendingAdmin, AdminError> {
    ensure_admin(admin, sender, "propose a new admin")?;
    let new_admin = api
        .addr_validate(new_admin)
        .map_err(|e| AdminError::InvalidAddress(format!("{new_admin:?}: {e}")))?;
    if let Some(expiry) = expiry.filter(|e| e.is_expired(block)) {
        return Err(AdminError::Expired {
            pending: new_admin.to_string(),
            expiry,
        });
    }
    let pending = PendingAdmin { new_admin, expiry };
    PENDING_ADMIN.save(storage, &pending)?;
    Ok(pending)
}

/// The proposed admin accepts; answers the new admin, which the contract
/// then writes where it keeps its admin.
pub fn accept(
    storage: &mut dyn Storage,
    block: &BlockInfo,
    sender: &Addr,
) -> Result<Addr, AdminError> {
    let pending = PENDING_ADMIN
        .may_load(storage)?
        .ok_or(AdminError::NonePending)?;
    if pending.new_admin != *sender {
        return Err(AdminError::NotPendingAdmin {
            pending: pending.new_admin.to_string(),
            sender: sender.to_string(),
        });
    }
    if let Some(expiry) = pending.expiry.filter(|e| e.is_expired(block)) {
        return Err(AdminError::Expired {
            pending: pending.new_admin.to_string(),
            expiry,
        });
    }
    PENDING_ADMIN.remove(storage);
    Ok(pending.new_admin)
}

/// The admin withdraws its proposal; answers the withdrawn proposal.
pub fn cancel(
    storage: &mut dyn Storage,
    admin: &Addr,
    sender: &Addr,
) -> Result<PendingAdmin, AdminError> {
    ensure_admin(admin, sender, "cancel an admin transfer")?;
    let pending = PENDING_ADMIN
        .may_load(storage)?
        .ok_or(AdminError::NonePending)?;
    PENDING_ADMIN.remove(storage);
    Ok(pending)
}

/// The pending proposal, if any (for a query).
pub fn pending(storage: &dyn Storage) -> Result<Option<PendingAdmin>, AdminError> {
    Ok(PENDING_ADMIN.may_load(storage)?)
}

// The three execute messages as every contract answers them: funds
// refused, then the step above, then the attributes `action`, `admin`,
// `pending_admin`. The contract passes its current admin (from its config)
// and, on accept, writes the new admin back there.

/// `propose_admin { new_admin, expiry }`.
pub fn execute_propose(
    storage: &mut dyn Storage,
    api: &dyn Api,
    env: &Env,
    info: &MessageInfo,
    admin: &Addr,
    new_admin: &str,
    expiry: Option<Expiration>,
) -> Result<Response, AdminError> {
    no_funds(info)?;
    let pending = propose(
        storage,
        api,
        &env.block,
        admin,
        &info.sender,
        new_admin,
        expiry,
    )?;
    let mut response = Response::new()
        .add_attribute("action", "propose_admin")
        .add_attribute("admin", admin.as_str())
        .add_attribute("pending_admin", pending.new_admin.as_str());
    if let Some(expiry) = pending.expiry {
        response = response.add_attribute("expiry", expiry.to_string());
    }
    Ok(response)
}

/// `accept_admin {}`: answers the new admin, for the contract to store,
/// and the response.
pub fn execute_accept(
    storage: &mut dyn Storage,
    env: &Env,
    info: &MessageInfo,
    previous_admin: &Addr,
) -> Result<(Addr, Response), AdminError> {
    no_funds(info)?;
    let new_admin = accept(storage, &env.block, &info.sender)?;
    let response = Response::new()
        .add_attribute("action", "accept_admin")
        .add_attribute("admin", new_admin.as_str())
        .add_attribute("previous_admin", previous_admin.as_str());
    Ok((new_admin, response))
}

/// `cancel_admin_transfer {}`.
pub fn execute_cancel(
    storage: &mut dyn Storage,
    info: &MessageInfo,
    admin: &Addr,
) -> Result<Response, AdminError> {
    no_funds(info)?;
    let withdrawn = cancel(storage, admin, &info.sender)?;
    Ok(Response::new()
        .add_attribute("action", "cancel_admin_transfer")
        .add_attribute("admin", admin.as_str())
        .add_attribute("pending_admin", withdrawn.new_admin.as_str()))
}

/// One step of the two-step transfer, as the execute messages name it.
pub enum TransferStep {
    Propose {
        new_admin: String,
        expiry: Option<Expiration>,
    },
    Accept,
    Cancel,
}

/// The transfer's executes for a contract whose admin lives in `config`:
/// every contract dispatches its three messages here.
pub fn execute_transfer<C: AdminConfig>(
    deps: DepsMut,
    env: &Env,
    info: &MessageInfo,
    config: &crate::store::Item<C>,
    step: TransferStep,
) -> Result<Response, AdminError> {
    let mut current = config.load(deps.storage)?;
    match step {
        TransferStep::Propose { new_admin, expiry } => execute_propose(
            deps.storage,
            deps.api,
            env,
            info,
            current.admin(),
            &new_admin,
            expiry,
        ),
        TransferStep::Accept => {
            let (new_admin, response) = execute_accept(deps.storage, env, info, current.admin())?;
            current.set_admin(new_admin);
            config.save(deps.storage, &current)?;
            Ok(response)
        }
        TransferStep::Cancel => execute_cancel(deps.storage, info, current.admin()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{mock_env, MockApi, MockStorage};

    /// A contract's admin state with no transfer pending: the admin, the
    /// account proposed as the next admin, and a third party.
    struct Fixture {
        api: MockApi,
        storage: MockStorage,
        block: BlockInfo,
        admin: Addr,
        next: Addr,
        other: Addr,
    }

    impl Fixture {
        fn new() -> Self {
            let api = MockApi::default();
            Fixture {
                admin: api.addr_make("admin"),
                next: api.addr_make("next"),
                other: api.addr_make("other"),
                api,
                storage: MockStorage::new(),
                block: mock_env().block,
            }
        }

        /// `sender` proposes `new_admin` (an address as the message
        /// carries it) to succeed the admin.
        fn propose_as(
            &mut self,
            sender: &Addr,
            new_admin: &str,
            expiry: Option<Expiration>,
        ) -> Result<PendingAdmin, AdminError> {
            propose(
                &mut self.storage,
                &self.api,
                &self.block,
                &self.admin,
                sender,
                new_admin,
                expiry,
            )
        }

        /// The admin proposes `next`.
        fn propose_next(&mut self, expiry: Option<Expiration>) -> Result<PendingAdmin, AdminError> {
            let (admin, next) = (self.admin.clone(), self.next.to_string());
            self.propose_as(&admin, &next, expiry)
        }

        fn accept_as(&mut self, sender: &Addr) -> Result<Addr, AdminError> {
            accept(&mut self.storage, &self.block, sender)
        }

        fn cancel_as(&mut self, sender: &Addr) -> Result<PendingAdmin, AdminError> {
            cancel(&mut self.storage, &self.admin, sender)
        }
    }

    #[test]
    fn only_the_admin_proposes_and_only_the_proposed_accepts() {
        let mut f = Fixture::new();
        let (admin, next, other) = (f.admin.clone(), f.next.clone(), f.other.clone());
        let err = f.propose_as(&other, next.as_str(), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("only the admin {admin} may propose a new admin, not {other}")
        );
        assert!(matches!(
            f.propose_as(&admin, "Bad", None),
            Err(AdminError::InvalidAddress(_))
        ));
        assert!(matches!(f.accept_as(&next), Err(AdminError::NonePending)));

        f.propose_next(None).unwrap();
        assert_eq!(
            pending(&f.storage).unwrap().map(|x| x.new_admin),
            Some(next.clone())
        );
        let err = f.accept_as(&other).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("the pending admin is {next}, not {other}")
        );
        assert_eq!(f.accept_as(&next).unwrap(), next);
        assert_eq!(pending(&f.storage).unwrap(), None);
        assert!(matches!(f.accept_as(&next), Err(AdminError::NonePending)));
    }

    #[test]
    fn the_admin_cancels() {
        let mut f = Fixture::new();
        let (admin, next) = (f.admin.clone(), f.next.clone());
        assert!(matches!(f.cancel_as(&admin), Err(AdminError::NonePending)));
        f.propose_next(None).unwrap();
        assert!(matches!(
            f.cancel_as(&next),
            Err(AdminError::NotAdmin { .. })
        ));
        f.cancel_as(&admin).unwrap();
        assert!(matches!(f.accept_as(&next), Err(AdminError::NonePending)));
    }

    #[test]
    fn a_proposal_expires() {
        let mut f = Fixture::new();
        let next = f.next.clone();
        let past = Expiration::AtHeight(f.block.height);
        assert!(matches!(
            f.propose_next(Some(past)),
            Err(AdminError::Expired { .. })
        ));
        let expiry = Expiration::AtHeight(f.block.height + 10);
        f.propose_next(Some(expiry)).unwrap();
        f.block.height += 10;
        let err = f.accept_as(&next).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the admin transfer to {next} expired (expiration height: {})",
                f.block.height
            )
        );
        f.block.height -= 1;
        assert_eq!(f.accept_as(&next).unwrap(), next);
    }
}
