//! Parsing of the attribute arguments: `#[anyrt::test(tokio, smol, worker_threads = 2)]`.
//!
//! Every problem is reported with the span of the token that causes it, and parsing goes on
//! after an error (to the next comma) so that one compile shows all of them.

use proc_macro2::{TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, Token};

/// The list every "unknown argument" error ends with.
fn valid_arguments() -> String {
    let mut s = String::from("valid arguments: ");
    for b in Backend::ALL {
        s.push_str(b.ident());
        s.push_str(", ");
    }
    s.push_str("worker_threads = N, current_thread");
    s
}

/// What `sim(..)` takes.
const SIM_OPTIONS: &str = "`sim` takes `seeds = N` (explore N seeds), `pct = D` (the PCT scheduler of depth D), `fifo` (tasks in the order they were woken, for tests that assume it), `no_delays` (no seeded scheduling delays) and `check` (run each seed twice and compare the traces), e.g. `sim(seeds = 100)`";

/// Which attribute is being expanded; they accept the same arguments with different limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `#[anyrt::test]`: any set of distinct backends.
    Test,
    /// `#[anyrt::main]`: at most one backend.
    Main,
}

impl Kind {
    /// The attribute as the user writes it, for messages.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Test => "#[anyrt::test]",
            Kind::Main => "#[anyrt::main]",
        }
    }
}

/// A backend named in the arguments. Mirrors `anyrt_core::Backend`, which this crate cannot
/// depend on (a proc-macro crate only produces tokens naming it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backend {
    /// The argument that names it, which is also the name of its generated test.
    ident: &'static str,
    /// The variant of `anyrt::__private::Backend`.
    variant: &'static str,
    /// Whether its feature is on: `anyrt`'s backend features turn on this crate's feature of
    /// the same name, so a test is only generated for a backend that is compiled in.
    enabled: bool,
}

impl Backend {
    /// All backends, in the order their tests are generated: this crate's features, in the
    /// order of its Cargo.toml (`build.rs` writes the rows).
    pub(crate) const ALL: &'static [Backend] = include!(concat!(env!("OUT_DIR"), "/backends.rs"));

    const fn new(ident: &'static str, variant: &'static str, enabled: bool) -> Backend {
        Backend {
            ident,
            variant,
            enabled,
        }
    }

    /// The argument that names this backend, which is also the name of its generated test.
    pub(crate) fn ident(self) -> &'static str {
        self.ident
    }

    /// The variant of `anyrt::__private::Backend`.
    pub(crate) fn variant(self) -> &'static str {
        self.variant
    }

    /// Whether its feature is enabled in `anyrt`.
    pub(crate) fn enabled(self) -> bool {
        self.enabled
    }

    fn from_ident(name: &str) -> Option<Backend> {
        Backend::ALL.iter().copied().find(|b| b.ident() == name)
    }

    /// The backend named `ident` (for this crate's tests).
    #[cfg(test)]
    pub(crate) fn named(ident: &str) -> Backend {
        Backend::from_ident(ident).expect("a backend of that name")
    }
}

/// The parsed arguments of either attribute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Args {
    /// The backends named, in the order given; empty means "every enabled backend" for a
    /// test and "the default selection" for main.
    pub(crate) backends: Vec<Backend>,
    /// `worker_threads = N`, at least 1.
    pub(crate) worker_threads: Option<usize>,
    /// `current_thread`: a runtime whose tasks run on the thread of its `block_on`.
    pub(crate) current_thread: bool,
    /// `sim(seeds = N)`: the number of seeds the simulation explores.
    pub(crate) sim_seeds: Option<u64>,
    /// `sim(check)`: every seed runs twice and the traces must agree.
    pub(crate) sim_check: bool,
    /// `sim(pct = D)`: the PCT scheduler of depth `D` instead of the random one.
    pub(crate) sim_pct: Option<u32>,
    /// `sim(fifo)`: tasks in the order they were woken.
    pub(crate) sim_fifo: bool,
    /// `sim(no_delays)`: no seeded scheduling delays.
    pub(crate) sim_no_delays: bool,
}

/// Parses the tokens between the attribute's parentheses.
pub(crate) fn parse_args(kind: Kind, tokens: TokenStream) -> syn::Result<Args> {
    (|input: ParseStream<'_>| parse_list(kind, input)).parse2(tokens)
}

fn parse_list(kind: Kind, input: ParseStream<'_>) -> syn::Result<Args> {
    let mut args = Args::default();
    let mut errors = Errors::default();

    while !input.is_empty() {
        let parsed = parse_one(kind, input, &mut args).and_then(|()| {
            if input.is_empty() || input.peek(Token![,]) {
                Ok(())
            } else {
                Err(input.error("expected `,`"))
            }
        });
        if let Err(e) = parsed {
            errors.push(e);
            // Recover at the next comma so that later arguments are checked too.
            while !input.is_empty() && !input.peek(Token![,]) {
                input.parse::<TokenTree>()?;
            }
        }
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }

    match errors.take() {
        Some(e) => Err(e),
        None => Ok(args),
    }
}

fn parse_one(kind: Kind, input: ParseStream<'_>, args: &mut Args) -> syn::Result<()> {
    // `async-std`, as in the Cargo feature name, lexes as the keyword `async`, `-`, `std`.
    if input.peek(Token![async]) {
        let mut written = TokenStream::new();
        written.extend([input.parse::<TokenTree>()?]);
        if input.peek(Token![-]) && input.peek2(Ident) {
            written.extend([input.parse::<TokenTree>()?, input.parse::<TokenTree>()?]);
        }
        return Err(syn::Error::new_spanned(
            written,
            format!(
                "the async-std backend is written `async_std`; {}",
                valid_arguments()
            ),
        ));
    }

    if input.peek(syn::LitStr) {
        let lit: syn::LitStr = input.parse()?;
        let value = lit.value();
        let hint = match Backend::ALL.iter().find(|b| same_name(b.ident(), &value)) {
            Some(b) => format!("write the backend as an identifier: `{}`", b.ident()),
            None => format!("unexpected string literal {:?}", value),
        };
        return Err(syn::Error::new(
            lit.span(),
            format!("{hint}; {}", valid_arguments()),
        ));
    }

    if !input.peek(Ident::peek_any) {
        let tt: TokenTree = input.parse()?;
        return Err(syn::Error::new(
            tt.span(),
            format!("expected an argument, found `{tt}`; {}", valid_arguments()),
        ));
    }

    let ident = input.call(Ident::parse_any)?;
    let name = ident.to_string();

    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        let value: syn::Expr = input.parse()?;
        if name != "worker_threads" {
            return Err(unknown_argument(&ident));
        }
        if args.worker_threads.is_some() {
            return Err(syn::Error::new(
                ident.span(),
                "`worker_threads` is given more than once",
            ));
        }
        if args.current_thread {
            return Err(one_thread_or_workers(&ident));
        }
        args.worker_threads = Some(parse_worker_threads(&value)?);
        return Ok(());
    }

    if name == "worker_threads" {
        return Err(syn::Error::new(
            ident.span(),
            "`worker_threads` needs a value, e.g. `worker_threads = 2`",
        ));
    }

    if name == "current_thread" {
        if args.current_thread {
            return Err(syn::Error::new(
                ident.span(),
                "`current_thread` is given more than once",
            ));
        }
        if args.worker_threads.is_some() {
            return Err(one_thread_or_workers(&ident));
        }
        args.current_thread = true;
        return Ok(());
    }

    let Some(backend) = Backend::from_ident(&name) else {
        return Err(unknown_argument(&ident));
    };
    if input.peek(syn::token::Paren) {
        if name != "sim" {
            return Err(syn::Error::new(
                ident.span(),
                format!("`{name}` takes no options (only `sim(..)` does)"),
            ));
        }
        if kind == Kind::Main {
            return Err(syn::Error::new(
                ident.span(),
                "`sim(..)` options are for `#[anyrt::test]`",
            ));
        }
        let content;
        syn::parenthesized!(content in input);
        parse_sim_options(&content, args)?;
    }
    if args.backends.contains(&backend) {
        return Err(syn::Error::new(
            ident.span(),
            format!("duplicate backend `{name}`"),
        ));
    }
    if kind == Kind::Main {
        if let Some(first) = args.backends.first() {
            return Err(syn::Error::new(
                ident.span(),
                format!(
                    "`{}` runs one runtime: give at most one backend (`{}` is already given)",
                    kind.attribute(),
                    first.ident(),
                ),
            ));
        }
    }
    args.backends.push(backend);
    Ok(())
}

/// `seeds = N`, `check`, comma-separated.
fn parse_sim_options(input: ParseStream<'_>, args: &mut Args) -> syn::Result<()> {
    while !input.is_empty() {
        let ident = input.call(Ident::parse_any)?;
        match ident.to_string().as_str() {
            "seeds" => args.sim_seeds = Some(positive_option(input, &ident, "seeds = N")?),
            "check" => args.sim_check = true,
            "pct" => args.sim_pct = Some(positive_option(input, &ident, "pct = D")?),
            "fifo" => args.sim_fifo = true,
            "no_delays" => args.sim_no_delays = true,
            other => {
                return Err(syn::Error::new(
                    ident.span(),
                    format!("unknown `sim` option `{other}`; {SIM_OPTIONS}"),
                ))
            }
        }
        if args.sim_fifo && args.sim_pct.is_some() {
            return Err(syn::Error::new(
                ident.span(),
                "`sim` takes one scheduler: `pct = D` or `fifo`, not both",
            ));
        }
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(())
}

/// The `= N` of a `sim` option that takes a positive integer.
fn positive_option<N>(input: ParseStream<'_>, name: &Ident, form: &str) -> syn::Result<N>
where
    N: std::str::FromStr + PartialEq + From<u8>,
    N::Err: std::fmt::Display,
{
    input.parse::<Token![=]>()?;
    let lit: syn::LitInt = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("`{name}` takes an integer (`{form}`); {SIM_OPTIONS}"),
        )
    })?;
    let n: N = lit.base10_parse()?;
    if n == N::from(0) {
        return Err(syn::Error::new(
            lit.span(),
            format!("`{name}` must be at least 1"),
        ));
    }
    Ok(n)
}

fn one_thread_or_workers(at: &Ident) -> syn::Error {
    syn::Error::new(
        at.span(),
        "`current_thread` runs everything on one thread: remove `worker_threads`, or \
         `current_thread` for a multi-threaded runtime",
    )
}

fn parse_worker_threads(value: &syn::Expr) -> syn::Result<usize> {
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Int(int),
        ..
    }) = value
    else {
        return Err(syn::Error::new_spanned(
            value,
            "`worker_threads` takes a positive integer literal, e.g. `worker_threads = 2`",
        ));
    };
    let n: usize = int
        .base10_parse()
        .map_err(|e| syn::Error::new(int.span(), format!("`worker_threads`: {e}")))?;
    if n == 0 {
        return Err(syn::Error::new(
            int.span(),
            "`worker_threads` must be at least 1",
        ));
    }
    Ok(n)
}

fn unknown_argument(ident: &Ident) -> syn::Error {
    let name = ident.to_string();
    let suggestion = Backend::ALL
        .iter()
        .map(|b| b.ident())
        .chain(["worker_threads", "current_thread"])
        .find(|valid| same_name(valid, &name));
    let msg = match suggestion {
        Some(valid) => {
            format!(
                "unknown argument `{name}` (did you mean `{valid}`?); {}",
                valid_arguments()
            )
        }
        None => format!("unknown argument `{name}`; {}", valid_arguments()),
    };
    syn::Error::new(ident.span(), msg)
}

/// Whether `written` is `valid` up to case, `_` and `-` (`Tokio`, `"async-std"`, `asyncstd`).
fn same_name(valid: &str, written: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect()
    };
    norm(valid) == norm(written)
}

/// Errors collected so that one compile reports all of them.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn extend(&mut self, error: Option<syn::Error>) {
        if let Some(error) = error {
            self.push(error);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub(crate) fn take(&mut self) -> Option<syn::Error> {
        self.0.take()
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn ok(kind: Kind, tokens: TokenStream) -> Args {
        match parse_args(kind, tokens.clone()) {
            Ok(args) => args,
            Err(e) => panic!("`{tokens}` should parse, got: {e}"),
        }
    }

    /// The messages of every error, in order.
    fn errors(kind: Kind, tokens: TokenStream) -> Vec<String> {
        match parse_args(kind, tokens.clone()) {
            Ok(args) => panic!("`{tokens}` should fail, parsed as {args:?}"),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn empty_means_every_backend_and_default_threads() {
        assert_eq!(ok(Kind::Test, quote!()), Args::default());
        assert_eq!(ok(Kind::Main, quote!()), Args::default());
    }

    #[test]
    fn backends_in_the_order_given() {
        let args = ok(Kind::Test, quote!(async_std, tokio));
        assert_eq!(
            args.backends,
            [Backend::named("async_std"), Backend::named("tokio")]
        );
        let args = ok(Kind::Test, quote!(tokio, smol, async_std, sim,));
        assert_eq!(args.backends, Backend::ALL);
        assert_eq!(args.worker_threads, None);
    }

    #[test]
    fn worker_threads() {
        let args = ok(Kind::Test, quote!(worker_threads = 4));
        assert_eq!(args.worker_threads, Some(4));
        assert!(args.backends.is_empty());
        let args = ok(Kind::Test, quote!(smol, worker_threads = 2usize));
        assert_eq!(args.backends, [Backend::named("smol")]);
        assert_eq!(args.worker_threads, Some(2));
        let args = ok(Kind::Main, quote!(worker_threads = 1, tokio));
        assert_eq!(args.backends, [Backend::named("tokio")]);
        assert_eq!(args.worker_threads, Some(1));
    }

    #[test]
    fn one_backend_on_main() {
        assert_eq!(
            ok(Kind::Main, quote!(smol)).backends,
            [Backend::named("smol")]
        );
        assert_eq!(
            errors(Kind::Main, quote!(tokio, smol)),
            ["`#[anyrt::main]` runs one runtime: give at most one backend (`tokio` is already given)"]
        );
    }

    #[test]
    fn unknown_argument_lists_the_valid_ones() {
        assert_eq!(
            errors(Kind::Test, quote!(foo)),
            ["unknown argument `foo`; valid arguments: tokio, smol, async_std, sim, worker_threads = N, current_thread"]
        );
        assert_eq!(
            errors(Kind::Main, quote!(flavor = "current_thread")),
            ["unknown argument `flavor`; valid arguments: tokio, smol, async_std, sim, worker_threads = N, current_thread"]
        );
        assert_eq!(
            errors(Kind::Test, quote!(crate)),
            ["unknown argument `crate`; valid arguments: tokio, smol, async_std, sim, worker_threads = N, current_thread"]
        );
    }

    #[test]
    fn near_misses_get_a_suggestion() {
        assert_eq!(
            errors(Kind::Test, quote!(Tokio)),
            ["unknown argument `Tokio` (did you mean `tokio`?); valid arguments: tokio, smol, async_std, sim, worker_threads = N, current_thread"]
        );
        assert_eq!(
            errors(Kind::Test, quote!(asyncstd)),
            ["unknown argument `asyncstd` (did you mean `async_std`?); valid arguments: tokio, smol, async_std, sim, worker_threads = N, current_thread"]
        );
        assert_eq!(
            errors(Kind::Test, quote!(workers = 2)),
            ["unknown argument `workers`; valid arguments: tokio, smol, async_std, sim, worker_threads = N, current_thread"]
        );
    }

    #[test]
    fn async_std_spelled_as_the_feature() {
        assert_eq!(
            errors(Kind::Test, quote!(tokio, async-std)),
            ["the async-std backend is written `async_std`; valid arguments: tokio, smol, async_std, sim, worker_threads = N, current_thread"]
        );
    }

    #[test]
    fn strings_are_not_backends() {
        assert_eq!(
            errors(Kind::Test, quote!("async-std")),
            ["write the backend as an identifier: `async_std`; valid arguments: tokio, smol, async_std, sim, worker_threads = N, current_thread"]
        );
        assert_eq!(
            errors(Kind::Test, quote!("glommio")),
            ["unexpected string literal \"glommio\"; valid arguments: tokio, smol, async_std, sim, worker_threads = N, current_thread"]
        );
    }

    #[test]
    fn duplicates() {
        assert_eq!(
            errors(Kind::Test, quote!(tokio, smol, tokio)),
            ["duplicate backend `tokio`"]
        );
        assert_eq!(
            errors(Kind::Test, quote!(worker_threads = 1, worker_threads = 2)),
            ["`worker_threads` is given more than once"]
        );
    }

    #[test]
    fn bad_worker_threads() {
        assert_eq!(
            errors(Kind::Test, quote!(worker_threads = 0)),
            ["`worker_threads` must be at least 1"]
        );
        assert_eq!(
            errors(Kind::Test, quote!(worker_threads)),
            ["`worker_threads` needs a value, e.g. `worker_threads = 2`"]
        );
        assert_eq!(
            errors(Kind::Test, quote!(worker_threads = "2")),
            ["`worker_threads` takes a positive integer literal, e.g. `worker_threads = 2`"]
        );
        assert_eq!(
            errors(Kind::Test, quote!(worker_threads = N)),
            ["`worker_threads` takes a positive integer literal, e.g. `worker_threads = 2`"]
        );
        assert_eq!(
            errors(Kind::Test, quote!(worker_threads = -1)),
            ["`worker_threads` takes a positive integer literal, e.g. `worker_threads = 2`"]
        );
        assert_eq!(
            errors(Kind::Test, quote!(worker_threads = 99999999999999999999999)),
            ["`worker_threads`: number too large to fit in target type"]
        );
    }

    #[test]
    fn every_error_is_reported() {
        assert_eq!(
            errors(Kind::Test, quote!(foo, tokio, worker_threads = 0, tokio)),
            [
                "unknown argument `foo`; valid arguments: tokio, smol, async_std, sim, worker_threads = N, current_thread",
                "`worker_threads` must be at least 1",
                "duplicate backend `tokio`",
            ]
        );
    }

    #[test]
    fn odd_tokens() {
        assert_eq!(
            errors(Kind::Test, quote!(42)),
            ["expected an argument, found `42`; valid arguments: tokio, smol, async_std, sim, worker_threads = N, current_thread"]
        );
        assert_eq!(errors(Kind::Test, quote!(tokio smol)), ["expected `,`"]);
        assert_eq!(
            errors(Kind::Test, quote!(tokio(1), foo)),
            [
                "`tokio` takes no options (only `sim(..)` does)",
                "unknown argument `foo`; valid arguments: tokio, smol, async_std, sim, worker_threads = N, current_thread",
            ]
        );
    }

    #[test]
    fn sim_options() {
        let args = ok(Kind::Test, quote!(tokio, sim(seeds = 100, check, pct = 3)));
        assert_eq!(args.sim_pct, Some(3));
        assert_eq!(
            args.backends,
            [Backend::named("tokio"), Backend::named("sim")]
        );
        assert_eq!(args.sim_seeds, Some(100));
        assert!(args.sim_check);
        assert_eq!(ok(Kind::Test, quote!(sim)).sim_seeds, None);
        assert!(ok(Kind::Test, quote!(sim(fifo, seeds = 2))).sim_fifo);
        assert!(ok(Kind::Test, quote!(sim(no_delays))).sim_no_delays);
        assert_eq!(
            errors(Kind::Test, quote!(sim(fifo, pct = 2))),
            ["`sim` takes one scheduler: `pct = D` or `fifo`, not both"]
        );
        assert_eq!(
            errors(Kind::Test, quote!(sim(seeds = 0))),
            ["`seeds` must be at least 1"]
        );
        let e = errors(Kind::Test, quote!(sim(runs = 3)));
        assert!(
            e[0].starts_with("unknown `sim` option `runs`; `sim` takes `seeds = N`"),
            "{e:?}"
        );
        assert_eq!(
            errors(Kind::Main, quote!(sim(seeds = 2))),
            ["`sim(..)` options are for `#[anyrt::test]`"]
        );
    }

    #[test]
    fn current_thread() {
        assert!(ok(Kind::Test, quote!(current_thread)).current_thread);
        assert!(ok(Kind::Main, quote!(smol, current_thread)).current_thread);
        assert!(!ok(Kind::Test, quote!(smol)).current_thread);
        assert_eq!(
            errors(Kind::Test, quote!(current_thread, worker_threads = 2)),
            ["`current_thread` runs everything on one thread: remove `worker_threads`, or `current_thread` for a multi-threaded runtime"]
        );
        assert_eq!(
            errors(Kind::Test, quote!(current_thread, current_thread)),
            ["`current_thread` is given more than once"]
        );
        assert_eq!(
            errors(Kind::Test, quote!(current_thred)),
            ["unknown argument `current_thred`; valid arguments: tokio, smol, async_std, sim, worker_threads = N, current_thread"]
        );
    }
}
