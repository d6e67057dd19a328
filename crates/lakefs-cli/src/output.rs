//! Where things are printed: results on stdout (plain lines, or one JSON object per line),
//! messages and progress on stderr — a progress bar only when stderr is a terminal, an
//! occasional plain line otherwise.
//!
//! A command's result is a value that can [`Render`] itself both ways; [`Console::show`] is the
//! one place that picks the text or the JSON, as `--json` and `--quiet` ask. The commands that
//! answer once return their result to `main`, which shows it; those that print as they go
//! (uploads, benchmarks, the emulator) show each result when it is ready. No command asks
//! which mode is on.

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::errors::CliError;
use crate::units::{human_duration, human_rate, human_size};

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
    /// The progress display in use: its bars are moved out of the way of every message.
    bar: Mutex<Option<MultiProgress>>,
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

    fn bar(&self) -> Option<MultiProgress> {
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
        let meter = Arc::new(Meter::new());
        let shown = (self.inner.terminal && !self.inner.quiet).then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10));
            let bar = ProgressBar::new(total_bytes.unwrap_or(0));
            let template = if total_bytes.is_some() {
                "{msg} [{bar:32}] {done}/{total} {rate} eta {eta}"
            } else {
                "{msg} {spinner} {done} {rate}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(meter.keys(style).progress_chars("=> "));
            }
            bar.set_message(if files > 1 {
                format!("0/{files} files")
            } else {
                doing.to_owned()
            });
            let bar = multi.add(bar);
            // Redrawn every 100 ms: the bytes moved since, and the rate and time left even
            // when nothing moves.
            bar.enable_steady_tick(Duration::from_millis(100));
            (multi, bar)
        });
        *self
            .inner
            .bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner) =
            shown.as_ref().map(|(multi, _)| multi.clone());
        let (multi, bar) = match shown {
            Some((multi, bar)) => (Some(multi), Some(bar)),
            None => (None, None),
        };
        let progress = Progress {
            inner: Arc::new(ProgressInner {
                console: self.clone(),
                doing,
                bar,
                multi,
                plain: !self.inner.terminal && !self.inner.quiet,
                total_bytes,
                files,
                meter,
                files_done: AtomicU64::new(0),
                file_lines: Arc::new(AtomicUsize::new(0)),
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

/// Bytes and files done, shown as a bar (with a line for each big file in flight) or as
/// occasional plain lines. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Progress {
    inner: Arc<ProgressInner>,
}

struct ProgressInner {
    console: Console,
    /// The label of a single file's bar.
    doing: &'static str,
    bar: Option<ProgressBar>,
    multi: Option<MultiProgress>,
    plain: bool,
    total_bytes: Option<u64>,
    files: u64,
    meter: Arc<Meter>,
    files_done: AtomicU64,
    /// How many lines of files in flight are shown.
    file_lines: Arc<AtomicUsize>,
    last_line: Mutex<Instant>,
}

/// At most this many files in flight get a line of their own.
const MAX_FILE_LINES: usize = 5;

/// How far back the rate looks.
const RATE_WINDOW: Duration = Duration::from_secs(5);

/// The bytes shown as done, and the rate at which this run moves them: bytes an earlier run
/// stored (the parts a resume skips) count as done, never as moved.
struct Meter {
    /// Bytes done: stored, or on their way (handed to the network).
    position: AtomicU64,
    /// Of those, the bytes an earlier run stored.
    earlier: AtomicU64,
    started: Instant,
    /// (when, bytes moved by this run) over the last [`RATE_WINDOW`] or so.
    samples: Mutex<VecDeque<(Instant, u64)>>,
}

impl Meter {
    fn new() -> Self {
        Self {
            position: AtomicU64::new(0),
            earlier: AtomicU64::new(0),
            started: Instant::now(),
            samples: Mutex::new(VecDeque::new()),
        }
    }

    fn position(&self) -> u64 {
        self.position.load(Ordering::Relaxed)
    }

    /// Bytes moved by this run.
    fn moved(&self) -> u64 {
        self.position()
            .saturating_sub(self.earlier.load(Ordering::Relaxed))
    }

    /// Bytes per second moved by this run, over the last few seconds (`None` for the first
    /// two seconds: too early to tell, the first bytes filling the network's buffers at
    /// once).
    fn rate(&self) -> Option<f64> {
        let now = Instant::now();
        let moved = self.moved();
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        if samples
            .back()
            .is_none_or(|(at, _)| now.duration_since(*at) >= Duration::from_millis(100))
        {
            samples.push_back((now, moved));
        }
        while samples.len() > 2 && now.duration_since(samples[1].0) >= RATE_WINDOW {
            samples.pop_front();
        }
        let (since, from) = match samples.front() {
            _ if now.duration_since(self.started) < Duration::from_secs(2) => return None,
            Some(&(at, bytes)) if now.duration_since(at) >= Duration::from_millis(500) => {
                (now.duration_since(at), bytes)
            }
            _ => (now.duration_since(self.started), 0),
        };
        Some(moved.saturating_sub(from) as f64 / since.as_secs_f64())
    }

    /// Time left for `total` bytes at the current rate.
    fn eta(&self, total: u64) -> Option<Duration> {
        let left = total.saturating_sub(self.position());
        if left == 0 {
            return Some(Duration::ZERO);
        }
        let rate = self.rate().filter(|r| *r > 0.0)?;
        Some(Duration::from_secs_f64(left as f64 / rate))
    }

    /// `style` with the keys `{done}`, `{total}`, `{rate}` and `{eta}` of this meter.
    fn keys(self: &Arc<Self>, style: ProgressStyle) -> ProgressStyle {
        let (rate, eta) = (Arc::clone(self), Arc::clone(self));
        style
            .with_key(
                "done",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&human_size(state.pos()));
                },
            )
            .with_key(
                "total",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&human_size(state.len().unwrap_or(0)));
                },
            )
            .with_key(
                "rate",
                move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = match rate.rate() {
                        Some(rate) => w.write_str(&human_rate(rate)),
                        None => w.write_str("…"),
                    };
                },
            )
            .with_key(
                "eta",
                move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = match eta.eta(state.len().unwrap_or(0)) {
                        Some(left) => w.write_str(&human_duration(left)),
                        None => w.write_str("…"),
                    };
                },
            )
    }
}

impl Progress {
    /// `bytes` more are done (stored, or handed to the network) by this run.
    pub(crate) fn add_bytes(&self, bytes: u64) {
        self.inner
            .meter
            .position
            .fetch_add(bytes, Ordering::Relaxed);
        self.moved();
    }

    /// `bytes` counted as done are not any more (a part sent again, or given up).
    pub(crate) fn remove_bytes(&self, bytes: u64) {
        let _ = self
            .inner
            .meter
            .position
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| {
                Some(p.saturating_sub(bytes))
            });
        self.moved();
    }

    /// `bytes` are done, stored by an earlier run (they do not count in the rate).
    pub(crate) fn add_earlier_bytes(&self, bytes: u64) {
        self.inner.meter.earlier.fetch_add(bytes, Ordering::Relaxed);
        self.add_bytes(bytes);
    }

    /// Of the bytes done, `bytes` in all were stored by an earlier run (for a count kept
    /// elsewhere, such as the bytes a resumed download kept): they do not count in the rate.
    pub(crate) fn set_earlier_bytes(&self, bytes: u64) {
        self.inner.meter.earlier.store(bytes, Ordering::Relaxed);
    }

    /// `bytes` are done in all (for a count kept elsewhere, such as bytes received).
    pub(crate) fn set_bytes(&self, bytes: u64) {
        let before = self.inner.meter.position.swap(bytes, Ordering::Relaxed);
        if before != bytes {
            self.moved();
        }
    }

    fn moved(&self) {
        if let Some(bar) = &self.inner.bar {
            bar.set_position(self.inner.meter.position());
        }
        self.maybe_plain_line();
    }

    /// One more file is finished (stored or failed).
    pub(crate) fn file_done(&self) {
        self.inner.files_done.fetch_add(1, Ordering::Relaxed);
        self.update_message();
        self.maybe_plain_line();
    }

    /// A line of its own for a file of `size` bytes in flight, below the bar, while fewer
    /// than [`MAX_FILE_LINES`] are shown (a directory upload on a terminal only); it goes
    /// when dropped.
    pub(crate) fn file_line(&self, name: &str, size: u64) -> Option<FileLine> {
        let multi = self.inner.multi.as_ref().filter(|_| self.inner.files > 1)?;
        let lines = &self.inner.file_lines;
        lines
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < MAX_FILE_LINES).then_some(n + 1)
            })
            .ok()?;
        let bar = ProgressBar::new(size);
        if let Ok(style) = ProgressStyle::with_template("  {prefix:40} [{bar:20}] {done}/{total}") {
            bar.set_style(Arc::new(Meter::new()).keys(style).progress_chars("=> "));
        }
        bar.set_prefix(shortened(name, 40));
        let bar = multi.add(bar);
        Some(FileLine {
            bar,
            multi: multi.clone(),
            lines: Arc::clone(lines),
        })
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

    /// `progress: 12.0 MiB of 40.0 MiB (30 %), 2.0 MiB/s, eta 14 s, 3/10 files`.
    fn line(&self) -> String {
        let meter = &self.inner.meter;
        let bytes = meter.position();
        let rate = meter.rate().map_or_else(|| "…".to_owned(), human_rate);
        let mut line = match self.inner.total_bytes {
            Some(total) if total > 0 => {
                let eta = meter
                    .eta(total)
                    .map_or_else(|| "…".to_owned(), human_duration);
                format!(
                    "progress: {} of {} ({:.0} %), {rate}, eta {eta}",
                    human_size(bytes),
                    human_size(total),
                    bytes as f64 * 100.0 / total as f64
                )
            }
            _ => format!("progress: {}, {rate}", human_size(bytes)),
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
        if let Some(multi) = &self.inner.multi {
            let _ = multi.clear();
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

/// A file in flight's own line below the bar; removed when dropped.
pub(crate) struct FileLine {
    bar: ProgressBar,
    multi: MultiProgress,
    lines: Arc<AtomicUsize>,
}

impl FileLine {
    /// The bytes of the file done (stored, on their way, or stored by an earlier run).
    pub(crate) fn set_bytes(&self, bytes: u64) {
        self.bar.set_position(bytes);
    }
}

impl std::fmt::Debug for FileLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileLine")
    }
}

impl Drop for FileLine {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        self.multi.remove(&self.bar);
        self.lines.fetch_sub(1, Ordering::Relaxed);
    }
}

/// `name`, cut to its last `width` characters (`…` in front) when longer.
fn shortened(name: &str, width: usize) -> String {
    let count = name.chars().count();
    if count <= width {
        return name.to_owned();
    }
    let tail: String = name.chars().skip(count - (width - 1)).collect();
    format!("…{tail}")
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
