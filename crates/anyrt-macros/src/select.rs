//! `select!`, `join!` and `try_join!`: tokio's syntax; unbiased order from anyrt's per-thread
//! generator, which the simulation seeds.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Pat, Token};

/// One branch: `pattern = future (, if precondition)? => handler`.
struct Branch {
    pat: Pat,
    fut: Expr,
    cond: Option<Expr>,
    handler: Expr,
}

struct Select {
    biased: bool,
    branches: Vec<Branch>,
    otherwise: Option<Expr>,
}

mod kw {
    syn::custom_keyword!(biased);
}

impl Parse for Select {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut biased = false;
        if input.peek(kw::biased) && input.peek2(Token![;]) {
            input.parse::<kw::biased>()?;
            input.parse::<Token![;]>()?;
            biased = true;
        }
        let mut branches = Vec::new();
        let mut otherwise = None;
        while !input.is_empty() {
            if input.peek(Token![else]) {
                input.parse::<Token![else]>()?;
                input.parse::<Token![=>]>()?;
                let e = parse_handler(input)?;
                if otherwise.replace(e).is_some() {
                    return Err(input.error("select!: only one `else` branch"));
                }
                continue;
            }
            let pat = Pat::parse_multi_with_leading_vert(input)?;
            input.parse::<Token![=]>()?;
            let fut = input.call(Expr::parse_without_eager_brace)?;
            let cond = if input.peek(Token![,]) && input.peek2(Token![if]) {
                input.parse::<Token![,]>()?;
                input.parse::<Token![if]>()?;
                Some(input.call(Expr::parse_without_eager_brace)?)
            } else {
                None
            };
            input.parse::<Token![=>]>()?;
            let handler = parse_handler(input)?;
            branches.push(Branch {
                pat,
                fut,
                cond,
                handler,
            });
        }
        if branches.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "select! needs at least one `pattern = future => handler` branch",
            ));
        }
        if branches.len() > 64 {
            return Err(syn::Error::new(
                Span::call_site(),
                "select! takes at most 64 branches",
            ));
        }
        Ok(Select {
            biased,
            branches,
            otherwise,
        })
    }
}

/// A handler: a block (then an optional comma) or an expression and a comma (or the end).
fn parse_handler(input: ParseStream<'_>) -> syn::Result<Expr> {
    let is_block = input.peek(syn::token::Brace);
    let e: Expr = input.parse()?;
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
    } else if !is_block && !input.is_empty() {
        return Err(input.error("select!: expected `,` after the branch's handler"));
    }
    Ok(e)
}

/// The pattern with every binding replaced by `_` (or by its `@` sub-pattern): what decides
/// whether a branch's output matches, without moving or borrowing from it.
fn clean(pat: &Pat) -> Pat {
    let mut pat = pat.clone();
    clean_in_place(&mut pat);
    pat
}

fn clean_in_place(pat: &mut Pat) {
    match pat {
        Pat::Ident(ident) => {
            *pat = match ident.subpat.take() {
                Some((_, sub)) => {
                    let mut sub = *sub;
                    clean_in_place(&mut sub);
                    sub
                }
                None => syn::parse_quote!(_),
            };
        }
        Pat::Or(p) => p.cases.iter_mut().for_each(clean_in_place),
        Pat::Paren(p) => clean_in_place(&mut p.pat),
        Pat::Reference(p) => {
            p.mutability = None;
            clean_in_place(&mut p.pat);
        }
        Pat::Slice(p) => p.elems.iter_mut().for_each(clean_in_place),
        Pat::Struct(p) => p.fields.iter_mut().for_each(|f| {
            // `Point { x, .. }`: the shorthand binds `x`; write the field out.
            f.colon_token.get_or_insert_with(Default::default);
            clean_in_place(&mut f.pat);
        }),
        Pat::Tuple(p) => p.elems.iter_mut().for_each(clean_in_place),
        Pat::TupleStruct(p) => p.elems.iter_mut().for_each(clean_in_place),
        Pat::Type(p) => clean_in_place(&mut p.pat),
        _ => {}
    }
}

pub(crate) fn select(input: TokenStream) -> syn::Result<TokenStream> {
    let Select {
        biased,
        branches,
        otherwise,
    } = syn::parse2(input)?;
    let n = branches.len();
    let n_u32 = n as u32;
    let variants: Vec<_> = (0..n).map(|i| format_ident!("_{}", i)).collect();
    let futs: Vec<_> = (0..n).map(|i| format_ident!("__anyrt_fut_{}", i)).collect();
    let params: Vec<_> = (0..n).map(|i| format_ident!("T{}", i)).collect();

    let conds = branches.iter().map(|b| match &b.cond {
        Some(c) => quote!(!(#c)),
        None => quote!(false),
    });
    let fut_exprs = branches.iter().zip(&futs).map(|(b, f)| {
        let e = &b.fut;
        quote! {
            let mut #f = ::core::pin::pin!(::core::future::IntoFuture::into_future(#e));
        }
    });
    let poll_arms = branches.iter().enumerate().map(|(i, b)| {
        let f = &futs[i];
        let v = &variants[i];
        let cleaned = clean(&b.pat);
        let idx = i;
        quote! {
            #idx => match ::core::future::Future::poll(#f.as_mut(), __anyrt_cx) {
                ::core::task::Poll::Ready(__anyrt_v) => {
                    __anyrt_disabled[#idx] = true;
                    #[allow(unreachable_patterns, unused_variables)]
                    match __anyrt_v {
                        __anyrt_v @ #cleaned => {
                            return ::core::task::Poll::Ready(__AnyrtOut::#v(__anyrt_v));
                        }
                        _ => continue,
                    }
                }
                ::core::task::Poll::Pending => __anyrt_pending = true,
            },
        }
    });
    let out_arms = branches.iter().enumerate().map(|(i, b)| {
        let v = &variants[i];
        let pat = &b.pat;
        let handler = &b.handler;
        quote!(__AnyrtOut::#v(#pat) => #handler,)
    });
    let otherwise = match otherwise {
        Some(e) => quote!(#e),
        None => quote! {
            ::core::panic!(
                "all branches of select! are disabled (preconditions false, or outputs that did \
                 not match their patterns) and there is no `else` branch"
            )
        },
    };
    let start = match biased {
        true => quote!(0u32),
        false => quote!(::anyrt::__private::select_start(#n_u32)),
    };
    Ok(quote! {{
        #[allow(non_camel_case_types, dead_code)]
        enum __AnyrtOut<#(#params),*> {
            #(#variants(#params),)*
            Disabled,
        }
        let mut __anyrt_disabled: [bool; #n] = [#(#conds),*];
        #(#fut_exprs)*
        let __anyrt_start: u32 = #start;
        let __anyrt_out = ::core::future::poll_fn(|__anyrt_cx| {
            let mut __anyrt_pending = false;
            for __anyrt_i in 0..#n_u32 {
                let __anyrt_b = ::anyrt::__private::nth_from(__anyrt_start, __anyrt_i, #n_u32);
                if __anyrt_disabled[__anyrt_b] {
                    continue;
                }
                match __anyrt_b {
                    #(#poll_arms)*
                    _ => ::core::unreachable!(),
                }
            }
            if __anyrt_pending {
                ::core::task::Poll::Pending
            } else {
                ::core::task::Poll::Ready(__AnyrtOut::Disabled)
            }
        })
        .await;
        #[allow(unreachable_patterns, unused_variables)]
        match __anyrt_out {
            #(#out_arms)*
            __AnyrtOut::Disabled => #otherwise,
            _ => ::core::unreachable!("select!: an output that did not match was taken"),
        }
    }})
}

/// `join!` (`try: false`) and `try_join!` (`try: true`).
pub(crate) fn join(input: TokenStream, try_: bool) -> syn::Result<TokenStream> {
    let exprs = syn::parse::Parser::parse2(Punctuated::<Expr, Token![,]>::parse_terminated, input)?;
    let n = exprs.len();
    if n == 0 {
        return Ok(match try_ {
            true => quote!(::core::result::Result::<(), _>::Ok(())),
            false => quote!(()),
        });
    }
    let n_u32 = n as u32;
    let futs: Vec<_> = (0..n).map(|i| format_ident!("__anyrt_fut_{}", i)).collect();
    let outs: Vec<_> = (0..n).map(|i| format_ident!("__anyrt_out_{}", i)).collect();
    let setup = exprs.iter().zip(&futs).zip(&outs).map(|((e, f), o)| {
        quote! {
            let mut #f = ::core::pin::pin!(::core::future::IntoFuture::into_future(#e));
            let mut #o = ::core::option::Option::None;
        }
    });
    let polls = futs.iter().zip(&outs).enumerate().map(|(i, (f, o))| {
        let ready = match try_ {
            true => quote! {
                match __anyrt_v {
                    ::core::result::Result::Ok(__anyrt_v) => #o = ::core::option::Option::Some(__anyrt_v),
                    ::core::result::Result::Err(__anyrt_e) => {
                        return ::core::task::Poll::Ready(::core::result::Result::Err(__anyrt_e));
                    }
                }
            },
            false => quote!(#o = ::core::option::Option::Some(__anyrt_v);),
        };
        quote! {
            #i => if #o.is_none() {
                match ::core::future::Future::poll(#f.as_mut(), __anyrt_cx) {
                    ::core::task::Poll::Ready(__anyrt_v) => { #ready }
                    ::core::task::Poll::Pending => __anyrt_done = false,
                }
            },
        }
    });
    let take = outs.iter().map(|o| quote!(#o.take().unwrap()));
    let done = match try_ {
        true => quote!(::core::result::Result::Ok((#(#take,)*))),
        false => quote!((#(#take,)*)),
    };
    Ok(quote! {{
        #(#setup)*
        // Each poll starts one future further on, so that none is always polled first.
        let mut __anyrt_next: u32 = 0;
        ::core::future::poll_fn(|__anyrt_cx| {
            let mut __anyrt_done = true;
            let __anyrt_start = __anyrt_next;
            __anyrt_next = ::anyrt::__private::nth_from(__anyrt_next, 1, #n_u32) as u32;
            for __anyrt_i in 0..#n_u32 {
                match ::anyrt::__private::nth_from(__anyrt_start, __anyrt_i, #n_u32) {
                    #(#polls)*
                    _ => ::core::unreachable!(),
                }
            }
            if __anyrt_done {
                ::core::task::Poll::Ready(#done)
            } else {
                ::core::task::Poll::Pending
            }
        })
        .await
    }})
}
