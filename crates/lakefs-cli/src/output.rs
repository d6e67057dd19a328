//! Where things are printed: results on stdout (plain lines, or one JSON object per line),
//! messages and progress on stderr — a progress bar only when stderr is a terminal, an
//! occasional plain line otherwise.
//!
//! A command's result is a value that can [`Render`] itself both ways; [`Console::show`] is the
//! one place that picks the text or the JSON, as `--json` and `--quiet` ask. The commands that
//! answer once return their result to `main`, which shows it; those that print as they go
//! (uploads, benchmarks, the emulator) show each result when it is ready. No command asks
//! which mode is on.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::errors::CliError;
use crate::units::human_size;

/// How often a plain progress line is printed when stderr is not a terminal.
const PLAIN_PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// A command's result, as a person reads it and as a program reads it.
pub(crate) trait Render {
    /// The lines for a person (none: nothing to print).
    fn text(&self) -> Vec<String>;

    /// The values for a program, one JSON object per line (none: nothing to print).
    fn json(&self) -> Vec<serde_json::Value>;

    /// Whether the text only confirms what was done (`attached …`, `uploaded …`): `--quiet`
    /// hides it. The data a command was asked for (a listing, a token) always shows.
    fn is_confirmation(&self) -> bool {
        false
    }
}

/// The terminal: stdout for results, stderr for the rest. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Console {
    inner: Arc<Inner>,
}

struct Inner {
    json: bool,
    quiet: bool,
    verbose: bool,
    terminal: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Console {
    /// A console for `--json`, `--quiet` and `--verbose` as given.
    pub(crate) fn new(json: bool, quiet: bool, verbose: bool) -> Self {
        Self {
            inner: Arc::new(Inner {
                json,
                quiet,
                verbose,
                terminal: std::io::stderr().is_terminal(),
                bar: Mutex::new(None),
            }),
        }
    }

    fn bar(&self) -> Option<ProgressBar> {
        self.inner
            .bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs `print` with the progress bar, if any, out of the way.
    fn around_bar(&self, print: impl FnOnce()) {
        match self.bar() {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// Prints a result on stdout: its JSON lines with `--json`, else its text (but not a
    /// confirmation with `--quiet`).
    pub(crate) fn show(&self, result: &impl Render) {
        for line in stdout_lines(result, self.inner.json, self.inner.quiet) {
            self.stdout(&line);
        }
    }

    /// A line on stdout.
    fn stdout(&self, line: &str) {
        self.around_bar(|| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        });
    }

    /// A message on stderr (not with `--quiet`).
    pub(crate) fn info(&self, line: &str) {
        if !self.inner.quiet {
            self.warn(line);
        }
    }

    /// A message on stderr, even with `--quiet` (failures, interruptions).
    pub(crate) fn warn(&self, line: &str) {
        self.around_bar(|| eprintln!("{line}"));
    }

    /// An error on stderr (even with `--quiet`): for a known cause, what is wrong and the
    /// next step, the chain of causes only with `--verbose`.
    pub(crate) fn error(&self, error: &CliError) {
        self.warn(&error.shown(self.inner.verbose).join("\n"));
    }

    /// A question on stderr, the answer to be typed on the same line (even with `--quiet`).
    pub(crate) fn prompt(&self, question: &str) {
        self.around_bar(|| {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "{question} ");
            let _ = err.flush();
        });
    }

    /// Progress over `total_bytes` (unknown for a stream) in `files` files.
    pub(crate) fn progress(&self, total_bytes: Option<u64>, files: u64) -> Progress {
        self.progress_of("uploading", total_bytes, files)
    }

    /// As [`Self::progress`], the bar of a single file labelled `doing` (`downloading`).
    pub(crate) fn progress_of(
        &self,
        doing: &'static str,
        total_bytes: Option<u64>,
        files: u64,
    ) -> Progress {
        let bar = (self.inner.terminal && !self.inner.quiet).then(|| {
            let bar = match total_bytes {
                Some(total) => ProgressBar::with_draw_target(
                    Some(total),
                    ProgressDrawTarget::stderr_with_hz(10),
                ),
                None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10)),
            };
            let template = if total_bytes.is_some() {
                "{msg} [{bar:32}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}"
            } else {
                "{msg} {spinner} {bytes} {binary_bytes_per_sec}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        *self
            .inner
            .bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = bar.clone();
        let progress = Progress {
            inner: Arc::new(ProgressInner {
                console: self.clone(),
                doing,
                bar,
                plain: !self.inner.terminal && !self.inner.quiet,
                total_bytes,
                files,
                bytes: AtomicU64::new(0),
                files_done: AtomicU64::new(0),
                started: Instant::now(),
                last_line: Mutex::new(Instant::now()),
            }),
        };
        progress.update_message();
        progress
    }
}

/// The lines [`Console::show`] prints for `result` with `--json` and `--quiet` as given.
fn stdout_lines(result: &impl Render, json: bool, quiet: bool) -> Vec<String> {
    if json {
        result.json().iter().map(ToString::to_string).collect()
    } else if quiet && result.is_confirmation() {
        Vec::new()
    } else {
        result.text()
    }
}

/// Bytes and files done, shown as a bar or as occasional plain lines. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Progress {
    inner: Arc<ProgressInner>,
}

struct ProgressInner {
    console: Console,
    /// The label of a single file's bar.
    doing: &'static str,
    bar: Option<ProgressBar>,
    plain: bool,
    total_bytes: Option<u64>,
    files: u64,
    bytes: AtomicU64,
    files_done: AtomicU64,
    started: Instant,
    last_line: Mutex<Instant>,
}

impl Progress {
    /// `bytes` more are stored.
    pub(crate) fn add_bytes(&self, bytes: u64) {
        self.inner.bytes.fetch_add(bytes, Ordering::Relaxed);
        if let Some(bar) = &self.inner.bar {
            bar.inc(bytes);
        }
        self.maybe_plain_line();
    }

    /// `bytes` are done in all (for a count kept elsewhere, such as bytes received).
    pub(crate) fn set_bytes(&self, bytes: u64) {
        let before = self.inner.bytes.swap(bytes, Ordering::Relaxed);
        if before == bytes {
            return;
        }
        if let Some(bar) = &self.inner.bar {
            bar.set_position(bytes);
        }
        self.maybe_plain_line();
    }

    /// One more file is finished (stored or failed).
    pub(crate) fn file_done(&self) {
        self.inner.files_done.fetch_add(1, Ordering::Relaxed);
        self.update_message();
        self.maybe_plain_line();
    }

    fn update_message(&self) {
        if let Some(bar) = &self.inner.bar {
            if self.inner.files > 1 {
                bar.set_message(format!(
                    "{}/{} files",
                    self.inner.files_done.load(Ordering::Relaxed),
                    self.inner.files
                ));
            } else {
                bar.set_message(self.inner.doing);
            }
        }
    }

    fn maybe_plain_line(&self) {
        if !self.inner.plain {
            return;
        }
        let Ok(mut last) = self.inner.last_line.try_lock() else {
            return;
        };
        if last.elapsed() < PLAIN_PROGRESS_EVERY {
            return;
        }
        *last = Instant::now();
        drop(last);
        self.inner.console.info(&self.line());
    }

    fn line(&self) -> String {
        let bytes = self.inner.bytes.load(Ordering::Relaxed);
        let seconds = self.inner.started.elapsed().as_secs_f64();
        let rate = crate::units::megabytes_per_second(bytes, seconds);
        let mut line = match self.inner.total_bytes {
            Some(total) if total > 0 => format!(
                "progress: {} of {} ({:.0} %), {rate:.1} MB/s",
                human_size(bytes),
                human_size(total),
                bytes as f64 * 100.0 / total as f64
            ),
            _ => format!("progress: {}, {rate:.1} MB/s", human_size(bytes)),
        };
        if self.inner.files > 1 {
            line.push_str(&format!(
                ", {}/{} files",
                self.inner.files_done.load(Ordering::Relaxed),
                self.inner.files
            ));
        }
        line
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.inner.bar {
            bar.finish_and_clear();
        }
        *self
            .inner
            .console
            .inner
            .bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{stdout_lines, Render};

    /// A result whose text is data or a confirmation.
    struct Fake {
        confirmation: bool,
    }

    impl Render for Fake {
        fn text(&self) -> Vec<String> {
            vec!["one".into(), "two\nthree".into()]
        }

        fn json(&self) -> Vec<serde_json::Value> {
            vec![json!({"b": 1, "a": [true]}), json!({"c": null})]
        }

        fn is_confirmation(&self) -> bool {
            self.confirmation
        }
    }

    #[test]
    fn json_is_one_compact_object_a_line_even_when_quiet() {
        for confirmation in [false, true] {
            for quiet in [false, true] {
                assert_eq!(
                    stdout_lines(&Fake { confirmation }, true, quiet),
                    [r#"{"a":[true],"b":1}"#, r#"{"c":null}"#]
                );
            }
        }
    }

    #[test]
    fn quiet_hides_confirmations_not_data() {
        let data = Fake {
            confirmation: false,
        };
        let confirmation = Fake { confirmation: true };
        assert_eq!(stdout_lines(&data, false, false), ["one", "two\nthree"]);
        assert_eq!(stdout_lines(&data, false, true), ["one", "two\nthree"]);
        assert_eq!(
            stdout_lines(&confirmation, false, false),
            ["one", "two\nthree"]
        );
        assert!(stdout_lines(&confirmation, false, true).is_empty());
    }
}
