//! Another HTTP stack behind `HttpTransport`: reqwest, in 40 lines, then a multipart
//! upload through it (API calls and part PUTs) against the lakeFS emulator on 127.0.0.1.
//!
//! ```sh
//! cargo run --example custom_transport
//! ```
//!
//! What matters is the error mapping: after an error that says "never reached the server" the
//! client repeats even calls that are unsafe to repeat, so say that only when it is certain.

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use lakefs::experimental::{Credentials, ExperimentalClient};
use lakefs::multipart::{UploadConfig, UploadSource, Uploader};
use lakefs::transport::{BoxFuture, HttpTransport, RedactedUri, TimeoutPhase, TransportError};
use lakefs_emulator::DEFAULT_SECRET_ACCESS_KEY;
use lakefs_emulator::{serve, Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_BRANCH, DEFAULT_REPOSITORY};

/// reqwest's pooled client as a transport (cheap to clone, like the client).
#[derive(Clone, Default)]
struct ReqwestTransport(reqwest::Client);

impl HttpTransport for ReqwestTransport {
    fn send(
        &self,
        mut request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        Box::pin(async move {
            let uri = request.uri().clone();
            let fail = |e: reqwest::Error| classify(&uri, e);
            // The contract: a Content-Length on every body, and on bodiless PUT/POST/PATCH.
            let length = request.body().len().into();
            request.headers_mut().insert(CONTENT_LENGTH, length);
            let response = self.0.execute(request.try_into().map_err(fail)?).await;
            let response = response.map_err(fail)?;
            let (status, headers) = (response.status(), response.headers().clone());
            let mut answer = http::Response::new(response.bytes().await.map_err(fail)?);
            (*answer.status_mut(), *answer.headers_mut()) = (status, headers);
            Ok(answer)
        })
    }
}

/// "Never reached the server" (`Connect`) only for failures while connecting; anything later
/// "may have reached it" (`Io`, a `Request` timeout). No URL query (a presigned URL's
/// signature) in the error: the URI is redacted, and the source loses its URL.
fn classify(uri: &http::Uri, error: reqwest::Error) -> TransportError {
    let uri = RedactedUri::new(uri);
    if error.is_builder() {
        return TransportError::invalid_request(uri, "reqwest refused it");
    }
    let (connect, timeout) = (error.is_connect(), error.is_timeout());
    let source = Box::new(error.without_url());
    if connect {
        TransportError::connect(uri, source)
    } else if timeout {
        let (phase, after) = (TimeoutPhase::Request, std::time::Duration::ZERO);
        TransportError::timeout(uri, phase, after)
    } else {
        TransportError::io(uri, source)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lakefs = serve(Emulator::new()).await?;
    let credentials = Credentials::basic(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY);
    let client = ExperimentalClient::builder()
        .endpoint(lakefs.url())
        .credentials(credentials)
        .build_with_transport(ReqwestTransport::default())?;
    let config = UploadConfig::builder().part_size(5 * 1024 * 1024).build()?;
    let source = UploadSource::bytes(Bytes::from(vec![42u8; 12 * 1024 * 1024]));
    let stats = Uploader::new(client, config)
        .upload(
            DEFAULT_REPOSITORY,
            DEFAULT_BRANCH,
            "custom/object.bin",
            source,
        )
        .await?;
    println!(
        "uploaded {} bytes over reqwest",
        stats.size_bytes.unwrap_or(0)
    );
    lakefs.shutdown().await;
    Ok(())
}
