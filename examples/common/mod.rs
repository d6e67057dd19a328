//! Shared by the examples: flags, the lakectl environment, a client for the emulator or a
//! real endpoint, a progress bar, and a generated data source.
#![allow(dead_code, unreachable_pub)]

pub mod parts;

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use lakefs::experimental::{
    Credentials, ExperimentalClient, ENV_ACCESS_KEY_ID, ENV_ENDPOINT, ENV_SECRET_ACCESS_KEY,
};
use lakefs::multipart::ProgressEvent;
use lakefs::transport::HyperTransport;
use lakefs_emulator::{
    serve, Emulator, RunningEmulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY,
};
use tokio::io::{AsyncRead, ReadBuf};

pub type Error = Box<dyn std::error::Error>;

/// `--name value` flags and positional arguments.
pub struct Args {
    pub positional: Vec<String>,
    flags: HashMap<String, String>,
}

impl Args {
    pub fn parse() -> Result<Self, Error> {
        let mut positional = Vec::new();
        let mut flags = HashMap::new();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.strip_prefix("--") {
                Some(name) => {
                    let value = args
                        .next()
                        .ok_or_else(|| format!("--{name} needs a value"))?;
                    flags.insert(name.to_owned(), value);
                }
                None => positional.push(arg),
            }
        }
        Ok(Self { positional, flags })
    }

    pub fn take(&mut self, name: &str) -> Option<String> {
        self.flags.remove(name)
    }

    pub fn take_parsed<T: std::str::FromStr>(&mut self, name: &str) -> Result<Option<T>, Error> {
        self.take(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("--{name} {v:?} is not valid").into())
            })
            .transpose()
    }

    /// Fails on flags nobody took.
    pub fn finish(self) -> Result<Vec<String>, Error> {
        match self.flags.keys().next() {
            Some(unknown) => Err(format!("unknown flag --{unknown}").into()),
            None => Ok(self.positional),
        }
    }
}

/// Where the examples talk to: a real lakeFS, or an emulator started on loopback.
pub struct Target {
    pub client: ExperimentalClient<HyperTransport>,
    /// The emulator, when no endpoint was given.
    pub emulator: Option<RunningEmulator>,
}

impl Target {
    /// `--endpoint`, `--access-key-id`, `--secret-access-key`, or the lakectl variables; with
    /// none of them, an emulator on 127.0.0.1.
    pub async fn connect(args: &mut Args) -> Result<Self, Error> {
        let (endpoint, credentials, emulator) = match remote(args)? {
            Some((endpoint, credentials)) => (endpoint, credentials, None),
            None => {
                let running = serve(Emulator::new()).await?;
                println!(
                    "No endpoint given: started the lakeFS emulator at {}",
                    running.url()
                );
                (
                    running.url().to_owned(),
                    Credentials::basic(DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY),
                    Some(running),
                )
            }
        };
        let client = ExperimentalClient::builder()
            .endpoint(endpoint)
            .credentials(credentials)
            .build()?;
        Ok(Self { client, emulator })
    }
}

/// A real lakeFS from `--endpoint`, `--access-key-id` and `--secret-access-key`, or the
/// lakectl variables; `None` when no endpoint is given.
pub fn remote(args: &mut Args) -> Result<Option<(String, Credentials)>, Error> {
    let endpoint = args
        .take("endpoint")
        .or_else(|| std::env::var(ENV_ENDPOINT).ok());
    let key = args
        .take("access-key-id")
        .or_else(|| std::env::var(ENV_ACCESS_KEY_ID).ok());
    let secret = args
        .take("secret-access-key")
        .or_else(|| std::env::var(ENV_SECRET_ACCESS_KEY).ok());
    let Some(endpoint) = endpoint else {
        return Ok(None);
    };
    let (Some(key), Some(secret)) = (key, secret) else {
        return Err(format!(
            "an endpoint needs --access-key-id and --secret-access-key (or {ENV_ACCESS_KEY_ID} and {ENV_SECRET_ACCESS_KEY})"
        )
        .into());
    };
    Ok(Some((endpoint, Credentials::basic(key, secret))))
}

/// `--sts-code`, `--sts-state` and `--sts-redirect-uri`, all or none.
pub fn sts_flags(args: &mut Args) -> Result<Option<(String, String, String)>, Error> {
    match (
        args.take("sts-code"),
        args.take("sts-state"),
        args.take("sts-redirect-uri"),
    ) {
        (Some(code), Some(state), Some(uri)) => Ok(Some((code, state, uri))),
        (None, None, None) => Ok(None),
        _ => Err("--sts-code, --sts-state and --sts-redirect-uri go together".into()),
    }
}

/// A progress bar fed by the engine's progress events.
pub fn progress_bar() -> (ProgressBar, impl Fn(&ProgressEvent) + Send + Sync + 'static) {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    let feed = bar.clone();
    let callback = move |event: &ProgressEvent| match event {
        ProgressEvent::Started {
            total_bytes,
            parts,
            part_size,
        } => {
            feed.set_length(total_bytes.unwrap_or(0));
            feed.set_message(format!("{parts} parts of {} MiB", part_size >> 20));
        }
        ProgressEvent::PartFinished { bytes_done, .. } => feed.set_position(*bytes_done),
        ProgressEvent::PartRetried {
            part_number,
            reason,
            ..
        } => {
            feed.println(format!("  retrying part {part_number}: {reason}"));
        }
        ProgressEvent::Completing { parts } => {
            feed.set_message(format!("completing {parts} parts"))
        }
        _ => {}
    };
    (bar, callback)
}

/// A size as people read it, in binary units as the progress bar shows them: `256 MiB`,
/// `1.5 GiB`, `512 B`.
pub fn human_size(bytes: u64) -> String {
    indicatif::HumanBytes(bytes).to_string()
}

/// A transfer rate in the same units: `312.4 MiB/s`. A debug build says so, because it runs
/// several times slower than a release build (`cargo run --release --example …`).
pub fn rate(bytes: u64, elapsed: Duration) -> String {
    let per_second = bytes as f64 / elapsed.as_secs_f64().max(1e-9);
    let debug = if cfg!(debug_assertions) {
        ", a debug build: add --release for the real speed"
    } else {
        ""
    };
    format!("{}/s{debug}", indicatif::HumanBytes(per_second as u64))
}

/// A Unix time as a UTC date and how far it is from now: `Thu, 03 Dec 2026 06:21:24 GMT, in
/// 15 min`.
pub fn human_time(unix_seconds: i64) -> String {
    let Ok(seconds) = u64::try_from(unix_seconds) else {
        return format!("{unix_seconds} s before 1970");
    };
    let at = std::time::UNIX_EPOCH + Duration::from_secs(seconds);
    let relative = match at.duration_since(std::time::SystemTime::now()) {
        Ok(ahead) => format!("in {}", indicatif::HumanDuration(ahead)),
        Err(past) => format!("{} ago", indicatif::HumanDuration(past.duration())),
    };
    format!("{}, {relative}", httpdate::fmt_http_date(at))
}

/// An `AsyncRead` yielding `size` pseudo-random bytes from `seed`, without holding them.
pub struct Generated {
    remaining: u64,
    state: u64,
}

impl Generated {
    pub fn new(size: u64, seed: u64) -> Self {
        Self {
            remaining: size,
            state: seed | 1,
        }
    }
}

impl AsyncRead for Generated {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = (buf.remaining() as u64).min(self.remaining) as usize & !7;
        let n = if n == 0 {
            (buf.remaining() as u64).min(self.remaining) as usize
        } else {
            n
        };
        let state = &mut self.state;
        let chunk = buf.initialize_unfilled_to(n);
        for word in chunk.chunks_mut(8) {
            // xorshift64*
            *state ^= *state >> 12;
            *state ^= *state << 25;
            *state ^= *state >> 27;
            let value = state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            word.copy_from_slice(&value[..word.len()]);
        }
        buf.advance(n);
        self.remaining -= n as u64;
        Poll::Ready(Ok(()))
    }
}
