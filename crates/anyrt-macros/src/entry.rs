//! The expansions of `#[anyrt::test]` and `#[anyrt::main]`.
//!
//! Modelled on tokio-macros' `entry.rs`: the function body is not parsed (a syntax error in
//! it is reported by rustc as usual, and IDEs keep working), every error carries the span
//! of the token at fault, and on error the function is still emitted next to the
//! `compile_error!` so that the rest of the crate type-checks as before.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{braced, token, AttrStyle, Attribute, Ident, Signature, Visibility};

use crate::args::{parse_args, Args, Backend, Errors, Kind};

/// `#[anyrt::test]`, for the backends enabled in `anyrt`.
pub(crate) fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    test_for(args, item, Backend::enabled)
}

/// The message of the test generated when no backend is enabled.
fn no_backend_message() -> String {
    let features: Vec<String> = Backend::ALL
        .iter()
        .map(|b| format!("`{}`", b.ident().replace('_', "-")))
        .collect();
    format!(
        "#[anyrt::test] generated no test: no backend is enabled in `anyrt`. Enable at least \
         one of the features {} of anyrt in [dev-dependencies], for example \
         `anyrt = {{ version = \"0.1\", features = [\"tokio\", \"smol\"] }}`",
        features.join(", ")
    )
}

/// With no backend enabled at all, the test that fails saying what to do ("running 0 tests
/// ... ok" would hide that nothing ran).
fn no_backend_test(enabled: fn(Backend) -> bool) -> Option<TokenStream> {
    if Backend::ALL.iter().any(|b| enabled(*b)) {
        return None;
    }
    let msg = no_backend_message();
    Some(quote! {
        #[::core::prelude::v1::test]
        fn no_backend_enabled() {
            ::core::panic!("{}", #msg);
        }
    })
}

/// Removes `#[test]` attributes, each an error: `#[anyrt::test]` generates the tests (a
/// `#[test]` next to it would make a second test of the function).
fn reject_test_attributes(input: &mut ItemFn, errors: &mut Errors) {
    input.attrs.retain(|attr| {
        let is_test = is_test_attribute(attr);
        if is_test {
            errors.push(syn::Error::new_spanned(
                attr,
                "`#[anyrt::test]` already generates `#[test]` functions; remove this attribute",
            ));
        }
        !is_test
    });
}

/// `#[anyrt::test]`, with `enabled` saying which backends get a test.
fn test_for(args: TokenStream, item: TokenStream, enabled: fn(Backend) -> bool) -> TokenStream {
    let mut input: ItemFn = match syn::parse2(item.clone()) {
        Ok(input) => input,
        Err(e) => return with_error(item, e),
    };
    if takes_a_backend(&input.sig) {
        return sync_test_for(args, input, enabled);
    }

    let mut errors = Errors::default();
    errors.extend(check_signature(Kind::Test, &input.sig));
    let signature_ok = errors.is_empty();
    reject_test_attributes(&mut input, &mut errors);
    let args = parse_args(Kind::Test, args).unwrap_or_else(|e| {
        errors.push(e);
        Args::default()
    });

    match errors.take() {
        None => expand_test(&input, &args, enabled),
        // The expansion needs an async fn without parameters; anything else stays as written.
        Some(e) if !signature_ok => with_error(input.original(), e),
        // Bad arguments only: expand as if there were none, so the tests still exist.
        Some(e) => with_error(expand_test(&input, &args, enabled), e),
    }
}

/// `#[anyrt::main]`.
pub(crate) fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    let input: ItemFn = match syn::parse2(item.clone()) {
        Ok(input) => input,
        Err(e) => return with_error(item, e),
    };

    let mut errors = Errors::default();
    errors.extend(check_signature(Kind::Main, &input.sig));
    let args = parse_args(Kind::Main, args).unwrap_or_else(|e| {
        errors.push(e);
        Args::default()
    });

    match errors.take() {
        None => expand_main(input, &args),
        // A sync fn is left as it is; an async one is still made sync, so that an async
        // `main` does not add rustc's "`main` function is not allowed to be `async`".
        Some(e) if input.sig.asyncness.is_none() => with_error(input.original(), e),
        Some(e) => with_error(expand_main(input, &args), e),
    }
}

/// Whether `sig` is `fn name(b: Backend)` (sync, not generic, one parameter whose type is
/// a path ending in `Backend`): a sync test per backend.
fn takes_a_backend(sig: &Signature) -> bool {
    let one_backend = match sig.inputs.iter().collect::<Vec<_>>()[..] {
        [syn::FnArg::Typed(arg)] => matches!(
            &*arg.ty,
            syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Backend")
        ),
        _ => false,
    };
    sig.asyncness.is_none()
        && one_backend
        && sig.generics.params.is_empty()
        && sig.generics.where_clause.is_none()
}

/// `#[anyrt::test]` on `fn name(b: Backend) { .. }`: one sync `#[test]` per backend, each
/// calling the function with its backend, for tests that build, drop or outlive a
/// `Runtime` themselves (which an async test, already inside one, cannot):
///
/// ```text
/// #[allow(dead_code)] #[doc(hidden)] <cfg> <lint attributes>
/// fn __anyrt_test_NAME(b: Backend) { body }
///
/// <cfg> <doc>
/// VIS mod NAME {
///     <doc> <other attributes>
///     #[::core::prelude::v1::test]
///     fn tokio() { super::__anyrt_test_NAME(::anyrt::__private::Backend::Tokio) }
///     // the same for each other backend named (or enabled in `anyrt`)
/// }
/// ```
fn sync_test_for(
    args: TokenStream,
    mut input: ItemFn,
    enabled: fn(Backend) -> bool,
) -> TokenStream {
    let mut errors = Errors::default();
    reject_test_attributes(&mut input, &mut errors);
    let args_tokens = args.clone();
    let args = parse_args(Kind::Test, args).unwrap_or_else(|e| {
        errors.push(e);
        Args::default()
    });
    let runtime_options = args.worker_threads.is_some()
        || args.current_thread
        || args.sim_seeds.is_some()
        || args.sim_check
        || args.sim_pct.is_some()
        || args.sim_fifo
        || args.sim_no_delays;
    if runtime_options {
        errors.push(syn::Error::new_spanned(
            args_tokens,
            "a sync `#[anyrt::test]` (`fn name(b: Backend)`) builds its runtimes itself: it \
             takes backend names only, not `worker_threads`, `current_thread` or `sim(..)`",
        ));
    }

    let name = &input.sig.ident;
    let (cfgs, lints, docs, others) = split_attrs(&input.attrs);
    let body_name = format_ident!("__anyrt_test_{}", name, span = name.span());
    let mut body_sig = input.sig.clone();
    body_sig.ident = body_name.clone();
    let body_block = input.block(true);
    let named: &[Backend] = if args.backends.is_empty() {
        Backend::ALL
    } else {
        &args.backends
    };
    let mut tests: Vec<TokenStream> = named
        .iter()
        .copied()
        .filter(|b| enabled(*b))
        .map(|backend| {
            let test_name = Ident::new(backend.ident(), Span::call_site());
            let variant = Ident::new(backend.variant(), Span::call_site());
            quote! {
                #(#docs)*
                #(#others)*
                #[::core::prelude::v1::test]
                fn #test_name() {
                    super::#body_name(::anyrt::__private::Backend::#variant)
                }
            }
        })
        .collect();
    tests.extend(no_backend_test(enabled));
    let vis = &input.vis;
    let out = quote! {
        #(#cfgs)*
        #(#lints)*
        #[allow(dead_code)]
        #[doc(hidden)]
        #body_sig #body_block

        #(#cfgs)*
        #(#docs)*
        #vis mod #name {
            #(#tests)*
        }
    };
    match errors.take() {
        None => out,
        Some(e) => with_error(out, e),
    }
}

/// A test's attributes, sorted: `cfg`s (on everything generated), lint levels (on the
/// body), docs (on the module and each test), the others (on each test: `should_panic`,
/// `ignore`, other attribute macros).
#[allow(clippy::type_complexity)]
fn split_attrs(
    attrs: &[Attribute],
) -> (
    Vec<&Attribute>,
    Vec<&Attribute>,
    Vec<&Attribute>,
    Vec<&Attribute>,
) {
    let mut cfgs = Vec::new();
    let mut lints = Vec::new();
    let mut docs = Vec::new();
    let mut others = Vec::new();
    for attr in attrs {
        let path = attr.path();
        if path.is_ident("cfg") {
            cfgs.push(attr);
        } else if path.is_ident("doc") {
            docs.push(attr);
        } else if ["allow", "warn", "deny", "forbid", "expect"]
            .iter()
            .any(|lint| path.is_ident(lint))
        {
            // The code they are about is in the body; on the generated `#[test]` functions
            // an `expect` would be unfulfilled.
            lints.push(attr);
        } else {
            // `should_panic`, `ignore`, `cfg_attr`, other attribute macros: about the test.
            others.push(attr);
        }
    }
    (cfgs, lints, docs, others)
}

/// The checks that do not depend on the arguments. `None` if the signature can be expanded.
fn check_signature(kind: Kind, sig: &Signature) -> Option<syn::Error> {
    let mut errors = Errors::default();
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            "the `async` keyword is missing from the function declaration",
        ));
    }
    // A test is called with no arguments by the harness. `#[anyrt::main]` on a function
    // other than `main` may take parameters and generics: the body captures them.
    let (what, checked) = match kind {
        Kind::Test => ("`#[anyrt::test]` functions", true),
        Kind::Main => ("the main function", sig.ident == "main"),
    };
    if checked && !sig.inputs.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.inputs,
            format!("{what} cannot take arguments"),
        ));
    }
    if checked && (!sig.generics.params.is_empty() || sig.generics.where_clause.is_some()) {
        let span = if sig.generics.params.is_empty() {
            sig.generics.where_clause.to_token_stream()
        } else {
            sig.generics.to_token_stream()
        };
        errors.push(syn::Error::new_spanned(
            span,
            format!("{what} cannot be generic"),
        ));
    }
    errors.take()
}

/// The module of one test per backend, each with its own copy of the body:
///
/// ```text
/// #[allow(dead_code)] #[doc(hidden)] <cfg> <lint attributes>
/// async fn __anyrt_test_NAME_tokio() -> R { body }
/// // the same for each other backend enabled in `anyrt`
///
/// <cfg> <doc>
/// VIS mod NAME {
///     <doc> <other attributes>
///     #[::core::prelude::v1::test]
///     fn tokio() {
///         ::anyrt::__private::run_test(
///             ::core::module_path!(), // "crate::path::NAME"
///             ::anyrt::__private::Backend::Tokio,
///             ::core::option::Option::None, // or Some(N) for worker_threads = N
///             false,                        // true for current_thread
///             super::__anyrt_test_NAME_tokio(),
///         );
///     }
///     // the same for each other backend enabled in `anyrt`
/// }
/// ```
///
/// A copy per backend, not one body called by every test: the tests run in parallel, and a
/// `static` declared in the body (a drop counter, a fail-once flag) must be each test's own.
///
/// With no backend enabled at all, the module holds one test, `no_backend_enabled`, that
/// fails with a message naming the features to enable.
///
/// The body stays in the parent module, so paths in it (`super::`, `self::`, private items,
/// names such as `tokio` or `smol`) mean exactly what they meant before.
fn expand_test(input: &ItemFn, args: &Args, enabled: fn(Backend) -> bool) -> TokenStream {
    let name = &input.sig.ident;
    let (cfgs, lints, docs, others) = split_attrs(&input.attrs);

    let body_block = input.block(true);

    let threads = worker_threads(args);
    let current_thread = args.current_thread;
    // An output that is neither `()` nor a `Result` fails `run_test`'s bound; rustc puts
    // that error on the path of the called function, so give it the output's span.
    let output_span = match &input.sig.output {
        syn::ReturnType::Type(_, ty) => ty.span(),
        syn::ReturnType::Default => Span::call_site(),
    };
    let named: &[Backend] = if args.backends.is_empty() {
        Backend::ALL
    } else {
        &args.backends
    };
    let backends: Vec<Backend> = named.iter().copied().filter(|b| enabled(*b)).collect();
    let body_name = |backend: Backend| {
        format_ident!(
            "__anyrt_test_{}_{}",
            name,
            backend.ident(),
            span = name.span()
        )
    };
    // With no backend the body is still compiled once (its errors still show).
    let copies: Vec<Ident> = if backends.is_empty() {
        vec![format_ident!("__anyrt_test_{}", name, span = name.span())]
    } else {
        backends.iter().map(|&b| body_name(b)).collect()
    };
    let bodies = copies.into_iter().map(|copy| {
        let mut body_sig = input.sig.clone();
        body_sig.ident = copy;
        quote! {
            #(#cfgs)*
            #(#lints)*
            #[allow(dead_code)]
            #[doc(hidden)]
            #body_sig #body_block
        }
    });
    let tests = backends.iter().map(|&backend| {
        let body_name = body_name(backend);
        let test_name = Ident::new(backend.ident(), Span::call_site());
        let variant = Ident::new(backend.variant(), Span::call_site());
        let run = if backend.ident() == "sim" {
            let seeds = match args.sim_seeds {
                Some(n) => quote!(::core::option::Option::Some(#n)),
                None => quote!(::core::option::Option::None),
            };
            let check = args.sim_check;
            let delays = !args.sim_no_delays;
            let scheduler = match (args.sim_pct, args.sim_fifo) {
                (Some(depth), _) => quote!(::core::option::Option::Some(
                    ::anyrt::sim::Scheduler::Pct { depth: #depth }
                )),
                (None, true) => quote!(::core::option::Option::Some(::anyrt::sim::Scheduler::Fifo)),
                (None, false) => quote!(::core::option::Option::None),
            };
            quote_spanned! {output_span=>
                ::anyrt::sim::run_sim_test(
                    ::core::module_path!(),
                    #seeds,
                    #check,
                    #scheduler,
                    #delays,
                    #threads,
                    #current_thread,
                    super::#body_name,
                );
            }
        } else {
            quote_spanned! {output_span=>
                ::anyrt::__private::run_test(
                    ::core::module_path!(),
                    ::anyrt::__private::Backend::#variant,
                    #threads,
                    #current_thread,
                    super::#body_name(),
                );
            }
        };
        quote! {
            #(#docs)*
            #(#others)*
            #[::core::prelude::v1::test]
            fn #test_name() {
                #run
            }
        }
    });
    let mut tests: Vec<TokenStream> = tests.collect();
    tests.extend(no_backend_test(enabled));

    let vis = &input.vis;
    quote! {
        #(#bodies)*

        #(#cfgs)*
        #(#docs)*
        #vis mod #name {
            #(#tests)*
        }
    }
}

/// The same function, made sync:
///
/// ```text
/// <attributes, with the body's inner attributes made outer>
/// VIS fn NAME(ARGS) -> R {
///     ::anyrt::__private::run_main(
///         ::core::option::Option::None, // or Some(::anyrt::__private::Backend::Smol)
///         ::core::option::Option::None, // or Some(N) for worker_threads = N
///         false,                        // true for current_thread
///         async move { body },
///     )
/// }
/// ```
fn expand_main(mut input: ItemFn, args: &Args) -> TokenStream {
    input.sig.asyncness = None;
    let backend = match args.backends.first() {
        None => quote!(::core::option::Option::None),
        Some(backend) => {
            let variant = Ident::new(backend.variant(), Span::call_site());
            quote!(::core::option::Option::Some(::anyrt::__private::Backend::#variant))
        }
    };
    let threads = worker_threads(args);
    let current_thread = args.current_thread;
    // Inner attributes are not allowed on an async block; like tokio, lift them to the fn.
    let inner = input.inner_attrs.iter().cloned().map(|mut attr| {
        attr.style = AttrStyle::Outer;
        attr
    });
    let attrs = &input.attrs;
    let vis = &input.vis;
    let sig = &input.sig;
    let block = input.block(false);
    quote! {
        #(#attrs)*
        #(#inner)*
        #vis #sig {
            ::anyrt::__private::run_main(#backend, #threads, #current_thread, async move #block)
        }
    }
}

fn worker_threads(args: &Args) -> TokenStream {
    match args.worker_threads {
        None => quote!(::core::option::Option::None),
        Some(n) => quote!(::core::option::Option::Some(#n)),
    }
}

/// `#[test]`, `#[core::prelude::v1::test]`, `#[::std::prelude::rust_2021::test]` and so on.
fn is_test_attribute(attr: &Attribute) -> bool {
    let syn::Meta::Path(path) = &attr.meta else {
        return false;
    };
    if path.leading_colon.is_none() && path.is_ident("test") {
        return true;
    }
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    matches!(
        segments.iter().map(String::as_str).collect::<Vec<_>>()[..],
        ["core" | "std", "prelude", _, "test"]
    )
}

fn with_error(mut tokens: TokenStream, error: syn::Error) -> TokenStream {
    tokens.extend(error.into_compile_error());
    tokens
}

/// A function item whose body is kept as unparsed tokens.
struct ItemFn {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    brace_token: token::Brace,
    inner_attrs: Vec<Attribute>,
    body: TokenStream,
}

impl ItemFn {
    /// The body in its braces, with its inner attributes if `with_inner`.
    fn block(&self, with_inner: bool) -> TokenStream {
        let mut stream = TokenStream::new();
        if with_inner {
            for attr in &self.inner_attrs {
                attr.to_tokens(&mut stream);
            }
        }
        stream.extend(self.body.clone());
        let mut group = Group::new(Delimiter::Brace, stream);
        group.set_span(self.brace_token.span.join());
        group.into_token_stream()
    }

    /// The function as it was written.
    fn original(&self) -> TokenStream {
        let attrs = &self.attrs;
        let vis = &self.vis;
        let sig = &self.sig;
        let block = self.block(true);
        quote!(#(#attrs)* #vis #sig #block)
    }
}

impl Parse for ItemFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let content;
        let brace_token = braced!(content in input);
        let inner_attrs = content.call(Attribute::parse_inner)?;
        let body = content.parse()?;
        Ok(ItemFn {
            attrs,
            vis,
            sig,
            brace_token,
            inner_attrs,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    /// The expansion with every backend enabled, whatever this crate's features.
    fn test(args: TokenStream, item: TokenStream) -> TokenStream {
        test_for(args, item, |_| true)
    }

    fn messages(tokens: &TokenStream) -> Vec<String> {
        let mut out = Vec::new();
        let mut iter = tokens.clone().into_iter().peekable();
        while let Some(tt) = iter.next() {
            if let proc_macro2::TokenTree::Ident(ident) = &tt {
                if ident == "compile_error" {
                    // `compile_error ! { "msg" }` (syn's form) or with parentheses.
                    iter.next();
                    if let Some(proc_macro2::TokenTree::Group(g)) = iter.next() {
                        let lit: syn::LitStr = syn::parse2(g.stream()).unwrap();
                        out.push(lit.value());
                    }
                }
            }
        }
        out
    }

    #[test]
    fn a_sync_fn_taking_a_backend_is_a_sync_test_per_backend() {
        let out = test(
            quote!(tokio, sim),
            quote!(
                fn drops(b: anyrt::Backend) {
                    drop(b)
                }
            ),
        );
        assert!(messages(&out).is_empty(), "{out}");
        let text = out.to_string();
        assert!(
            text.contains("fn __anyrt_test_drops (b : anyrt :: Backend)"),
            "{text}"
        );
        assert!(text.contains("mod drops"), "{text}");
        for (test, variant) in [("tokio", "Tokio"), ("sim", "Sim")] {
            assert!(
                text.contains(&format!(
                    "fn {test} () {{ super :: __anyrt_test_drops (:: anyrt :: __private :: Backend :: {variant})"
                )),
                "{text}"
            );
        }
        assert!(!text.contains("fn smol"), "{text}");
        // Runtime options make no sense there: an error, with the tests still generated.
        let out = test(
            quote!(worker_threads = 2),
            quote!(
                fn t(b: Backend) {}
            ),
        );
        assert_eq!(messages(&out).len(), 1, "{out}");
        assert!(
            messages(&out)[0].contains("builds its runtimes itself"),
            "{out}"
        );
        assert!(out.to_string().contains("mod t"), "{out}");
    }

    #[test]
    fn test_expansion() {
        let out = test(
            quote!(smol, worker_threads = 2),
            quote! {
                /// Docs.
                #[should_panic]
                #[allow(unused)]
                #[cfg(unix)]
                async fn works() -> Result<(), String> { Ok(()) }
            },
        );
        let expected = quote! {
            #[cfg(unix)]
            #[allow(unused)]
            #[allow(dead_code)]
            #[doc(hidden)]
            async fn __anyrt_test_works_smol() -> Result<(), String> { Ok(()) }

            #[cfg(unix)]
            #[doc = r" Docs."]
            mod works {
                #[doc = r" Docs."]
                #[should_panic]
                #[::core::prelude::v1::test]
                fn smol() {
                    ::anyrt::__private::run_test(
                        ::core::module_path!(),
                        ::anyrt::__private::Backend::Smol,
                        ::core::option::Option::Some(2usize),
                        false,
                        super::__anyrt_test_works_smol(),
                    );
                }
            }
        };
        assert_eq!(out.to_string(), expected.to_string());
    }

    #[test]
    fn test_expands_every_backend_by_default() {
        let out = test(
            quote!(),
            quote!(
                async fn t() {}
            ),
        )
        .to_string();
        for name in ["fn tokio", "fn smol", "fn async_std"] {
            assert!(out.contains(name), "{name} missing in {out}");
        }
        assert!(messages(&test(
            quote!(),
            quote!(
                async fn t() {}
            )
        ))
        .is_empty());
    }

    #[test]
    fn test_expands_only_enabled_backends_and_fails_with_none() {
        let item = quote!(
            async fn t() {}
        );
        let only_smol = test_for(quote!(), item.clone(), |b| b.ident() == "smol").to_string();
        assert!(only_smol.contains("fn smol"), "{only_smol}");
        assert!(!only_smol.contains("fn tokio"), "{only_smol}");
        // A backend named but not compiled in: no test for it, and no error.
        let named_off = test_for(quote!(tokio), item.clone(), |b| b.ident() == "smol");
        assert!(!named_off.to_string().contains("fn tokio"), "{named_off}");
        // No backend at all: one failing test that says what to enable.
        let none = test_for(quote!(), item, |_| false).to_string();
        assert!(none.contains("fn no_backend_enabled"), "{none}");
        assert!(
            none.contains("Enable at least one of the features"),
            "{none}"
        );
    }

    #[test]
    fn test_keeps_inner_attributes_in_the_body() {
        let out = test(
            quote!(),
            quote!(
                async fn t() {
                    #![allow(unused)]
                    let x = 1;
                }
            ),
        );
        let expected_body = quote! {
            #[allow(dead_code)]
            #[doc(hidden)]
            async fn __anyrt_test_t_tokio() { #![allow(unused)] let x = 1; }
        };
        assert!(out.to_string().starts_with(&expected_body.to_string()));
    }

    #[test]
    fn main_expansion() {
        let out = main(
            quote!(smol),
            quote! {
                async fn main() -> std::io::Result<()> { #![allow(unused)] Ok(()) }
            },
        );
        let expected = quote! {
            #[allow(unused)]
            fn main() -> std::io::Result<()> {
                ::anyrt::__private::run_main(
                    ::core::option::Option::Some(::anyrt::__private::Backend::Smol),
                    ::core::option::Option::None,
                    false,
                    async move { Ok(()) }
                )
            }
        };
        assert_eq!(out.to_string(), expected.to_string());
    }

    #[test]
    fn main_on_another_fn_may_take_parameters() {
        let out = main(
            quote!(),
            quote!(
                pub async fn run<T>(x: T) -> T {
                    x
                }
            ),
        );
        assert!(messages(&out).is_empty(), "{out}");
        assert!(out.to_string().starts_with("pub fn run < T > (x : T) -> T"));
    }

    #[test]
    fn signature_errors() {
        let cases: [(TokenStream, &[&str]); 5] = [
            (
                quote!(
                    fn t() {}
                ),
                &["the `async` keyword is missing from the function declaration"],
            ),
            (
                quote!(
                    async fn t(x: u32) {}
                ),
                &["`#[anyrt::test]` functions cannot take arguments"],
            ),
            (
                quote!(
                    async fn t<T>() {}
                ),
                &["`#[anyrt::test]` functions cannot be generic"],
            ),
            (
                quote!(
                    async fn t()
                    where
                        u8: Copy,
                    {
                    }
                ),
                &["`#[anyrt::test]` functions cannot be generic"],
            ),
            (
                quote!(
                    fn t(x: u8) {}
                ),
                &[
                    "the `async` keyword is missing from the function declaration",
                    "`#[anyrt::test]` functions cannot take arguments",
                ],
            ),
        ];
        for (item, expected) in cases {
            let out = test(quote!(), item.clone());
            assert_eq!(messages(&out), expected, "{item}");
            // The function is emitted as written.
            assert!(out.to_string().starts_with(&item.to_string()), "{out}");
        }
    }

    #[test]
    fn argument_errors_still_expand() {
        let out = test(
            quote!(foo),
            quote!(
                async fn t() {}
            ),
        );
        assert_eq!(
            messages(&out),
            ["unknown argument `foo`; valid arguments: tokio, smol, async_std, sim, worker_threads = N, current_thread"]
        );
        assert!(out.to_string().contains("mod t"), "{out}");
        assert!(out.to_string().contains("fn async_std"), "{out}");
    }

    #[test]
    fn second_test_attribute() {
        for attr in [quote!(#[test]), quote!(#[::core::prelude::v1::test])] {
            let out = test(quote!(), quote!(#attr async fn t() {}));
            assert_eq!(
                messages(&out),
                ["`#[anyrt::test]` already generates `#[test]` functions; remove this attribute"]
            );
            // Expanded without it.
            let out = out.to_string();
            assert_eq!(
                out.matches("v1 :: test]").count(),
                Backend::ALL.len(),
                "{out}"
            );
            assert!(!out.contains("# [test]"), "{out}");
        }
    }

    #[test]
    fn main_errors() {
        let out = main(
            quote!(tokio, smol),
            quote!(
                async fn main() {}
            ),
        );
        assert_eq!(
            messages(&out),
            ["`#[anyrt::main]` runs one runtime: give at most one backend (`tokio` is already given)"]
        );
        // Still made sync, so rustc does not add "main is not allowed to be async".
        assert!(out.to_string().starts_with("fn main ()"), "{out}");

        let out = main(
            quote!(),
            quote!(
                fn main() {}
            ),
        );
        assert_eq!(
            messages(&out),
            ["the `async` keyword is missing from the function declaration"]
        );
        assert!(out.to_string().starts_with("fn main () { }"), "{out}");

        let out = main(
            quote!(),
            quote!(
                async fn main(args: Vec<String>) {}
            ),
        );
        assert_eq!(messages(&out), ["the main function cannot take arguments"]);
    }

    #[test]
    fn not_a_function() {
        let out = test(
            quote!(),
            quote!(
                struct S;
            ),
        );
        assert_eq!(messages(&out), ["expected `fn`"]);
        assert!(out.to_string().starts_with("struct S ;"));
    }
}
