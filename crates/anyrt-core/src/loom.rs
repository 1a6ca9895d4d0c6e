//! The concurrency primitives of the hand-written lock-free code: std's, or loom's under
//! `--cfg loom` (tokio's `loom` module pattern).
//!
//! The channel core (`channel::{ring, chan, mpmc}`) and the local executor's run queue name
//! their atomics, cells, locks and `Arc`s through this module, so that the models in the
//! `loom_*` test modules explore every interleaving of that code under loom's memory model:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p anyrt-core --release --lib loom_
//! ```
//!
//! Under `--cfg loom` the whole crate runs on loom's primitives, which work only inside
//! `loom::model`: the filter `loom_` keeps the other tests out.

#[cfg(not(loom))]
mod imp {
    pub(crate) mod sync {
        pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

        pub(crate) mod atomic {
            pub(crate) use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
        }
    }

    pub(crate) mod cell {
        /// std's `UnsafeCell` with loom's closure API: the pointer is used only inside the
        /// closure, where loom checks that no other thread touches the cell meanwhile.
        #[derive(Debug)]
        pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

        impl<T> UnsafeCell<T> {
            pub(crate) const fn new(value: T) -> UnsafeCell<T> {
                UnsafeCell(std::cell::UnsafeCell::new(value))
            }

            #[inline(always)]
            pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
                f(self.0.get())
            }
        }
    }

    pub(crate) mod hint {
        pub(crate) use std::hint::spin_loop;
    }
}

#[cfg(loom)]
mod imp {
    pub(crate) mod sync {
        pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};

        pub(crate) mod atomic {
            pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
        }
    }

    pub(crate) mod cell {
        pub(crate) use loom::cell::UnsafeCell;
    }

    pub(crate) mod hint {
        pub(crate) use loom::hint::spin_loop;
    }
}

pub(crate) use imp::*;

/// A full memory fence: orders this thread's store (a message pushed, a waiter linked)
/// before its next load (the waiter count, the queue).
#[inline]
pub(crate) fn full_fence() {
    // On x86 a `lock`ed instruction on a local is a full barrier like `mfence`, and cheaper
    // (concurrent-queue's and event-listener's `full_fence`). Not under loom or Miri, which
    // see only `fence`.
    #[cfg(all(target_arch = "x86_64", not(any(loom, miri))))]
    {
        let mut local = 0_u64;
        // SAFETY: a locked read-modify-write of a local, changing nothing that is read.
        #[allow(unsafe_code)]
        unsafe {
            std::arch::asm!(
                "lock not qword ptr [{0}]",
                in(reg) &raw mut local,
                options(nostack, preserves_flags)
            );
        }
    }
    #[cfg(all(not(loom), any(not(target_arch = "x86_64"), miri)))]
    std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
    #[cfg(loom)]
    loom::sync::atomic::fence(loom::sync::atomic::Ordering::SeqCst);
}
