//! Helpers every VirtEngine contract uses, written once: cw2 migration
//! rules, transition checks against the shared tables, field and address
//! validation with errors that name the field, funds checks, pagination.
//! Each contract's error type wraps these errors transparently.

pub mod admin;
mod error;
pub mod profile;
pub mod store;
pub mod validate;

use std::fmt::Display;

use cosmwasm_std::{
    Addr, Api, BankMsg, Coin, MessageInfo, Response, StdError, StdResult, Storage, Uint128,
};
use thiserror::Error;
use ve_types::StateMachine;

pub use error::CommonError;

/// Default and largest page of every list query.
pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;

pub fn page_size(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize
}

/// One page of a storage range, each value turned into its response.
pub fn page<K, T, R>(
    iter: impl Iterator<Item = StdResult<(K, T)>>,
    limit: Option<u32>,
    to_response: impl FnMut(T) -> R,
) -> StdResult<Vec<R>> {
    let mut to_response = to_response;
    iter.take(page_size(limit))
        .map(|item| item.map(|(_, v)| to_response(v)))
        .collect()
}

#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("invalid {field}: {reason}")]
pub struct FieldError {
    pub field: &'static str,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        FieldError {
            field,
            reason: reason.into(),
        }
    }
}

/// `addr_validate` with an error that names the field.
pub fn address(api: &dyn Api, field: &'static str, addr: &str) -> Result<Addr, FieldError> {
    if addr.chars().any(char::is_control) {
        return Err(FieldError::new(field, "contains control characters"));
    }
    api.addr_validate(addr)
        .map_err(|e| FieldError::new(field, format!("{addr:?} is not a valid address: {e}")))
}

/// A `start_after` cursor of a per-owner list must name an entity of that
/// owner; otherwise the page would silently start somewhere else.
pub fn cursor_of_owner<A: PartialEq + Display>(
    cursor_owner: &A,
    owner: &A,
    cursor: &str,
    what: &str,
) -> Result<(), FieldError> {
    if cursor_owner == owner {
        Ok(())
    } else {
        Err(FieldError::new(
            "start_after",
            format!("{cursor} is not {what} of {owner}"),
        ))
    }
}

#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("{entity} {id} cannot go from {from} to {to}")]
pub struct TransitionError {
    pub entity: &'static str,
    pub id: String,
    pub from: String,
    pub to: String,
}

/// Fails, naming the entity and both states, when the transition table
/// does not allow `from -> to`.
pub fn ensure_transition<S: StateMachine + Display>(
    entity: &'static str,
    id: impl Display,
    from: S,
    to: S,
) -> Result<(), TransitionError> {
    if from.can_transition_to(to) {
        Ok(())
    } else {
        Err(TransitionError {
            entity,
            id: id.to_string(),
            from: from.to_string(),
            to: to.to_string(),
        })
    }
}

#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("{entity} {id} belongs to {owner}, not to {provider}")]
pub struct ForeignEntity {
    pub entity: &'static str,
    pub id: String,
    pub owner: String,
    pub provider: String,
}

/// A report made on a provider's behalf (the callback contract passes the
/// provider whose signature it verified) must be about that provider's own
/// entity. An exact comparison: a malformed name matches nobody.
pub fn ensure_provider(
    entity: &'static str,
    id: impl Display,
    owner: &Addr,
    provider: &str,
) -> Result<(), ForeignEntity> {
    if owner.as_str() == provider {
        Ok(())
    } else {
        Err(ForeignEntity {
            entity,
            id: id.to_string(),
            owner: owner.to_string(),
            provider: provider.to_string(),
        })
    }
}

/// Whom a report is for, where the provider may report for itself and the
/// callback contract reports for the provider whose signature it verified:
/// the callback contract must name that provider (`verb` says what it does
/// for it: "records", "reports"), and a named provider must own the entity.
pub fn ensure_reported_for<E: From<FieldError> + From<ForeignEntity>>(
    entity: &'static str,
    id: impl Display,
    owner: &Addr,
    provider: Option<&str>,
    from_callback: bool,
    verb: &str,
) -> Result<(), E> {
    match provider {
        Some(p) => Ok(ensure_provider(entity, id, owner, p)?),
        None if from_callback => Err(FieldError::new(
            "provider",
            format!("the callback contract names the provider it {verb} for"),
        )
        .into()),
        None => Ok(()),
    }
}

#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum FundsError {
    #[error("wrong funds: expected exactly {expected}, got [{got}]")]
    Wrong { expected: Coin, got: String },
    #[error("this message takes no funds, got [{0}]")]
    Unexpected(String),
}

pub fn describe_funds(funds: &[Coin]) -> String {
    funds
        .iter()
        .map(Coin::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The message must carry exactly `expected` and nothing else
/// (`cw_utils::one_coin`, then the coin itself), with an error naming both.
pub fn exact_funds(info: &MessageInfo, expected: Coin) -> Result<(), FundsError> {
    match cw_utils::one_coin(info) {
        Ok(c) if c == expected => Ok(()),
        _ => Err(FundsError::Wrong {
            expected,
            got: describe_funds(&info.funds),
        }),
    }
}

/// `cw_utils::nonpayable`, with an error naming the funds sent.
pub fn no_funds(info: &MessageInfo) -> Result<(), FundsError> {
    cw_utils::nonpayable(info).map_err(|_| FundsError::Unexpected(describe_funds(&info.funds)))
}

/// A bank send of `amount`, or nothing for zero.
pub fn bank_send(to: &Addr, amount: Uint128, denom: &str) -> Option<BankMsg> {
    (!amount.is_zero()).then(|| BankMsg::Send {
        to_address: to.to_string(),
        amount: vec![Coin::new(amount, denom)],
    })
}

#[derive(Error, Debug)]
pub enum MigrateError {
    #[error("{0}")]
    Std(#[from] StdError),
    #[error("cannot migrate from {from_contract} {from_version} to {to_contract} {to_version}")]
    Refused {
        from_contract: String,
        from_version: String,
        to_contract: String,
        to_version: String,
    },
    #[error("cannot migrate from {contract} {from_version}: its store is JSON, values are packed since {PACKED_STORE_SINCE}; instantiate a new contract")]
    JsonStore {
        contract: String,
        from_version: String,
    },
}

/// The first version whose stored values are packed (`store`). Earlier
/// stores hold JSON values this code cannot read, so they are not migrated.
pub const PACKED_STORE_SINCE: semver::Version = semver::Version::new(0, 2, 0);

/// The cw2 migration rule of every contract here: only from the same
/// contract name, never to an older version, and never from a store older
/// than `PACKED_STORE_SINCE`. Records the new version.
pub fn migrate_version(
    storage: &mut dyn Storage,
    name: &str,
    version: &str,
) -> Result<Response, MigrateError> {
    let stored = cw2::get_contract_version(storage)?;
    let refused = || MigrateError::Refused {
        from_contract: stored.contract.clone(),
        from_version: stored.version.clone(),
        to_contract: name.to_string(),
        to_version: version.to_string(),
    };
    if stored.contract != name {
        return Err(refused());
    }
    let from: semver::Version = stored.version.parse().map_err(|_| refused())?;
    let to: semver::Version = version.parse().map_err(|_| refused())?;
    if from > to {
        return Err(refused());
    }
    if from < PACKED_STORE_SINCE {
        return Err(MigrateError::JsonStore {
            contract: stored.contract,
            from_version: stored.version,
        });
    }
    cw2::set_contract_version(storage, name, version)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::coin;
    use cosmwasm_std::testing::{message_info, MockApi, MockStorage};
    use ve_types::OrderState;

    #[test]
    fn addresses_with_control_characters_are_refused_by_name() {
        let api = MockApi::default();
        let good = api.addr_make("someone").to_string();
        assert_eq!(address(&api, "owner", &good).unwrap().as_str(), good);
        for control in ['\u{0}', '\n', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}'] {
            for at in [0, 7, 8, 20, good.len()] {
                let bad = format!("{}{control}{}", &good[..at], &good[at..]);
                let err = address(&api, "owner", &bad).unwrap_err();
                assert_eq!(
                    err.to_string(),
                    "invalid owner: contains control characters"
                );
            }
        }
        // Not a control character: refused by addr_validate instead.
        let err = address(&api, "owner", &format!("{good}é")).unwrap_err();
        assert!(err.to_string().contains("is not a valid address"), "{err}");
    }

    #[test]
    fn a_report_names_the_entitys_own_provider() {
        let owner = Addr::unchecked("cosmwasm1owner");
        assert_eq!(
            ensure_provider("job", "c/1", &owner, "cosmwasm1owner"),
            Ok(())
        );
        for other in ["cosmwasm1other", "COSMWASM1OWNER", "cosmwasm1owner ", ""] {
            let err = ensure_provider("job", "c/1", &owner, other).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("job c/1 belongs to cosmwasm1owner, not to {other}")
            );
        }
    }

    #[derive(Debug, PartialEq)]
    enum ReportError {
        Field(FieldError),
        Foreign(ForeignEntity),
    }
    impl From<FieldError> for ReportError {
        fn from(e: FieldError) -> Self {
            ReportError::Field(e)
        }
    }
    impl From<ForeignEntity> for ReportError {
        fn from(e: ForeignEntity) -> Self {
            ReportError::Foreign(e)
        }
    }

    #[test]
    fn the_callback_contract_names_whom_it_reports_for() {
        let owner = Addr::unchecked("cosmwasm1owner");
        let check = |provider, from_callback| {
            ensure_reported_for::<ReportError>(
                "job",
                "c/1",
                &owner,
                provider,
                from_callback,
                "reports",
            )
        };
        // The provider itself may leave the name out; a named one must own it.
        assert_eq!(check(None, false), Ok(()));
        for from_callback in [false, true] {
            assert_eq!(check(Some("cosmwasm1owner"), from_callback), Ok(()));
            assert!(matches!(
                check(Some("cosmwasm1other"), from_callback),
                Err(ReportError::Foreign(_))
            ));
        }
        match check(None, true) {
            Err(ReportError::Field(e)) => assert_eq!(
                e.to_string(),
                "invalid provider: the callback contract names the provider it reports for"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn migration_rules() {
        let mut storage = MockStorage::new();
        cw2::set_contract_version(&mut storage, "crates.io:a", "1.2.0").unwrap();
        assert!(migrate_version(&mut storage, "crates.io:a", "1.2.0").is_ok());
        let res = migrate_version(&mut storage, "crates.io:a", "1.10.0").unwrap();
        assert!(res
            .attributes
            .iter()
            .any(|a| a.key == "from_version" && a.value == "1.2.0"));
        let err = migrate_version(&mut storage, "crates.io:a", "1.9.9").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot migrate from crates.io:a 1.10.0 to crates.io:a 1.9.9"
        );
        let err = migrate_version(&mut storage, "crates.io:b", "9.0.0").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("cannot migrate from crates.io:a"));
        cw2::set_contract_version(&mut storage, "crates.io:a", "0.1.9").unwrap();
        let err = migrate_version(&mut storage, "crates.io:a", "1.10.0").unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot migrate from crates.io:a 0.1.9: its store is JSON, values are packed since 0.2.0; instantiate a new contract"
        );
        let mut empty = MockStorage::new();
        assert!(matches!(
            migrate_version(&mut empty, "crates.io:a", "1.0.0"),
            Err(MigrateError::Std(_))
        ));
    }

    #[test]
    fn transitions_name_everything() {
        assert!(ensure_transition("order", "c/1", OrderState::Open, OrderState::Matched).is_ok());
        let err =
            ensure_transition("order", "c/1", OrderState::Open, OrderState::Active).unwrap_err();
        assert_eq!(err.to_string(), "order c/1 cannot go from open to active");
    }

    #[test]
    fn funds_and_addresses() {
        let api = MockApi::default();
        let who = api.addr_make("who");
        assert!(no_funds(&message_info(&who, &[])).is_ok());
        assert_eq!(
            no_funds(&message_info(&who, &[coin(1, "a"), coin(2, "b")]))
                .unwrap_err()
                .to_string(),
            "this message takes no funds, got [1a, 2b]"
        );
        assert!(exact_funds(&message_info(&who, &[coin(5, "a")]), coin(5, "a")).is_ok());
        let err = exact_funds(
            &message_info(&who, &[coin(5, "a"), coin(1, "b")]),
            coin(5, "a"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "wrong funds: expected exactly 5a, got [5a, 1b]"
        );
        assert_eq!(bank_send(&who, Uint128::zero(), "a"), None);
        assert!(address(&api, "owner", who.as_str()).is_ok());
        assert!(address(&api, "owner", "Bad")
            .unwrap_err()
            .to_string()
            .starts_with("invalid owner: \"Bad\""));
        assert_eq!(page_size(None), 10);
        assert!(cursor_of_owner(&who, &who, "w/1", "an order").is_ok());
        let other = api.addr_make("other");
        assert_eq!(
            cursor_of_owner(&other, &who, "o/1", "an order")
                .unwrap_err()
                .to_string(),
            format!("invalid start_after: o/1 is not an order of {who}")
        );
        assert_eq!(page_size(Some(1_000)), 100);
    }
}
