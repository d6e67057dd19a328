//! [`HyperTransport`]: hyper-util's pooled client over rustls, with proxies, custom trust,
//! client certificates and HTTP/2.

mod body;
mod builder;
mod connect;
mod tls;

pub use builder::HyperTransportBuilder;

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH};
use http::uri::Scheme;
use http::{Method, Request, Response, Uri};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Body;
use hyper_util::client::legacy::Client;

use self::connect::{ConnectError, ConnectErrorKind, Connector};
use crate::proxy::ResolvedProxy;
use crate::{
    BodyStream, BoxError, BoxFuture, HttpTransport, Progress, ReceiveProgress, RedactedUri,
    ResponseBody, TimeoutPhase, TransportError,
};
use body::{CountedBody, SendBody};

/// The production transport: a pooled HTTP/1.1 and HTTP/2 client (hyper-util) with rustls TLS,
/// HTTP proxies (from the environment by default), extra root certificates, client
/// certificates and a TLS server name override.
///
/// Cheap to clone: clones share the connection pool and settings, so one transport can serve
/// many clients and tasks. A program whose API server and object store need different settings
/// (another proxy, another CA, HTTP/2 on one only) builds two transports from two builders —
/// [`HyperTransportBuilder`] is `Clone`, so the second can start from the first:
///
/// ```no_run
/// use std::time::Duration;
/// use lakefs_transport::{HyperTransport, Proxy};
///
/// let ca = std::fs::read("corp-ca.pem").unwrap_or_default();
/// let api = HyperTransport::builder()
///     .add_root_certificates_pem(&ca)
///     .connect_timeout(Duration::from_secs(5));
/// // The object store: same trust, no proxy, long requests for big parts.
/// let data = api
///     .clone()
///     .proxy(Proxy::none())
///     .request_timeout(Duration::from_secs(600))
///     .build()?;
/// let api = api.build()?;
/// # Ok::<(), lakefs_transport::TransportError>(())
/// ```
#[derive(Clone)]
pub struct HyperTransport {
    client: Client<Connector, SendBody>,
    settings: Arc<Settings>,
}

struct Settings {
    request_timeout: Option<Duration>,
    max_response_body: usize,
    https_only: bool,
    proxy: Option<Arc<ResolvedProxy>>,
    /// What the transport was built from, for `Debug` (redacted).
    built_from: HyperTransportBuilder,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HyperTransport")
            .field(&self.settings.built_from)
            .finish()
    }
}

impl HyperTransport {
    /// A transport with the default settings (see [`HyperTransportBuilder`]).
    ///
    /// # Errors
    /// As [`HyperTransportBuilder::build`].
    pub fn new() -> Result<Self, TransportError> {
        Self::builder().build()
    }

    /// Starts configuring a transport.
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder::default()
    }
}

impl HttpTransport for HyperTransport {
    fn send(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<Response<Bytes>, TransportError>> {
        Box::pin(self.exchange(request))
    }

    /// The body is handed on frame by frame as hyper receives it, with no size limit, and
    /// within the [`request_timeout`](HyperTransportBuilder::request_timeout) (if any).
    fn send_streaming(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<Response<ResponseBody>, TransportError>> {
        Box::pin(self.exchange_streaming(request))
    }

    /// Yes.
    fn streams_responses(&self) -> bool {
        true
    }

    /// Yes: a request carrying a [`Progress`] has its body sent in slices, each counted.
    fn reports_progress(&self) -> bool {
        true
    }

    /// Yes: a request carrying a [`ReceiveProgress`] has each frame of its response body
    /// counted as it arrives.
    fn reports_receive_progress(&self) -> bool {
        true
    }
}

/// Collects a response body of at most `limit` bytes. A body that arrives in one frame is
/// returned as that frame's buffer, not copied; a longer one is copied into one buffer sized
/// from its `Content-Length`, each frame dropped once copied, so that a body never holds
/// twice its size in memory (a download engine keeps `concurrency` of them at once).
async fn collect<B>(body: B, limit: usize) -> Result<Bytes, BoxError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let body = Limited::new(body, limit);
    let expected = body
        .size_hint()
        .exact()
        .map_or(0, |len| usize::try_from(len).unwrap_or(limit).min(limit));
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut joined: Option<bytes::BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        if let Some(buffer) = joined.as_mut() {
            buffer.extend_from_slice(&data);
        } else if let Some(earlier) = first.take() {
            let mut buffer =
                bytes::BytesMut::with_capacity(expected.max(earlier.len() + data.len()));
            buffer.extend_from_slice(&earlier);
            buffer.extend_from_slice(&data);
            joined = Some(buffer);
        } else {
            first = Some(data);
        }
    }
    Ok(joined
        .map(bytes::BytesMut::freeze)
        .or(first)
        .unwrap_or_default())
}

impl HyperTransport {
    /// Checks `request` and turns it into what hyper sends, with the receive progress the
    /// caller asked for.
    fn prepare(
        &self,
        request: Request<Bytes>,
    ) -> Result<(Request<SendBody>, Option<ReceiveProgress>), TransportError> {
        let redacted = || RedactedUri::new(request.uri());
        if request.uri().host().is_none_or(str::is_empty) {
            return Err(TransportError::invalid_request(
                redacted(),
                "the URI has no host",
            ));
        }
        let https = request.uri().scheme() == Some(&Scheme::HTTPS);
        if !https && request.uri().scheme() != Some(&Scheme::HTTP) {
            return Err(TransportError::invalid_request(
                redacted(),
                "the scheme is neither http nor https",
            ));
        }
        if self.settings.https_only && !https {
            return Err(TransportError::invalid_request(
                redacted(),
                "this transport is configured for HTTPS only",
            ));
        }
        let (mut parts, body) = request.into_parts();
        // A Content-Length on every byte body, and on bodiless PUT/POST (S3 and lakeFS both
        // answer 411 without one); chunked encoding is never used.
        if !body.is_empty() || matches!(parts.method, Method::PUT | Method::POST | Method::PATCH) {
            parts
                .headers
                .insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        }
        // A forwarded `http://` request carries what the proxy must see; an `https://` one
        // goes through a tunnel whose CONNECT request carries it instead.
        if !https {
            if let Some(route) = self
                .settings
                .proxy
                .as_ref()
                .and_then(|proxy| proxy.route(&parts.uri))
            {
                route.apply(&mut parts.headers);
            }
        }
        let progress = parts.extensions.remove::<Progress>();
        let receive_progress = parts.extensions.remove::<ReceiveProgress>();
        Ok((
            Request::from_parts(parts, SendBody::new(body, progress)),
            receive_progress,
        ))
    }

    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        // Redacted only when an error needs it: no allocation on the success path.
        let target = request.uri().clone();
        let redacted = || RedactedUri::new(&target);
        let (request, receive_progress) = self.prepare(request)?;
        let limit = self.settings.max_response_body;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| classify_client_error(&target, e))?;
            let (parts, body) = response.into_parts();
            let collected = match receive_progress {
                None => collect(body, limit).await,
                Some(progress) => collect(CountedBody::new(body, progress), limit).await,
            }
            .map_err(|e| {
                if e.is::<LengthLimitError>() {
                    TransportError::body_too_large(redacted(), limit)
                } else {
                    TransportError::body(redacted(), e)
                }
            })?;
            Ok(Response::from_parts(parts, collected))
        };
        match self.settings.request_timeout {
            Some(after) => tokio::time::timeout(after, exchange)
                .await
                .unwrap_or_else(|_| {
                    Err(TransportError::timeout(
                        redacted(),
                        TimeoutPhase::Request,
                        after,
                    ))
                }),
            None => exchange.await,
        }
    }

    /// As [`exchange`](Self::exchange), resolving at the response's head; the body's frames
    /// are handed on as they arrive, within the same whole-request deadline.
    async fn exchange_streaming(
        &self,
        request: Request<Bytes>,
    ) -> Result<Response<ResponseBody>, TransportError> {
        let target = request.uri().clone();
        let (request, receive_progress) = self.prepare(request)?;
        let timeout = self.settings.request_timeout;
        let deadline = timeout.map(|after| {
            (
                Box::pin(tokio::time::sleep_until(
                    tokio::time::Instant::now() + after,
                )),
                after,
            )
        });
        let head = self.client.request(request);
        let response = match &timeout {
            Some(after) => match tokio::time::timeout(*after, head).await {
                Ok(response) => response,
                Err(_) => {
                    return Err(TransportError::timeout(
                        RedactedUri::new(&target),
                        TimeoutPhase::Request,
                        *after,
                    ))
                }
            },
            None => head.await,
        }
        .map_err(|e| classify_client_error(&target, e))?;
        let (parts, body) = response.into_parts();
        let chunks = IncomingChunks {
            body,
            progress: receive_progress,
            deadline,
            target,
            done: false,
        };
        Ok(Response::from_parts(
            parts,
            ResponseBody::from_stream(chunks),
        ))
    }
}

/// A hyper response body read frame by frame, within the request's deadline.
struct IncomingChunks {
    body: hyper::body::Incoming,
    progress: Option<ReceiveProgress>,
    deadline: Option<(Pin<Box<tokio::time::Sleep>>, Duration)>,
    target: Uri,
    done: bool,
}

impl BodyStream for IncomingChunks {
    fn poll_chunk(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, TransportError>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        loop {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    if data.is_empty() {
                        continue;
                    }
                    if let Some(progress) = &this.progress {
                        progress.add(data.len() as u64);
                    }
                    return Poll::Ready(Some(Ok(data)));
                }
                Poll::Ready(Some(Err(error))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(TransportError::body(
                        RedactedUri::new(&this.target),
                        error,
                    ))));
                }
                Poll::Ready(None) => {
                    this.done = true;
                    return Poll::Ready(None);
                }
                Poll::Pending => break,
            }
        }
        if let Some((sleep, after)) = &mut this.deadline {
            if sleep.as_mut().poll(cx).is_ready() {
                this.done = true;
                return Poll::Ready(Some(Err(TransportError::timeout(
                    RedactedUri::new(&this.target),
                    TimeoutPhase::Request,
                    *after,
                ))));
            }
        }
        Poll::Pending
    }
}

/// Sorts a hyper-util client error into the transport's categories. Failures of the
/// connector are typed ([`ConnectError`]); a TLS error found after the connection was made
/// (an alert mid-response) is an I/O failure like any other, since the request may have been
/// sent.
fn classify_client_error(uri: &Uri, error: hyper_util::client::legacy::Error) -> TransportError {
    let uri = RedactedUri::new(uri);
    let connect = source_chain(&error).find_map(|e| e.downcast_ref::<ConnectError>());
    let Some(connect) = connect else {
        // TLS 1.3: the client's side of the handshake ends before the server has checked the
        // client certificate, so a refusal arrives as an alert in place of the response. A
        // handshake alert proves the server never took the request.
        if source_chain(&error).any(is_handshake_alert) {
            return TransportError::tls(uri, error);
        }
        return if error.is_connect() {
            TransportError::connect(uri, error)
        } else {
            TransportError::io(uri, error)
        };
    };
    match connect.kind {
        ConnectErrorKind::Timeout(after) => {
            TransportError::timeout(uri, TimeoutPhase::Connect, after)
        }
        ConnectErrorKind::ProxyRefused(status) => TransportError::proxy(
            uri,
            connect
                .proxy
                .clone()
                .unwrap_or_else(|| RedactedUri::new(&Uri::default())),
            status,
        ),
        ConnectErrorKind::Destination(reason) => TransportError::invalid_request(uri, reason),
        ConnectErrorKind::Tls | ConnectErrorKind::ProxyTls
            if source_chain(&error).any(is_tls_error) =>
        {
            TransportError::tls(uri, error)
        }
        // DNS, refused or unreachable, a reset during a handshake: never sent, may pass later.
        ConnectErrorKind::Tcp
        | ConnectErrorKind::Tls
        | ConnectErrorKind::ProxyTls
        | ConnectErrorKind::ProxyProtocol => TransportError::connect(uri, error),
    }
}

fn source_chain<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |&e: &&'a (dyn StdError + 'static)| {
        // io::Error::source skips the wrapped error itself; look inside it too.
        match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        }
    })
}

fn is_tls_error(error: &(dyn StdError + 'static)) -> bool {
    error.downcast_ref::<rustls::Error>().is_some()
}

/// An alert a server sends only while it is still in the handshake (refusing the client's
/// certificate), never once it has started on the application data.
fn is_handshake_alert(error: &(dyn StdError + 'static)) -> bool {
    use rustls::AlertDescription as Alert;
    matches!(
        error.downcast_ref::<rustls::Error>(),
        Some(rustls::Error::AlertReceived(
            Alert::CertificateRequired
                | Alert::BadCertificate
                | Alert::UnsupportedCertificate
                | Alert::CertificateRevoked
                | Alert::CertificateExpired
                | Alert::CertificateUnknown
                | Alert::UnknownCA
                | Alert::HandshakeFailure
        ))
    )
}
