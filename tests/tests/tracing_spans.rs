//! Feature `tracing`: a spawned task runs in the span that was current at its spawn, on every
//! backend and for every kind of spawn, so an event emitted by the child carries the
//! parent's span; `task::Builder::no_span` opts out. A recording subscriber (installed once
//! for the process) records each event's `label` and the `label` of its span; every test
//! uses labels of its own, so tests running in parallel do not see each other's events.

use std::sync::{Mutex, OnceLock};

use anyrt::task::JoinSet;
use anyrt_tests::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// (event label, label of the event's span or "-")
static EVENTS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

struct Label(String);

#[derive(Default)]
struct LabelVisitor(Option<String>);

impl Visit for LabelVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "label" {
            self.0 = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "label" {
            self.0 = Some(format!("{value:?}").trim_matches('"').to_string());
        }
    }
}

struct Recorder;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut v = LabelVisitor::default();
        attrs.record(&mut v);
        if let (Some(label), Some(span)) = (v.0, ctx.span(id)) {
            span.extensions_mut().insert(Label(label));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut v = LabelVisitor::default();
        event.record(&mut v);
        let Some(label) = v.0 else { return };
        let span = ctx
            .event_span(event)
            .and_then(|s| s.extensions().get::<Label>().map(|l| l.0.clone()))
            .unwrap_or_else(|| "-".into());
        EVENTS.lock().unwrap().push((label, span));
    }
}

fn install() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Recorder))
            .expect("no other global subscriber in this test binary");
    });
}

/// The span recorded for the event labelled `label`.
fn span_of(label: &str) -> Option<String> {
    EVENTS
        .lock()
        .unwrap()
        .iter()
        .find(|(l, _)| l == label)
        .map(|(_, s)| s.clone())
}

fn event(label: String) {
    tracing::info!(label = label.as_str(), "an event of a spawned task");
}

#[anyrt::test]
async fn a_spawned_task_runs_in_the_span_of_its_spawn() {
    install();
    let b = anyrt::Backend::current().unwrap().to_string();
    let parent = format!("parent-{b}");
    let span = tracing::info_span!("request", label = parent.as_str());
    let handle = anyrt::Handle::current();
    let l = |what: &str| format!("{what}-{b}");
    let (a, c, d, e, g) = {
        let (la, lc, ld, le, lg) = (
            l("spawn"),
            l("blocking"),
            l("handle"),
            l("joinset"),
            l("grandchild"),
        );
        span.in_scope(|| {
            let mut set = JoinSet::new();
            set.spawn(async move { event(le) });
            (
                anyrt::spawn(async move { event(la) }),
                anyrt::spawn_blocking(move || event(lc)),
                handle.spawn(async move { event(ld) }),
                set,
                // Two levels: the child's span is current when it spawns the grandchild.
                anyrt::spawn(async move { anyrt::spawn(async move { event(lg) }).await }),
            )
        })
    };
    let local = {
        let ll = l("local");
        span.in_scope(|| anyrt::spawn_local(async move { event(ll) }))
    };
    within("spawn", a).await.unwrap();
    within("spawn_blocking", c).await.unwrap();
    within("Handle::spawn", d).await.unwrap();
    within("spawn_local", local).await.unwrap();
    within("the grandchild", g).await.unwrap().unwrap();
    let mut set = e;
    within("JoinSet::spawn", set.join_next())
        .await
        .unwrap()
        .unwrap();
    for what in [
        "spawn",
        "blocking",
        "handle",
        "joinset",
        "grandchild",
        "local",
    ] {
        assert_eq!(
            span_of(&l(what)).as_deref(),
            Some(parent.as_str()),
            "the event of the task spawned by {what} on {b}"
        );
    }
}

#[anyrt::test]
async fn no_span_opts_out_and_a_spawn_outside_any_span_has_none() {
    install();
    let b = anyrt::Backend::current().unwrap().to_string();
    let (opted, bare) = (format!("opted-out-{b}"), format!("outside-{b}"));
    let span = tracing::info_span!("request", label = "parent-of-opted-out");
    let o = opted.clone();
    let h = span.in_scope(|| {
        anyrt::task::Builder::new()
            .no_span()
            .spawn(async move { event(o) })
    });
    within("the opted-out task", h).await.unwrap();
    let o = bare.clone();
    within(
        "a task spawned outside spans",
        anyrt::spawn(async move { event(o) }),
    )
    .await
    .unwrap();
    assert_eq!(span_of(&opted).as_deref(), Some("-"));
    assert_eq!(span_of(&bare).as_deref(), Some("-"));
}
