//! Errors as people read them — `error: …`, then `caused by: …` for each
//! [`std::error::Error::source`], then `note: …` — and the exit code each one means.

use std::error::Error;
use std::fmt;
use std::sync::OnceLock;

use http::StatusCode;
use lakefs_api::{Error as ApiError, ErrorKind as ApiKind, Operation};
use lakefs_multipart::Error as UploadError;
use lakefs_transport::{TransportError, TransportErrorKind};

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

    /// The same error, saying `message` instead (its causes and notes kept).
    pub(crate) fn retitled(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// What is known to be behind this error (a refused credential, a missing branch, a
    /// server that is not lakeFS, …), when something is.
    pub(crate) fn diagnosis(&self) -> Option<Diagnosis> {
        diagnose(self.source.as_deref()?)
    }

    /// The lines a person reads: for an error whose cause is known, `error: … : what is
    /// wrong` and the next step (`note: …`), the chain of causes only when `verbose`;
    /// otherwise every line of [`Self::lines`].
    pub(crate) fn shown(&self, verbose: bool) -> Vec<String> {
        let Some(diagnosis) = self.diagnosis() else {
            return self.lines();
        };
        let mut lines = vec![format!("error: {}: {}", self.message, diagnosis.line)];
        if verbose {
            if let Some(source) = &self.source {
                lines.extend(
                    causes(source.as_ref())
                        .into_iter()
                        .map(|cause| format!("caused by: {cause}")),
                );
            }
        }
        let more = if diagnosis.more_with_verbose && !verbose {
            " (-v shows every cause)"
        } else {
            ""
        };
        lines.push(format!("note: {}{more}", diagnosis.next));
        lines.extend(self.notes.iter().map(|note| format!("note: {note}")));
        lines
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

/// The endpoint in effect, for messages that name the server.
static ENDPOINT: OnceLock<String> = OnceLock::new();

/// Records the endpoint the command's client talks to (the first one given), without any
/// `user:password@` or query string.
pub(crate) fn set_endpoint(endpoint: &str) {
    let shown = match endpoint.parse::<http::Uri>() {
        Ok(uri) => lakefs_transport::RedactedUri::new(&uri).to_string(),
        Err(_) => endpoint.split('?').next().unwrap_or_default().to_owned(),
    };
    let _ = ENDPOINT.set(shown.trim_end_matches('/').to_owned());
}

/// A failure whose cause is known, told in a line, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diagnosis {
    /// What is wrong (`lakeFS rejected the credentials (401: …)`).
    pub(crate) line: String,
    /// What to do about it.
    pub(crate) next: String,
    /// Whether every request to lakeFS would fail the same way: a command working through
    /// many files stops at once rather than fail each.
    pub(crate) everywhere: bool,
    /// Whether the causes left out (shown with `-v`) say more than the line.
    pub(crate) more_with_verbose: bool,
}

/// What is known to be behind `error`: the first lakeFS API error of its chain, or a failed
/// connection.
pub(crate) fn diagnose(error: &(dyn Error + 'static)) -> Option<Diagnosis> {
    let chain = || std::iter::successors(Some(error), |&error| error.source()).take(32);
    if let Some(api) = chain().find_map(|e| e.downcast_ref::<ApiError>()) {
        return diagnose_api(api);
    }
    // A connection that failed without lakeFS in the chain: a presigned URL's object store.
    let transport = chain().find_map(|e| e.downcast_ref::<TransportError>())?;
    let (what, why) = unreachable(transport)?;
    Some(Diagnosis {
        line: format!("cannot connect to the object store at {what}: {why}"),
        next: "lakeFS hands out URLs of its object store: this machine must reach it too".into(),
        everywhere: false,
        more_with_verbose: true,
    })
}

fn diagnose_api(api: &ApiError) -> Option<Diagnosis> {
    let operation = api.operation();
    let server = ENDPOINT.get().map_or("the server", String::as_str);
    let message = api.server_message().unwrap_or_default();
    let status = api.status();
    let status_text = status.map_or_else(String::new, |s| {
        format!(
            "{} {}",
            s.as_u16(),
            s.canonical_reason().unwrap_or_default()
        )
        .trim_end()
        .to_owned()
    });
    let lower = message.to_ascii_lowercase();
    // `(401 Unauthorized: error authenticating request)`; not `(404 Not Found: not found)`.
    let answered = if message.is_empty()
        || status_text
            .to_ascii_lowercase()
            .ends_with(&message.to_ascii_lowercase())
    {
        status_text.clone()
    } else {
        format!("{status_text}: {message}")
    };
    if let Some(status) = status.filter(|_| !api.is_from_lakefs()) {
        let gateway = matches!(
            status,
            StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
        );
        if !gateway && status != StatusCode::TOO_MANY_REQUESTS {
            let page = if message.contains("text/html") {
                "an HTML page".to_owned()
            } else if message.contains("empty body") {
                "an empty body".to_owned()
            } else {
                "something that is not lakeFS's error JSON".to_owned()
            };
            let asked = operation.map_or_else(|| "a request".to_owned(), |o| o.to_string());
            return Some(Diagnosis {
                line: format!(
                    "{server} does not look like a lakeFS server: it answered {asked} with {page} ({status_text})"
                ),
                next: "check the endpoint: it is lakeFS's address, such as http://localhost:8000 (`lakefs-cli config` shows the one in effect and where it came from)".into(),
                everywhere: true,
                more_with_verbose: false,
            });
        }
    }
    match api.kind() {
        // lakeFS answers 401 both for a key it does not know (`error authenticating request`)
        // and for one whose user lacks a permission (`insufficient permissions`).
        ApiKind::Unauthorized | ApiKind::Forbidden if lower.contains("permission") => {
            Some(Diagnosis {
                line: format!("lakeFS refused: the key's user is not allowed to do this ({answered})"),
                next: "ask a lakeFS admin for a policy that allows it, or use another access key (`lakefs-cli config` shows the one in effect and where it came from)".into(),
                everywhere: true,
                more_with_verbose: false,
            })
        }
        ApiKind::Unauthorized => Some(Diagnosis {
            line: format!("lakeFS rejected the credentials ({answered})"),
            next: "check the access key id and the secret access key: `lakefs-cli config` shows those in effect and where each came from".into(),
            everywhere: true,
            more_with_verbose: false,
        }),
        ApiKind::Forbidden if lower.contains("protected branch") => Some(Diagnosis {
            line: format!("the branch is protected ({answered})"),
            next: "write to another branch and merge it (`lakefs-cli pr create`), or ask a lakeFS admin to lift the protection".into(),
            everywhere: true,
            more_with_verbose: false,
        }),
        ApiKind::Forbidden if lower.contains("read-only") => Some(Diagnosis {
            line: format!("the repository is read-only ({answered})"),
            next: "nothing can be written to a read-only repository: write to another one".into(),
            everywhere: true,
            more_with_verbose: false,
        }),
        // Starting an upload is refused for the branch or the key, never for one object.
        ApiKind::Forbidden if operation == Some(Operation::CreatePresignMultipartUpload) => {
            Some(Diagnosis {
                line: format!("lakeFS refused to start the upload ({answered})"),
                next: "the user of this access key may not write there: ask a lakeFS admin, or use another access key (`lakefs-cli config` shows the one in effect)".into(),
                everywhere: true,
                more_with_verbose: false,
            })
        }
        ApiKind::NotFound if names_repository_or_branch(operation, message) => Some(Diagnosis {
            line: if operation == Some(Operation::ListObjects) {
                format!("no such repository or ref ({answered})")
            } else {
                format!("no such repository or branch ({answered})")
            },
            next: "check the repository and branch of the lakefs:// URI: `lakefs-cli branch list lakefs://REPOSITORY` lists a repository's branches".into(),
            everywhere: true,
            more_with_verbose: false,
        }),
        ApiKind::Transport | ApiKind::Timeout => {
            let (what, why) = match api.transport_error() {
                Some(transport) => unreachable(transport)?,
                None => (server.to_owned(), "no answer in time".to_owned()),
            };
            Some(Diagnosis {
                line: format!("cannot connect to lakeFS at {what}: {why}"),
                next: "is lakeFS running there? `lakefs-cli config` shows the endpoint in effect and where it came from".into(),
                everywhere: true,
                more_with_verbose: true,
            })
        }
        _ => None,
    }
}

/// Whether a 404 says that the repository or the branch does not exist (not merely an
/// object): lakeFS's message names them, and listing or creating an upload cannot miss for
/// another reason.
fn names_repository_or_branch(operation: Option<Operation>, message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("repository") && message.contains("not found")
        || message.contains("branch") && message.contains("not found")
        || operation.is_some_and(|o| {
            matches!(
                o,
                Operation::CreatePresignMultipartUpload | Operation::ListObjects
            )
        })
}

/// For a connection that could not be made or timed out: the server (`scheme://host:port`)
/// and why, in a few words.
fn unreachable(transport: &TransportError) -> Option<(String, String)> {
    let why = match transport.kind() {
        TransportErrorKind::Connect => {
            let io =
                std::iter::successors(Some(transport as &(dyn Error + 'static)), |&e| e.source())
                    .find_map(|e| e.downcast_ref::<std::io::Error>());
            match io.map(std::io::Error::kind) {
                Some(std::io::ErrorKind::ConnectionRefused) => "connection refused".to_owned(),
                Some(std::io::ErrorKind::TimedOut) => "the connection timed out".to_owned(),
                _ => match causes(transport).last() {
                    Some(last) => format!("the connection failed ({last})"),
                    None => "the connection failed".to_owned(),
                },
            }
        }
        TransportErrorKind::Timeout => match transport.timeout_after() {
            Some(after) => format!("no answer within {after:?}"),
            None => "no answer in time".to_owned(),
        },
        _ => return None,
    };
    let uri = transport.uri()?.as_str().to_owned();
    let server = match uri.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)),
        None => uri,
    };
    Some((server, why))
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
