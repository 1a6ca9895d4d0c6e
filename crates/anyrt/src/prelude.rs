//! `use anyrt::prelude::*;` brings the extension traits an async user needs, anonymously,
//! and no name that clashes with std (no `Mutex`, `channel`, `mpsc`): async and sync tools
//! stay usable side by side. futures' `FutureExt`, `StreamExt` and `SinkExt` come with the
//! `futures` feature (on by default); [`Executor`](crate::Executor) always.
//!
//! ```
//! # #[cfg(feature = "futures")] {
//! use anyrt::prelude::*;
//! use std::sync::Mutex; // std's, no clash
//!
//! let m = Mutex::new(0);
//! let v = anyrt::block_on(async { 1 }.map(|x| x + 1)); // FutureExt::map
//! *m.lock().unwrap() += v;
//! assert_eq!(*m.lock().unwrap(), 2);
//! # }
//! ```

pub use anyrt_core::Executor as _;
/// With `net`: futures' `AsyncReadExt` and `AsyncWriteExt` for the streams of
/// [`net`](crate::net).
#[cfg(all(feature = "futures", feature = "net"))]
pub use futures_util::{AsyncReadExt as _, AsyncWriteExt as _};
#[cfg(feature = "futures")]
pub use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
