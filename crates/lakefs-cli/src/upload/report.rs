//! What became of one object — bytes, parts, retries, URL refreshes, the seconds spent
//! creating, sending parts and completing — counted from the engine's progress events, and
//! rendered as a line or as JSON.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use lakefs_multipart::ProgressEvent;
use serde_json::json;

use crate::errors::CliError;
use crate::output::{FileLine, Progress, Render};
use crate::units::human_size;
use crate::uri::ObjectUri;

/// What became of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Uploaded,
    Failed,
    Interrupted,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Uploaded => "uploaded",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }
}

/// The progress events of one object, counted.
#[derive(Debug, Default)]
pub(crate) struct ProbeState {
    pub(crate) created: Option<Instant>,
    pub(crate) completing: Option<Instant>,
    /// Each part's size, as sent or (on a resume) as already stored: the layout the object's
    /// multipart checksum is computed over.
    pub(crate) layout: BTreeMap<u32, u64>,
    pub(crate) parts: u32,
    pub(crate) retries: u32,
    pub(crate) url_refreshes: u32,
    /// Bytes of the parts stored.
    pub(crate) bytes: u64,
    /// Bytes of the parts in flight handed to the network so far, by part.
    pub(crate) sending: BTreeMap<u32, u64>,
    /// The object as the user named it, and the size from which it gets a line of its own
    /// below the bar.
    pub(crate) name: String,
    pub(crate) line_from: u64,
    pub(crate) line: Option<FileLine>,
}

impl ProbeState {
    /// The state of an object named `name` (as the user named it), which gets a line of its
    /// own in the progress display when it is larger than `line_from` bytes.
    pub(crate) fn new(name: &str, line_from: u64) -> Self {
        Self {
            name: name.to_owned(),
            line_from,
            ..Self::default()
        }
    }

    /// The part sizes in order, when the engine reported every part it completed with —
    /// parts 1 to n, n the number completed; `None` otherwise.
    pub(crate) fn layout(&self) -> Option<Vec<u64>> {
        let numbered_in_order = self.layout.keys().copied().eq(1..=self.parts);
        (self.parts > 0 && numbered_in_order).then(|| self.layout.values().copied().collect())
    }

    /// Bytes of this object done: stored, or on their way.
    fn done(&self) -> u64 {
        self.bytes + self.sending.values().sum::<u64>()
    }

    /// The object's upload ended: bytes still counted as on their way were not stored, and
    /// its line goes.
    pub(crate) fn ended(&mut self, progress: &Progress) {
        let unsent: u64 = std::mem::take(&mut self.sending).values().sum();
        progress.remove_bytes(unsent);
        self.line = None;
    }
}

/// Watches one object's upload.
pub(crate) struct Probe {
    pub(crate) state: Arc<Mutex<ProbeState>>,
}

/// Counts `event` in `state`, and moves `progress` (and the object's own line) along: bytes
/// as they are handed to the network, replaced by the part's size once it is stored.
pub(crate) fn probe_event(state: &Mutex<ProbeState>, progress: &Progress, event: &ProgressEvent) {
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    match event {
        ProgressEvent::Started { total_bytes, .. } => {
            state.created = Some(Instant::now());
            if let Some(size) = total_bytes.filter(|size| *size > state.line_from) {
                state.line = progress.file_line(&state.name, size);
            }
        }
        ProgressEvent::PartSending {
            part_number,
            bytes_sent,
            ..
        } => {
            let before = state.sending.insert(*part_number, *bytes_sent).unwrap_or(0);
            if *bytes_sent >= before {
                progress.add_bytes(bytes_sent - before);
            } else {
                progress.remove_bytes(before - bytes_sent);
            }
        }
        ProgressEvent::PartRetried { part_number, .. } => {
            state.retries += 1;
            // The part is sent again from its first byte.
            progress.remove_bytes(state.sending.remove(part_number).unwrap_or(0));
        }
        ProgressEvent::UrlRefreshed { .. } => state.url_refreshes += 1,
        ProgressEvent::PartFinished {
            part_number, size, ..
        } => {
            let sent = state.sending.remove(part_number).unwrap_or(0);
            state.bytes += size;
            state.layout.insert(*part_number, *size);
            if *size >= sent {
                progress.add_bytes(size - sent);
            } else {
                progress.remove_bytes(sent - size);
            }
        }
        ProgressEvent::PartSkipped { part_number, size } => {
            state.bytes += size;
            state.layout.insert(*part_number, *size);
            progress.add_earlier_bytes(*size);
        }
        ProgressEvent::Completing { parts } => {
            state.completing = Some(Instant::now());
            state.parts = *parts;
        }
        _ => {}
    }
    if let Some(line) = &state.line {
        line.set_bytes(state.done());
    }
}

/// Seconds spent in each phase.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Seconds {
    pub(crate) create: f64,
    pub(crate) parts: f64,
    pub(crate) complete: f64,
    pub(crate) total: f64,
}

/// What happened to one object.
pub(crate) struct Report {
    pub(crate) shown: String,
    pub(crate) dest: ObjectUri,
    pub(crate) status: Status,
    pub(crate) bytes: u64,
    pub(crate) parts: u32,
    pub(crate) retries: u32,
    pub(crate) url_refreshes: u32,
    pub(crate) seconds: Seconds,
    pub(crate) checksum: Option<String>,
    pub(crate) verified: Option<&'static str>,
    pub(crate) resumed: bool,
    /// The checkpoint kept for a resume.
    pub(crate) kept: Option<PathBuf>,
    /// Whether lakeFS confirmed the abort of a failed upload (`None`: no abort was needed).
    pub(crate) aborted: Option<bool>,
    pub(crate) error: Option<CliError>,
}

/// A line of text for an uploaded object (a failure is told on stderr); a JSON line whatever
/// became of it.
impl Render for Report {
    fn text(&self) -> Vec<String> {
        if self.status != Status::Uploaded {
            return Vec::new();
        }
        let parts = if self.parts == 1 { "part" } else { "parts" };
        let mut extra = String::new();
        if self.resumed {
            extra.push_str(", resumed");
        }
        if let Some(verified) = self.verified {
            extra.push_str(if verified == "match" {
                ", verified"
            } else {
                ", size verified"
            });
        }
        vec![format!(
            "uploaded {} -> {} ({}, {} {parts}, {:.2} s{extra})",
            self.shown,
            self.dest,
            human_size(self.bytes),
            self.parts,
            self.seconds.total
        )]
    }

    fn json(&self) -> Vec<serde_json::Value> {
        vec![json!({
            "source": self.shown,
            "destination": self.dest.to_string(),
            "status": self.status.as_str(),
            "bytes": self.bytes,
            "parts": self.parts,
            "retries": self.retries,
            "url_refreshes": self.url_refreshes,
            "seconds": {
                "create": round(self.seconds.create),
                "parts": round(self.seconds.parts),
                "complete": round(self.seconds.complete),
                "total": round(self.seconds.total),
            },
            "checksum": self.checksum,
            "verified": self.verified,
            "resumed": self.resumed,
            "checkpoint": self.kept.as_ref().map(|p| p.display().to_string()),
            "aborted": self.aborted,
            "error": self.error.as_ref().map(|e| {
                let mut text = e.to_string();
                for cause in e.lines().iter().skip(1) {
                    if let Some(cause) = cause.strip_prefix("caused by: ") {
                        text.push_str(": ");
                        text.push_str(cause);
                    }
                }
                text
            }),
        })]
    }

    fn is_confirmation(&self) -> bool {
        true
    }
}

fn round(seconds: f64) -> f64 {
    (seconds * 1e6).round() / 1e6
}

/// What becomes of a file that is not uploaded, or (`--dry-run`) what would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Left out: its object already matches it.
    Skipped,
    /// `--dry-run`: it would be uploaded.
    WouldUpload,
    /// `--dry-run`: it would be left out, its object already matching it.
    WouldSkip,
}

/// A file that is not uploaded now: skipped as unchanged, or planned by `--dry-run`.
pub(crate) struct Planned {
    /// The file as the user named it (below the directory given).
    pub(crate) shown: String,
    /// Its object.
    pub(crate) dest: ObjectUri,
    /// Its size (unknown for standard input).
    pub(crate) bytes: Option<u64>,
    /// What becomes of it.
    pub(crate) plan: Plan,
}

impl Render for Planned {
    fn text(&self) -> Vec<String> {
        let size = self
            .bytes
            .map_or_else(String::new, |b| format!(", {}", human_size(b)));
        vec![match self.plan {
            Plan::Skipped => format!("skipped {} -> {} (unchanged{size})", self.shown, self.dest),
            Plan::WouldSkip => {
                format!(
                    "would skip {} -> {} (unchanged{size})",
                    self.shown, self.dest
                )
            }
            Plan::WouldUpload => match self.bytes {
                Some(bytes) => format!(
                    "would upload {} -> {} ({})",
                    self.shown,
                    self.dest,
                    human_size(bytes)
                ),
                None => format!("would upload {} -> {}", self.shown, self.dest),
            },
        }]
    }

    fn json(&self) -> Vec<serde_json::Value> {
        let (status, reason) = match self.plan {
            Plan::Skipped => ("skipped", Some("unchanged")),
            Plan::WouldSkip => ("would_skip", Some("unchanged")),
            Plan::WouldUpload => ("would_upload", None),
        };
        vec![json!({
            "source": self.shown,
            "destination": self.dest.to_string(),
            "status": status,
            "reason": reason,
            "bytes": self.bytes,
        })]
    }

    /// A skipped file is confirmed like an uploaded one (`--quiet` hides both); what a dry run
    /// would do is what it was asked for.
    fn is_confirmation(&self) -> bool {
        self.plan == Plan::Skipped
    }
}

/// A result only programs get: a JSON line on stdout (`--json`), while people read the same
/// on stderr (a summary).
pub(crate) struct JsonOnly(pub(crate) serde_json::Value);

impl Render for JsonOnly {
    fn text(&self) -> Vec<String> {
        Vec::new()
    }

    fn json(&self) -> Vec<serde_json::Value> {
        vec![self.0.clone()]
    }
}
