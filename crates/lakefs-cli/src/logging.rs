//! `-v` and `RUST_LOG`: the libraries' `tracing` events — a part or a call retried, a part URL
//! refreshed, a failed upload aborted — as lines on stderr, around the progress bar.
//!
//! Nothing is logged without either. `-v` shows this SDK's debug events, `-vv` its trace
//! events and the dependencies' informational ones; `RUST_LOG` (`lakefs_multipart=debug`,
//! `info`, …) chooses instead. The SDK's events never carry a secret: errors hold no
//! credential nor a presigned URL's query string (see `lakefs_transport::RedactedUri`).

use std::io::Write;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::output::Console;

/// The crates of this SDK, whose events `-v` shows.
const CRATES: [&str; 8] = [
    "lakefs_rs",
    "lakefs_client",
    "lakefs_api",
    "lakefs_experimental",
    "lakefs_multipart",
    "lakefs_download",
    "lakefs_transport",
    "lakefs_emulator",
];

/// The filter for `-v` given `verbose` times (`None`: no logging).
fn filter_for(verbose: u8) -> Option<String> {
    let (ours, others) = match verbose {
        0 => return None,
        1 => ("debug", "warn"),
        _ => ("trace", "info"),
    };
    let mut directives = vec![others.to_owned()];
    directives.extend(CRATES.iter().map(|krate| format!("{krate}={ours}")));
    Some(directives.join(","))
}

/// Sends the events `RUST_LOG` or `-v` ask for to `console`'s stderr; nothing otherwise.
pub(crate) fn install(verbose: u8, console: &Console) {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let filter = match (from_env, filter_for(verbose)) {
        (Some(directives), _) => match EnvFilter::builder().parse(&directives) {
            Ok(filter) => filter,
            Err(error) => {
                console.warn(&format!(
                    "warning: RUST_LOG={directives:?} is not a filter ({error}); ignored"
                ));
                match filter_for(verbose) {
                    Some(directives) => EnvFilter::new(directives),
                    None => return,
                }
            }
        },
        (None, Some(directives)) => EnvFilter::new(directives),
        (None, None) => return,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_timer(tracing_subscriber::fmt::time::uptime())
        .with_ansi(false)
        .with_writer(Lines(console.clone()))
        .try_init();
}

/// Each event is formatted into a buffer, then printed as one message of the console (the
/// progress bar moved out of its way).
struct Lines(Console);

impl<'a> MakeWriter<'a> for Lines {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line {
            console: self.0.clone(),
            text: Vec::new(),
        }
    }
}

struct Line {
    console: Console,
    text: Vec<u8>,
}

impl Write for Line {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.text.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.text);
        let text = text.trim_end();
        if !text.is_empty() {
            self.console.warn(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_shows_this_sdk_and_only_warnings_of_the_rest() {
        assert_eq!(filter_for(0), None);
        let one = filter_for(1).unwrap();
        assert!(one.starts_with("warn,"), "{one}");
        assert!(one.contains("lakefs_multipart=debug"), "{one}");
        assert!(filter_for(2).unwrap().contains("lakefs_client=trace"));
        for verbose in 1..=3 {
            assert!(EnvFilter::builder()
                .parse(filter_for(verbose).unwrap())
                .is_ok());
        }
    }
}
