//! What a download shows: a JSON line when an object's download starts, and one when it ends
//! — downloaded (with what the check proved), skipped as unchanged, failed or interrupted —
//! which is also the line a person reads.

use std::path::Path;

use lakefs_download::{DownloadEvent, Downloaded, Verification};
use serde_json::{json, Value};

use crate::errors::CliError;
use crate::output::Render;
use crate::units::human_size;

/// A download started (JSON only: a person sees the progress bar).
pub(crate) struct Started {
    pub(crate) source: String,
    pub(crate) destination: String,
    pub(crate) event: DownloadEvent,
}

impl Render for Started {
    fn text(&self) -> Vec<String> {
        Vec::new()
    }

    fn json(&self) -> Vec<Value> {
        let DownloadEvent::Started {
            size,
            part_size,
            parts,
            route,
            resumed_bytes,
            ..
        } = &self.event
        else {
            return Vec::new();
        };
        vec![json!({
            "event": "started",
            "source": self.source,
            "destination": self.destination,
            "bytes": size,
            "part_size": part_size,
            "parts": parts,
            "route": route,
            "resumed_bytes": resumed_bytes,
        })]
    }
}

/// How an object's download ended.
pub(crate) enum Outcome {
    Downloaded(Box<Downloaded>),
    /// The destination already is the object.
    Unchanged,
    Failed(CliError),
    /// Ctrl-C: these bytes are kept for the next run.
    Interrupted {
        kept: u64,
    },
}

/// An object's download, ended.
pub(crate) struct Finished {
    pub(crate) source: String,
    pub(crate) destination: String,
    /// The object's size (unknown when it was not found).
    pub(crate) bytes: Option<u64>,
    pub(crate) seconds: f64,
    pub(crate) outcome: Outcome,
}

impl Finished {
    pub(crate) fn new(source: String, destination: &Path, bytes: Option<u64>) -> Self {
        Self {
            source,
            destination: destination.display().to_string(),
            bytes,
            seconds: 0.0,
            outcome: Outcome::Unchanged,
        }
    }
}

/// How a verification reads in a success line.
fn proven(verification: &Verification) -> String {
    match verification {
        Verification::NotVerifiable { .. } => "not verified".to_owned(),
        Verification::Skipped => "not checked (--no-verify)".to_owned(),
        other => other.to_string(),
    }
}

/// A line for a downloaded or skipped object (a failure or an interruption is told on
/// stderr); a JSON line whatever became of it.
impl Render for Finished {
    fn text(&self) -> Vec<String> {
        let size = human_size(self.bytes.unwrap_or(0));
        match &self.outcome {
            Outcome::Downloaded(done) => {
                let mut extra = String::new();
                if done.resumed_bytes > 0 {
                    extra.push_str(&format!(
                        ", resumed {} kept from an earlier run",
                        human_size(done.resumed_bytes)
                    ));
                }
                vec![format!(
                    "downloaded {} -> {} ({size}, {:.2} s, {}{extra})",
                    self.source,
                    self.destination,
                    self.seconds,
                    proven(&done.verification)
                )]
            }
            Outcome::Unchanged => vec![format!(
                "skipped {} -> {} (unchanged, {size})",
                self.source, self.destination
            )],
            Outcome::Failed(_) | Outcome::Interrupted { .. } => Vec::new(),
        }
    }

    fn json(&self) -> Vec<Value> {
        let mut line = json!({
            "event": "finished",
            "source": self.source,
            "destination": self.destination,
            "bytes": self.bytes,
            "seconds": (self.seconds * 1e6).round() / 1e6,
        });
        let extra = match &self.outcome {
            Outcome::Downloaded(done) => json!({
                "status": "downloaded",
                "verification": done.verification,
                "verified": done.verification.is_verified(),
                "checksum": done.identity.checksum,
                "part_size": done.part_size,
                "parts": done.parts,
                "fetched_parts": done.fetched_parts,
                "resumed_bytes": done.resumed_bytes,
                "route": done.route,
            }),
            Outcome::Unchanged => json!({"status": "skipped", "reason": "unchanged"}),
            Outcome::Failed(error) => json!({"status": "failed", "error": one_line(error)}),
            Outcome::Interrupted { kept } => json!({"status": "interrupted", "kept_bytes": kept}),
        };
        if let (Some(line), Value::Object(extra)) = (line.as_object_mut(), extra) {
            line.extend(extra);
        }
        vec![line]
    }

    fn is_confirmation(&self) -> bool {
        true
    }
}

/// An error and its causes on one line (for JSON and summaries).
pub(crate) fn one_line(error: &CliError) -> String {
    let mut text = error.to_string();
    for cause in error.lines().iter().skip(1) {
        if let Some(cause) = cause.strip_prefix("caused by: ") {
            text.push_str(": ");
            text.push_str(cause);
        }
    }
    text
}

/// A result only programs get: a JSON line on stdout (`--json`), while people read the same
/// on stderr.
pub(crate) struct JsonOnly(pub(crate) Value);

impl Render for JsonOnly {
    fn text(&self) -> Vec<String> {
        Vec::new()
    }

    fn json(&self) -> Vec<Value> {
        vec![self.0.clone()]
    }
}
