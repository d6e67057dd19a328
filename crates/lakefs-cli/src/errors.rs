//! Errors as people read them — `error: …`, then `caused by: …` for each
//! [`std::error::Error::source`], then `note: …` — and the exit code each one means.

use std::error::Error;
use std::fmt;

use lakefs_multipart::Error as UploadError;

/// The process's exit codes (documented in `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Exit {
    /// Everything worked.
    Ok,
    /// Something failed.
    Failure,
    /// The command line or the configuration is wrong.
    Usage,
    /// Ctrl-C, SIGINT or SIGTERM.
    Interrupted,
}

impl Exit {
    pub(crate) fn code(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Failure => 1,
            Self::Usage => 2,
            Self::Interrupted => 130,
        }
    }
}

type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// A failed command: what failed, why (a chain of sources), what to do about it.
pub(crate) struct CliError {
    exit: Exit,
    message: String,
    source: Option<BoxError>,
    notes: Vec<String>,
}

impl CliError {
    /// Something failed (exit code 1).
    pub(crate) fn failure(message: impl Into<String>) -> Self {
        Self::new(Exit::Failure, message)
    }

    /// The command line or the configuration is wrong (exit code 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    /// Stopped by Ctrl-C (exit code 130).
    pub(crate) fn interrupted(message: impl Into<String>) -> Self {
        Self::new(Exit::Interrupted, message)
    }

    fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            source: None,
            notes: Vec::new(),
        }
    }

    /// The error that caused this one.
    pub(crate) fn source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Advice printed after the causes.
    pub(crate) fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub(crate) fn exit(&self) -> Exit {
        self.exit
    }

    /// The lines to print: `error: …`, `caused by: …`, `note: …`.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!("error: {}", self.message)];
        if let Some(source) = &self.source {
            lines.extend(
                causes(source.as_ref())
                    .into_iter()
                    .map(|cause| format!("caused by: {cause}")),
            );
        }
        lines.extend(self.notes.iter().map(|note| format!("note: {note}")));
        lines
    }

    /// Prints the error on stderr.
    pub(crate) fn print(&self) {
        eprintln!("{}", self.lines().join("\n"));
    }
}

impl fmt::Debug for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never `Debug` of the sources: a person reads this.
        f.write_str(&self.lines().join("\n"))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// An upload's error as a cause: its [`reason`](UploadError::reason) without what became of
/// the upload, which the caller reports on its own lines (`note: upload … was aborted`).
pub(crate) struct UploadCause(pub(crate) UploadError);

impl fmt::Display for UploadCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.reason().fmt(f)
    }
}

impl fmt::Debug for UploadCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Error for UploadCause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

/// One line per error of the chain starting at `error`. Each error of this SDK says only
/// what it adds and exposes its cause through [`Error::source`], so every cause is printed
/// once.
pub(crate) fn causes(error: &(dyn Error + 'static)) -> Vec<String> {
    std::iter::successors(Some(error), |&error| error.source())
        .take(32)
        .map(ToString::to_string)
        .filter(|text| !text.trim().is_empty())
        .collect()
}

/// The chain as one line (for JSON and summaries).
pub(crate) fn one_line(error: &(dyn Error + 'static)) -> String {
    causes(error).join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(String, Option<Box<Layer>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|l| l as &(dyn Error + 'static))
        }
    }

    #[test]
    fn each_cause_is_one_line() {
        let io = Layer("Connection refused (os error 111)".into(), None);
        let connect = Layer(
            "could not connect to http://127.0.0.1:1/api/v1/x".into(),
            Some(Box::new(io)),
        );
        let api = Layer(
            "createPresignMultipartUpload: the HTTP exchange failed".into(),
            Some(Box::new(connect)),
        );
        let top = Layer(
            "creating the multipart upload failed".into(),
            Some(Box::new(api)),
        );
        assert_eq!(
            causes(&top),
            [
                "creating the multipart upload failed",
                "createPresignMultipartUpload: the HTTP exchange failed",
                "could not connect to http://127.0.0.1:1/api/v1/x",
                "Connection refused (os error 111)",
            ]
        );
        let error = CliError::failure("cannot upload a")
            .source(top)
            .note("try again");
        let lines = error.lines();
        assert_eq!(lines[0], "error: cannot upload a");
        assert_eq!(lines[1], "caused by: creating the multipart upload failed");
        assert_eq!(lines.last().unwrap(), "note: try again");
        assert_eq!(error.exit().code(), 1);
    }
}
