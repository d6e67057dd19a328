//! The HTTP seam of the lakeFS SDK.
//!
//! [`HttpTransport`] is one small async trait: send an [`http::Request`] whose body is a
//! [`Bytes`] (so a part of a large upload travels as a slice of its source, never a copy) and
//! get back an [`http::Response`] with its body collected. The API client and the upload
//! engine are generic over it, and it is object safe, so `Arc<dyn HttpTransport>` works too.
//!
//! Implementations:
//!
//! * [`HyperTransport`] (feature `hyper`, on by default): a pooled hyper-util client with
//!   rustls TLS (ring provider), connect and whole-request timeouts, certificates verified
//!   against Mozilla's roots (feature `webpki-roots`, default) or the system's (`native-roots`).
//! * `fake::FakeTransport` (feature `fake`): in memory, for tests — routes by method and path
//!   pattern, records every request, and injects latency and faults from a seed.
//!
//! Errors are [`TransportError`]s, which say whether a retry may help and never print a URL's
//! query string (presigned URLs carry their signature there).
//!
//! ```
//! use bytes::Bytes;
//! use lakefs_transport::{HttpTransport, TransportError};
//!
//! // Any client can be plugged in: implement one method.
//! struct AlwaysNoContent;
//!
//! impl HttpTransport for AlwaysNoContent {
//!     fn send(
//!         &self,
//!         _request: http::Request<Bytes>,
//!     ) -> lakefs_transport::BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
//!         Box::pin(async {
//!             let mut response = http::Response::new(Bytes::new());
//!             *response.status_mut() = http::StatusCode::NO_CONTENT;
//!             Ok(response)
//!         })
//!     }
//! }
//! ```

#![forbid(unsafe_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use bytes::Bytes;

mod error;
#[cfg(feature = "fake")]
pub mod fake;
#[cfg(feature = "hyper")]
mod hyper_transport;
mod redact;

pub use error::{BoxError, TimeoutPhase, TransportError};
#[cfg(feature = "hyper")]
pub use hyper_transport::{HyperTransport, HyperTransportBuilder};
pub use redact::RedactedUri;

/// A boxed, `Send` future, the return type of [`HttpTransport::send`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one HTTP request and returns the response with its body collected.
///
/// Contract for implementations:
///
/// * the request body is sent as given, with a `Content-Length` equal to its length (presigned
///   S3 PUTs reject chunked bodies);
/// * any HTTP status is a successful `Ok(response)`: interpreting status codes is the caller's
///   job; `Err` is reserved for failures to exchange a request and response at all;
/// * errors must not contain the request URI's query string (use [`RedactedUri`]).
pub trait HttpTransport: Send + Sync {
    /// Sends `request` and resolves to its response.
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>>;
}

impl<T: HttpTransport + ?Sized> HttpTransport for Arc<T> {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        (**self).send(request)
    }
}

impl<T: HttpTransport + ?Sized> HttpTransport for Box<T> {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        (**self).send(request)
    }
}

impl<T: HttpTransport + ?Sized> HttpTransport for &T {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        (**self).send(request)
    }
}
