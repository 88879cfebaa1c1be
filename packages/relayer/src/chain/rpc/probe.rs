//! The health monitor's view of the node: `status` for the head, the bank
//! module's `Balance` query (through `abci_query`, like the account query)
//! for the fee account.

use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmrs::proto::prost::Message;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;

use super::error::AnswerError;
use super::node::NodeRpc;
use crate::chain::probe::{Balance, ChainHead, ChainProbe, ProbeError};

pub const BALANCE_QUERY_PATH: &str = "/cosmos.bank.v1beta1.Query/Balance";

pub struct RpcProbe {
    pub(super) node: NodeRpc,
    pub(super) address: String,
    pub(super) denom: String,
}

impl ChainProbe for RpcProbe {
    fn head(&self) -> BoxFuture<'_, Result<ChainHead, ProbeError>> {
        async move {
            let status = self.node.status().await?;
            let time = status.sync_info.latest_block_time;
            let block_time = u64::try_from(time.unix_timestamp())
                .map_err(|_| AnswerError::BlockTime(time.to_string()))?;
            Ok(ChainHead {
                height: status.sync_info.latest_block_height.value(),
                block_time,
            })
        }
        .boxed()
    }

    fn fee_balance(&self) -> BoxFuture<'_, Result<Balance, ProbeError>> {
        async move {
            let request = QueryBalanceRequest {
                address: self.address.clone(),
                denom: self.denom.clone(),
            };
            let answer = self
                .node
                .abci_query(BALANCE_QUERY_PATH, &request.encode_to_vec())
                .await?;
            if answer.code.is_err() {
                return Err(AnswerError::BalanceRefused {
                    address: self.address.clone(),
                    log: answer.log.clone(),
                }
                .into());
            }
            let amount = decode_balance(&answer.value)?;
            Ok(Balance {
                address: self.address.clone(),
                denom: self.denom.clone(),
                amount,
            })
        }
        .boxed()
    }
}

/// The amount of a `QueryBalanceResponse`; an account the chain has never
/// seen has no coin, which is 0.
pub fn decode_balance(value: &[u8]) -> Result<u128, AnswerError> {
    let response = QueryBalanceResponse::decode(value)
        .map_err(|e| AnswerError::undecodable("balance answer", e))?;
    match response.balance {
        None => Ok(0),
        Some(coin) => {
            coin.amount
                .parse()
                .map_err(|e: std::num::ParseIntError| AnswerError::BalanceAmount {
                    amount: coin.amount.clone(),
                    error: e.to_string(),
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use cosmrs::proto::cosmos::base::v1beta1::Coin;

    use super::*;

    #[test]
    fn decodes_a_balance_and_refuses_garbage() {
        let answer = QueryBalanceResponse {
            balance: Some(Coin {
                denom: "uvirt".into(),
                amount: "123456789012345678901".into(),
            }),
        }
        .encode_to_vec();
        assert_eq!(decode_balance(&answer), Ok(123_456_789_012_345_678_901));
        assert_eq!(
            decode_balance(&QueryBalanceResponse { balance: None }.encode_to_vec()),
            Ok(0)
        );
        let bad = QueryBalanceResponse {
            balance: Some(Coin {
                denom: "uvirt".into(),
                amount: "-1".into(),
            }),
        }
        .encode_to_vec();
        assert!(decode_balance(&bad).is_err());
        assert!(decode_balance(&[0xff]).is_err());
    }
}
