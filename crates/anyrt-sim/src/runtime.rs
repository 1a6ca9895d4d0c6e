//! The simulation's executor: one run queue, a timer map and a virtual clock behind one
//! mutex, driven by the thread inside [`Runtime::block_on`].
//!
//! Every step of the driver picks one thing to do, from the seed: poll a ready task (or the
//! future of the `block_on`), deliver what arrived from outside the driving thread (wakes
//! from other threads, finished blocking closures), or, when nothing is ready and nothing
//! is running outside, move the clock to the earliest timer and fire it. Each step is
//! recorded in the [trace](crate::Trace).
//!
//! Locking: the state's mutex is never held while a task runs, a waker is woken or a
//! runnable is dropped (each of which may call back into the state).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use anyrt_core::context::{self, ThreadContext};
use anyrt_core::task::drop_panic::{CatchDropPanic, DropPanic, TaskMeta};
use anyrt_core::task::local;
use anyrt_core::task::JoinHandle;
use anyrt_core::time::Instant;
use anyrt_core::{Backend, RuntimeConfig, Scheduler};
use async_task::{Builder, Runnable};

/// The name of the seed's knob in a [`RuntimeConfig`] (a `u64`): what
/// `anyrt::Builder::seed` sets for `Backend::Sim`.
pub const SEED: &str = "seed";

/// The name of the scheduler's knob in a [`RuntimeConfig`] (a [`Scheduler`]): what
/// `anyrt::Builder::scheduler` sets for `Backend::Sim`.
pub const SCHEDULER: &str = "scheduler";

/// The name of the scheduling delays' knob in a [`RuntimeConfig`] (a `bool`): with it, each
/// wake of a task has a [`DELAY_PROBABILITY`] chance (drawn from the seed) to hold the task
/// back for up to [`DELAY_MAX`] of virtual time, while timers, network deliveries and other
/// tasks go first: a task that is slow to be scheduled, as on a loaded machine.
/// `anyrt::sim::Explore` turns it on unless told otherwise.
pub const DELAYS: &str = "delays";

/// The chance that a wake is delayed, with [`DELAYS`] on.
pub const DELAY_PROBABILITY: f64 = 0.1;

/// The longest scheduling delay, with [`DELAYS`] on: longer than the simulated network's
/// latency, so that a delivery can overtake a woken task.
pub const DELAY_MAX: Duration = Duration::from_millis(1);

use crate::rng::Rng;
use crate::schedule::Schedule;
use crate::time::Sleep;
use crate::trace::{Event, Trace};

/// How long the driver waits for a wake from outside the simulation when every task is
/// waiting, no timer is set and no blocking closure runs, before it reports a deadlock.
const DEADLOCK_AFTER: Duration = Duration::from_secs(10);

/// How long virtual time stands still for a running blocking closure, in real time. A
/// closure that runs longer is most likely waiting for the simulation itself (a
/// `recv_blocking` of a message a task sends after a sleep): time then goes on without it.
const BLOCKING_GRACE: Duration = Duration::from_secs(1);

/// The virtual time each poll takes: a task that never waits (a loop that only yields)
/// still lets time reach the timers around it, deterministically.
pub(crate) const POLL_COST: Duration = Duration::from_micros(1);

/// How long the background driver waits, once started, for a `block_on` to take the work
/// over before it runs any.
const BACKGROUND_GRACE: Duration = Duration::from_millis(2);

/// The scales (powers of two from 2) over which [`Scheduler::Pct`] spreads its priority
/// change points, one drawn per seed.
const PCT_SCALES: usize = 12;

/// The id of the future of a `block_on` in the trace and the schedule.
const MAIN: u64 = 0;

/// What every task carries: its id, in spawn order (`MAIN` is the `block_on` future's), and
/// where its future's destructor leaves a panic.
#[derive(Debug)]
pub(crate) struct Meta {
    id: u64,
    drop_panic: DropPanic,
}

impl TaskMeta for Meta {
    fn drop_panic(&self) -> &DropPanic {
        &self.drop_panic
    }
}

/// The process-wide instant the virtual clocks count from.
fn origin() -> std::time::Instant {
    static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
    *ORIGIN.get_or_init(std::time::Instant::now)
}

/// A virtual time (an offset from [`origin`]) as an [`Instant`].
pub(crate) fn instant_at(offset: Duration) -> Instant {
    Instant::from_std(origin() + offset)
}

/// An [`Instant`] as a virtual time: instants before the origin are the origin.
pub(crate) fn offset_of(deadline: Instant) -> Duration {
    deadline.into_std().saturating_duration_since(origin())
}

thread_local! {
    /// The simulation the thread is inside: its driver, an outside `block_on`, a blocking
    /// closure. What spawns, sleeps and the clock use. Weak: it never keeps a runtime alive.
    static CURRENT: RefCell<Option<Weak<Shared>>> = const { RefCell::new(None) };
    /// The simulation this thread drives, as an address (only compared, never read): a
    /// wake on it goes to the run queue, a wake anywhere else to the inbox.
    static DRIVING: Cell<*const Shared> = const { Cell::new(std::ptr::null()) };
}

/// The simulation the calling thread is inside, if it is still alive.
pub(crate) fn current() -> Option<Arc<Shared>> {
    CURRENT.with(|c| c.borrow().as_ref().and_then(Weak::upgrade))
}

/// The clock of task time inside a simulation: its virtual time (the system's clock where
/// the simulation is gone). [`Sim`](crate::Sim)'s `Provider::now`.
pub(crate) fn virtual_now() -> Instant {
    match current() {
        Some(shared) => shared.now(),
        None => Instant::system_now(),
    }
}

/// Enters a simulation on this thread (its runtime, its clock, the anyrt context of `kind`)
/// until dropped.
struct Enter {
    prev: Option<Weak<Shared>>,
    /// In async code of the simulation: the simulation, and the thread's generator of
    /// unbiased choices (`select!`) from before, swapped back on drop.
    rand: Option<(Arc<Shared>, u64, bool)>,
    _context: context::EnterGuard,
    _clock: context::ClockGuard,
}

fn enter(shared: Weak<Shared>, ctx: ThreadContext) -> Enter {
    // The simulation's own generator while its tasks run here, so that a seed replays the
    // choices of `select!` too (not in blocking closures: they run on threads of their own).
    let rand = match (ctx.kind, shared.upgrade()) {
        (context::ContextKind::Async, Some(sim)) => {
            let mine = sim.rand.load(Ordering::Relaxed);
            let interleave = sim.scheduler != Scheduler::Fifo;
            let outer = anyrt_core::rand::swap(mine);
            Some((sim, outer, anyrt_core::rand::swap_interleaving(interleave)))
        }
        _ => None,
    };
    let prev = CURRENT.with(|c| c.replace(Some(shared)));
    Enter {
        prev,
        rand,
        _context: context::enter(ctx),
        _clock: context::enter_clock(<crate::Sim as anyrt_core::Provider>::now),
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        if let Some((sim, outer, interleave)) = self.rand.take() {
            sim.rand
                .store(anyrt_core::rand::swap(outer), Ordering::Relaxed);
            anyrt_core::rand::swap_interleaving(interleave);
        }
        let prev = self.prev.take();
        // The previous value is dropped outside the borrow.
        let _old = CURRENT.with(|c| c.replace(prev));
    }
}

/// What the runtime, its tasks (weakly), its handles (weakly) and its driver share.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Signalled when something arrives from outside the driving thread (a wake, a spawn, a
    /// finished blocking closure).
    outside: Condvar,
    next_id: AtomicU64,
    /// The state of the generator of unbiased choices (`anyrt_core::rand`) between the
    /// times a thread runs the simulation's async code.
    rand: AtomicU64,
    this: Weak<Shared>,
    seed: u64,
    scheduler: Scheduler,
    /// The name of the background driver's thread.
    thread_name: String,
    /// The in-memory network (its own lock: a socket's operation takes it, then the
    /// state's for the clock and timers, never the other way round).
    #[cfg(all(feature = "net", unix))]
    net: Mutex<crate::net::Net>,
    /// The listeners of `signal`, raised only by `anyrt::sim::signal::raise`.
    #[cfg(all(feature = "signal", unix))]
    signals: Mutex<crate::signal::Registry>,
    /// Every simulated host's disk (feature `fs`).
    #[cfg(all(feature = "fs", unix))]
    pub(crate) disks: crate::fs::SharedDisks,
}

struct State {
    /// Tasks woken on the driving thread, in wake order.
    ready: Vec<Runnable<Meta>>,
    /// Whether the future of the running `block_on` was woken on the driving thread.
    main_ready: bool,
    /// How many ready tasks were woken before the `block_on` future ([`Scheduler::Fifo`]).
    main_at: usize,
    /// First woken, first run ([`Scheduler::Fifo`]).
    fifo: bool,
    /// Tasks woken (or spawned) on other threads, delivered at the next step that finds
    /// nothing ready, in id order.
    inbox: Vec<Runnable<Meta>>,
    /// The `block_on` future, woken from another thread.
    main_outside: bool,
    /// Counts what arrived from outside the driving thread (a wake, a spawn, a finished
    /// blocking closure, a timer set): what a waiting driver watches.
    epoch: u64,
    /// Blocking closures running: virtual time stands still meanwhile.
    blocking: usize,
    /// The running blocking closures have held time for [`BLOCKING_GRACE`] with nothing
    /// arriving: time goes on. Cleared when anything arrives.
    blocking_overdue: bool,
    /// Timers by (deadline, creation order), each with the waker of its sleep.
    timers: BTreeMap<(Duration, u64), Waker>,
    /// Tasks held back by a scheduling delay, until their virtual time ([`DELAYS`]).
    delayed: BTreeMap<(Duration, u64), Runnable<Meta>>,
    /// The generator of scheduling delays (`None`: off), apart from the schedule's.
    delays: Option<Rng>,
    timer_seq: u64,
    /// Virtual time since the origin.
    now: Duration,
    /// A waker of every task not yet finished, by id: what shutdown wakes to drop them.
    live: BTreeMap<u64, Waker>,
    closed: bool,
    /// Tasks scheduled after the shutdown, waiting to be dropped by [`drop_dying`].
    dying: Vec<Runnable<Meta>>,
    /// Blocking closures that have returned, by the id of the task awaiting each, with
    /// what hands the result over: delivered at a step the seed decides (the first one that
    /// finds nothing ready and no closure running), in id order, never when the thread
    /// happens to finish.
    completed: Vec<(u64, Completion)>,
    /// Whether a thread is in [`drop_dying`]: what it drops may wake more tasks, which it
    /// drops too (in its loop, not nested in the drop that woke them).
    dropping: bool,
    /// Who drives the simulation.
    driving: Driving,
    /// A `block_on` waits for the background driver to hand over.
    handover: bool,
    /// Whether the background driver may run at all (not on a current-thread runtime, whose
    /// tasks run on the thread in `block_on` only).
    background_allowed: bool,
    /// Real-time pacing: while set (the background driver, the process-wide simulation),
    /// virtual time keeps up with real time from this (real, virtual) pair instead of
    /// jumping to the next timer.
    pace: Option<(std::time::Instant, Duration)>,
    rng: Rng,
    /// The fault hook's numbers, apart from the schedule's: adding a `buggify()` call does
    /// not change the schedule of the code around it.
    faults: Rng,
    pct: Option<Pct>,
    trace: Trace,
    /// Every scheduling decision so far: the index picked among the candidates.
    decisions: Vec<u32>,
    /// Decisions to follow instead of the scheduler's (a replay); past its end, 0 (the
    /// task woken first).
    replay: Option<Vec<u32>>,
}

/// The state of [`Scheduler::Pct`].
struct Pct {
    /// Task priorities (higher runs first), by id.
    priority: BTreeMap<u64, u64>,
    /// The steps at which the task about to run drops to the lowest priority.
    change_points: Vec<u64>,
    /// The next lowest priority (they count down from `depth`).
    low: u64,
}

impl Pct {
    fn new(depth: u32, rng: &mut Rng) -> Pct {
        let depth = u64::from(depth.max(1));
        // PCT wants the change points spread over the run's steps, which are not known
        // ahead: each seed draws a scale (2 to 4096 steps), so that a series of seeds tries
        // them all.
        let scale = 1usize << (1 + rng.below(PCT_SCALES));
        let mut change_points: Vec<u64> = (1..depth).map(|_| 1 + rng.below(scale) as u64).collect();
        change_points.sort_unstable();
        Pct {
            priority: BTreeMap::new(),
            change_points,
            low: depth,
        }
    }

    fn add(&mut self, id: u64, rng: &mut Rng) {
        // Above every lowered priority (at most `depth`).
        let p = (1 << 32) + (rng.next_u64() >> 32);
        self.priority.insert(id, p);
    }
}

/// The poll of a `block_on`'s future, as the driver loop calls it.
type MainPoll<'a, T> = dyn FnMut(&mut Context<'_>) -> Poll<T> + 'a;

/// Who drives a simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driving {
    Nobody,
    /// A thread in `block_on`: the deterministic schedule, virtual time.
    BlockOn,
    /// A thread of the simulation's own, while no `block_on` runs and tasks have work (spawned
    /// or woken from outside, left over by a `block_on`): real time, not deterministic. It
    /// hands over to the next `block_on` and stops when every task waits with no timer set.
    Background,
    /// The process-wide simulation's thread, for ever, in real time.
    Global,
}

/// What the driver waits for.
#[derive(Clone, Copy)]
enum Wait {
    /// A blocking closure to end (or anything else to arrive), for [`BLOCKING_GRACE`].
    Blocking,
    /// A wake from outside, for ever (blocking closures are still running, or this is the
    /// process-wide simulation).
    Outside,
    /// A wake from outside, for [`DEADLOCK_AFTER`], then a deadlock report.
    OrDeadlock,
    /// A wake from outside, or this much real time (the process-wide simulation keeps to
    /// real time).
    Paced(Duration),
}

/// Hands a blocking closure's result to the task awaiting it.
type Completion = Box<dyn FnOnce() + Send>;

/// What the driver does next.
enum Step {
    Main,
    Task(Runnable<Meta>),
    Wake(Vec<Waker>),
    /// Hand the results of returned blocking closures over, in this order.
    Complete(Vec<(u64, Completion)>),
    /// Wait for something from outside.
    Wait(Wait),
    /// The background driver stops (handed over, idle, or shut down).
    Stop,
}

impl Shared {
    /// A simulation; `global`: the process-wide one, which keeps to real time (its users are
    /// plain threads) and never reports a deadlock.
    fn new(seed: u64, scheduler: Scheduler, global: bool, thread_name: &str) -> Arc<Shared> {
        let mut rng = Rng::new(seed);
        let faults = Rng::new(seed ^ 0x5851_F42D_4C95_7F2D);
        let pct = match scheduler {
            Scheduler::Pct { depth } => Some(Pct::new(depth, &mut rng)),
            _ => None,
        };
        let mut state = State {
            ready: Vec::new(),
            main_ready: false,
            main_at: 0,
            fifo: scheduler == Scheduler::Fifo,
            inbox: Vec::new(),
            main_outside: false,
            epoch: 0,
            blocking: 0,
            blocking_overdue: false,
            timers: BTreeMap::new(),
            delayed: BTreeMap::new(),
            delays: None,
            timer_seq: 0,
            now: Duration::ZERO,
            live: BTreeMap::new(),
            closed: false,
            dying: Vec::new(),
            completed: Vec::new(),
            dropping: false,
            driving: Driving::Nobody,
            handover: false,
            background_allowed: true,
            pace: global.then(|| (origin(), Duration::ZERO)),
            rng,
            faults,
            pct,
            trace: Trace::default(),
            decisions: Vec::new(),
            replay: None,
        };
        if let Some(pct) = &mut state.pct {
            pct.add(MAIN, &mut state.rng);
        }
        Arc::new_cyclic(|this| Shared {
            state: Mutex::new(state),
            outside: Condvar::new(),
            next_id: AtomicU64::new(MAIN + 1),
            rand: AtomicU64::new(anyrt_core::rand::state_from_seed(seed)),
            this: this.clone(),
            seed,
            scheduler,
            thread_name: thread_name.to_owned(),
            #[cfg(all(feature = "net", unix))]
            net: Mutex::new(crate::net::Net::new(seed)),
            #[cfg(all(feature = "signal", unix))]
            signals: Mutex::default(),
            #[cfg(all(feature = "fs", unix))]
            disks: Arc::new(Mutex::new(crate::fs::Disks::new(seed))),
        })
    }

    /// The in-memory network.
    #[cfg(all(feature = "net", unix))]
    pub(crate) fn net(&self) -> MutexGuard<'_, crate::net::Net> {
        self.net.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The simulated process's signal listeners.
    #[cfg(all(feature = "signal", unix))]
    pub(crate) fn signals(&self) -> MutexGuard<'_, crate::signal::Registry> {
        self.signals.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The virtual time, as an offset from the origin.
    #[cfg(all(feature = "net", unix))]
    pub(crate) fn now_offset(&self) -> Duration {
        let mut st = self.lock();
        st.keep_pace();
        st.now
    }

    /// [`wake_at`](Self::wake_at) for each pair.
    #[cfg(all(feature = "net", unix))]
    pub(crate) fn wake_all_at(&self, wakers: Vec<(Duration, Waker)>) {
        for (at, w) in wakers {
            self.wake_at(at, w);
        }
    }

    /// Wakes `waker` once the virtual time reaches `at` (at once if it has): a timer that
    /// nothing cancels (a wake it gives late is spurious, which a waker allows).
    #[cfg(all(feature = "net", unix))]
    pub(crate) fn wake_at(&self, at: Duration, waker: Waker) {
        let mut st = self.lock();
        st.keep_pace();
        if st.closed || at <= st.now {
            drop(st);
            waker.wake();
            return;
        }
        let key = (at, st.timer_seq);
        st.timer_seq += 1;
        st.timers.insert(key, waker);
        if !self.is_driven_here() {
            st.epoch += 1;
            drop(st);
            self.outside.notify_all();
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_driven_here(&self) -> bool {
        DRIVING.with(Cell::get) == std::ptr::from_ref(self)
    }

    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    /// The virtual time.
    pub(crate) fn now(&self) -> Instant {
        let mut st = self.lock();
        st.keep_pace();
        instant_at(st.now)
    }

    pub(crate) fn trace_hash(&self) -> u64 {
        self.lock().trace.hash()
    }

    pub(crate) fn trace_steps(&self) -> u64 {
        self.lock().trace.steps()
    }

    /// Starts recording the trace's events (for a determinism check to compare).
    pub(crate) fn record_trace(&self) {
        self.lock().trace.record();
    }

    pub(crate) fn trace_events(&self) -> Vec<Event> {
        self.lock().trace.events().to_vec()
    }

    pub(crate) fn buggify(&self, probability: f64) -> bool {
        let mut st = self.lock();
        let draw = st.faults.next_u64();
        st.trace.push(Event::Fault(draw));
        (draw >> 11) as f64 / (1u64 << 53) as f64 <= probability
    }

    /// Spawns a task; a cancelled handle if the simulation has shut down.
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let Some(task) = self.spawn_task(future) else {
            return JoinHandle::cancelled();
        };
        // A panic of the task's destructor comes back as a panic, as on tokio.
        JoinHandle::from_async_task_catching(task)
    }

    fn spawn_task<F>(&self, future: F) -> Option<async_task::Task<F::Output, Meta>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if self.lock().closed {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let weak = self.this.clone();
        let shared = self.this.clone();
        #[allow(unsafe_code)]
        let (runnable, task) = Builder::new()
            .metadata(Meta {
                id,
                drop_panic: DropPanic::new(),
            })
            .propagate_panic(true)
            .spawn(
                move |meta: &Meta| Tracked {
                    // SAFETY: the metadata outlives the future (async-task drops it first).
                    future: unsafe { CatchDropPanic::new(future, &meta.drop_panic) },
                    id,
                    shared,
                },
                move |r| schedule(&weak, r),
            );
        {
            let mut st = self.lock();
            if st.closed {
                drop(st);
                // Dropped unpolled: the handle says cancelled.
                drop(runnable);
                return Some(task);
            }
            st.live.insert(id, runnable.waker());
            st.trace.push(Event::Spawn(id));
            let State { pct, rng, .. } = &mut *st;
            if let Some(pct) = pct {
                pct.add(id, rng);
            }
        }
        runnable.schedule();
        Some(task)
    }

    /// Runs `f` on a thread of its own; the simulation's time stands still until it
    /// returns, and its result is delivered to the awaiting task at the next step that finds
    /// nothing else ready.
    pub(crate) fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = anyrt_core::channel::oneshot::channel();
        let task = self.spawn_task(async move {
            match rx.await {
                Ok(Ok(value)) => value,
                Ok(Err(payload)) => panic::resume_unwind(payload),
                // The thread could not be started (reported there) or its result was lost.
                Err(_) => std::future::pending().await,
            }
        });
        let Some(task) = task else {
            return JoinHandle::cancelled();
        };
        let id = task.metadata().id;
        self.lock().blocking += 1;
        let weak = self.this.clone();
        let started = thread::Builder::new()
            .name("anyrt-sim-blocking".into())
            .spawn(move || {
                let out = {
                    let _enter = enter(weak.clone(), ThreadContext::blocking_on(Backend::Sim));
                    panic::catch_unwind(AssertUnwindSafe(f))
                };
                // Not sent from here: the driver hands it over at a step of its own
                // (`State::completed`), so that when this thread finishes decides nothing.
                let complete: Completion = Box::new(move || {
                    let _ = tx.send(out);
                });
                let Some(shared) = weak.upgrade() else {
                    return;
                };
                let mut st = shared.lock();
                st.blocking -= 1;
                st.epoch += 1;
                st.blocking_overdue = false;
                let late = match st.closed {
                    // The result (a user's value) is dropped outside the lock.
                    true => Some(complete),
                    false => {
                        st.completed.push((id, complete));
                        None
                    }
                };
                drop(st);
                shared.outside.notify_all();
                drop(late);
            });
        if let Err(e) = started {
            self.lock().blocking -= 1;
            panic!("anyrt-sim: could not start a thread for a blocking closure: {e}");
        }
        JoinHandle::from_blocking_async_task(task)
    }

    /// A sleep until the virtual time `deadline` (`None`: never).
    pub(crate) fn sleep_until(&self, deadline: Option<Duration>) -> Sleep {
        Sleep::new(self.this.clone(), deadline)
    }

    pub(crate) fn sleep(&self, duration: Duration) -> Sleep {
        let now = offset_of(self.now());
        self.sleep_until(now.checked_add(duration))
    }

    /// Polls a sleep: `true` once the virtual time reached `deadline`; else its waker is
    /// registered under `key` (made at the first pending poll). `None` once the simulation
    /// has shut down.
    pub(crate) fn poll_timer(
        &self,
        deadline: Duration,
        key: &mut Option<(Duration, u64)>,
        left: &mut Duration,
        waker: &Waker,
    ) -> Option<bool> {
        let mut st = self.lock();
        if st.closed {
            // Shut down (a driver may still hold it for a moment): its timers never fire.
            return None;
        }
        st.keep_pace();
        *left = deadline.saturating_sub(st.now);
        if st.now >= deadline {
            if let Some(k) = key.take() {
                st.timers.remove(&k);
            }
            return Some(true);
        }
        match key {
            Some(k) => match st.timers.get_mut(k) {
                Some(w) if w.will_wake(waker) => {}
                Some(w) => *w = waker.clone(),
                None => {
                    st.timers.insert(*k, waker.clone());
                }
            },
            None => {
                let k = (deadline, st.timer_seq);
                st.timer_seq += 1;
                st.timers.insert(k, waker.clone());
                *key = Some(k);
                if !self.is_driven_here() {
                    // A driver waiting for outside wakes must see the new timer.
                    st.epoch += 1;
                    drop(st);
                    self.outside.notify_all();
                }
            }
        }
        Some(false)
    }

    pub(crate) fn cancel_timer(&self, key: (Duration, u64)) {
        let waker = self.lock().timers.remove(&key);
        drop(waker);
    }

    /// Shuts the simulation down: no task runs again; every task not finished is dropped
    /// (its handle gives cancelled), here, on the calling thread.
    ///
    /// The tasks dropped here may wake others (a destructor that wakes, perhaps under a lock
    /// the woken task's destructor takes): those go to `dying` and are dropped by the loop
    /// of [`drop_dying`] once the drop that woke them has returned, never inside it.
    fn shutdown(&self) {
        let (ready, inbox, live, timers, completed, was_dropping) = {
            let mut st = self.lock();
            st.closed = true;
            self.outside.notify_all();
            let delayed = std::mem::take(&mut st.delayed);
            st.ready.extend(delayed.into_values());
            (
                std::mem::take(&mut st.ready),
                std::mem::take(&mut st.inbox),
                std::mem::take(&mut st.live),
                std::mem::take(&mut st.timers),
                std::mem::take(&mut st.completed),
                std::mem::replace(&mut st.dropping, true),
            )
        };
        drop(completed);
        for runnable in ready.into_iter().chain(inbox) {
            drop(runnable);
        }
        // Woken, a task is scheduled, and a closed simulation drops it (in `drop_dying`).
        for (_, waker) in live {
            waker.wake();
        }
        drop(timers);
        if !was_dropping {
            drop_dying(self);
        }
    }

    /// The next step of the driver, or `None` when the `block_on` future is ready to be
    /// polled (it is picked like a task).
    fn step(&self, st: &mut State) -> Step {
        loop {
            if st.driving == Driving::Background && (st.handover || st.closed) {
                return Step::Stop;
            }
            st.keep_pace();
            st.release_delayed();
            // Timers that polls moved time past fire first, as they would on a real clock.
            if st
                .timers
                .first_key_value()
                .is_some_and(|(&(deadline, _), _)| deadline <= st.now)
            {
                return Step::Wake(st.fire_due());
            }
            let candidates = st.ready.len() + usize::from(st.main_ready);
            if candidates > 0 {
                st.now += POLL_COST;
                let i = st.pick(candidates);
                if i == st.ready.len() {
                    st.main_ready = false;
                    st.trace.push(Event::Poll(MAIN));
                    return Step::Main;
                }
                st.main_at = st.main_at.saturating_sub(usize::from(i < st.main_at));
                let runnable = st.ready.remove(i);
                st.trace.push(Event::Poll(runnable.metadata().id));
                return Step::Task(runnable);
            }
            if !st.inbox.is_empty() || st.main_outside {
                st.blocking_overdue = false;
                let mut inbox = std::mem::take(&mut st.inbox);
                inbox.sort_by_key(|r| r.metadata().id);
                for r in &inbox {
                    st.trace.push(Event::Deliver(r.metadata().id));
                }
                if std::mem::take(&mut st.main_outside) {
                    st.trace.push(Event::Deliver(MAIN));
                    st.wake_main();
                }
                st.ready.extend(inbox);
                continue;
            }
            if st.blocking > 0 && !st.blocking_overdue && st.pace.is_none() {
                return Step::Wait(Wait::Blocking);
            }
            if !st.completed.is_empty() {
                let mut completed = std::mem::take(&mut st.completed);
                completed.sort_by_key(|&(id, _)| id);
                for &(id, _) in &completed {
                    st.trace.push(Event::Deliver(id));
                }
                return Step::Complete(completed);
            }
            if let Some(&(deadline, _)) = st.delayed.first_key_value().map(|(k, _)| k) {
                let timer_first = st
                    .timers
                    .first_key_value()
                    .is_some_and(|(&(t, _), _)| t <= deadline);
                if !timer_first && st.pace.is_none() {
                    st.now = st.now.max(deadline);
                    continue;
                }
            }
            if let Some((&(deadline, _), _)) = st.timers.first_key_value() {
                if st.pace.is_some() {
                    return Step::Wait(Wait::Paced(deadline.saturating_sub(st.now)));
                }
                st.now = st.now.max(deadline);
                return Step::Wake(st.fire_due());
            }
            return match st.driving {
                Driving::Background if st.blocking == 0 => Step::Stop,
                Driving::BlockOn if st.blocking == 0 => Step::Wait(Wait::OrDeadlock),
                _ => Step::Wait(Wait::Outside),
            };
        }
    }

    /// Drives the simulation on this thread until `future` completes (after the background
    /// driver, if it runs, has handed over); if another `block_on` drives it, `future` is
    /// polled here with the wakes delivered to this thread.
    fn drive<F: Future>(&self, future: F) -> F::Output {
        {
            let mut st = self.lock();
            loop {
                match st.driving {
                    Driving::Nobody => break,
                    Driving::Background => {
                        st.handover = true;
                        self.outside.notify_all();
                        st = self
                            .outside
                            .wait(st)
                            .unwrap_or_else(PoisonError::into_inner);
                    }
                    Driving::BlockOn | Driving::Global => {
                        drop(st);
                        return block_on_outside(future);
                    }
                }
            }
            st.driving = Driving::BlockOn;
            st.wake_main();
        }
        let _driver = Driver::new(self);
        let waker = Waker::from(Arc::new(MainWaker {
            shared: self.this.clone(),
        }));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        self.run(
            Some(&mut |cx: &mut Context<'_>| future.as_mut().poll(cx)),
            &mut cx,
        )
        .expect("the block_on driver stops only when its future is ready")
    }

    /// The driver loop: until the main future (if any) is ready, or a background driver
    /// stops.
    fn run<T>(&self, mut main: Option<&mut MainPoll<'_, T>>, cx: &mut Context<'_>) -> Option<T> {
        loop {
            let step = {
                let mut st = self.lock();
                self.step(&mut st)
            };
            match step {
                Step::Main => {
                    anyrt_core::coop::reset();
                    if let Some(main) = main.as_mut() {
                        if let Poll::Ready(out) = main(cx) {
                            return Some(out);
                        }
                    }
                }
                Step::Task(runnable) => {
                    anyrt_core::coop::reset();
                    runnable.run();
                }
                Step::Wake(wakers) => wakers.into_iter().for_each(Waker::wake),
                Step::Complete(completed) => completed.into_iter().for_each(|(_, c)| c()),
                Step::Wait(wait) => self.wait_outside(wait),
                Step::Stop => return None,
            }
        }
    }

    /// Starts the background driver (the caller saw `Driving::Nobody` and set
    /// `Driving::Background` under the lock).
    fn start_background(&self) {
        let Some(shared) = self.this.upgrade() else {
            return;
        };
        let started = thread::Builder::new()
            .name(self.thread_name.clone())
            .spawn(move || {
                let _enter = enter(shared.this.clone(), ThreadContext::async_on(Backend::Sim));
                let _driver = Driver::new(&shared);
                // A `block_on` that comes at once (`rt.spawn(..)` then `rt.block_on(..)`)
                // takes the work over before any of it runs here: the schedule stays the
                // seed's.
                drop(
                    shared
                        .outside
                        .wait_timeout_while(shared.lock(), BACKGROUND_GRACE, |st| {
                            !st.handover && !st.closed
                        })
                        .unwrap_or_else(PoisonError::into_inner),
                );
                let mut cx = Context::from_waker(Waker::noop());
                shared.run::<()>(None, &mut cx);
            });
        if started.is_err() {
            // No thread: the work waits for the next `block_on`.
            let mut st = self.lock();
            st.driving = Driving::Nobody;
            st.pace = None;
        }
    }

    /// Waits until something arrives from outside the driving thread.
    fn wait_outside(&self, wait: Wait) {
        let st = self.lock();
        let epoch = st.epoch;
        let arrived = move |st: &State| {
            !st.inbox.is_empty() || st.main_outside || st.epoch != epoch || st.handover || st.closed
        };
        match wait {
            Wait::Outside => {
                let _st = self
                    .outside
                    .wait_while(st, |st| !arrived(st))
                    .unwrap_or_else(PoisonError::into_inner);
            }
            Wait::Paced(d) => {
                let _st = self
                    .outside
                    .wait_timeout_while(st, d, |st| !arrived(st))
                    .unwrap_or_else(PoisonError::into_inner);
            }
            Wait::Blocking => {
                let (mut st, timeout) = self
                    .outside
                    .wait_timeout_while(st, BLOCKING_GRACE, |st| !arrived(st))
                    .unwrap_or_else(PoisonError::into_inner);
                st.blocking_overdue = timeout.timed_out();
            }
            Wait::OrDeadlock => {
                let (st, timeout) = self
                    .outside
                    .wait_timeout_while(st, DEADLOCK_AFTER, |st| !arrived(st))
                    .unwrap_or_else(PoisonError::into_inner);
                if timeout.timed_out() {
                    let steps = st.trace.steps();
                    drop(st);
                    panic!(
                        "anyrt-sim: deadlock (seed {}, after {steps} steps): every task is \
                         waiting, no timer is set, no blocking closure is running, and \
                         nothing outside the simulation woke a task for {} s. Look for a \
                         task awaiting a channel or lock that nothing will ever complete",
                        self.seed,
                        DEADLOCK_AFTER.as_secs()
                    );
                }
            }
        }
    }
}

impl State {
    /// Moves virtual time up to real time while paced.
    fn keep_pace(&mut self) {
        if let Some((real, virt)) = self.pace {
            self.now = self.now.max(virt + real.elapsed());
        }
    }

    /// Claims the simulation for a background driver if nobody drives it and it has work:
    /// `true` if the caller must start one (after unlocking).
    fn claim_background(&mut self) -> bool {
        let has_work = !self.ready.is_empty()
            || !self.inbox.is_empty()
            || !self.timers.is_empty()
            || !self.delayed.is_empty();
        if self.driving != Driving::Nobody || self.closed || !has_work || !self.background_allowed {
            return false;
        }
        self.driving = Driving::Background;
        self.pace = Some((std::time::Instant::now(), self.now));
        true
    }

    /// Removes the timers due at the virtual time and gives their wakers, in seed order
    /// for those due at the same instant (all of them are: they fire as soon as they are
    /// due).
    fn fire_due(&mut self) -> Vec<Waker> {
        let mut due = Vec::new();
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > self.now {
                break;
            }
            let ((_, seq), waker) = entry.remove_entry();
            due.push((seq, waker));
        }
        for i in (1..due.len()).rev() {
            let j = self.rng.below(i + 1);
            due.swap(i, j);
        }
        for (seq, _) in &due {
            self.trace.push(Event::Fire(*seq, self.now));
        }
        due.into_iter().map(|(_, w)| w).collect()
    }

    /// Picks one of `n` candidates: the ready tasks in wake order, then the `block_on`
    /// future (index `ready.len()`) if it is ready.
    fn pick(&mut self, n: usize) -> usize {
        let step = self.trace.steps() as usize;
        self.trace.step();
        // The scheduler runs (and draws its numbers) in a replay too, so that the numbers
        // drawn for everything else (timers due at once) are the same.
        let mut i = self.choose(n);
        if let Some(replay) = &self.replay {
            i = replay.get(step).map_or(0, |&d| (d as usize).min(n - 1));
        }
        self.decisions.push(i as u32);
        i
    }

    /// Queues a woken task: at once, or (with [`DELAYS`], at a seeded chance) after a seeded
    /// scheduling delay.
    fn push_ready(&mut self, runnable: Runnable<Meta>) {
        if let Some(rng) = &mut self.delays {
            let draw = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            if draw < DELAY_PROBABILITY {
                let span = DELAY_MAX.as_nanos() as u64;
                let delay = Duration::from_nanos(1 + rng.next_u64() % span);
                let id = runnable.metadata().id;
                self.trace.push(Event::Delay(id, delay));
                self.delayed.insert((self.now + delay, id), runnable);
                return;
            }
        }
        self.ready.push(runnable);
    }

    /// Moves the delayed tasks whose time has come to the run queue, in time order.
    fn release_delayed(&mut self) {
        while let Some(entry) = self.delayed.first_entry() {
            if entry.key().0 > self.now {
                break;
            }
            let runnable = entry.remove();
            self.ready.push(runnable);
        }
    }

    /// Marks the `block_on` future ready, behind the tasks ready now.
    fn wake_main(&mut self) {
        if !self.main_ready {
            self.main_ready = true;
            self.main_at = self.ready.len();
        }
    }

    /// The scheduler's choice among `n` candidates.
    fn choose(&mut self, n: usize) -> usize {
        if self.fifo {
            // The oldest wake: the `block_on` future once the tasks woken before it ran.
            return if self.main_ready && self.main_at == 0 {
                n - 1
            } else {
                0
            };
        }
        let Some(pct) = &mut self.pct else {
            return self.rng.below(n);
        };
        let id_of =
            |ready: &[Runnable<Meta>], i: usize| ready.get(i).map_or(MAIN, |r| r.metadata().id);
        let best = |pct: &Pct, ready: &[Runnable<Meta>]| {
            (0..n)
                .max_by_key(|&i| pct.priority.get(&id_of(ready, i)).copied().unwrap_or(0))
                .unwrap_or(0)
        };
        let mut i = best(pct, &self.ready);
        let step = self.trace.steps();
        if pct.change_points.binary_search(&step).is_ok() {
            pct.low = pct.low.saturating_sub(1);
            pct.priority.insert(id_of(&self.ready, i), pct.low);
            i = best(pct, &self.ready);
        }
        i
    }
}

/// Marks the thread as the simulation's driver until dropped.
struct Driver<'a> {
    shared: &'a Shared,
    prev: *const Shared,
}

impl<'a> Driver<'a> {
    fn new(shared: &'a Shared) -> Driver<'a> {
        let prev = DRIVING.with(|d| d.replace(std::ptr::from_ref(shared)));
        Driver { shared, prev }
    }
}

impl Drop for Driver<'_> {
    fn drop(&mut self) {
        DRIVING.with(|d| d.set(self.prev));
        let mut st = self.shared.lock();
        let mut handed_over = false;
        match st.driving {
            Driving::Background => {
                handed_over = std::mem::take(&mut st.handover);
                st.pace = None;
            }
            Driving::BlockOn | Driving::Nobody => {}
            Driving::Global => return,
        }
        st.driving = Driving::Nobody;
        // Work left over (tasks a `block_on` spawned, wakes that came while the background
        // driver stopped) goes on in the background, as on a runtime with worker threads;
        // not when a `block_on` is taking over.
        let start = !handed_over && st.claim_background();
        drop(st);
        self.shared.outside.notify_all();
        if start {
            self.shared.start_background();
        }
    }
}

/// The waker of a `block_on`'s future.
struct MainWaker {
    shared: Weak<Shared>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let mut st = shared.lock();
        if shared.is_driven_here() {
            st.wake_main();
        } else {
            st.main_outside = true;
            st.epoch += 1;
            drop(st);
            shared.outside.notify_all();
        }
    }
}

/// The schedule function of every task: the run queue on the driving thread, the inbox
/// elsewhere; dropped (the task cancelled) once the simulation has shut down.
fn schedule(shared: &Weak<Shared>, runnable: Runnable<Meta>) {
    let Some(shared) = shared.upgrade() else {
        drop(runnable);
        return;
    };
    let mut st = shared.lock();
    if st.closed {
        st.dying.push(runnable);
        if st.dropping {
            // Dropped by the loop of the thread dropping the others (this one, further up
            // its stack, or another).
            return;
        }
        st.dropping = true;
        drop(st);
        drop_dying(&shared);
    } else if shared.is_driven_here() {
        st.push_ready(runnable);
    } else {
        st.inbox.push(runnable);
        st.epoch += 1;
        let start = st.claim_background();
        drop(st);
        shared.outside.notify_all();
        if start {
            shared.start_background();
        }
    }
}

/// Drops the tasks scheduled after the shutdown, in a loop until none is left: dropping one
/// may wake another (a task awaiting its handle), which lands here rather than being dropped
/// inside the drop of the first (a chain of 100,000 such tasks overflowed the stack).
fn drop_dying(shared: &Shared) {
    loop {
        let batch = {
            let mut st = shared.lock();
            if st.dying.is_empty() {
                st.dropping = false;
                return;
            }
            std::mem::take(&mut st.dying)
        };
        drop(batch);
    }
}

pin_project_lite::pin_project! {
    /// A task's future: leaves the simulation's list of live tasks when it is dropped. A
    /// panic of its destructor is caught by the `CatchDropPanic` inside (async-task would
    /// abort the process), and the handle gives it.
    struct Tracked<F> {
        #[pin]
        future: CatchDropPanic<F>,
        id: u64,
        shared: Weak<Shared>,
    }

    impl<F> PinnedDrop for Tracked<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(shared) = this.shared.upgrade() {
                let waker = shared.lock().live.remove(this.id);
                drop(waker);
            }
        }
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().future.poll(cx)
    }
}

/// Polls `future` on the calling thread, which is not the simulation's driver (a blocking
/// closure, a plain thread using the process-wide simulation): its wakes unpark the thread.
fn block_on_outside<F: Future>(future: F) -> F::Output {
    struct Unpark(thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        anyrt_core::coop::reset();
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}

/// An owned simulation: a seeded single-threaded executor with virtual time.
///
/// Its tasks run only while a thread is inside [`block_on`](Self::block_on), on that
/// thread. Dropping it drops every task not finished (their handles give cancelled), at
/// once; blocking closures still running are detached.
pub struct Runtime {
    shared: Arc<Shared>,
}

impl Runtime {
    /// A simulation from `config`: its seed (else `ANYRT_SIM_SEED`, else 0) and scheduler
    /// (else [`Scheduler::Random`]). `worker_threads` is checked as on every backend and
    /// otherwise ignored (a simulation has one thread); so is `current_thread`, which it
    /// always is.
    ///
    /// # Errors
    ///
    /// Zero worker threads, `Pct { depth: 0 }`, or an `ANYRT_SIM_SEED` that is not a
    /// number.
    pub fn with_config(config: &RuntimeConfig) -> io::Result<Runtime> {
        config.workers()?;
        let seed = match config.get_knob::<u64>(Backend::Sim, SEED).copied() {
            Some(seed) => seed,
            None => env_seed()?.unwrap_or(0),
        };
        let scheduler = config
            .get_knob::<Scheduler>(Backend::Sim, SCHEDULER)
            .copied()
            .unwrap_or_default();
        if let Scheduler::Pct { depth: 0 } = scheduler {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Scheduler::Pct { depth: 0 }: the depth must be at least 1 (1 is a random \
                 priority order with no change point)",
            ));
        }
        let shared = Shared::new(
            seed,
            scheduler,
            false,
            config.name().unwrap_or("anyrt-sim-background"),
        );
        {
            let mut st = shared.lock();
            st.background_allowed = !config.is_current_thread();
            // A FIFO schedule has no delays: they would reorder its wakes.
            if config.get_knob::<bool>(Backend::Sim, DELAYS) == Some(&true)
                && scheduler != Scheduler::Fifo
            {
                st.delays = Some(Rng::new(seed ^ 0x3C6E_F372_FE94_F82B));
            }
        }
        Ok(Runtime { shared })
    }

    /// The seed of this simulation's schedule.
    pub fn seed(&self) -> u64 {
        self.shared.seed
    }

    /// The scheduler.
    pub fn scheduler(&self) -> Scheduler {
        self.shared.scheduler
    }

    /// The hash of the trace so far: every step (poll, delivery, timer fire, spawn) in
    /// order. The same seed, build and inputs give the same hash.
    pub fn trace_hash(&self) -> u64 {
        self.shared.trace_hash()
    }

    /// The number of scheduling decisions so far.
    pub fn trace_steps(&self) -> u64 {
        self.shared.trace_steps()
    }

    /// The schedule so far: the seed and every scheduling decision, which
    /// [`Runtime::replay`] follows exactly.
    pub fn schedule(&self) -> Schedule {
        Schedule {
            seed: self.shared.seed,
            decisions: self.shared.lock().decisions.clone(),
        }
    }

    /// A simulation that follows `schedule` (from [`Runtime::schedule`] or a replay token)
    /// instead of its scheduler's choices: the same program gives the same run. Past the
    /// schedule's end it runs the task woken first at every step.
    ///
    /// # Errors
    ///
    /// As [`with_config`](Self::with_config).
    pub fn replay(config: &RuntimeConfig, schedule: &Schedule) -> io::Result<Runtime> {
        let rt = Runtime::with_config(&config.clone().knob(Backend::Sim, SEED, schedule.seed))?;
        rt.shared.lock().replay = Some(schedule.decisions.clone());
        Ok(rt)
    }

    /// Keeps the trace's events from now on, for [`trace_events`](Self::trace_events).
    pub fn record_trace(&self) {
        self.shared.record_trace();
    }

    /// The events recorded since [`record_trace`](Self::record_trace).
    pub fn trace_events(&self) -> Vec<Event> {
        self.shared.trace_events()
    }

    /// The virtual time.
    pub fn now(&self) -> Instant {
        self.shared.now()
    }

    /// A handle to this simulation; it does not keep it alive.
    pub fn handle(&self) -> Handle {
        Handle {
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// Runs `future` to completion, driving the simulation on the calling thread meanwhile
    /// (every task of it runs here). Spawns inside go to it and `spawn_local` works.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = enter(
            self.shared.this.clone(),
            ThreadContext::async_on(Backend::Sim),
        );
        local::scope(future, |f| self.shared.drive(f))
    }

    /// Spawns a task on this simulation, from any thread (from another thread than the
    /// driver's it is delivered at a step that finds nothing else ready).
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future)
    }

    /// Runs `f` on a thread of its own: see [`Handle::spawn_blocking`].
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.shared.spawn_blocking(f)
    }

    /// Shuts the simulation down, as a drop does: a simulation has no threads to wait for.
    pub fn shutdown_timeout(self, _timeout: Duration) {}
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shared.shutdown();
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("seed", &self.shared.seed)
            .field("scheduler", &self.shared.scheduler)
            .finish_non_exhaustive()
    }
}

/// `ANYRT_SIM_SEED`, if set.
fn env_seed() -> io::Result<Option<u64>> {
    let Some(value) = std::env::var_os("ANYRT_SIM_SEED") else {
        return Ok(None);
    };
    let value = value.to_string_lossy();
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let parsed = match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => value.parse(),
    };
    parsed.map(Some).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("ANYRT_SIM_SEED={value:?} is not a seed ({e}): give a u64, such as 42 or 0x2a"),
        )
    })
}

/// A handle to a simulation: spawns onto it from any thread without keeping it alive.
#[derive(Clone)]
pub struct Handle {
    shared: Weak<Shared>,
}

impl Handle {
    /// The simulation the calling thread is inside, if any.
    pub fn current() -> Option<Handle> {
        CURRENT
            .with(|c| c.borrow().clone())
            .map(|shared| Handle { shared })
    }

    /// The process-wide simulation, started on first use: driven by a thread of its own,
    /// seeded from `ANYRT_SIM_SEED` (else 0). What a spawn outside every simulation uses;
    /// not deterministic, since the threads that use it race.
    pub fn global() -> Handle {
        Handle {
            shared: Arc::downgrade(global()),
        }
    }

    /// Spawns a task on the simulation; a cancelled handle once it has shut down.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self.shared.upgrade() {
            Some(shared) => shared.spawn(future),
            None => JoinHandle::cancelled(),
        }
    }

    /// Runs `f` on a thread of its own, with the simulation's blocking context: virtual time
    /// stands still until it returns, and its result reaches the awaiting task at a step of
    /// the schedule (the first that finds nothing else ready). `abort` does not stop it.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        match self.shared.upgrade() {
            Some(shared) => shared.spawn_blocking(f),
            None => JoinHandle::cancelled(),
        }
    }

    /// Runs `future` to completion on the calling thread, inside this simulation: it drives
    /// the simulation if no thread does, else it waits on its own thread for the wakes.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = enter(self.shared.clone(), ThreadContext::async_on(Backend::Sim));
        local::scope(future, |future| match self.shared.upgrade() {
            Some(shared) => shared.drive(future),
            None => block_on_outside(future),
        })
    }

    /// A sleep on this simulation's clock.
    pub fn sleep(&self, duration: Duration) -> Sleep {
        match self.shared.upgrade() {
            Some(shared) => shared.sleep(duration),
            None => Sleep::new(Weak::new(), None),
        }
    }

    /// A sleep until `deadline` on this simulation's clock.
    pub fn sleep_until(&self, deadline: Instant) -> Sleep {
        Sleep::new(self.shared.clone(), Some(offset_of(deadline)))
    }

    /// The simulation's virtual time (the system's clock once it is gone).
    pub fn now(&self) -> Instant {
        match self.shared.upgrade() {
            Some(shared) => shared.now(),
            None => Instant::system_now(),
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alive = self.shared.upgrade();
        f.debug_struct("Handle")
            .field("seed", &alive.as_ref().map(|s| s.seed))
            .field("alive", &alive.is_some())
            .finish()
    }
}

/// The process-wide simulation and the thread that drives it.
pub(crate) fn global() -> &'static Arc<Shared> {
    static GLOBAL: OnceLock<Arc<Shared>> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        let seed = env_seed().ok().flatten().unwrap_or(0);
        let shared = Shared::new(seed, Scheduler::Random, true, "anyrt-sim-global");
        // Claimed before the thread starts: no `block_on` may drive it meanwhile (and
        // leave it with no driver when it returns).
        shared.lock().driving = Driving::Global;
        let driver = shared.clone();
        thread::Builder::new()
            .name("anyrt-sim-global".into())
            .spawn(move || {
                let _enter = enter(driver.this.clone(), ThreadContext::async_on(Backend::Sim));
                let _driver = Driver::new(&driver);
                let mut cx = Context::from_waker(Waker::noop());
                driver.run::<()>(None, &mut cx);
            })
            .unwrap_or_else(|e| {
                panic!("anyrt-sim: could not start the process-wide simulation's thread: {e}")
            });
        shared
    })
}

/// The simulation the calling thread is inside, else the process-wide one.
pub(crate) fn current_or_global() -> Arc<Shared> {
    current().unwrap_or_else(|| global().clone())
}

/// `anyrt::spawn` on this backend.
pub(crate) fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    current_or_global().spawn(future)
}

/// `anyrt::spawn_blocking` on this backend.
pub(crate) fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    current_or_global().spawn_blocking(f)
}

/// `anyrt::block_on` on this backend: inside the simulation of the blocking closure the
/// thread runs, else the process-wide one.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let handle = Handle::current().unwrap_or_else(Handle::global);
    handle.block_on(future)
}
