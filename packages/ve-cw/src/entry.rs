//! `execute` and `query` exports that write their answer with
//! [`crate::json_out`] instead of serde_json.
//!
//! cosmwasm-std's `do_execute` / `do_query` still parse the env, info and
//! message and build the `Deps`; the contract's function runs inside them
//! and its answer is set aside, so they serialise only an empty one (about
//! 60 bytes), which is freed. The answer is then written by hand into a new
//! region for the VM. A region is the VM's ABI (`offset`, `capacity`,
//! `length` as u32, boxed; the VM frees it with the contract's
//! `deallocate`); beyond that ABI this relies only on `do_execute` /
//! `do_query` calling the closure at most once, which the real-VM tests
//! exercise (re-run `tests/vm` after a cosmwasm-std upgrade).
//! Errors pass through unchanged.
//!
//! Use [`fast_entry_points!`](crate::fast_entry_points) in place of
//! `#[entry_point]` on `execute` and `query`.

#[cfg(target_arch = "wasm32")]
mod wasm {
    use core::cell::RefCell;

    use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, QueryResponse, Response};
    use serde::de::DeserializeOwned;

    use crate::json_out;

    /// The VM's view of a byte buffer in contract memory.
    #[repr(C)]
    struct Region {
        offset: u32,
        capacity: u32,
        length: u32,
    }

    fn into_region(bytes: Vec<u8>) -> u32 {
        let mut bytes = core::mem::ManuallyDrop::new(bytes);
        let region = Region {
            offset: bytes.as_mut_ptr() as u32,
            capacity: bytes.capacity() as u32,
            length: bytes.len() as u32,
        };
        Box::into_raw(Box::new(region)) as u32
    }

    /// Frees a region cosmwasm-std returned (its `Region::from_vec(..)
    /// .to_heap_ptr()`: the same layout).
    ///
    /// # Safety
    /// `ptr` is a region this module's caller got from `do_execute` /
    /// `do_query` and has not passed on.
    unsafe fn free_region(ptr: u32) {
        let region = Box::from_raw(ptr as *mut Region);
        drop(Vec::from_raw_parts(
            region.offset as *mut u8,
            region.length as usize,
            region.capacity as usize,
        ));
    }

    pub fn execute<M, E>(
        execute_fn: &dyn Fn(DepsMut, Env, MessageInfo, M) -> Result<Response, E>,
        env_ptr: u32,
        info_ptr: u32,
        msg_ptr: u32,
    ) -> u32
    where
        M: DeserializeOwned,
        E: ToString,
    {
        let answer: RefCell<Option<Response>> = RefCell::new(None);
        let set_aside = |deps: DepsMut, env: Env, info: MessageInfo, msg: M| {
            let response = execute_fn(deps, env, info, msg)?;
            *answer.borrow_mut() = Some(response);
            Ok::<Response, E>(Response::new())
        };
        let placeholder = cosmwasm_std::do_execute(&set_aside, env_ptr, info_ptr, msg_ptr);
        match answer.into_inner() {
            Some(response) => {
                // SAFETY: `placeholder` came from do_execute and goes nowhere else.
                unsafe { free_region(placeholder) };
                into_region(json_out::ok_response(&response))
            }
            // The message did not parse or the contract returned an error:
            // cosmwasm-std's answer is the one to give.
            None => placeholder,
        }
    }

    pub fn query<M, E>(
        query_fn: &dyn Fn(Deps, Env, M) -> Result<QueryResponse, E>,
        env_ptr: u32,
        msg_ptr: u32,
    ) -> u32
    where
        M: DeserializeOwned,
        E: ToString,
    {
        let answer: RefCell<Option<Binary>> = RefCell::new(None);
        let set_aside = |deps: Deps, env: Env, msg: M| {
            let binary = query_fn(deps, env, msg)?;
            *answer.borrow_mut() = Some(binary);
            Ok::<Binary, E>(Binary::default())
        };
        let placeholder = cosmwasm_std::do_query(&set_aside, env_ptr, msg_ptr);
        match answer.into_inner() {
            Some(binary) => {
                // SAFETY: as in `execute`.
                unsafe { free_region(placeholder) };
                into_region(json_out::ok_binary(&binary))
            }
            None => placeholder,
        }
    }
}

#[cfg(target_arch = "wasm32")]
pub use wasm::{execute, query};

/// Exports `execute` and `query` through [`crate::entry`] for a contract
/// built for wasm; like `#[entry_point]`, the contract's `library` feature
/// (which every contract here declares) leaves them out:
///
/// ```ignore
/// ve_cw::fast_entry_points!(crate::contract::execute, crate::contract::query);
/// ```
#[macro_export]
macro_rules! fast_entry_points {
    ($execute:path, $query:path) => {
        #[cfg(all(target_arch = "wasm32", not(feature = "library")))]
        mod __ve_fast_entry_points {
            #[no_mangle]
            extern "C" fn execute(env_ptr: u32, info_ptr: u32, msg_ptr: u32) -> u32 {
                $crate::entry::execute(&$execute, env_ptr, info_ptr, msg_ptr)
            }

            #[no_mangle]
            extern "C" fn query(env_ptr: u32, msg_ptr: u32) -> u32 {
                $crate::entry::query(&$query, env_ptr, msg_ptr)
            }
        }
    };
}
