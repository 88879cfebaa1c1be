//! The two-step admin transfer (`ve_cw::admin`) checked the same way on
//! every contract: each contract's suite hands over its own messages and
//! parties, so the four contracts are held to one scenario.

use cosmwasm_std::{coin, Addr};
use cw_multi_test::{App, AppResponse, Executor};
use serde::Serialize;
use serde_json::Value;
use ve_cw::admin::{Expiration, PendingAdmin};

use crate::{advance, exec_fails, has_attr, Watch, DENOM};

/// One contract's messages for the transfer, in its own types.
pub struct AdminTransferMsgs<M, Q> {
    /// `propose_admin { new_admin, expiry }`.
    pub propose: fn(&Addr, Option<Expiration>) -> M,
    /// `accept_admin {}`.
    pub accept: M,
    /// `cancel_admin_transfer {}`.
    pub cancel: M,
    /// An `update_config` only the admin may send (it must succeed for the
    /// admin), to prove who the admin is.
    pub admin_only: M,
    /// `pending_admin {}`.
    pub pending_query: Q,
    /// `config {}` (its answer has an `admin` field).
    pub config_query: Q,
}

/// The accounts taking part (the scenario funds them with `DENOM` to
/// attach funds that must be refused).
pub struct AdminTransferParties {
    pub contract: Addr,
    pub admin: Addr,
    pub next: Addr,
    pub stranger: Addr,
}

fn pending<Q: Serialize>(app: &App, contract: &Addr, query: &Q) -> Option<PendingAdmin> {
    app.wrap()
        .query_wasm_smart(contract, query)
        .expect("query pending_admin")
}

fn config_admin<Q: Serialize>(app: &App, contract: &Addr, query: &Q) -> String {
    let config: Value = app
        .wrap()
        .query_wasm_smart(contract, query)
        .expect("query config");
    config["admin"]
        .as_str()
        .expect("the config names its admin")
        .to_string()
}

fn exec_ok<M: Serialize + std::fmt::Debug>(
    app: &mut App,
    sender: &Addr,
    contract: &Addr,
    msg: &M,
) -> AppResponse {
    app.execute_contract(sender.clone(), contract.clone(), msg, &[])
        .unwrap_or_else(|e| panic!("{msg:?} from {sender} should succeed: {e}"))
}

fn assert_contains(err: &str, expected: &str) {
    assert!(err.contains(expected), "expected {expected:?} in: {err}");
}

/// Runs the whole scenario: refusals (stranger proposes, wrong acceptor,
/// funds attached, cancel by non-admin, cancel then accept, expired
/// proposal), each proven to change no state or balance; then a proposal
/// accepted moves the admin: the new admin may update the config and the
/// old one may not.
pub fn check_admin_transfer<M, Q>(
    app: &mut App,
    parties: &AdminTransferParties,
    msgs: &AdminTransferMsgs<M, Q>,
) where
    M: Serialize + std::fmt::Debug,
    Q: Serialize,
{
    // Funds to attach to the messages that must refuse them.
    crate::fund_all(
        app,
        &[&parties.admin, &parties.next, &parties.stranger],
        &[DENOM],
    )
    .expect("fund the parties");
    let AdminTransferParties {
        contract,
        admin,
        next,
        stranger,
    } = parties;
    let watch = Watch::storage_of(&[contract]).with_balances(&[admin, next, stranger], &[DENOM]);
    let propose = |expiry| (msgs.propose)(next, expiry);
    let one_coin = [coin(1, DENOM)];

    // Only the admin proposes, without funds; nothing is pending yet.
    let err = exec_fails(app, &watch, stranger, contract, &propose(None), &[]);
    assert_contains(
        &err,
        &format!("only the admin {admin} may propose a new admin, not {stranger}"),
    );
    let err = exec_fails(app, &watch, admin, contract, &propose(None), &one_coin);
    assert_contains(&err, "this message takes no funds, got [1");
    let err = exec_fails(app, &watch, next, contract, &msgs.accept, &[]);
    assert_contains(&err, "no admin transfer is pending");
    assert_eq!(pending(app, contract, &msgs.pending_query), None);

    // A proposal: only the proposed account accepts; only the admin cancels.
    let res = exec_ok(app, admin, contract, &propose(None));
    assert!(has_attr(&res, "action", "propose_admin"));
    assert!(has_attr(&res, "admin", admin.as_str()));
    assert!(has_attr(&res, "pending_admin", next.as_str()));
    assert_eq!(
        pending(app, contract, &msgs.pending_query),
        Some(PendingAdmin {
            new_admin: next.clone(),
            expiry: None
        })
    );
    let err = exec_fails(app, &watch, stranger, contract, &msgs.accept, &[]);
    assert_contains(
        &err,
        &format!("the pending admin is {next}, not {stranger}"),
    );
    let err = exec_fails(app, &watch, next, contract, &msgs.accept, &one_coin);
    assert_contains(&err, "this message takes no funds");
    for not_admin in [next, stranger] {
        let err = exec_fails(app, &watch, not_admin, contract, &msgs.cancel, &[]);
        assert_contains(
            &err,
            &format!("only the admin {admin} may cancel an admin transfer, not {not_admin}"),
        );
    }
    let err = exec_fails(app, &watch, admin, contract, &msgs.cancel, &one_coin);
    assert_contains(&err, "this message takes no funds");

    // Cancelled: nothing left to accept.
    let res = exec_ok(app, admin, contract, &msgs.cancel);
    assert!(has_attr(&res, "action", "cancel_admin_transfer"));
    assert!(has_attr(&res, "pending_admin", next.as_str()));
    assert_eq!(pending(app, contract, &msgs.pending_query), None);
    let err = exec_fails(app, &watch, next, contract, &msgs.accept, &[]);
    assert_contains(&err, "no admin transfer is pending");
    assert_eq!(
        config_admin(app, contract, &msgs.config_query),
        admin.as_str()
    );

    // An expired proposal cannot be accepted.
    let now = app.block_info().time;
    let expiry = Expiration::AtTime(now.plus_seconds(100));
    let res = exec_ok(app, admin, contract, &propose(Some(expiry)));
    assert!(has_attr(&res, "expiry", &expiry.to_string()));
    advance(app, 100);
    let err = exec_fails(app, &watch, next, contract, &msgs.accept, &[]);
    assert_contains(
        &err,
        &format!("the admin transfer to {next} expired ({expiry})"),
    );

    // A new proposal replaces it; accepting moves the admin.
    exec_ok(app, admin, contract, &propose(None));
    let res = exec_ok(app, next, contract, &msgs.accept);
    assert!(has_attr(&res, "action", "accept_admin"));
    assert!(has_attr(&res, "admin", next.as_str()));
    assert!(has_attr(&res, "previous_admin", admin.as_str()));
    assert_eq!(
        config_admin(app, contract, &msgs.config_query),
        next.as_str()
    );
    assert_eq!(pending(app, contract, &msgs.pending_query), None);

    let err = exec_fails(app, &watch, admin, contract, &msgs.admin_only, &[]);
    assert_contains(&err, "may only be done by the admin");
    let err = exec_fails(app, &watch, admin, contract, &propose(None), &[]);
    assert_contains(
        &err,
        &format!("only the admin {next} may propose a new admin, not {admin}"),
    );
    exec_ok(app, next, contract, &msgs.admin_only);
}
