//! Signed callbacks: checks, signature verification (one by one or as a
//! batch), replay protection, and dispatch.

use cosmwasm_std::{
    to_json_binary, Addr, Api, Binary, Deps, DepsMut, Env, Event, MessageInfo, Response, WasmMsg,
};
use ve_types::callback::payload_hash;

use super::dispatch::dispatch;
use super::prune::prune_expired;
use super::{address, token};
use crate::error::ContractError;
use crate::msg::{CallbackOutcome, SignedCallback};
use crate::state::{
    CallbackRecord, Config, PruneEntry, CALLBACKS, CONFIG, EXPIRY_QUEUE, EXPIRY_SEQ, NONCES,
    NONCE_COUNT, SIGNERS,
};

/// Part of the interface (the relayer batches by it).
pub use crate::msg::MAX_BATCH;
pub const MAX_ID_BYTES: usize = 128;
pub const MIN_NONCE_BYTES: usize = 8;

/// A callback that passed every check but the signature.
pub struct Checked<'a> {
    pub callback: &'a SignedCallback,
    pub provider: Addr,
    pub public_key: Binary,
    pub signing_bytes: Vec<u8>,
}

/// Shape, signer, clock and entity-type checks; computes the signing bytes.
/// `previous` is the callback checked before this one in the same message:
/// the callbacks of a batch normally come from one relayer key, which is
/// then validated and read once per message.
pub fn precheck<'a>(
    deps: Deps,
    env: &Env,
    config: &Config,
    previous: Option<&Checked>,
    cb: &'a SignedCallback,
) -> Result<Checked<'a>, ContractError> {
    token("signer_key_id", &cb.signer_key_id, 1, MAX_ID_BYTES)?;
    token("callback_id", &cb.callback_id, 1, MAX_ID_BYTES)?;
    token("waldur_id", &cb.waldur_id, 1, MAX_ID_BYTES)?;
    token("entity_id", &cb.entity_id, 1, MAX_ID_BYTES)?;
    token("nonce", &cb.nonce, MIN_NONCE_BYTES, MAX_ID_BYTES)?;
    if cb.payload.len() > config.max_payload_bytes as usize {
        return Err(ContractError::invalid(
            "payload",
            format!(
                "{} bytes, at most {}",
                cb.payload.len(),
                config.max_payload_bytes
            ),
        ));
    }
    if cb.signature.len() != 64 {
        return Err(ContractError::invalid(
            "signature",
            format!(
                "an ed25519 signature is 64 bytes, got {}",
                cb.signature.len()
            ),
        ));
    }
    if cb.entity_type != cb.action_type.entity_type() {
        return Err(ContractError::invalid(
            "entity_type",
            format!(
                "{} callbacks are about {}s, not {}s",
                cb.action_type.as_str(),
                cb.action_type.entity_type().as_str(),
                cb.entity_type.as_str()
            ),
        ));
    }
    let (provider, public_key) = match previous {
        Some(p)
            if p.callback.provider == cb.provider
                && p.callback.signer_key_id == cb.signer_key_id =>
        {
            (p.provider.clone(), p.public_key.clone())
        }
        _ => {
            let provider = address(deps.api, "provider", &cb.provider)?;
            let signer = SIGNERS
                .may_load(deps.storage, (&provider, &cb.signer_key_id))?
                .ok_or_else(|| ContractError::UnknownSigner {
                    provider: provider.to_string(),
                    key_id: cb.signer_key_id.clone(),
                })?;
            if !signer.active {
                return Err(ContractError::RevokedSigner {
                    provider: provider.to_string(),
                    key_id: cb.signer_key_id.clone(),
                });
            }
            (provider, signer.public_key)
        }
    };
    let now = env.block.time.seconds();
    if cb.timestamp > now.saturating_add(config.max_clock_skew_seconds) {
        return Err(ContractError::FutureTimestamp {
            callback_id: cb.callback_id.clone(),
            timestamp: cb.timestamp,
            now,
        });
    }
    if cb.expires_at <= now {
        return Err(ContractError::Expired {
            callback_id: cb.callback_id.clone(),
            expires_at: cb.expires_at,
            now,
        });
    }
    if cb.expires_at <= cb.timestamp || cb.expires_at - cb.timestamp > config.max_validity_seconds {
        return Err(ContractError::ValidityWindow {
            callback_id: cb.callback_id.clone(),
            max: config.max_validity_seconds,
        });
    }
    // `cb.provider` is `provider` exactly: an address validates only in its
    // normalised form.
    let signing_bytes = cb.signing_bytes(&env.block.chain_id, env.contract.address.as_str())?;
    Ok(Checked {
        callback: cb,
        provider,
        public_key,
        signing_bytes,
    })
}

fn verify_one(api: &dyn Api, c: &Checked) -> Result<(), ContractError> {
    if api.ed25519_verify(&c.signing_bytes, &c.callback.signature, &c.public_key)? {
        Ok(())
    } else {
        Err(ContractError::InvalidSignature {
            provider: c.provider.to_string(),
            callback_id: c.callback.callback_id.clone(),
        })
    }
}

/// One host call for the whole batch; on failure, the callbacks are checked
/// one by one so the error names the bad one.
///
/// When every callback is signed by the same key (a relayer's batch) the key
/// is passed once: the VM prices that form at 36M + 10M VM gas per signature
/// against 24M + 21M for one key per signature (cosmwasm-vm 3.0.10
/// `GasConfig::ed25519_batch_verify_one_pubkey_cost`).
fn verify_batch(api: &dyn Api, checked: &[Checked]) -> Result<(), ContractError> {
    let messages: Vec<&[u8]> = checked.iter().map(|c| c.signing_bytes.as_slice()).collect();
    let signatures: Vec<&[u8]> = checked
        .iter()
        .map(|c| c.callback.signature.as_slice())
        .collect();
    let first = checked.first().map(|c| c.public_key.as_slice());
    let keys: Vec<&[u8]> = match first {
        Some(key) if checked.iter().all(|c| c.public_key.as_slice() == key) => vec![key],
        _ => checked.iter().map(|c| c.public_key.as_slice()).collect(),
    };
    if api.ed25519_batch_verify(&messages, &signatures, &keys)? {
        return Ok(());
    }
    for c in checked {
        verify_one(api, c)?;
    }
    Err(ContractError::invalid(
        "signature",
        "batch verification failed",
    ))
}

/// The expiry-queue sequence and the nonce count, read when the first
/// callback of a message is applied and written once at its end (not once
/// per callback of a batch).
struct Counters {
    seq: u64,
    nonces: u64,
}

/// Replay checks, dispatch, and the nonce/record bookkeeping.
fn apply(
    deps: &mut DepsMut,
    env: &Env,
    config: &Config,
    counters: &mut Option<Counters>,
    c: &Checked,
) -> Result<(CallbackOutcome, Option<WasmMsg>, Event), ContractError> {
    let cb = c.callback;
    let hash = Binary::from(payload_hash(&c.signing_bytes).to_vec());
    let event = Event::new("ve.callback_processed")
        .add_attribute("provider", c.provider.as_str())
        .add_attribute("callback_id", &cb.callback_id)
        .add_attribute("action_type", cb.action_type.as_str())
        .add_attribute("entity_type", cb.entity_type.as_str())
        .add_attribute("entity_id", &cb.entity_id)
        .add_attribute("nonce", &cb.nonce);
    if let Some(record) = CALLBACKS.may_load(deps.storage, (&c.provider, &cb.callback_id))? {
        if record.signing_hash == hash {
            // The same signed callback again: a re-delivery, not an attack.
            return Ok((
                CallbackOutcome::AlreadyProcessed,
                None,
                event.add_attribute("result", "already_processed"),
            ));
        }
        return Err(ContractError::CallbackIdReused {
            provider: c.provider.to_string(),
            callback_id: cb.callback_id.clone(),
        });
    }
    let nonce_key = (&c.provider, cb.signer_key_id.as_str(), cb.nonce.as_str());
    if NONCES.has(deps.storage, nonce_key) {
        return Err(ContractError::ReplayedNonce {
            provider: c.provider.to_string(),
            key_id: cb.signer_key_id.clone(),
            nonce: cb.nonce.clone(),
        });
    }
    let msg = dispatch(config, &c.provider, cb)?;

    NONCES.save(deps.storage, nonce_key, &cb.expires_at)?;
    CALLBACKS.save(
        deps.storage,
        (&c.provider, &cb.callback_id),
        &CallbackRecord {
            signer_key_id: cb.signer_key_id.clone(),
            action_type: cb.action_type,
            entity_type: cb.entity_type,
            entity_id: cb.entity_id.clone(),
            nonce: cb.nonce.clone(),
            signing_hash: hash,
            processed_at: env.block.time,
            expires_at: cb.expires_at,
        },
    )?;
    let counters = match counters {
        Some(loaded) => loaded,
        None => counters.insert(Counters {
            seq: EXPIRY_SEQ.may_load(deps.storage)?.unwrap_or_default(),
            nonces: NONCE_COUNT.may_load(deps.storage)?.unwrap_or_default(),
        }),
    };
    counters.seq += 1;
    counters.nonces += 1;
    EXPIRY_QUEUE.save(
        deps.storage,
        (cb.expires_at, counters.seq),
        &PruneEntry {
            provider: c.provider.clone(),
            signer_key_id: cb.signer_key_id.clone(),
            nonce: cb.nonce.clone(),
            callback_id: cb.callback_id.clone(),
        },
    )?;
    Ok((
        CallbackOutcome::Processed,
        Some(msg),
        event.add_attribute("result", "processed"),
    ))
}

/// Verifies and applies `callbacks` (one, or a batch), then prunes at least
/// twice as many expired nonces as it may have added.
pub fn submit(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    callbacks: Vec<SignedCallback>,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)
        .map_err(|_| ContractError::invalid("funds", "this message takes no funds"))?;
    if callbacks.is_empty() || callbacks.len() > MAX_BATCH {
        return Err(ContractError::invalid(
            "callbacks",
            format!("{} callbacks, must be 1-{MAX_BATCH}", callbacks.len()),
        ));
    }
    let config = CONFIG.load(deps.storage)?;
    let mut checked: Vec<Checked> = Vec::with_capacity(callbacks.len());
    for cb in &callbacks {
        let c = precheck(deps.as_ref(), &env, &config, checked.last(), cb)?;
        checked.push(c);
    }
    match checked.as_slice() {
        [one] => verify_one(deps.api, one)?,
        many => verify_batch(deps.api, many)?,
    }
    let mut response = Response::new().add_attribute("action", "submit_callbacks");
    let mut outcomes = Vec::with_capacity(checked.len());
    let mut counters = None;
    for c in &checked {
        let (outcome, msg, event) = apply(&mut deps, &env, &config, &mut counters, c)?;
        outcomes.push(outcome);
        response = response.add_event(event);
        if let Some(msg) = msg {
            response = response.add_message(msg);
        }
    }
    if let Some(counters) = counters {
        EXPIRY_SEQ.save(deps.storage, &counters.seq)?;
        NONCE_COUNT.save(deps.storage, &counters.nonces)?;
    }
    let budget = config.prune_batch.max(2 * checked.len() as u32);
    let pruned = prune_expired(deps.storage, env.block.time.seconds(), budget)?;
    Ok(response
        .add_attribute("pruned", pruned.to_string())
        .set_data(to_json_binary(&outcomes)?))
}
