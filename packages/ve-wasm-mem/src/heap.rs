//! A size-class allocator for the contracts' wasm builds.
//!
//! Rust's default wasm allocator (dlmalloc) spends many branches per
//! `malloc`/`free` (coalescing, bins, trees), and the VM charges every
//! branch about 14 instructions: in a profiled marketplace execute the
//! allocator was a fifth of the gas. Here every block is a power of two
//! (16 bytes up) with one free list per size: `alloc` pops the list or bumps
//! a pointer, `free` pushes, neither coalesces. A block costs at most twice
//! its request and memory freed in one size is reused only in that size;
//! a contract call is short and starts with a fresh instance on wasmd, so
//! that bound is what matters (tested below: alloc/free loops do not grow
//! memory).

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;

/// Bytes in a wasm page, the unit memory grows in.
pub const PAGE: usize = 65_536;
/// Memory grows at least this many pages at a time (a host call each).
const MIN_GROW_PAGES: usize = 4;
/// log2 of the smallest block: room for the free list's link on any target.
const MIN_CLASS: u32 = 4;
/// Fresh blocks start at this alignment, so a reused block serves any
/// request aligned up to it.
const BLOCK_ALIGN: usize = 16;
const CLASSES: usize = usize::BITS as usize;

/// Where fresh memory comes from: `memory.grow` in a contract, a buffer in
/// the tests.
pub trait PageSource {
    /// Adds `pages` pages; returns the address of the first, or `None` when
    /// memory cannot grow.
    fn grow(&self, pages: usize) -> Option<usize>;
}

pub struct SizeClassAllocator<S> {
    source: S,
    state: UnsafeCell<State>,
}

struct State {
    /// Head of each size's free list (0: empty); a free block's first word
    /// links to the next.
    free: [usize; CLASSES],
    /// Bump pointer into `[next, end)`; `next == 0` before the first grow.
    next: usize,
    end: usize,
}

/// The power of two (as its log2) of the block serving `layout`, `None` when
/// no block that large can exist.
fn class_of(layout: &Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(1 << MIN_CLASS);
    let class = (usize::BITS - (size - 1).leading_zeros()) as usize;
    (class < CLASSES).then_some(class)
}

impl<S: PageSource> SizeClassAllocator<S> {
    pub const fn new(source: S) -> Self {
        SizeClassAllocator {
            source,
            state: UnsafeCell::new(State {
                free: [0; CLASSES],
                next: 0,
                end: 0,
            }),
        }
    }

    /// A fresh block of `size` bytes aligned to `align`, growing memory when
    /// the current span is used up (a span left behind by a non-contiguous
    /// grow is abandoned).
    ///
    /// # Safety
    /// Not reentrant: single-threaded use only.
    unsafe fn bump(&self, size: usize, align: usize) -> *mut u8 {
        let state = &mut *self.state.get();
        if state.next != 0 {
            if let Some(block) = fit(state.next, state.end, size, align) {
                state.next = block + size;
                return block as *mut u8;
            }
        }
        let Some(pages) = size
            .checked_add(align)
            .map(|bytes| bytes.div_ceil(PAGE).max(MIN_GROW_PAGES))
        else {
            return ptr::null_mut();
        };
        let Some(base) = self.source.grow(pages) else {
            return ptr::null_mut();
        };
        if state.next == 0 || base != state.end {
            state.next = base;
        }
        state.end = base + pages * PAGE;
        match fit(state.next, state.end, size, align) {
            Some(block) => {
                state.next = block + size;
                block as *mut u8
            }
            None => ptr::null_mut(),
        }
    }
}

/// The aligned start of `size` bytes in `[next, end)`, if they fit.
fn fit(next: usize, end: usize, size: usize, align: usize) -> Option<usize> {
    let start = next.checked_add(align - 1)? & !(align - 1);
    (start.checked_add(size)? <= end).then_some(start)
}

unsafe impl<S: PageSource> GlobalAlloc for SizeClassAllocator<S> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(&layout) else {
            return ptr::null_mut();
        };
        if layout.align() <= BLOCK_ALIGN {
            let state = &mut *self.state.get();
            let head = state.free[class];
            if head != 0 {
                state.free[class] = *(head as *const usize);
                return head as *mut u8;
            }
        }
        self.bump(1 << class, layout.align().max(BLOCK_ALIGN))
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if let Some(class) = class_of(&layout) {
            let state = &mut *self.state.get();
            *(block as *mut usize) = state.free[class];
            state.free[class] = block as usize;
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let class = class_of(&layout);
        if class.is_some() && class == class_of(&new_layout) {
            // Still fits its block.
            return block;
        }
        let moved = self.alloc(new_layout);
        if !moved.is_null() {
            crate::copy_forward(moved, block, layout.size().min(new_size));
            self.dealloc(block, layout);
        }
        moved
    }
}

/// Contracts run single-threaded: the allocator is never entered twice at
/// once.
#[cfg(target_arch = "wasm32")]
unsafe impl<S: PageSource> Sync for SizeClassAllocator<S> {}

#[cfg(target_arch = "wasm32")]
pub struct WasmMemory;

#[cfg(target_arch = "wasm32")]
impl PageSource for WasmMemory {
    fn grow(&self, pages: usize) -> Option<usize> {
        let previous = core::arch::wasm32::memory_grow(0, pages);
        (previous != usize::MAX).then(|| previous * PAGE)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use core::cell::Cell;
    use std::vec::Vec;

    use super::*;

    /// `pages` pages of real memory handed out in order.
    struct Buffer {
        base: *mut u8,
        pages: usize,
        used: Cell<usize>,
    }

    impl Buffer {
        fn new(pages: usize) -> Self {
            let layout = Layout::from_size_align(pages * PAGE, PAGE).unwrap();
            Buffer {
                base: unsafe { std::alloc::alloc(layout) },
                pages,
                used: Cell::new(0),
            }
        }
    }

    impl Drop for Buffer {
        fn drop(&mut self) {
            let layout = Layout::from_size_align(self.pages * PAGE, PAGE).unwrap();
            unsafe { std::alloc::dealloc(self.base, layout) };
        }
    }

    impl PageSource for &Buffer {
        fn grow(&self, pages: usize) -> Option<usize> {
            let used = self.used.get();
            if used + pages > self.pages {
                return None;
            }
            self.used.set(used + pages);
            Some(self.base as usize + used * PAGE)
        }
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    /// Fills a block with a byte derived from its index, to catch overlaps.
    unsafe fn stamp(block: *mut u8, size: usize, tag: u8) {
        crate::fill(block, tag, size);
    }

    unsafe fn intact(block: *mut u8, size: usize, tag: u8) -> bool {
        (0..size).all(|i| *block.add(i) == tag)
    }

    #[test]
    fn blocks_are_aligned_disjoint_and_survive_other_frees() {
        let buffer = Buffer::new(64);
        let heap = SizeClassAllocator::new(&buffer);
        let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
        for round in 0..3u8 {
            for i in 0..300usize {
                let align = [1, 2, 4, 8, 16, 32, 64][i % 7];
                let size = 1 + (i * 37 + round as usize * 11) % 3000;
                let l = layout(size, align);
                let block = unsafe { heap.alloc(l) };
                assert!(!block.is_null(), "size {size} align {align}");
                assert_eq!(block as usize % align, 0, "size {size} align {align}");
                let tag = (i % 251) as u8 ^ round;
                unsafe { stamp(block, size, tag) };
                live.push((block, l, tag));
            }
            // Free every other block; the rest must be untouched, now and
            // after the freed ones are handed out again next round.
            let mut kept = Vec::new();
            for (n, (block, l, tag)) in live.drain(..).enumerate() {
                assert!(
                    unsafe { intact(block, l.size(), tag) },
                    "block {n} overwritten"
                );
                if n % 2 == 0 {
                    unsafe { heap.dealloc(block, l) };
                } else {
                    kept.push((block, l, tag));
                }
            }
            live = kept;
        }
        for (block, l, tag) in live {
            assert!(unsafe { intact(block, l.size(), tag) });
        }
    }

    #[test]
    fn freed_blocks_are_reused_so_alloc_free_loops_do_not_grow_memory() {
        let buffer = Buffer::new(64);
        let heap = SizeClassAllocator::new(&buffer);
        for i in 0..100_000usize {
            let l = layout(1 + i % 2000, 8);
            let block = unsafe { heap.alloc(l) };
            assert!(!block.is_null());
            unsafe { heap.dealloc(block, l) };
        }
        assert_eq!(buffer.used.get(), MIN_GROW_PAGES);
        // A vector grown one byte at a time and dropped, over and over.
        for _ in 0..1_000 {
            let mut block = unsafe { heap.alloc(layout(1, 1)) };
            for size in 1..5_000 {
                block = unsafe { heap.realloc(block, layout(size, 1), size + 1) };
                assert!(!block.is_null());
            }
            unsafe { heap.dealloc(block, layout(5_000, 1)) };
        }
        assert_eq!(buffer.used.get(), MIN_GROW_PAGES);
    }

    #[test]
    fn realloc_keeps_the_contents_and_the_block_while_it_fits() {
        let buffer = Buffer::new(16);
        let heap = SizeClassAllocator::new(&buffer);
        unsafe {
            let block = heap.alloc(layout(20, 4));
            stamp(block, 20, 7);
            // 20 and 32 bytes share the 32-byte block.
            assert_eq!(heap.realloc(block, layout(20, 4), 32), block);
            stamp(block.add(20), 12, 9);
            let moved = heap.realloc(block, layout(32, 4), 33);
            assert_ne!(moved, block);
            assert!(intact(moved, 20, 7) && intact(moved.add(20), 12, 9));
            let shrunk = heap.realloc(moved, layout(33, 4), 5);
            assert!(intact(shrunk, 5, 7));
        }
    }

    #[test]
    fn exhausted_memory_is_a_null_pointer_not_a_crash() {
        let buffer = Buffer::new(MIN_GROW_PAGES * 2);
        let heap = SizeClassAllocator::new(&buffer);
        unsafe {
            assert!(heap.alloc(layout(3 * MIN_GROW_PAGES * PAGE, 8)).is_null());
            let small = heap.alloc(layout(100, 8));
            assert!(
                !small.is_null(),
                "a failed large request must not spoil the heap"
            );
            assert!(heap.alloc(layout(isize::MAX as usize, 1)).is_null());
        }
    }

    #[test]
    fn a_grow_that_is_not_contiguous_starts_a_new_span() {
        // Every grow finds a page taken by someone else in front of it.
        struct Gapped<'a>(&'a Buffer);
        impl PageSource for Gapped<'_> {
            fn grow(&self, pages: usize) -> Option<usize> {
                (&self.0).grow(1)?;
                (&self.0).grow(pages)
            }
        }
        let buffer = Buffer::new(64);
        let heap = SizeClassAllocator::new(Gapped(&buffer));
        let base = buffer.base as usize;
        unsafe {
            let first = heap.alloc(layout(16, 8));
            assert_eq!(first as usize, base + PAGE);
            // Does not fit the rest of the first span (pages 1-4): the next
            // span starts after the second gap, at page 6.
            let big = MIN_GROW_PAGES * PAGE;
            let second = heap.alloc(layout(big, 8));
            assert_eq!(second as usize, base + (2 + MIN_GROW_PAGES) * PAGE);
            stamp(second, big, 3);
            assert!(intact(second, big, 3));
        }
    }
}
