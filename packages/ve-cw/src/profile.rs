//! Where an execute's VM gas goes, seen from its entry point: bench builds
//! only (the contract's `gas-profile` feature, `scripts/build-wasm.sh
//! --profile`), never deployed, and nothing inside the handlers.
//!
//! [`gas_profile_entry_point!`](crate::gas_profile_entry_point) exports the
//! contract's `execute` wrapped between two `api.debug` calls; the VM hands
//! its debug handler the gas left at each (tests/vm `gas_steps`), which
//! splits every execute into the entry (the VM's call, cosmwasm-std parsing
//! env, info and message), the contract's own handler, and the answer
//! written for the VM.

/// The debug message sent when cosmwasm-std has parsed env, info and
/// message, just before the contract's handler runs.
pub const PARSED: &str = "entry: env, info and message parsed";
/// The debug message sent when the contract's handler has returned.
pub const HANDLED: &str = "the contract's execute (handler)";

/// Exports `execute` as `$execute` wrapped between the [`PARSED`] and
/// [`HANDLED`] debug calls, when the contract is built with its
/// `gas-profile` feature (and not as a library). The contract's own
/// `#[entry_point]` on `execute` is then left out:
///
/// ```ignore
/// ve_cw::gas_profile_entry_point!(
///     crate::contract::execute,
///     crate::msg::ExecuteMsg,
///     crate::ContractError
/// );
/// #[cfg_attr(not(any(feature = "library", feature = "gas-profile")), entry_point)]
/// pub fn execute(..) -> Result<Response, ContractError> { .. }
/// ```
#[macro_export]
macro_rules! gas_profile_entry_point {
    ($execute:path, $msg:ty, $error:ty) => {
        // Public so a host build with the feature (clippy) does not see a
        // function it never calls: the export itself exists only on wasm.
        #[cfg(all(feature = "gas-profile", not(feature = "library")))]
        #[doc(hidden)]
        pub mod __ve_gas_profile {
            #[::cosmwasm_std::entry_point]
            pub fn execute(
                deps: ::cosmwasm_std::DepsMut,
                env: ::cosmwasm_std::Env,
                info: ::cosmwasm_std::MessageInfo,
                msg: $msg,
            ) -> Result<::cosmwasm_std::Response, $error> {
                let api = deps.api;
                api.debug($crate::profile::PARSED);
                let result = $execute(deps, env, info, msg);
                api.debug($crate::profile::HANDLED);
                result
            }
        }
    };
}
