use serde::{Deserialize, Serialize};

/// The body of every lakeFS error answer (schema `Error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Error {
    /// Short message explaining the error.
    pub message: String,
}

impl Error {
    /// An error body with the given message.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}
