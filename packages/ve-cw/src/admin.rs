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

    struct Parties {
        admin: Addr,
        next: Addr,
        other: Addr,
    }

    fn parties(api: &MockApi) -> Parties {
        Parties {
            admin: api.addr_make("admin"),
            next: api.addr_make("next"),
            other: api.addr_make("other"),
        }
    }

    #[test]
    fn only_the_admin_proposes_and_only_the_proposed_accepts() {
        let (api, mut storage, block) = (MockApi::default(), MockStorage::new(), mock_env().block);
        let p = parties(&api);
        let err = propose(
            &mut storage,
            &api,
            &block,
            &p.admin,
            &p.other,
            p.next.as_str(),
            None,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "only the admin {} may propose a new admin, not {}",
                p.admin, p.other
            )
        );
        assert!(matches!(
            propose(&mut storage, &api, &block, &p.admin, &p.admin, "Bad", None),
            Err(AdminError::InvalidAddress(_))
        ));
        assert!(matches!(
            accept(&mut storage, &block, &p.next),
            Err(AdminError::NonePending)
        ));

        propose(
            &mut storage,
            &api,
            &block,
            &p.admin,
            &p.admin,
            p.next.as_str(),
            None,
        )
        .unwrap();
        assert_eq!(
            pending(&storage).unwrap().map(|x| x.new_admin),
            Some(p.next.clone())
        );
        let err = accept(&mut storage, &block, &p.other).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("the pending admin is {}, not {}", p.next, p.other)
        );
        assert_eq!(accept(&mut storage, &block, &p.next).unwrap(), p.next);
        assert_eq!(pending(&storage).unwrap(), None);
        assert!(matches!(
            accept(&mut storage, &block, &p.next),
            Err(AdminError::NonePending)
        ));
    }

    #[test]
    fn the_admin_cancels() {
        let (api, mut storage, block) = (MockApi::default(), MockStorage::new(), mock_env().block);
        let p = parties(&api);
        assert!(matches!(
            cancel(&mut storage, &p.admin, &p.admin),
            Err(AdminError::NonePending)
        ));
        propose(
            &mut storage,
            &api,
            &block,
            &p.admin,
            &p.admin,
            p.next.as_str(),
            None,
        )
        .unwrap();
        assert!(matches!(
            cancel(&mut storage, &p.admin, &p.next),
            Err(AdminError::NotAdmin { .. })
        ));
        cancel(&mut storage, &p.admin, &p.admin).unwrap();
        assert!(matches!(
            accept(&mut storage, &block, &p.next),
            Err(AdminError::NonePending)
        ));
    }

    #[test]
    fn a_proposal_expires() {
        let (api, mut storage, mut block) =
            (MockApi::default(), MockStorage::new(), mock_env().block);
        let p = parties(&api);
        let past = Expiration::AtHeight(block.height);
        assert!(matches!(
            propose(
                &mut storage,
                &api,
                &block,
                &p.admin,
                &p.admin,
                p.next.as_str(),
                Some(past)
            ),
            Err(AdminError::Expired { .. })
        ));
        let expiry = Expiration::AtHeight(block.height + 10);
        propose(
            &mut storage,
            &api,
            &block,
            &p.admin,
            &p.admin,
            p.next.as_str(),
            Some(expiry),
        )
        .unwrap();
        block.height += 10;
        let err = accept(&mut storage, &block, &p.next).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the admin transfer to {} expired (expiration height: {})",
                p.next, block.height
            )
        );
        block.height -= 1;
        assert_eq!(accept(&mut storage, &block, &p.next).unwrap(), p.next);
    }
}
