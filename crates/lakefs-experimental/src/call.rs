//! What every request builder shares: per-call overrides, required-argument checks and the
//! macros that write the builders' setters.

use std::time::Duration;

use crate::{Error, Operation, RetryPolicy};

/// Per-call overrides of the client's settings. Unset ones fall back to the client's.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallOptions {
    /// `Some(None)`: no limit for this call; `None`: the client's limit.
    pub(crate) timeout: Option<Option<Duration>>,
    pub(crate) retry: Option<RetryPolicy>,
}

/// The value of a required argument, or [`Error::InvalidArgument`] naming it when it is unset
/// or empty. Checked before anything is sent.
pub(crate) fn required(
    operation: Operation,
    argument: &'static str,
    value: Option<String>,
) -> Result<String, Error> {
    match value {
        None => Err(Error::InvalidArgument {
            operation,
            argument,
            reason: "is required but was not set".into(),
        }),
        Some(value) if value.is_empty() => Err(Error::InvalidArgument {
            operation,
            argument,
            reason: "must not be empty".into(),
        }),
        Some(value) => Ok(value),
    }
}

/// A required argument that is not a string: present, or an [`Error::InvalidArgument`].
pub(crate) fn present<V>(
    operation: Operation,
    argument: &'static str,
    value: Option<V>,
) -> Result<V, Error> {
    value.ok_or_else(|| Error::InvalidArgument {
        operation,
        argument,
        reason: "is required but was not set".into(),
    })
}

/// Declares a request builder: the struct, its constructor, the per-call overrides
/// (`timeout`, `retry_policy`) and one setter per string argument. Arguments of other types
/// get hand-written setters in the builder's own `impl` block.
macro_rules! request_builder {
    (
        $(#[$struct_doc:meta])*
        $name:ident => $operation:ident {
            strings { $($(#[$string_doc:meta])* $string:ident $(/ $set_string:ident)?),* $(,)? }
            $(others { $($(#[$other_doc:meta])* $other:ident: $other_ty:ty),* $(,)? })?
        }
    ) => {
        $(#[$struct_doc])*
        ///
        /// Every argument is named by its setter; [`send`](Self::send) checks that the required
        /// ones are set (an [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming
        /// the first missing one as the spec spells it, before anything is sent).
        /// [`timeout`](Self::timeout) and [`retry_policy`](Self::retry_policy) override the
        /// client's settings for this call. A builder is `Clone`: prepare a request once and
        /// send copies of it.
        #[must_use = "a request does nothing until it is sent"]
        pub struct $name<T> {
            client: $crate::ExperimentalClient<T>,
            options: $crate::call::CallOptions,
            $($string: Option<String>,)*
            $($($other: Option<$other_ty>,)*)?
        }

        impl<T> Clone for $name<T> {
            fn clone(&self) -> Self {
                Self {
                    client: self.client.clone(),
                    options: self.options.clone(),
                    $($string: self.$string.clone(),)*
                    $($($other: self.$other.clone(),)*)?
                }
            }
        }

        impl<T> ::std::fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("operation", &$crate::Operation::$operation)
                    .finish_non_exhaustive()
            }
        }

        impl<T> $name<T> {
            pub(crate) fn new(client: $crate::ExperimentalClient<T>) -> Self {
                Self {
                    client,
                    options: $crate::call::CallOptions::default(),
                    $($string: None,)*
                    $($($other: None,)*)?
                }
            }

            /// Limit for one attempt of this call, instead of the client's; `None` waits
            /// forever.
            pub fn timeout(mut self, timeout: impl Into<Option<::std::time::Duration>>) -> Self {
                self.options.timeout = Some(timeout.into());
                self
            }

            /// How this call is retried, instead of the client's policy
            /// ([`RetryPolicy::none`](crate::RetryPolicy::none) sends it once).
            pub fn retry_policy(mut self, policy: $crate::RetryPolicy) -> Self {
                self.options.retry = Some(policy);
                self
            }

            $(
                $(#[$string_doc])*
                pub fn $string(mut self, value: impl Into<String>) -> Self {
                    self.$string = Some(value.into());
                    self
                }

                $(
                    #[doc = concat!("Sets or clears [`", stringify!($string), "`](Self::", stringify!($string), ") from an `Option`, for forwarding optional values.")]
                    pub fn $set_string(mut self, value: Option<String>) -> Self {
                        self.$string = value;
                        self
                    }
                )?
            )*
        }
    };
}

pub(crate) use request_builder;
