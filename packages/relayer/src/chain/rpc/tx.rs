//! Transactions: the `submit_callbacks` executes, signing (SIGN_MODE_DIRECT),
//! the outcomes in a transaction's result data, and what a refusal code
//! means for the relayer.

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmrs::proto::cosmos::tx::v1beta1::{SignDoc, TxRaw};
use cosmrs::proto::cosmwasm::wasm::v1::{MsgExecuteContract, MsgExecuteContractResponse};
use cosmrs::proto::prost::Message;
use cosmrs::tx::{Body, Fee, SignerInfo};
use cosmrs::{Any, Coin, Denom};
use ve_interface::waldur_callback::msg::{CallbackOutcome, ExecuteMsg, SignedCallback};

use super::error::{AnswerError, TxBuildError};
use crate::chain::ChainError;

pub const EXECUTE_TYPE_URL: &str = "/cosmwasm.wasm.v1.MsgExecuteContract";
pub const EXECUTE_RESPONSE_TYPE_URL: &str = "/cosmwasm.wasm.v1.MsgExecuteContractResponse";

/// The fee account as the chain knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    pub number: u64,
    pub sequence: u64,
}

/// Gas limit and fee of one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeePlan {
    pub gas_limit: u64,
    pub amount: u128,
    pub denom: String,
}

/// One `submit_callbacks` execute per `per_execute` callbacks, in order,
/// all for the one transaction.
pub fn execute_messages(
    sender: &str,
    contract: &str,
    callbacks: &[SignedCallback],
    per_execute: usize,
) -> Result<Vec<Any>, TxBuildError> {
    callbacks
        .chunks(per_execute.max(1))
        .map(|chunk| {
            let msg = serde_json::to_vec(&ExecuteMsg::SubmitCallbacks {
                callbacks: chunk.to_vec(),
            })
            .map_err(|e| TxBuildError::Encoding {
                what: "submit_callbacks",
                error: e.to_string(),
            })?;
            let execute = MsgExecuteContract {
                sender: sender.to_string(),
                contract: contract.to_string(),
                msg,
                funds: vec![],
            };
            Ok(Any {
                type_url: EXECUTE_TYPE_URL.into(),
                value: execute.encode_to_vec(),
            })
        })
        .collect()
}

/// What is signed and sent, apart from the signature.
pub struct Unsigned {
    body_bytes: Vec<u8>,
    auth_info_bytes: Vec<u8>,
}

/// Encodes body and auth info; `fee: None` is the simulation form (no fee,
/// no gas limit).
pub fn unsigned_tx(
    key: &SigningKey,
    messages: Vec<Any>,
    memo: &str,
    sequence: u64,
    fee: Option<&FeePlan>,
) -> Result<Unsigned, TxBuildError> {
    let body_bytes =
        Body::new(messages, memo, 0u32)
            .into_bytes()
            .map_err(|e| TxBuildError::Encoding {
                what: "tx body",
                error: e.to_string(),
            })?;
    let fee = match fee {
        None => Fee {
            amount: vec![],
            gas_limit: 0,
            payer: None,
            granter: None,
        },
        Some(plan) => {
            let denom: Denom =
                plan.denom
                    .parse()
                    .map_err(
                        |e: <Denom as std::str::FromStr>::Err| TxBuildError::FeeDenom {
                            denom: plan.denom.clone(),
                            error: e.to_string(),
                        },
                    )?;
            Fee::from_amount_and_gas(
                Coin {
                    denom,
                    amount: plan.amount,
                },
                plan.gas_limit,
            )
        }
    };
    let auth_info_bytes = SignerInfo::single_direct(Some(key.public_key()), sequence)
        .auth_info(fee)
        .into_bytes()
        .map_err(|e| TxBuildError::Encoding {
            what: "tx auth info",
            error: e.to_string(),
        })?;
    Ok(Unsigned {
        body_bytes,
        auth_info_bytes,
    })
}

impl Unsigned {
    /// SIGN_MODE_DIRECT: the signature covers body, auth info (fee and
    /// sequence), chain id and account number.
    pub fn sign(
        self,
        key: &SigningKey,
        chain_id: &str,
        account_number: u64,
    ) -> Result<Vec<u8>, TxBuildError> {
        let sign_doc = SignDoc {
            body_bytes: self.body_bytes.clone(),
            auth_info_bytes: self.auth_info_bytes.clone(),
            chain_id: chain_id.to_string(),
            account_number,
        };
        let signature = key
            .sign(&sign_doc.encode_to_vec())
            .map_err(|e| TxBuildError::Signing(e.to_string()))?;
        Ok(self.into_raw(signature.to_vec()))
    }

    /// The form `Simulate` takes: an empty signature, as cosmjs sends.
    pub fn for_simulation(self) -> Vec<u8> {
        self.into_raw(Vec::new())
    }

    fn into_raw(self, signature: Vec<u8>) -> Vec<u8> {
        TxRaw {
            body_bytes: self.body_bytes,
            auth_info_bytes: self.auth_info_bytes,
            signatures: vec![signature],
        }
        .encode_to_vec()
    }
}

/// The callback outcomes in a transaction's result data (`TxMsgData`):
/// each execute's response data is the contract's JSON array of outcomes.
pub fn decode_outcomes(tx_msg_data: &[u8]) -> Result<Vec<CallbackOutcome>, AnswerError> {
    let data = TxMsgData::decode(tx_msg_data)
        .map_err(|e| AnswerError::undecodable("tx result data", e))?;
    let responses: Vec<Vec<u8>> = if !data.msg_responses.is_empty() {
        // SDK >= 0.46.
        data.msg_responses
            .iter()
            .map(|any| {
                if any.type_url != EXECUTE_RESPONSE_TYPE_URL {
                    return Err(AnswerError::UnexpectedResponse(any.type_url.clone()));
                }
                MsgExecuteContractResponse::decode(any.value.as_slice())
                    .map(|r| r.data)
                    .map_err(|e| AnswerError::undecodable("execute response", e))
            })
            .collect::<Result<_, _>>()?
    } else {
        // SDK 0.45 put the responses in the now deprecated `data`.
        #[allow(deprecated)]
        data.data
            .iter()
            .map(|m| {
                MsgExecuteContractResponse::decode(m.data.as_slice())
                    .map(|r| r.data)
                    .map_err(|e| AnswerError::undecodable("execute response", e))
            })
            .collect::<Result<_, _>>()?
    };
    let mut outcomes = Vec::new();
    for data in responses {
        let batch: Vec<CallbackOutcome> =
            serde_json::from_slice(&data).map_err(|e| AnswerError::NoOutcomes(e.to_string()))?;
        outcomes.extend(batch);
    }
    Ok(outcomes)
}

/// What a non-zero result code (simulate, CheckTx or the block) means.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    /// The account's sequence moved (another sender, a lost answer):
    /// re-sign with the expected one.
    SequenceMismatch {
        expected: Option<u64>,
    },
    /// This exact transaction is already in the mempool: wait for it.
    AlreadyInMempool,
    Failed(ChainError),
}

const SDK: &str = "sdk";
const SDK_WRONG_SEQUENCE: u32 = 32;
const SDK_TX_IN_MEMPOOL_CACHE: u32 = 19;
const SDK_TX_TOO_LARGE: u32 = 21;

/// The contract (codespace `wasm`) or the size of the batch refused it:
/// `Refused`, so the engine splits the batch and dead-letters the culprit.
/// Anything else is the relayer's account or the node (fees, funds, a
/// wrong chain id or key, gas): the callbacks are not at fault, so
/// `Unavailable` keeps them in the outbox until the operator fixes it.
pub fn classify(code: u32, codespace: &str, log: &str) -> Rejection {
    let codespace_is_sdk = codespace == SDK || codespace.is_empty();
    if codespace_is_sdk && code == SDK_WRONG_SEQUENCE {
        return Rejection::SequenceMismatch {
            expected: expected_sequence(log),
        };
    }
    if codespace_is_sdk && code == SDK_TX_IN_MEMPOOL_CACHE {
        return Rejection::AlreadyInMempool;
    }
    let what = format!("code {code} ({codespace}): {log}");
    if codespace == "wasm" || (codespace_is_sdk && code == SDK_TX_TOO_LARGE) {
        Rejection::Failed(ChainError::Refused(what))
    } else {
        Rejection::Failed(ChainError::Unavailable(what))
    }
}

/// wasmd's message for a contract that returned an error.
const WASM_EXECUTE_FAILED: &str = "execute wasm contract failed";

/// The description of the SDK's wrong-sequence error, which ends its log
/// whether or not the numbers are there.
const WRONG_SEQUENCE: &str = "incorrect account sequence";

/// `Simulate` goes through the gRPC query router, which turns its error
/// into `sdk` code 6 (unknown request) and keeps the original only in the
/// log ("rpc error: code = Unknown desc = account sequence mismatch, ..."):
/// read the log where the code says nothing.
pub fn classify_simulation(code: u32, codespace: &str, log: &str) -> Rejection {
    match classify(code, codespace, log) {
        Rejection::Failed(ChainError::Unavailable(what)) => {
            if log.contains("account sequence mismatch") || log.contains(WRONG_SEQUENCE) {
                Rejection::SequenceMismatch {
                    expected: expected_sequence(log),
                }
            } else if log.contains(WASM_EXECUTE_FAILED) {
                Rejection::Failed(ChainError::Refused(what))
            } else {
                Rejection::Failed(ChainError::Unavailable(what))
            }
        }
        other => other,
    }
}

/// The SDK says `account sequence mismatch, expected 7, got 6: ...`.
pub fn expected_sequence(log: &str) -> Option<u64> {
    const MARK: &str = "expected ";
    let start = log.find(MARK)?.checked_add(MARK.len())?;
    let digits: String = log
        .get(start..)?
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_expected_sequence() {
        assert_eq!(
            expected_sequence(
                "account sequence mismatch, expected 7, got 6: incorrect account sequence"
            ),
            Some(7)
        );
        assert_eq!(expected_sequence("incorrect account sequence"), None);
        assert_eq!(expected_sequence("expected , got 1"), None);
    }

    #[test]
    fn a_node_that_just_restarted_is_unavailable_not_a_refusal() {
        // wasmd 0.70 right after a restart, before it committed a block:
        // the simulation's context has no block time and the keeper panics
        // (seen on the devnet; the log is shortened).
        let log = "rpc error: code = Unknown desc = recovered: Block (unix) time must never \
                   be empty or negative \nstack:\ngoroutine 115 [running]:\n\
                   github.com/CosmWasm/wasmd/x/wasm/keeper.Keeper.execute(...)\n: panic \
                   [cosmos/cosmos-sdk@v0.54.0/baseapp/recovery.go:72] with gas used: '115378': \
                   unknown request";
        assert!(matches!(
            classify_simulation(6, "sdk", log),
            Rejection::Failed(ChainError::Unavailable(_))
        ));
    }

    #[test]
    fn classifies_refusals() {
        assert_eq!(
            classify(32, "sdk", "account sequence mismatch, expected 3, got 2"),
            Rejection::SequenceMismatch { expected: Some(3) }
        );
        assert!(matches!(
            classify(5, "wasm", "execute wasm contract failed"),
            Rejection::Failed(ChainError::Refused(_))
        ));
        assert!(matches!(
            classify(13, "sdk", "insufficient fee"),
            Rejection::Failed(ChainError::Unavailable(_))
        ));
        assert!(matches!(
            classify(4, "sdk", "signature verification failed"),
            Rejection::Failed(ChainError::Unavailable(_))
        ));
        assert_eq!(classify(19, "sdk", ""), Rejection::AlreadyInMempool);
    }

    #[test]
    fn reads_simulation_errors_from_the_log() {
        let wrapped = |inner: &str| {
            format!("rpc error: code = Unknown desc = {inner} With gas wanted: '0' and gas used: '1234' : unknown request")
        };
        assert_eq!(
            classify_simulation(
                6,
                "sdk",
                &wrapped(
                    "account sequence mismatch, expected 9, got 8: incorrect account sequence"
                )
            ),
            Rejection::SequenceMismatch { expected: Some(9) }
        );
        assert_eq!(
            classify_simulation(6, "sdk", &wrapped("incorrect account sequence")),
            Rejection::SequenceMismatch { expected: None }
        );
        assert!(matches!(
            classify_simulation(
                6,
                "sdk",
                &wrapped("failed to execute message; message index: 0: expired: execute wasm contract failed")
            ),
            Rejection::Failed(ChainError::Refused(_))
        ));
        assert!(matches!(
            classify_simulation(6, "sdk", &wrapped("insufficient funds")),
            Rejection::Failed(ChainError::Unavailable(_))
        ));
    }

    #[test]
    fn outcomes_from_both_sdk_layouts() {
        let response = |json: &str| MsgExecuteContractResponse {
            data: json.as_bytes().to_vec(),
        };
        let modern = TxMsgData {
            #[allow(deprecated)]
            data: vec![],
            msg_responses: vec![
                Any {
                    type_url: EXECUTE_RESPONSE_TYPE_URL.into(),
                    value: response(r#"["processed"]"#).encode_to_vec(),
                },
                Any {
                    type_url: EXECUTE_RESPONSE_TYPE_URL.into(),
                    value: response(r#"["already_processed","processed"]"#).encode_to_vec(),
                },
            ],
        };
        assert_eq!(
            decode_outcomes(&modern.encode_to_vec()),
            Ok(vec![
                CallbackOutcome::Processed,
                CallbackOutcome::AlreadyProcessed,
                CallbackOutcome::Processed
            ])
        );
        #[allow(deprecated)]
        let legacy = TxMsgData {
            data: vec![cosmrs::proto::cosmos::base::abci::v1beta1::MsgData {
                msg_type: EXECUTE_TYPE_URL.into(),
                data: response(r#"["processed"]"#).encode_to_vec(),
            }],
            msg_responses: vec![],
        };
        assert_eq!(
            decode_outcomes(&legacy.encode_to_vec()),
            Ok(vec![CallbackOutcome::Processed])
        );
        let empty = TxMsgData {
            #[allow(deprecated)]
            data: vec![],
            msg_responses: vec![Any {
                type_url: EXECUTE_RESPONSE_TYPE_URL.into(),
                value: MsgExecuteContractResponse { data: vec![] }.encode_to_vec(),
            }],
        };
        assert!(decode_outcomes(&empty.encode_to_vec()).is_err());
    }
}
