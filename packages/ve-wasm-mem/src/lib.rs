//! `memcpy`, `memmove`, `memset` and the global allocator for the
//! contracts' wasm builds (the allocator: see [`heap`]).
//!
//! Rust's precompiled compiler-builtins implements them with bulk-memory
//! instructions, which CosmWasm rejects; binaryen lowers those to loops that
//! move one byte per iteration, and the VM charges gas per instruction. The
//! contracts are built for the wasm MVP, so their own code calls these
//! symbols: these versions move 8 bytes per iteration, and the last
//! partial word as one overlapping word instead of a byte loop (measured:
//! about 7% less gas per marketplace execute for the word loop, another 5%
//! for the tails).
//!
//! `no_builtins` stops LLVM from turning these loops back into calls to
//! themselves.
#![no_std]
#![no_builtins]

use core::ptr::{read_unaligned, write_unaligned};

pub mod heap;

/// The contracts' allocator (see [`heap`]).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static HEAP: heap::SizeClassAllocator<heap::WasmMemory> =
    heap::SizeClassAllocator::new(heap::WasmMemory);

const WORD: usize = 8;

/// Copies fewer than [`WORD`] bytes with at most two overlapping loads and
/// stores of the largest size that fits, both loads first (safe when the
/// ranges overlap). The VM charges every branch about 14 instructions, so
/// this beats a byte loop.
///
/// # Safety
/// `src` readable and `dest` writable for `n` bytes, `n < WORD`.
unsafe fn copy_short(dest: *mut u8, src: *const u8, n: usize) {
    if n >= 4 {
        let head = read_unaligned(src as *const u32);
        let tail = read_unaligned(src.add(n - 4) as *const u32);
        write_unaligned(dest as *mut u32, head);
        write_unaligned(dest.add(n - 4) as *mut u32, tail);
    } else if n >= 2 {
        let head = read_unaligned(src as *const u16);
        let tail = read_unaligned(src.add(n - 2) as *const u16);
        write_unaligned(dest as *mut u16, head);
        write_unaligned(dest.add(n - 2) as *mut u16, tail);
    } else if n == 1 {
        *dest = *src;
    }
}

#[inline(always)]
unsafe fn copy_word(dest: *mut u8, src: *const u8, at: usize) {
    write_unaligned(
        dest.add(at) as *mut u64,
        read_unaligned(src.add(at) as *const u64),
    );
}

/// Copies `n` bytes forwards, two words per iteration; the last (possibly
/// partial) word is read before the loop and stored as one word ending at
/// `n`, so no byte loop is left.
///
/// # Safety
/// `src` readable and `dest` writable for `n` bytes; if they overlap,
/// `dest` must not be after `src`.
pub unsafe fn copy_forward(dest: *mut u8, src: *const u8, n: usize) {
    if n < WORD {
        copy_short(dest, src, n);
        return;
    }
    // Read before the loop: with `dest` before `src` the loop may overwrite it.
    let last = read_unaligned(src.add(n - WORD) as *const u64);
    let mut i = 0;
    while i + 2 * WORD < n {
        copy_word(dest, src, i);
        copy_word(dest, src, i + WORD);
        i += 2 * WORD;
    }
    if i + WORD < n {
        copy_word(dest, src, i);
    }
    write_unaligned(dest.add(n - WORD) as *mut u64, last);
}

/// Copies `n` bytes backwards (for `dest` after an overlapping `src`): the
/// mirror of [`copy_forward`], the first word read first and stored last.
///
/// # Safety
/// `src` readable and `dest` writable for `n` bytes.
unsafe fn copy_backward(dest: *mut u8, src: *const u8, n: usize) {
    if n < WORD {
        copy_short(dest, src, n);
        return;
    }
    let first = read_unaligned(src as *const u64);
    let mut i = n;
    while i > 2 * WORD {
        i -= 2 * WORD;
        copy_word(dest, src, i + WORD);
        copy_word(dest, src, i);
    }
    if i > WORD {
        copy_word(dest, src, i - WORD);
    }
    write_unaligned(dest as *mut u64, first);
}

/// Copies `n` bytes where the ranges may overlap.
///
/// # Safety
/// `src` readable and `dest` writable for `n` bytes.
pub unsafe fn copy_overlapping(dest: *mut u8, src: *const u8, n: usize) {
    if (dest as usize) <= (src as usize) || (dest as usize) >= (src as usize) + n {
        // A forward copy reads every word before anything overwrites it.
        copy_forward(dest, src, n);
    } else {
        copy_backward(dest, src, n);
    }
}

/// Sets `n` bytes to `byte`, a word at a time, the last word ending at `n`.
///
/// # Safety
/// `dest` writable for `n` bytes.
pub unsafe fn fill(dest: *mut u8, byte: u8, n: usize) {
    if n < WORD {
        let mut i = 0;
        while i < n {
            *dest.add(i) = byte;
            i += 1;
        }
        return;
    }
    let word = u64::from_ne_bytes([byte; WORD]);
    let mut i = 0;
    while i + WORD < n {
        write_unaligned(dest.add(i) as *mut u64, word);
        i += WORD;
    }
    write_unaligned(dest.add(n - WORD) as *mut u64, word);
}

#[cfg(target_arch = "wasm32")]
mod exports {
    #[no_mangle]
    unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
        super::copy_forward(dest, src, n);
        dest
    }

    #[no_mangle]
    unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
        super::copy_overlapping(dest, src, n);
        dest
    }

    #[no_mangle]
    unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
        super::fill(dest, c as u8, n);
        dest
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;

    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + 3) as u8).collect()
    }

    #[test]
    fn copies_match_the_standard_library_at_every_length_and_offset() {
        for n in 0..70 {
            for (from, to) in [
                (0usize, 0usize),
                (0, 3),
                (5, 0),
                (0, 1),
                (1, 0),
                (0, 8),
                (9, 0),
                (2, 2),
                (0, 16),
                (20, 0),
                (4, 3),
                (3, 12),
            ] {
                // Overlapping moves inside one buffer, both directions.
                let mut ours = pattern(128);
                let mut std_copy = ours.clone();
                std_copy.copy_within(from..from + n, to);
                unsafe { copy_overlapping(ours.as_mut_ptr().add(to), ours.as_ptr().add(from), n) };
                assert_eq!(ours, std_copy, "move n={n} {from}->{to}");
                // Disjoint copies between buffers.
                let src = pattern(128);
                let mut dest = std::vec![0u8; 128];
                unsafe { copy_forward(dest.as_mut_ptr().add(to), src.as_ptr().add(from), n) };
                assert_eq!(&dest[to..to + n], &src[from..from + n]);
                assert!(
                    dest[..to].iter().all(|b| *b == 0) && dest[to + n..].iter().all(|b| *b == 0)
                );
            }
            let mut buf = std::vec![1u8; 96];
            unsafe { fill(buf.as_mut_ptr().add(3), 0xab, n) };
            assert!(buf[3..3 + n].iter().all(|b| *b == 0xab));
            assert!(buf[..3].iter().chain(&buf[3 + n..]).all(|b| *b == 1));
        }
    }
}
