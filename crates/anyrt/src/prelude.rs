//! `use anyrt::prelude::*;` brings the extension traits an async user needs, anonymously,
//! and no name that clashes with std (no `Mutex`, `channel`, `mpsc`): async and sync tools
//! stay usable side by side.
//!
//! ```
//! use anyrt::prelude::*;
//! use std::sync::Mutex; // std's, no clash
//!
//! let m = Mutex::new(0);
//! let v = anyrt::block_on(async { 1 }.map(|x| x + 1)); // FutureExt::map
//! *m.lock().unwrap() += v;
//! assert_eq!(*m.lock().unwrap(), 2);
//! ```

pub use anyrt_core::Executor as _;
pub use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
