//! Task-local values: [`task_local!`](crate::task_local), [`LocalKey`], and the context a
//! spawn carries into its task ([`Inherited`]).
//!
//! A key's value is set for the duration of a future with [`LocalKey::scope`] (or of a
//! closure with [`LocalKey::sync_scope`]) and read inside it with [`LocalKey::with`],
//! [`LocalKey::try_with`] or [`LocalKey::get`]. The value lives in the scope future, not in
//! the thread: it is put in place for each poll of that future and taken out again after,
//! so two tasks on one worker thread see their own values, on every backend.
//!
//! A key declared `inherit` (its type `Clone + Send`) is also **cloned into every task
//! spawned from inside its scope**: by `anyrt::spawn`, `spawn_local`, `spawn_blocking`,
//! `JoinSet`'s spawns, and `Handle`'s and `Runtime`'s. A plain key is not: some values must
//! never cross a spawn (a borrowed transaction, a per-task budget). A spawn that bypasses
//! anyrt (`tokio::spawn`, a backend crate's own handle, a third-party `Executor`) carries
//! nothing; wrap its future in `KEY.scope(KEY.get(), fut)` there.
//!
//! ```
//! anyrt::task_local! {
//!     /// The request this task serves; spawned helpers serve it too.
//!     pub inherit static REQUEST_ID: u64;
//!     /// A per-task budget: a spawned task starts without one.
//!     static BUDGET: u32;
//! }
//!
//! anyrt::block_on(REQUEST_ID.scope(7, BUDGET.scope(100, async {
//!     assert_eq!(REQUEST_ID.get(), 7);
//!     let child = anyrt::spawn(async {
//!         (REQUEST_ID.get(), BUDGET.try_with(|b| *b).is_err())
//!     });
//!     assert_eq!(child.await.unwrap(), (7, true)); // inherited; not inherited
//! })));
//! assert!(REQUEST_ID.try_with(|_| ()).is_err()); // outside every scope
//! ```

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: `static NAME: T;` for a value seen only inside its scope, or
/// `inherit static NAME: T;` (with `T: Clone + Send + 'static`) for one that is also cloned
/// into tasks spawned inside the scope. Attributes (docs) and a visibility come first.
///
/// ```
/// anyrt::task_local! {
///     /// Not inherited.
///     static ATTEMPT: u32;
///     /// Inherited by spawned tasks.
///     pub(crate) inherit static TENANT: String;
/// }
///
/// anyrt::block_on(TENANT.scope("acme".to_string(), async {
///     let seen = anyrt::spawn(async { TENANT.get() }).await.unwrap();
///     assert_eq!(seen, "acme");
///     assert!(ATTEMPT.try_get().is_err());
/// }));
/// ```
///
/// An `inherit` key whose type is not `Clone + Send` is a compile error pointing at the
/// type ("`Rc<u32>` cannot be sent between threads safely ... required by a bound in
/// `inherit_capture`"): declare it plain, or use an `Arc`.
///
/// Migrating from `tokio::task_local!`: the declaration and `scope`/`sync_scope`/`with`/
/// `try_with`/`get` read the same; add `inherit` where spawned tasks should see the value
/// (tokio never passes it on).
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis inherit static $name:ident : $t:ty; $($rest:tt)*) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t,
            ::core::option::Option::Some($crate::task::task_local::inherit_capture::<$t>));
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident : $t:ty; $($rest:tt)*) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t, ::core::option::Option::None);
        $crate::task_local!($($rest)*);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_inner {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty, $capture:expr) => {
        $(#[$attr])*
        $vis static $name: $crate::task::task_local::LocalKey<$t> = {
            ::std::thread_local! {
                static __SLOT: ::core::cell::RefCell<::core::option::Option<$t>> =
                    const { ::core::cell::RefCell::new(::core::option::Option::None) };
            }
            $crate::task::task_local::LocalKey::__new(&__SLOT, $capture)
        };
    };
}

/// Prepends the key's current value to a chain (the chain unchanged if it has none).
type Capture<T> = fn(&'static LocalKey<T>, Option<Box<dyn Slot>>) -> Option<Box<dyn Slot>>;

/// One inherited value on its way into a spawned task, and the rest of the chain. Only
/// [`task_local!`](crate::task_local)'s expansion names it.
#[doc(hidden)]
pub trait Slot: Send {
    /// Puts the values in place (and on the inherit stack).
    fn enter(&mut self);
    /// Takes them out again, in reverse.
    fn exit(&mut self);
}

/// A task-local key, declared with [`task_local!`](crate::task_local).
pub struct LocalKey<T: 'static> {
    slot: &'static std::thread::LocalKey<RefCell<Option<T>>>,
    capture: Option<Capture<T>>,
}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn __new(
        slot: &'static std::thread::LocalKey<RefCell<Option<T>>>,
        capture: Option<Capture<T>>,
    ) -> Self {
        LocalKey { slot, capture }
    }

    /// Swaps `value` with this thread's slot of the key. `false` (nothing swapped) if the
    /// slot is borrowed by `with` or the thread is being torn down.
    fn swap(&'static self, value: &mut Option<T>) -> bool {
        self.slot
            .try_with(|slot| match slot.try_borrow_mut() {
                Ok(mut slot) => {
                    std::mem::swap(&mut *slot, value);
                    true
                }
                Err(_) => false,
            })
            .unwrap_or(false)
    }

    /// Whether the key was declared `inherit` (cloned into spawned tasks).
    pub fn is_inherited(&'static self) -> bool {
        self.capture.is_some()
    }

    /// Runs `future` with the key set to `value` during each of its polls (and while it is
    /// dropped). Scopes nest: an inner scope of the same key hides the outer value until it
    /// ends, and the outer value is back after it, also when the inner future panics.
    ///
    /// ```
    /// anyrt::task_local! { static DEPTH: u32; }
    ///
    /// anyrt::block_on(DEPTH.scope(1, async {
    ///     DEPTH.scope(2, async { assert_eq!(DEPTH.get(), 2) }).await;
    ///     assert_eq!(DEPTH.get(), 1);
    /// }));
    /// ```
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            value: Some(value),
            future: Some(future),
        }
    }

    /// Runs `f` with the key set to `value`; the previous value is back when `f` returns or
    /// panics.
    ///
    /// ```
    /// anyrt::task_local! { static USER: &'static str; }
    ///
    /// let n = USER.sync_scope("ada", || USER.with(|u| u.len()));
    /// assert_eq!(n, 3);
    /// ```
    ///
    /// # Panics
    ///
    /// If called inside [`with`](Self::with) of the same key.
    pub fn sync_scope<R>(&'static self, value: T, f: impl FnOnce() -> R) -> R {
        let mut value = Some(value);
        let _scope = Entered::new(self, &mut value);
        f()
    }

    /// Calls `f` with a reference to the value of the innermost scope.
    ///
    /// ```
    /// anyrt::task_local! { static NAME: String; }
    ///
    /// anyrt::block_on(NAME.scope("anyrt".into(), async {
    ///     assert_eq!(NAME.with(|n| n.len()), 5);
    /// }));
    /// ```
    ///
    /// # Panics
    ///
    /// Outside every scope of the key (a spawned task does not see a key that is not
    /// declared `inherit`); [`try_with`](Self::try_with) returns the error instead.
    #[track_caller]
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        match self.try_with(f) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`with`](Self::with), returning an error outside every scope of the key. Never
    /// panics of its own.
    ///
    /// ```
    /// anyrt::task_local! { static NAME: String; }
    ///
    /// assert!(NAME.try_with(|n| n.clone()).is_err());
    /// ```
    pub fn try_with<R>(&'static self, f: impl FnOnce(&T) -> R) -> Result<R, AccessError> {
        let mut f = Some(f);
        let out = self.slot.try_with(|slot| {
            let value = slot.try_borrow().ok()?;
            value.as_ref().map(|v| (f.take().expect("called once"))(v))
        });
        match out {
            Ok(Some(r)) => Ok(r),
            _ => Err(AccessError { _private: () }),
        }
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// A clone of the value of the innermost scope.
    ///
    /// # Panics
    ///
    /// Where [`with`](Self::with) does; [`try_get`](Self::try_get) returns the error.
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(T::clone)
    }

    /// A clone of the value of the innermost scope, or an error outside every scope.
    pub fn try_get(&'static self) -> Result<T, AccessError> {
        self.try_with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey")
            .field("inherit", &self.capture.is_some())
            .finish_non_exhaustive()
    }
}

/// The error of [`LocalKey::try_with`]: the key has no value here.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessError {
    _private: (),
}

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessError")
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "task-local value not set: read it inside `KEY.scope(value, future)` or \
             `KEY.sync_scope(value, f)`; a spawned task sees it only if the key is declared \
             `inherit static`",
        )
    }
}

impl std::error::Error for AccessError {}

pin_project_lite::pin_project! {
    /// The future of [`LocalKey::scope`]: the inner future with the key set around each
    /// poll and around its drop.
    pub struct TaskLocalFuture<T: 'static, F> {
        key: &'static LocalKey<T>,
        value: Option<T>,
        #[pin]
        future: Option<F>,
    }

    impl<T: 'static, F> PinnedDrop for TaskLocalFuture<T, F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.future.is_some() {
                // Best effort: if the key is borrowed at this point (a scope dropped inside
                // `with` of its own key), drop the future without the value.
                if let Some(_scope) = Entered::try_new(*this.key, this.value) {
                    this.future.set(None);
                }
            }
        }
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _scope = Entered::new(*this.key, this.value);
        this.future
            .as_pin_mut()
            .expect("`TaskLocalFuture` polled after it completed")
            .poll(cx)
    }
}

impl<T: 'static + fmt::Debug, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}

/// A key's scope, entered: the value swapped into the thread's slot (and the key pushed on
/// the inherit stack if it inherits) until drop, which swaps it back.
struct Entered<'a, T: 'static> {
    key: &'static LocalKey<T>,
    value: &'a mut Option<T>,
}

impl<'a, T: 'static> Entered<'a, T> {
    #[track_caller]
    fn new(key: &'static LocalKey<T>, value: &'a mut Option<T>) -> Self {
        match Self::try_new(key, value) {
            Some(entered) => entered,
            None => panic!(
                "cannot enter a task-local scope while the key is borrowed by `with` on this \
                 thread (or during thread teardown)"
            ),
        }
    }

    fn try_new(key: &'static LocalKey<T>, value: &'a mut Option<T>) -> Option<Self> {
        if !key.swap(value) {
            return None;
        }
        if key.capture.is_some() {
            push_inherited(key);
        }
        Some(Entered { key, value })
    }
}

impl<T: 'static> Drop for Entered<'_, T> {
    fn drop(&mut self) {
        if self.key.capture.is_some() {
            pop_inherited();
        }
        // Cannot fail: a borrow taken inside the scope has ended with it.
        self.key.swap(self.value);
    }
}

// ---- inheritance ----

/// What the inherit stack holds: an inheriting key, type-erased.
trait Inherit {
    fn capture(&'static self, next: Option<Box<dyn Slot>>) -> Option<Box<dyn Slot>>;
    fn id(&'static self) -> *const ();
}

impl<T: 'static> Inherit for LocalKey<T> {
    fn capture(&'static self, next: Option<Box<dyn Slot>>) -> Option<Box<dyn Slot>> {
        match self.capture {
            Some(capture) => capture(self, next),
            None => next,
        }
    }

    fn id(&'static self) -> *const () {
        (self as *const Self).cast()
    }
}

struct SlotOf<T: 'static> {
    key: &'static LocalKey<T>,
    value: Option<T>,
    next: Option<Box<dyn Slot>>,
}

impl<T: Send + 'static> Slot for SlotOf<T> {
    fn enter(&mut self) {
        // A key already borrowed by `with` around a nested poll cannot take the value: the
        // task then runs without it rather than panicking in the executor.
        self.key.swap(&mut self.value);
        push_inherited(self.key);
        if let Some(next) = &mut self.next {
            next.enter();
        }
    }

    fn exit(&mut self) {
        if let Some(next) = &mut self.next {
            next.exit();
        }
        pop_inherited();
        self.key.swap(&mut self.value);
    }
}

/// The `capture` of a key declared `inherit`: clones the current value into a new slot.
/// Nothing to clone if the value is out (a scope dropped mid-teardown): the chain is kept.
#[doc(hidden)]
pub fn inherit_capture<T: Clone + Send + 'static>(
    key: &'static LocalKey<T>,
    next: Option<Box<dyn Slot>>,
) -> Option<Box<dyn Slot>> {
    match key.try_get() {
        Ok(value) => Some(Box::new(SlotOf {
            key,
            value: Some(value),
            next,
        })),
        Err(_) => next,
    }
}

thread_local! {
    /// How many inheriting scopes are entered on this thread: the fast "nothing to
    /// inherit" test of every spawn (no destructor, so a plain load).
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// The inheriting keys entered on this thread, innermost last.
    static STACK: RefCell<Vec<&'static dyn Inherit>> = const { RefCell::new(Vec::new()) };
}

fn push_inherited(key: &'static dyn Inherit) {
    let _ = STACK.try_with(|s| {
        let mut s = s.borrow_mut();
        s.push(key);
        DEPTH.with(|d| d.set(s.len()));
    });
}

fn pop_inherited() {
    let _ = STACK.try_with(|s| {
        let mut s = s.borrow_mut();
        s.pop();
        DEPTH.with(|d| d.set(s.len()));
    });
}

/// The values of the `inherit` keys in scope where a task is spawned, cloned, to be set
/// around each poll of that task (and its drop). Backends never see it: the facade's spawn
/// functions capture and enter it.
///
/// Empty (no allocation, one thread-local load) when no inheriting key is in scope; one
/// allocation per inherited key otherwise.
///
/// ```
/// use anyrt_core::task::task_local::Inherited;
///
/// anyrt::task_local! { inherit static ID: u32; }
///
/// let mut ctx = ID.sync_scope(9, Inherited::capture);
/// assert!(ID.try_get().is_err());
/// let seen = ctx.enter(|| ID.get());
/// assert_eq!(seen, 9);
/// ```
pub struct Inherited {
    chain: Option<Box<dyn Slot>>,
}

impl Inherited {
    /// Clones the values of the inheriting keys in scope on this thread.
    #[inline]
    pub fn capture() -> Self {
        if !Self::any_in_scope() {
            return Inherited { chain: None };
        }
        Self::capture_slow()
    }

    /// Whether an inheriting key is in scope on this thread (else [`capture`](Self::capture)
    /// gives an empty context): one thread-local load.
    #[inline]
    pub fn any_in_scope() -> bool {
        DEPTH.with(Cell::get) != 0
    }

    #[cold]
    fn capture_slow() -> Self {
        let chain = STACK
            .try_with(|s| {
                let s = s.borrow();
                let mut chain = None;
                // A key entered twice (nested scopes) is taken once: its slot holds the
                // innermost value. No allocation but the slots themselves.
                for (i, key) in s.iter().enumerate() {
                    if !s[i + 1..].iter().any(|later| later.id() == key.id()) {
                        chain = key.capture(chain);
                    }
                }
                chain
            })
            .unwrap_or(None);
        Inherited { chain }
    }

    /// Whether nothing was captured.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.chain.is_none()
    }

    /// Runs `f` with the captured values set (and inherited again by what `f` spawns).
    #[inline]
    pub fn enter<R>(&mut self, f: impl FnOnce() -> R) -> R {
        match &mut self.chain {
            None => f(),
            Some(chain) => {
                chain.enter();
                let _exit = Exit(chain);
                f()
            }
        }
    }
}

struct Exit<'a>(&'a mut Box<dyn Slot>);

impl Drop for Exit<'_> {
    fn drop(&mut self) {
        self.0.exit();
    }
}

impl fmt::Debug for Inherited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inherited")
            .field("empty", &self.is_empty())
            .finish()
    }
}
