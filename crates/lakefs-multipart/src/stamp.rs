//! A file's size and modification time, to tell before completing whether it changed while it
//! was read.

use std::sync::Arc;

/// A file's size and modification time at one moment, through its open handle (so a write
/// through any path to the same file is seen).
pub(crate) struct FileStamp {
    file: Arc<std::fs::File>,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl FileStamp {
    pub(crate) fn of(file: &Arc<std::fs::File>, metadata: &std::fs::Metadata) -> Self {
        Self {
            file: Arc::clone(file),
            len: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }

    /// Why the file is not as it was when stamped, if it is not: what was read of it may then
    /// mix two versions.
    pub(crate) async fn changed(&self) -> Option<String> {
        let file = Arc::clone(&self.file);
        let now = tokio::task::spawn_blocking(move || file.metadata())
            .await
            .ok()
            .and_then(Result::ok)?;
        if now.len() != self.len {
            return Some(format!(
                "the file changed while it was being uploaded (its size went from {} to {} bytes): the parts sent may mix two versions",
                self.len,
                now.len()
            ));
        }
        (now.modified().ok() != self.modified).then(|| {
            "the file changed while it was being uploaded (its modification time moved): the parts sent may mix two versions".to_owned()
        })
    }
}
