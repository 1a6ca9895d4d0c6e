// Feature gates kept in one place. `cfg_<backend>!` gates items and adds `doc(cfg)`;
// `dispatch!` runs an expression with `rt` bound to the crate of a backend chosen at run time.

macro_rules! cfg_tokio {
    ($($item:item)*) => {$(
        #[cfg(feature = "tokio")]
        #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
        $item
    )*};
}

macro_rules! cfg_async_std {
    ($($item:item)*) => {$(
        #[cfg(feature = "async-std")]
        #[cfg_attr(docsrs, doc(cfg(feature = "async-std")))]
        $item
    )*};
}

/// `dispatch!(backend, rt => expr)`: evaluates `expr` with `rt` naming the backend crate of
/// `backend` (an `anyrt_core::Backend`). A backend that is not compiled in panics with a
/// message naming the feature to enable.
macro_rules! dispatch {
    ($backend:expr, $rt:ident => $e:expr) => {
        match $backend {
            #[cfg(feature = "tokio")]
            anyrt_core::Backend::Tokio => {
                use anyrt_tokio as $rt;
                $e
            }
            #[cfg(feature = "smol")]
            anyrt_core::Backend::Smol => {
                use anyrt_smol as $rt;
                $e
            }
            #[cfg(feature = "async-std")]
            anyrt_core::Backend::AsyncStd => {
                use anyrt_async_std as $rt;
                $e
            }
            #[allow(unreachable_patterns)]
            other => $crate::backend::not_compiled_in(other),
        }
    };
}

/// `each_backend!(Enum, Inner, rt => expr)`: matches a facade enum whose variants wrap each
/// backend's type (`Tokio(x)`, `Smol(x)`, `AsyncStd(x)`), binding the inner value.
macro_rules! each_backend {
    ($value:expr, $enum:ident, $inner:ident, $rt:ident => $e:expr) => {
        match $value {
            #[cfg(feature = "tokio")]
            $enum::Tokio($inner) => {
                #[allow(unused_imports)]
                use anyrt_tokio as $rt;
                $e
            }
            #[cfg(feature = "smol")]
            $enum::Smol($inner) => {
                #[allow(unused_imports)]
                use anyrt_smol as $rt;
                $e
            }
            #[cfg(feature = "async-std")]
            $enum::AsyncStd($inner) => {
                #[allow(unused_imports)]
                use anyrt_async_std as $rt;
                $e
            }
            #[cfg(not(any(feature = "tokio", feature = "smol", feature = "async-std")))]
            $enum::Never(n) => {
                match *::std::borrow::Borrow::<::std::convert::Infallible>::borrow(&n) {}
            }
        }
    };
}
