//! What every `#![no_std]` example package needs: a memory allocator and a panic handler (the
//! same code `midenc new` writes into `src/runtime.rs`). Linked in by depending on this crate.
#![no_std]
// Only a Wasm build needs (or can have) these; host-side tests of an example use std's.
#![cfg(target_family = "wasm")]

use core::{
    alloc::{GlobalAlloc, Layout},
    arch::wasm32,
    cell::Cell,
};

/// Hands out memory upwards from the end of the module's static data.
struct BumpAllocator {
    next: Cell<usize>,
}

// A Wasm module runs on one thread.
unsafe impl Sync for BumpAllocator {}

unsafe impl GlobalAlloc for BumpAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe extern "C" {
            static __heap_base: u8;
        }
        let mut next = self.next.get();
        if next == 0 {
            next = core::ptr::addr_of!(__heap_base) as usize;
        }
        let start = (next + layout.align() - 1) & !(layout.align() - 1);
        let end = start + layout.size();
        let available = wasm32::memory_size(0) * 65536;
        if end > available {
            let pages = (end - available).div_ceil(65536);
            if wasm32::memory_grow(0, pages) == usize::MAX {
                return core::ptr::null_mut();
            }
        }
        self.next.set(end);
        start as *mut u8
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static ALLOCATOR: BumpAllocator = BumpAllocator { next: Cell::new(0) };

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    wasm32::unreachable()
}
