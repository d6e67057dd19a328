//! What every request builder shares.
//!
//! - [`CallOptions`]: the per-call overrides (`timeout`, `retry_policy`) a builder carries.
//! - [`required`] and [`present`]: the checks of required arguments, made before sending.
//! - [`LoginInput`] and [`login`]: the one implementation of the token operations
//!   (`stsLogin`, `externalPrincipalLogin`), which answer a lakeFS token.
//! - [`request_builder!`](crate::request_builder!): the macro that writes a builder whole — its input struct, the
//!   builder holding the client, the overrides and that input, one setter (and optionally a
//!   `set_` setter) per argument, and for token operations `send` and `send_and_use`. What
//!   is left to write by hand is each operation's `send` (or, for a token operation, its
//!   [`LoginInput::request`]) and convenience setters that fill several arguments at once.

use std::time::Duration;

use lakefs_models::AuthenticationToken;
use lakefs_transport::HttpTransport;

use crate::request::{decode, ApiRequest};
use crate::{Client, Error, Operation, RetryPolicy};

/// Per-call overrides of the client's settings. Unset ones fall back to the client's.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// `Some(None)`: no limit for this call; `None`: the client's limit.
    pub timeout: Option<Option<Duration>>,
    /// `None`: the client's policy.
    pub retry: Option<RetryPolicy>,
}

/// The value of a required argument, or [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) naming it when it is unset
/// or empty. Checked before anything is sent.
pub fn required(
    operation: Operation,
    argument: &'static str,
    value: Option<String>,
) -> Result<String, Error> {
    match value {
        None => Err(Error::invalid_argument(
            operation,
            argument,
            "is required but was not set",
        )),
        Some(value) if value.is_empty() => Err(Error::invalid_argument(
            operation,
            argument,
            "must not be empty",
        )),
        Some(value) => Ok(value),
    }
}

/// An `amount` (page size) within the spec's -1..=1000, or [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument).
pub fn check_amount(operation: Operation, amount: Option<i32>) -> Result<(), Error> {
    match amount {
        Some(amount) if !(-1..=1000).contains(&amount) => Err(Error::invalid_argument(
            operation,
            "amount",
            format!("{amount} is outside -1..=1000"),
        )),
        _ => Ok(()),
    }
}

/// A required argument that is not a string: present, or an [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument).
pub fn present<V>(
    operation: Operation,
    argument: &'static str,
    value: Option<V>,
) -> Result<V, Error> {
    value.ok_or_else(|| Error::invalid_argument(operation, argument, "is required but was not set"))
}

/// The input of a token operation (declared `Name(Input) => Operation: token` in
/// [`request_builder!`](crate::request_builder!)): the request it makes, after checking its arguments.
pub trait LoginInput {
    /// The login request, or [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) for a missing argument.
    fn request(self) -> Result<ApiRequest, Error>;
}

/// Sends the login request of `input` (a token operation sends no credentials) and returns
/// the client with the token the server answered. The body of the generated `send` and
/// `send_and_use` of every token operation.
pub async fn login<T: HttpTransport>(
    client: Client<T>,
    options: &CallOptions,
    input: impl LoginInput,
) -> Result<(Client<T>, AuthenticationToken), Error> {
    let request = input.request()?;
    let operation = request.operation;
    let token = decode(operation, &client.execute(request, options).await?)?;
    Ok((client, token))
}

/// Declares a request builder whole.
///
/// ```text
/// request_builder! {
///     /// The builder's documentation.
///     NameRequest(NameInput) => OperationVariant {
///         /// Doc of the setter `repository(impl Into<String>)` (a field without a type is a
///         /// string).
///         repository,
///         /// Doc of `prefix(impl Into<String>)`; `set_prefix(Option<String>)` is generated.
///         prefix / set_prefix,
///         /// Doc of `amount(i32)`; `set_amount(Option<i32>)` is generated.
///         amount / set_amount: i32,
///         /// Doc of `copy_source(CopyPartSource)`: typed fields take exactly their type.
///         copy_source: CopyPartSource,
///     }
/// }
/// ```
///
/// It generates:
/// - `struct NameInput`, private: one `Option` per field (`Clone`, `Default`), the arguments
///   apart from the fluent handle, as aws-sdk-rust's `*InputBuilder`;
/// - `pub struct NameRequest<T> { client, options, input }` with the documentation given and
///   a paragraph on checking, overrides and cloning; `Clone` (without `T: Clone`), a `Debug`
///   that names the operation and shows no argument (they may be secrets), and
///   `pub(crate) fn new(client)`;
/// - `timeout` and `retry_policy`, the per-call overrides;
/// - per field, its setter with the field's documentation, and the `set_` one when named.
///
/// `send` reads the arguments from `self.input`. Declared `=> OperationVariant: token`, the
/// operation answers a lakeFS token: `NameInput` must implement [`LoginInput`], and `send`
/// (the token) and `send_and_use` (a client using it) are generated too.
#[macro_export]
macro_rules! request_builder {
    // The type of a field: a string unless one is given.
    (@type) => { String };
    (@type $ty:ty) => { $ty };

    // The setters of a string field.
    (@setters [$(#[$doc:meta])*] $field:ident [$($set:ident)?] []) => {
        $(#[$doc])*
        pub fn $field(mut self, value: impl Into<String>) -> Self {
            self.input.$field = Some(value.into());
            self
        }

        $($crate::request_builder!(@set $field $set value: String);)?
    };

    // The setters of a field of another type.
    (@setters [$(#[$doc:meta])*] $field:ident [$($set:ident)?] [$ty:ty]) => {
        $(#[$doc])*
        pub fn $field(mut self, $field: $ty) -> Self {
            self.input.$field = Some($field);
            self
        }

        $($crate::request_builder!(@set $field $set $field: $ty);)?
    };

    // The `set_` setter of a field, taking the `Option` itself.
    (@set $field:ident $set:ident $value:ident: $ty:ty) => {
        #[doc = concat!(
            "Sets or clears [`", stringify!($field), "`](Self::", stringify!($field),
            ") from an `Option`, for forwarding optional values."
        )]
        pub fn $set(mut self, $value: Option<$ty>) -> Self {
            self.input.$field = $value;
            self
        }
    };

    // `send` and `send_and_use` of a token operation, whose input is a `LoginInput`.
    (@token $name:ident) => {
        impl<T: $crate::raw::HttpTransport> $name<T> {
            /// Sends the request.
            ///
            /// # Errors
            /// See the type's documentation.
            pub async fn send(
                self,
            ) -> ::std::result::Result<$crate::models::AuthenticationToken, $crate::Error> {
                $crate::raw::login(self.client, &self.options, self.input)
                    .await
                    .map(|(_, token)| token)
            }

            /// Logs in and returns a client that sends the token as `Authorization: Bearer`.
            ///
            /// # Errors
            /// As [`send`](Self::send).
            pub async fn send_and_use(
                self,
            ) -> ::std::result::Result<$crate::Client<T>, $crate::Error> {
                let (client, token) =
                    $crate::raw::login(self.client, &self.options, self.input).await?;
                Ok(client.with_credentials($crate::Credentials::bearer(token.token)))
            }
        }
    };

    (
        $(#[$struct_doc:meta])*
        $name:ident($input:ident) => $operation:ident $(: $kind:ident)? {
            $($(#[$field_doc:meta])* $field:ident $(/ $set:ident)? $(: $ty:ty)?),* $(,)?
        }
    ) => {
        /// The arguments of the request builder of the same operation, each unset (`None`)
        /// until its setter is called.
        #[derive(Clone, Default)]
        struct $input {
            $($field: Option<$crate::request_builder!(@type $($ty)?)>,)*
        }

        $(#[$struct_doc])*
        ///
        /// Every argument is named by its setter; [`send`](Self::send) checks that the required
        /// ones are set (an [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument) naming
        /// the first missing one as the spec spells it, before anything is sent).
        /// [`timeout`](Self::timeout) and [`retry_policy`](Self::retry_policy) override the
        /// client's settings for this call. A builder is `Clone`: prepare a request once and
        /// send copies of it.
        #[must_use = "a request does nothing until it is sent"]
        pub struct $name<T> {
            client: $crate::Client<T>,
            options: $crate::raw::CallOptions,
            input: $input,
        }

        impl<T> Clone for $name<T> {
            fn clone(&self) -> Self {
                Self {
                    client: self.client.clone(),
                    options: self.options.clone(),
                    input: self.input.clone(),
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
            pub(crate) fn new(client: $crate::Client<T>) -> Self {
                Self {
                    client,
                    options: $crate::raw::CallOptions::default(),
                    input: $input::default(),
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
                $crate::request_builder!(
                    @setters [$(#[$field_doc])*] $field [$($set)?] [$($ty)?]
                );
            )*
        }

        $($crate::request_builder!(@$kind $name);)?
    };
}

/// Makes a list request builder walkable page by page: implements
/// [`Listing`](crate::raw::Listing) for it (its `send` returns a page with `results` and
/// `pagination`, and it has an `after` argument) and adds `into_stream` (every item, following
/// `pagination.next_offset`) and `collect_all`.
///
/// ```text
/// listing!(ListBranchesRequest => Ref, ListBranches, "branch");
/// ```
#[macro_export]
macro_rules! listing {
    ($name:ident => $item:ty, $operation:ident, $what:literal) => {
        impl<T: $crate::raw::HttpTransport + 'static> $crate::raw::Listing for $name<T> {
            type Item = $item;
            const OPERATION: $crate::Operation = $crate::Operation::$operation;

            fn after(&self) -> ::std::option::Option<::std::string::String> {
                self.input.after.clone()
            }

            fn starting_after(self, after: ::std::option::Option<::std::string::String>) -> Self {
                self.set_after(after)
            }

            async fn page(
                self,
            ) -> ::std::result::Result<
                (::std::vec::Vec<$item>, $crate::models::Pagination),
                $crate::Error,
            > {
                let list = self.send().await?;
                Ok((list.results, list.pagination))
            }
        }

        impl<T: $crate::raw::HttpTransport + 'static> $name<T> {
            #[doc = concat!("Every ", $what, " from `after` on, page after page, following \
                `pagination.next_offset`. Arguments are checked when the stream is first polled.")]
            pub fn into_stream(
                self,
            ) -> impl $crate::raw::Stream<Item = ::std::result::Result<$item, $crate::Error>> + Send
            {
                $crate::raw::stream(self)
            }

            #[doc = concat!("Every ", $what, ", collected into a `Vec` (see \
                [`into_stream`](Self::into_stream)).")]
            ///
            /// # Errors
            /// The first error of the listing.
            pub async fn collect_all(
                self,
            ) -> ::std::result::Result<::std::vec::Vec<$item>, $crate::Error> {
                $crate::raw::collect(self).await
            }
        }
    };
}
