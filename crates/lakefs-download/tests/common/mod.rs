//! A lakeFS emulator behind a transport that records every request and lets a test tamper
//! with the store's answers: corrupt a byte, hang, refuse, or replace the object midway.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, Uri};
use lakefs_client::{Client, Credentials};
use lakefs_download::{DownloadConfig, DownloadEvent, Downloader};
use lakefs_emulator::{Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
use lakefs_transport::{
    BodyStream, BoxFuture, HttpTransport, ReceiveProgress, ResponseBody, TransportError,
};

pub const REPO: &str = "example-repo";

/// What a tamper hook does with one exchange.
pub enum Action {
    /// Answer as the emulator did (possibly changed in place).
    Pass,
    /// Never answer.
    Hang,
    /// Fail with this transport error.
    Fail(TransportError),
    /// Answer the head, then this many bytes of the body, then break off (a `Body` error).
    BreakAfter(usize),
    /// Answer the head, then this many bytes of the body, then nothing, ever.
    StallAfter(usize),
}

/// The chunks a streamed body is handed over in.
pub const CHUNK: usize = 64 * 1024;

/// How a streamed body ends.
enum Tail {
    Whole,
    Break,
    Stall,
}

/// A body handed over in [`CHUNK`]s, ending as its tail says.
struct LabBody {
    rest: Bytes,
    tail: Tail,
}

impl BodyStream for LabBody {
    fn poll_chunk(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Bytes, TransportError>>> {
        use std::task::Poll;
        let this = self.get_mut();
        if !this.rest.is_empty() {
            let chunk = this.rest.split_to(CHUNK.min(this.rest.len()));
            return Poll::Ready(Some(Ok(chunk)));
        }
        match std::mem::replace(&mut this.tail, Tail::Whole) {
            Tail::Whole => Poll::Ready(None),
            Tail::Break => Poll::Ready(Some(Err(TransportError::body(
                lakefs_transport::RedactedUri::new(&Uri::from_static("http://store.local/")),
                "connection reset mid-body",
            )))),
            Tail::Stall => {
                this.tail = Tail::Stall;
                Poll::Pending
            }
        }
    }
}

type Tamper = Box<dyn FnMut(usize, &Request<Bytes>, &mut Response<Bytes>) -> Action + Send>;

/// One request as sent.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
}

impl Seen {
    /// A GET of the emulator's object store (a presigned URL).
    pub fn is_store_get(&self) -> bool {
        self.method == Method::GET && self.uri.path().starts_with("/_storage/objects/")
    }

    pub fn is_stat(&self) -> bool {
        self.uri.path().ends_with("/objects/stat")
    }
}

pub struct LabTransport {
    pub emulator: Emulator,
    seen: Mutex<Vec<Seen>>,
    store_gets: AtomicUsize,
    tamper: Mutex<Option<Tamper>>,
}

impl LabTransport {
    async fn exchange(
        &self,
        request: &Request<Bytes>,
    ) -> Result<(Response<Bytes>, Tail), TransportError> {
        {
            let seen = Seen {
                method: request.method().clone(),
                uri: request.uri().clone(),
                headers: request.headers().clone(),
            };
            let store = seen.is_store_get();
            self.seen.lock().unwrap().push(seen);
            let mut response = self.emulator.handle_async(request).await;
            let mut tail = Tail::Whole;
            if store {
                let index = self.store_gets.fetch_add(1, Ordering::SeqCst);
                let action = match self.tamper.lock().unwrap().as_mut() {
                    Some(tamper) => tamper(index, request, &mut response),
                    None => Action::Pass,
                };
                let cut = |response: &mut Response<Bytes>, at: usize| {
                    let body = response.body_mut();
                    *body = body.slice(..at.min(body.len()));
                };
                match action {
                    Action::Pass => {}
                    Action::Hang => std::future::pending::<()>().await,
                    Action::Fail(error) => return Err(error),
                    Action::BreakAfter(at) => {
                        cut(&mut response, at);
                        tail = Tail::Break;
                    }
                    Action::StallAfter(at) => {
                        cut(&mut response, at);
                        tail = Tail::Stall;
                    }
                }
            }
            Ok((response, tail))
        }
    }
}

impl HttpTransport for LabTransport {
    fn send(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<Response<Bytes>, TransportError>> {
        Box::pin(async move {
            let (response, tail) = self.exchange(&request).await?;
            match tail {
                Tail::Whole => {}
                Tail::Break => {
                    return Err(TransportError::body(
                        lakefs_transport::RedactedUri::new(request.uri()),
                        "connection reset mid-body",
                    ))
                }
                Tail::Stall => std::future::pending::<()>().await,
            }
            if let Some(progress) = request.extensions().get::<ReceiveProgress>() {
                progress.add(response.body().len() as u64);
            }
            Ok(response)
        })
    }

    /// The body in [`CHUNK`]s, so that a part is written in several pieces.
    fn send_streaming(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<Response<ResponseBody>, TransportError>> {
        Box::pin(async move {
            let (response, tail) = self.exchange(&request).await?;
            Ok(response.map(|rest| ResponseBody::from_stream(LabBody { rest, tail })))
        })
    }

    fn streams_responses(&self) -> bool {
        true
    }

    fn reports_receive_progress(&self) -> bool {
        true
    }
}

pub struct Lab {
    pub emulator: Emulator,
    pub transport: Arc<LabTransport>,
    pub client: Client<Arc<LabTransport>>,
    pub events: Arc<Mutex<Vec<DownloadEvent>>>,
    pub dir: tempdir::Dir,
}

impl Lab {
    pub fn new() -> Self {
        let emulator = Emulator::new();
        let transport = Arc::new(LabTransport {
            emulator: emulator.clone(),
            seen: Mutex::new(Vec::new()),
            store_gets: AtomicUsize::new(0),
            tamper: Mutex::new(None),
        });
        let client = Client::builder()
            .endpoint("http://lakefs.local")
            .credentials(Credentials::basic(
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_SECRET_ACCESS_KEY,
            ))
            .build_with_transport(Arc::clone(&transport))
            .unwrap();
        Self {
            emulator,
            transport,
            client,
            events: Arc::new(Mutex::new(Vec::new())),
            dir: tempdir::Dir::new(),
        }
    }

    /// A downloader whose events land in `self.events`.
    pub fn downloader(
        &self,
        config: lakefs_download::DownloadConfigBuilder,
    ) -> Downloader<Arc<LabTransport>> {
        let events = Arc::clone(&self.events);
        let config = config
            .on_progress(move |event| events.lock().unwrap().push(event.clone()))
            .build()
            .unwrap();
        Downloader::new(self.client.clone(), config)
    }

    pub fn default_downloader(&self) -> Downloader<Arc<LabTransport>> {
        self.downloader(DownloadConfig::builder())
    }

    /// Hands every store GET from now on (counted from 0) to `hook`.
    pub fn tamper(
        &self,
        hook: impl FnMut(usize, &Request<Bytes>, &mut Response<Bytes>) -> Action + Send + 'static,
    ) {
        *self.transport.tamper.lock().unwrap() = Some(Box::new(hook));
        self.transport.store_gets.store(0, Ordering::SeqCst);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.transport.seen.lock().unwrap().clone()
    }

    pub fn forget_seen(&self) {
        self.transport.seen.lock().unwrap().clear();
    }

    pub fn store_gets(&self) -> usize {
        self.seen().iter().filter(|s| s.is_store_get()).count()
    }

    pub fn events(&self) -> Vec<DownloadEvent> {
        self.events.lock().unwrap().clone()
    }

    /// Every file in the lab's directory, hidden ones included.
    pub fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }
}

/// `len` bytes from a seed.
pub fn generated(len: usize, seed: u64) -> Bytes {
    let mut bytes = vec![0u8; len];
    fastrand::Rng::with_seed(seed).fill(&mut bytes);
    Bytes::from(bytes)
}

/// Stages `data` at `path` on main as a multipart upload of `part_size` parts would (the
/// object's checksum is then the multipart ETag of that layout).
pub async fn upload_in_parts(lab: &Lab, path: &str, data: Bytes, part_size: u64) {
    use lakefs_multipart::{UploadConfig, UploadSource, Uploader};
    let uploader = Uploader::new(
        lab.client.clone(),
        UploadConfig::builder()
            .part_size(part_size)
            .build()
            .unwrap(),
    );
    uploader
        .upload(REPO, "main", path, UploadSource::bytes(data))
        .await
        .unwrap();
    lab.forget_seen();
}

pub mod tempdir {
    use std::path::{Path, PathBuf};

    /// A directory removed on drop.
    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new() -> Self {
            static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!(
                "lakefs-download-test-{}-{n}-{}",
                std::process::id(),
                fastrand::u64(..)
            ));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
