//! The HTTP seam of the lakeFS SDK.
//!
//! [`HttpTransport`] is one small async trait: send an [`http::Request`] whose body is a
//! [`Bytes`] (so a part of a large upload travels as a slice of its source, never a copy) and
//! get back an [`http::Response`] with its body collected — or, with
//! [`send_streaming`](HttpTransport::send_streaming), with its body as a [`ResponseBody`]
//! read chunk by chunk as it arrives (a default over `send` makes every transport support
//! it). The API client and the upload and download engines are generic over it, and it is
//! object safe, so `Arc<dyn HttpTransport>` works too.
//!
//! Implementations:
//!
//! * [`HyperTransport`] (feature `hyper`, on by default): a pooled hyper-util client with
//!   rustls TLS (ring provider), HTTP/1.1 and HTTP/2 (by ALPN), HTTP proxies (explicit or from
//!   `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`, see [`Proxy`]), extra root certificates, client
//!   certificates, a TLS server name override, connect (TCP + proxy + TLS) and whole-request
//!   timeouts; certificates verified against Mozilla's roots (feature `webpki-roots`,
//!   default) or the system's (`native-roots`).
//! * `fake::FakeTransport` (feature `fake`): in memory, for tests — routes by method and path
//!   pattern, records every request, and injects latency and faults from a seed.
//! * Your own: any HTTP stack, in a few dozen lines (`examples/custom_transport.rs` plugs in
//!   reqwest). Read the contract on [`HttpTransport`]: the retry rules depend on it.
//!
//! Errors are [`TransportError`]s, which say whether a retry may help and whether the request
//! can have reached the server, and never print a URL's query string (presigned URLs carry
//! their signature there) or any credential.
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

mod body;
mod error;
#[cfg(feature = "fake")]
pub mod fake;
#[cfg(feature = "hyper")]
mod hyper_transport;
mod progress;
#[cfg(feature = "hyper")]
mod proxy;
mod redact;

pub use body::{BodyStream, ResponseBody};
pub use error::{BoxError, TimeoutPhase, TransportError, TransportErrorKind};
#[cfg(feature = "hyper")]
pub use hyper_transport::{HyperTransport, HyperTransportBuilder};
pub use progress::{Progress, ReceiveProgress};
#[cfg(feature = "hyper")]
pub use proxy::Proxy;
pub use redact::RedactedUri;
/// The TLS library of [`HyperTransport`], re-exported for
/// [`HyperTransportBuilder::tls_config`] (same version, no extra dependency to align).
#[cfg(feature = "hyper")]
pub use rustls;

/// A boxed, `Send` future, the return type of [`HttpTransport::send`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one HTTP request and returns the response with its body collected.
///
/// # Contract for implementations
///
/// * The request body is sent as given, with a `Content-Length` equal to its length, on every
///   request with a body and on every `PUT`, `POST` and `PATCH` (presigned S3 PUTs reject
///   chunked bodies; S3 and lakeFS answer 411 to a bodiless PUT without one). Headers are
///   sent as given: the caller sets credentials, an implementation adds none.
/// * Any HTTP status is a successful `Ok(response)`: interpreting status codes is the
///   caller's job; `Err` is reserved for failures to exchange a request and a response at
///   all.
/// * Errors must not contain the request URI's query string, nor any credential (a presigned
///   URL's signature, proxy credentials): build the URI of a [`TransportError`] with
///   [`RedactedUri`], and wrap as `source` only errors that do not print the URL (reqwest's
///   `Error::without_url`, for example).
/// * The error variant must say honestly whether the request **may have reached the
///   server**, because the API client's and the upload engine's retry rules depend on it:
///
/// | what happened | report as | [`is_before_send`](TransportError::is_before_send) | [`is_retryable`](TransportError::is_retryable) |
/// |---|---|---|---|
/// | DNS failure, connection refused or unreachable, reset during connect or handshake | [`Connect`](TransportErrorKind::Connect) | yes | yes |
/// | connect timeout (TCP, proxy, TLS handshake — before any byte of the request) | [`Timeout`](TransportErrorKind::Timeout) with [`TimeoutPhase::Connect`] | yes | yes |
/// | TLS handshake refused (untrusted certificate, client certificate refused) | [`Tls`](TransportErrorKind::Tls) | yes | no |
/// | a proxy answered `CONNECT` with a non-2xx status | [`Proxy`](TransportErrorKind::Proxy) | yes | 429/502/503/504 only |
/// | the request cannot be sent as given (no host, bad scheme) | [`InvalidRequest`](TransportErrorKind::InvalidRequest) | yes | no |
/// | reset, closed or broken **after the first byte of the request may have been written** | [`Io`](TransportErrorKind::Io) | **no** | yes |
/// | timeout once the request may have been sent | [`Timeout`](TransportErrorKind::Timeout) with [`TimeoutPhase::Request`] | **no** | yes |
/// | the response body broke off, or was over a size limit | [`Body`](TransportErrorKind::Body), [`BodyTooLarge`](TransportErrorKind::BodyTooLarge) | **no** | yes / no |
///
///   "Before send" errors let the API client retry even operations that are not safe to
///   repeat (creating an upload, merging a pull request): when in doubt, report "may have
///   reached it" (`Io`, or a `Request` timeout), never the other way round. A stack that
///   cannot tell the two apart must say "may have reached it" for everything past DNS.
/// * `send` is called concurrently from many tasks (the upload engine keeps several part PUTs
///   in flight): share the connection pool, do not serialise.
/// * Dropping the returned future cancels the exchange.
/// * Optionally, a transport reports how much of a body it has sent: when a request carries a
///   [`Progress`] in its extensions, add to it as the body goes out, and return `true` from
///   [`reports_progress`](Self::reports_progress). The upload engine then detects a stalled
///   part PUT ("nothing moved for 30 s") instead of relying on a whole-request deadline that
///   would also kill a slow one.
/// * Optionally, a transport reports how much of a response body it has received: when a
///   request carries a [`ReceiveProgress`] in its extensions, add to it as the response body
///   arrives, frame by frame (not once at the end), and return `true` from
///   [`reports_receive_progress`](Self::reports_receive_progress). The download engine then
///   detects a stalled ranged GET ("nothing arrived for 30 s") instead of relying on a
///   whole-request deadline, and shows bytes as they arrive.
/// * Optionally, a transport hands a response body over as it arrives:
///   [`send_streaming`](Self::send_streaming) resolves once the response's head is in and
///   returns its body as a [`ResponseBody`] read chunk by chunk, and
///   [`streams_responses`](Self::streams_responses) returns `true`. The download engine then
///   writes each part to its file as its bytes arrive (memory per part: one write buffer,
///   not the part) and tells a stall by the time since the last chunk. The rules:
///   - everything above holds for the exchange up to the head (the same errors, the same
///     request as `send` would send);
///   - a body that breaks off after the head is a [`Body`](TransportErrorKind::Body) error
///     from [`next_chunk`](ResponseBody::next_chunk) ("may have reached the server", like a
///     body error of `send`); a whole-request timeout of the transport, if it has one,
///     covers the body too and ends it with a [`Timeout`](TransportErrorKind::Timeout) of
///     phase [`Request`](TimeoutPhase::Request); nothing is returned after an error;
///   - no response size limit applies: the caller reads what it wants and bounds what it
///     keeps (dropping the body abandons the rest);
///   - a [`ReceiveProgress`] in the request's extensions is still counted chunk by chunk,
///     as the caller takes them, if [`reports_receive_progress`](Self::reports_receive_progress).
///
///   The default `send_streaming` calls [`send`](Self::send) and returns its collected body
///   as one chunk (within `send`'s limits), so every transport supports the call; only
///   memory and stall detection differ, and `streams_responses` says which one a caller
///   has.
pub trait HttpTransport: Send + Sync {
    /// Sends `request` and resolves to its response.
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>>;

    /// Sends `request` and resolves to its response once the head has arrived, the body
    /// to be read as it arrives (see the contract above). The default collects the body
    /// with [`send`](Self::send) and hands it over as one chunk.
    fn send_streaming(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<ResponseBody>, TransportError>> {
        let sent = self.send(request);
        Box::pin(async move { sent.await.map(|response| response.map(ResponseBody::full)) })
    }

    /// Whether [`send_streaming`](Self::send_streaming) hands the body over as it arrives
    /// (`false`: it arrives whole, after the whole exchange). `false` unless an
    /// implementation says otherwise.
    fn streams_responses(&self) -> bool {
        false
    }

    /// Whether this transport adds to a request's [`Progress`] as its body is sent. `false`
    /// unless an implementation says otherwise.
    fn reports_progress(&self) -> bool {
        false
    }

    /// Whether this transport adds to a request's [`ReceiveProgress`] as its response body
    /// arrives. `false` unless an implementation says otherwise.
    fn reports_receive_progress(&self) -> bool {
        false
    }
}

impl<T: HttpTransport + ?Sized> HttpTransport for Arc<T> {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        (**self).send(request)
    }

    fn send_streaming(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<ResponseBody>, TransportError>> {
        (**self).send_streaming(request)
    }

    fn streams_responses(&self) -> bool {
        (**self).streams_responses()
    }

    fn reports_progress(&self) -> bool {
        (**self).reports_progress()
    }

    fn reports_receive_progress(&self) -> bool {
        (**self).reports_receive_progress()
    }
}

impl<T: HttpTransport + ?Sized> HttpTransport for Box<T> {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        (**self).send(request)
    }

    fn send_streaming(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<ResponseBody>, TransportError>> {
        (**self).send_streaming(request)
    }

    fn streams_responses(&self) -> bool {
        (**self).streams_responses()
    }

    fn reports_progress(&self) -> bool {
        (**self).reports_progress()
    }

    fn reports_receive_progress(&self) -> bool {
        (**self).reports_receive_progress()
    }
}

impl<T: HttpTransport + ?Sized> HttpTransport for &T {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        (**self).send(request)
    }

    fn send_streaming(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<ResponseBody>, TransportError>> {
        (**self).send_streaming(request)
    }

    fn streams_responses(&self) -> bool {
        (**self).streams_responses()
    }

    fn reports_progress(&self) -> bool {
        (**self).reports_progress()
    }

    fn reports_receive_progress(&self) -> bool {
        (**self).reports_receive_progress()
    }
}
