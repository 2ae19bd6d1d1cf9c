//! Diagnostics: `tracing` events and spans when the `tracing` feature is on, nothing at all
//! otherwise. Every call site passes only non-secret values (generations, scope sets, status
//! codes, error kinds and their `Display`, which the core keeps free of tokens and bodies).

/// A `tracing` event at the given level, or nothing without the `tracing` feature.
macro_rules! event {
    ($level:ident, $($arg:tt)+) => {{
        #[cfg(feature = "tracing")]
        {
            ::tracing::$level!($($arg)+);
        }
    }};
}

/// A `tracing` span at the given level entered around a future, or the future itself.
macro_rules! instrument {
    ($future:expr, $level:ident, $($arg:tt)+) => {{
        #[cfg(feature = "tracing")]
        {
            ::tracing::Instrument::instrument($future, ::tracing::$level!($($arg)+))
        }
        #[cfg(not(feature = "tracing"))]
        {
            $future
        }
    }};
}

pub(crate) use event;
pub(crate) use instrument;
