//! Helpers: temporary directories, the emulator served over HTTP with gates that hold chosen
//! requests, and running the real binary.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lakefs_emulator::{Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
use tokio::sync::watch;

pub const BIN: &str = env!("CARGO_BIN_EXE_lakefs-cli");
pub const REPO: &str = lakefs_emulator::DEFAULT_REPOSITORY;

/// A directory removed when dropped (permissions restored first).
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "lakefs-cli-test-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = Command::new("chmod")
                .arg("-R")
                .arg("u+rwx")
                .arg(&self.0)
                .status();
            let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Deterministic, incompressible test bytes.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// What the gates hold: part PUTs from a part number on, and aborts.
#[derive(Default)]
pub struct Gates {
    /// Hold storage PUTs of this part number and above (0: none).
    pub hold_parts_from: AtomicU32,
    /// Hold aborts.
    pub hold_aborts: AtomicBool,
    /// Delay every storage GET (a presigned read) by this many milliseconds.
    pub delay_reads_ms: AtomicU64,
    /// Answer upload creations from this one on (1 = the first) with a 401, as lakeFS does
    /// for a key it no longer accepts (0: none).
    pub refuse_creates_from: AtomicU32,
    /// Upload creations seen.
    pub creates: AtomicU32,
    /// Statuses to answer the next part PUTs with, in order (an S3 error body), instead of
    /// storing them.
    pub part_failures: Mutex<std::collections::VecDeque<u16>>,
    /// Receive part PUT bodies at this many bytes per second, chunk by chunk (0: at once).
    pub receive_parts_per_second: AtomicU64,
    /// Part PUTs whose body was received in full.
    pub parts_received: AtomicU32,
    /// How many requests are being held.
    pub held: AtomicU32,
    /// Every request answered: method and path.
    pub requests: Mutex<Vec<(http::Method, String)>>,
}

/// The emulator on 127.0.0.1, answering through the gates, on a runtime of its own.
pub struct Server {
    pub emulator: Emulator,
    pub url: String,
    pub gates: Arc<Gates>,
    release: watch::Sender<u64>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Server {
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// As [`Self::start`], its connections' receive buffers `bytes` large: what a slow link
    /// holds, rather than loopback's megabytes (bytes handed to the network then stay close
    /// to the bytes received).
    pub fn start_with_receive_buffer(bytes: u32) -> Self {
        Self::start_with(Some(bytes))
    }

    fn start_with(receive_buffer: Option<u32>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let emulator = Emulator::new();
        let gates = Arc::new(Gates::default());
        let (release, released) = watch::channel(0u64);
        let listener = runtime
            .block_on(async {
                let socket = tokio::net::TcpSocket::new_v4()?;
                if let Some(bytes) = receive_buffer {
                    socket.set_recv_buffer_size(bytes)?;
                }
                socket.bind("127.0.0.1:0".parse().unwrap())?;
                socket.listen(1024)
            })
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        emulator.set_storage_url(url.clone());
        let (serving, serving_gates) = (emulator.clone(), Arc::clone(&gates));
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (emulator, gates, released) = (
                    serving.clone(),
                    Arc::clone(&serving_gates),
                    released.clone(),
                );
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request: http::Request<hyper::body::Incoming>| {
                            let (emulator, gates, mut released) =
                                (emulator.clone(), Arc::clone(&gates), released.clone());
                            async move {
                                let (parts, body) = request.into_parts();
                                let body = receive(&gates, &parts, body).await;
                                gates
                                    .requests
                                    .lock()
                                    .unwrap()
                                    .push((parts.method.clone(), parts.uri.path().to_owned()));
                                if let Some(refused) = refused_create(&gates, &parts) {
                                    return Ok(refused);
                                }
                                if let Some(failed) = failed_part(&gates, &parts) {
                                    return Ok(failed);
                                }
                                let delay = gates.delay_reads_ms.load(Ordering::SeqCst);
                                if delay > 0
                                    && parts.method == http::Method::GET
                                    && parts.uri.path().starts_with("/_storage/")
                                {
                                    tokio::time::sleep(Duration::from_millis(delay)).await;
                                }
                                if held(&gates, &parts) {
                                    let _ = released.borrow_and_update();
                                    gates.held.fetch_add(1, Ordering::SeqCst);
                                    let _ = released.changed().await;
                                    gates.held.fetch_sub(1, Ordering::SeqCst);
                                }
                                let response = emulator
                                    .handle_async(&http::Request::from_parts(parts, body))
                                    .await;
                                let (parts, body) = response.into_parts();
                                Ok::<_, Infallible>(http::Response::from_parts(
                                    parts,
                                    Full::new(body),
                                ))
                            }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            emulator,
            url,
            gates,
            release,
            runtime: Some(runtime),
        }
    }

    /// Lets every held request go, and holds nothing more.
    pub fn release(&self) {
        self.gates.hold_parts_from.store(0, Ordering::SeqCst);
        self.gates.hold_aborts.store(false, Ordering::SeqCst);
        self.release.send_modify(|n| *n += 1);
    }

    /// The binary with the lakectl variables pointing here and an empty HOME.
    pub fn command(&self, home: &TempDir) -> Command {
        let mut command = lakefs(home);
        command
            .env("LAKECTL_SERVER_ENDPOINT_URL", &self.url)
            .env("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
            .env(
                "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY",
                DEFAULT_SECRET_ACCESS_KEY,
            );
        command
    }

    /// The requests answered so far, as `METHOD /path`.
    pub fn requests(&self) -> Vec<String> {
        self.gates
            .requests
            .lock()
            .unwrap()
            .iter()
            .map(|(method, path)| format!("{method} {path}"))
            .collect()
    }

    /// Forgets the requests answered so far.
    pub fn clear_requests(&self) {
        self.gates.requests.lock().unwrap().clear();
    }

    /// How many part PUTs (to the storage) and upload creations were answered.
    pub fn parts_and_creates(&self) -> (usize, usize) {
        let requests = self.requests();
        let parts = requests
            .iter()
            .filter(|r| r.starts_with("PUT /_storage/"))
            .count();
        let creates = requests
            .iter()
            .filter(|r| r.starts_with("POST ") && r.ends_with("/staging/pmpu"))
            .count();
        (parts, creates)
    }

    /// The requests that change something on lakeFS (not a GET or HEAD).
    pub fn writes(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| !r.starts_with("GET ") && !r.starts_with("HEAD "))
            .collect()
    }

    /// How many storage GETs (presigned reads) were answered.
    pub fn reads(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.starts_with("GET /_storage/"))
            .count()
    }

    /// The bytes of an object on `main`.
    pub fn object(&self, path: &str) -> Option<Bytes> {
        self.emulator.object(REPO, "main", path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A request's body: a part PUT's chunk by chunk at the gates' rate, if any.
async fn receive(
    gates: &Gates,
    parts: &http::request::Parts,
    mut body: hyper::body::Incoming,
) -> Bytes {
    let rate = gates.receive_parts_per_second.load(Ordering::SeqCst);
    let part = parts.method == http::Method::PUT && parts.uri.path().starts_with("/_storage/");
    if !part || rate == 0 {
        return body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
    }
    let mut received = Vec::new();
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            received.extend_from_slice(&data);
            let pause = Duration::from_secs_f64(data.len() as f64 / rate as f64);
            tokio::time::sleep(pause).await;
        }
    }
    gates.parts_received.fetch_add(1, Ordering::SeqCst);
    Bytes::from(received)
}

/// A 401 for an upload creation the gates refuse.
fn refused_create(
    gates: &Gates,
    parts: &http::request::Parts,
) -> Option<http::Response<Full<Bytes>>> {
    if parts.method != http::Method::POST || !parts.uri.path().ends_with("/staging/pmpu") {
        return None;
    }
    let number = gates.creates.fetch_add(1, Ordering::SeqCst) + 1;
    let from = gates.refuse_creates_from.load(Ordering::SeqCst);
    (from > 0 && number >= from).then(|| {
        http::Response::builder()
            .status(401)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(
                br#"{"message":"error authenticating request"}"#,
            )))
            .unwrap()
    })
}

/// An S3 error for a part PUT, when the gates have one queued.
fn failed_part(gates: &Gates, parts: &http::request::Parts) -> Option<http::Response<Full<Bytes>>> {
    if parts.method != http::Method::PUT || !parts.uri.path().starts_with("/_storage/") {
        return None;
    }
    let status = gates.part_failures.lock().unwrap().pop_front()?;
    let code = if status == 503 {
        "SlowDown"
    } else {
        "InvalidRequest"
    };
    Some(
        http::Response::builder()
            .status(status)
            .header("content-type", "application/xml")
            .body(Full::new(Bytes::from(format!(
                "<Error><Code>{code}</Code><Message>injected by the test</Message></Error>"
            ))))
            .unwrap(),
    )
}

fn held(gates: &Gates, parts: &http::request::Parts) -> bool {
    let path = parts.uri.path();
    if parts.method == http::Method::PUT {
        if let Some(rest) = path.strip_prefix("/_storage/") {
            let from = gates.hold_parts_from.load(Ordering::SeqCst);
            let part: u32 = rest
                .rsplit('/')
                .next()
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            return from > 0 && part >= from;
        }
    }
    parts.method == http::Method::DELETE
        && path.contains("/staging/pmpu/")
        && gates.hold_aborts.load(Ordering::SeqCst)
}

/// A process whose standard error is a pseudo-terminal (as a person's), its output collected
/// as it comes.
pub struct OnTerminal {
    pub child: std::process::Child,
    screen: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl OnTerminal {
    /// Starts `command` with standard error on a new 160×40 pseudo-terminal (stdout piped).
    #[allow(unsafe_code)]
    pub fn spawn(command: &mut Command) -> Self {
        use std::os::fd::{FromRawFd, OwnedFd};
        let (mut master, mut slave) = (0, 0);
        let size = libc::winsize {
            ws_row: 40,
            ws_col: 160,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two descriptors, which are owned from here on.
        let status = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(status, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both are open descriptors nothing else owns.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::from(slave))
            .spawn()
            .unwrap();
        // The parent's copy of the terminal's end went with the command: the reader sees the
        // end once the child exits.
        let screen = Arc::new(Mutex::new(Vec::new()));
        let reader = {
            let screen = Arc::clone(&screen);
            let mut master = std::fs::File::from(master);
            std::thread::spawn(move || {
                use std::io::Read;
                let mut buffer = [0u8; 4096];
                while let Ok(n) = master.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    screen.lock().unwrap().extend_from_slice(&buffer[..n]);
                }
            })
        };
        Self {
            child,
            screen,
            reader: Some(reader),
        }
    }

    /// What was drawn so far, escape sequences left out, one entry per redraw of a line.
    pub fn lines(&self) -> Vec<String> {
        let raw = String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned();
        let mut text = String::new();
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // CSI: ESC [ parameters, then a final byte in @..~.
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                text.push('\n');
            } else if c == '\r' {
                text.push('\n');
            } else {
                text.push(c);
            }
        }
        // Lines padded to the terminal's width (160) follow one another without a line break.
        text.lines()
            .flat_map(|l| {
                let chars: Vec<char> = l.chars().collect();
                chars
                    .chunks(160)
                    .map(|c| c.iter().collect::<String>())
                    .collect::<Vec<_>>()
            })
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// Waits for the process to end; its exit code, standard output, and what it drew.
    pub fn wait(mut self) -> (i32, String, Vec<String>) {
        let output = std::mem::replace(&mut self.child, Command::new("true").spawn().unwrap())
            .wait_with_output()
            .unwrap();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        (code(&output), stdout(&output), self.lines())
    }
}

/// The binary with a clean environment: HOME set to `home`, no lakectl variable, state in
/// `home/state`.
pub fn lakefs(home: &TempDir) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("LAKECTL_SERVER_ENDPOINT_URL")
        .env_remove("LAKECTL_CREDENTIALS_ACCESS_KEY_ID")
        .env_remove("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY")
        .env_remove("XDG_STATE_HOME")
        .env("HOME", home.path())
        .env("LAKEFS_CLI_STATE_DIR", home.join("state"))
        .stdin(Stdio::null());
    command
}

/// Runs `command` to its end.
pub fn run(command: &mut Command) -> Output {
    command.output().unwrap()
}

/// Runs `command` to its end, killing it (and failing) if it takes more than `seconds`.
pub fn run_within(seconds: u64, command: &mut Command) -> Output {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(seconds);
            while !done.load(Ordering::SeqCst) {
                if Instant::now() > deadline {
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                    return true;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            false
        })
    };
    let output = child.wait_with_output().unwrap();
    done.store(true, Ordering::SeqCst);
    let killed = watchdog.join().unwrap();
    assert!(
        !killed,
        "still running after {seconds} s; stderr:\n{}",
        stderr(&output)
    );
    output
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The exit code (panics for a death by signal).
pub fn code(output: &Output) -> i32 {
    output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal; stderr: {}", stderr(output)))
}

/// Waits until `condition` holds (at most 20 s).
pub fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends SIGINT to a process.
pub fn interrupt(pid: u32) {
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Whether this process runs as root (which reads files whatever their permissions).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `command` run as the unprivileged user `nobody` through `setpriv`, for a check that root
/// would pass whatever the permissions; `None` when `setpriv` is not there.
pub fn as_nobody(command: &Command) -> Option<Command> {
    let available = Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        return None;
    }
    let mut wrapped = Command::new("setpriv");
    wrapped
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(command.get_program())
        .args(command.get_args())
        .stdin(Stdio::null());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(key, value),
            None => wrapped.env_remove(key),
        };
    }
    Some(wrapped)
}

/// Parses one JSON object per line.
pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// Splits a shell command printed by the binary (words, some in single quotes).
pub fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    let mut started = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            '\\' if !quoted => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            ' ' if !quoted => {
                if started || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            c => word.push(c),
        }
    }
    if started || !word.is_empty() {
        words.push(word);
    }
    words
}
