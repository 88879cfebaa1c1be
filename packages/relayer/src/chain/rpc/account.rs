//! The fee account's number and sequence, from the auth module
//! (`/cosmos.auth.v1beta1.Query/Account` through `abci_query`).

use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::cosmos::vesting::v1beta1::DelayedVestingAccount;
use cosmrs::proto::prost::Message;
use cosmrs::Any;

use super::error::AnswerError;
use super::tx::Account;

pub const ACCOUNT_QUERY_PATH: &str = "/cosmos.auth.v1beta1.Query/Account";
const BASE_ACCOUNT: &str = "/cosmos.auth.v1beta1.BaseAccount";
const VESTING_ACCOUNTS: [&str; 4] = [
    "/cosmos.vesting.v1beta1.ContinuousVestingAccount",
    "/cosmos.vesting.v1beta1.DelayedVestingAccount",
    "/cosmos.vesting.v1beta1.PeriodicVestingAccount",
    "/cosmos.vesting.v1beta1.PermanentLockedAccount",
];

pub fn account_request(address: &str) -> Vec<u8> {
    QueryAccountRequest {
        address: address.to_string(),
    }
    .encode_to_vec()
}

/// Decodes the query answer; vesting accounts carry the base account in
/// their field 1 (`base_vesting_account.base_account`).
pub fn decode_account_response(value: &[u8]) -> Result<Account, AnswerError> {
    let response = QueryAccountResponse::decode(value)
        .map_err(|e| AnswerError::undecodable("account answer", e))?;
    let any: Any = response.account.ok_or(AnswerError::NoAccount)?;
    let base = if any.type_url == BASE_ACCOUNT {
        BaseAccount::decode(any.value.as_slice())
            .map_err(|e| AnswerError::undecodable("base account", e))?
    } else if VESTING_ACCOUNTS.contains(&any.type_url.as_str()) {
        // All four share field 1; the other fields are skipped.
        DelayedVestingAccount::decode(any.value.as_slice())
            .map_err(|e| AnswerError::undecodable("vesting account", e))?
            .base_vesting_account
            .and_then(|v| v.base_account)
            .ok_or(AnswerError::VestingWithoutBase)?
    } else {
        return Err(AnswerError::NotPlainAccount(any.type_url));
    };
    Ok(Account {
        number: base.account_number,
        sequence: base.sequence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmrs::proto::cosmos::vesting::v1beta1::{BaseVestingAccount, ContinuousVestingAccount};

    fn answer(any: Any) -> Vec<u8> {
        QueryAccountResponse { account: Some(any) }.encode_to_vec()
    }

    #[test]
    fn decodes_base_and_vesting_accounts() {
        let base = BaseAccount {
            address: "virtengine1x".into(),
            pub_key: None,
            account_number: 12,
            sequence: 34,
        };
        let plain = Any {
            type_url: BASE_ACCOUNT.into(),
            value: base.encode_to_vec(),
        };
        let expected = Account {
            number: 12,
            sequence: 34,
        };
        assert_eq!(decode_account_response(&answer(plain)), Ok(expected));
        let vesting = ContinuousVestingAccount {
            base_vesting_account: Some(BaseVestingAccount {
                base_account: Some(base),
                original_vesting: vec![],
                delegated_free: vec![],
                delegated_vesting: vec![],
                end_time: 99,
            }),
            start_time: 1,
        };
        let vesting = Any {
            type_url: VESTING_ACCOUNTS[0].into(),
            value: vesting.encode_to_vec(),
        };
        assert_eq!(decode_account_response(&answer(vesting)), Ok(expected));
        let module = Any {
            type_url: "/cosmos.auth.v1beta1.ModuleAccount".into(),
            value: vec![],
        };
        assert!(decode_account_response(&answer(module)).is_err());
        assert!(decode_account_response(&[0xff]).is_err());
    }
}
