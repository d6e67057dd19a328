//! Where checkpoints live, how they are named, and a directory upload's journal.
//!
//! The state directory is `--state-dir`, else `$LAKEFS_CLI_STATE_DIR`, else
//! `$XDG_STATE_HOME/lakefs-cli`, else `~/.local/state/lakefs-cli`. Checkpoints go under
//! `uploads/`, one per destination object: `<name>-<hash>.json`, where the name is the end of
//! the object's path (readable) and the hash is of repository, branch and path (unique). A
//! directory upload with `--checkpoint` also keeps a journal, `dir-<name>-<hash>.jsonl`: a
//! header line, then one line per uploaded file, so that running it again skips the files
//! already uploaded.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::errors::CliError;
use crate::uri::ObjectUri;

/// The state directory (not created).
pub(crate) fn state_dir(explicit: Option<&Path>) -> Result<PathBuf, CliError> {
    if let Some(dir) = explicit {
        return Ok(dir.to_owned());
    }
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("LAKEFS_CLI_STATE_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = var("XDG_STATE_HOME") {
        return Ok(PathBuf::from(dir).join("lakefs-cli"));
    }
    match crate::config::home_dir() {
        Some(home) => Ok(home.join(".local/state/lakefs-cli")),
        None => Err(CliError::usage(
            "no state directory for checkpoints: set --state-dir or LAKEFS_CLI_STATE_DIR",
        )),
    }
}

/// `<state>/uploads`, created (0700 on Unix).
pub(crate) fn uploads_dir(state: &Path) -> Result<PathBuf, CliError> {
    let dir = state.join("uploads");
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).map_err(|e| {
        CliError::failure(format!(
            "cannot create the checkpoint directory {}",
            dir.display()
        ))
        .source(e)
    })?;
    Ok(dir)
}

/// FNV-1a, 64 bits: stable across versions and platforms (unlike `DefaultHasher`).
fn fnv64(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// The end of `text`, with anything but `[A-Za-z0-9._-]` made `_`, at most 48 characters.
fn slug(text: &str) -> String {
    let cleaned: Vec<char> = text
        .trim_end_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let start = cleaned.len().saturating_sub(48);
    let slug: String = cleaned[start..].iter().collect();
    let slug = slug.trim_start_matches(['_', '.']);
    if slug.is_empty() {
        "object".to_owned()
    } else {
        slug.to_owned()
    }
}

/// The checkpoint of the upload to `dest`.
pub(crate) fn checkpoint_path(uploads: &Path, dest: &ObjectUri) -> PathBuf {
    let hash = fnv64(&[&dest.repository, &dest.branch, &dest.path]);
    uploads.join(format!("{}-{hash:016x}.json", slug(&dest.path)))
}

/// The journal of the upload of directory `source` to `dest`.
pub(crate) fn journal_path(uploads: &Path, source: &Path, dest: &ObjectUri) -> PathBuf {
    let source = source.to_string_lossy();
    let hash = fnv64(&[&source, &dest.repository, &dest.branch, &dest.path]);
    let name = Path::new(source.as_ref())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    uploads.join(format!("dir-{}-{hash:016x}.jsonl", slug(&name)))
}

/// The journal's first line: what the directory upload is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct JournalHeader {
    /// Always [`JOURNAL_KIND`].
    pub(crate) kind: String,
    pub(crate) version: u32,
    /// The directory, absolute.
    pub(crate) source: PathBuf,
    /// `lakefs://repo/branch/prefix`.
    pub(crate) destination: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) content_type: Option<String>,
    #[serde(default)]
    pub(crate) metadata: Vec<(String, String)>,
}

pub(crate) const JOURNAL_KIND: &str = "lakefs-cli directory upload";

/// A file recorded as uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stamp {
    pub(crate) size: u64,
    pub(crate) mtime_ns: u128,
}

#[derive(Serialize, Deserialize)]
struct DoneLine {
    done: String,
    size: u64,
    mtime_ns: u128,
}

/// A directory upload's journal: its header and the files already uploaded; appended to as
/// files finish.
pub(crate) struct Journal {
    pub(crate) path: PathBuf,
    pub(crate) header: JournalHeader,
    pub(crate) done: HashMap<String, Stamp>,
    file: std::fs::File,
}

impl Journal {
    /// Opens the journal at `path`, or starts one with `header`.
    pub(crate) fn open_or_create(path: &Path, header: JournalHeader) -> Result<Self, CliError> {
        if path.exists() {
            return Self::open(path);
        }
        let fail = |e: std::io::Error| {
            CliError::failure(format!("cannot write the journal {}", path.display())).source(e)
        };
        let mut file = std::fs::OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(path)
            .map_err(fail)?;
        let line = serde_json::to_string(&header).map_err(|e| fail(std::io::Error::other(e)))?;
        writeln!(file, "{line}").map_err(fail)?;
        Ok(Self {
            path: path.to_owned(),
            header,
            done: HashMap::new(),
            file,
        })
    }

    /// Opens an existing journal.
    pub(crate) fn open(path: &Path) -> Result<Self, CliError> {
        let fail = |reason: String| {
            CliError::failure(format!("cannot read the journal {}", path.display())).source(reason)
        };
        let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
        let mut lines = std::io::BufReader::new(file).lines();
        let header: JournalHeader = match lines.next() {
            Some(Ok(line)) => serde_json::from_str(&line)
                .map_err(|e| fail(format!("not a directory upload journal: {e}")))?,
            _ => return Err(fail("it is empty".into())),
        };
        if header.kind != JOURNAL_KIND {
            return Err(fail("not a directory upload journal".into()));
        }
        let mut done = HashMap::new();
        // A line cut short by a crash is ignored.
        for line in lines.map_while(Result::ok) {
            if let Ok(entry) = serde_json::from_str::<DoneLine>(&line) {
                let stamp = Stamp {
                    size: entry.size,
                    mtime_ns: entry.mtime_ns,
                };
                done.insert(entry.done, stamp);
            }
        }
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| fail(e.to_string()))?;
        // After a line cut short, start the next one on a line of its own.
        let text = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
        if !text.ends_with(b"\n") {
            writeln!(file).map_err(|e| fail(e.to_string()))?;
        }
        Ok(Self {
            path: path.to_owned(),
            header,
            done,
            file,
        })
    }

    /// Whether `path` is a journal (rather than an object's checkpoint).
    pub(crate) fn is_journal(path: &Path) -> bool {
        let Ok(file) = std::fs::File::open(path) else {
            return false;
        };
        let mut first = String::new();
        let _ = std::io::BufReader::new(file).read_line(&mut first);
        serde_json::from_str::<JournalHeader>(&first).is_ok_and(|h| h.kind == JOURNAL_KIND)
    }

    /// Records that `relative` was uploaded.
    pub(crate) fn record(&mut self, relative: &str, stamp: Stamp) -> std::io::Result<()> {
        let line = serde_json::to_string(&DoneLine {
            done: relative.to_owned(),
            size: stamp.size,
            mtime_ns: stamp.mtime_ns,
        })
        .map_err(std::io::Error::other)?;
        writeln!(self.file, "{line}")?;
        self.done.insert(relative.to_owned(), stamp);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_readable_unique_and_stable() {
        let uploads = Path::new("/state/uploads");
        let a = checkpoint_path(
            uploads,
            &ObjectUri::new("repo", "main", "data/big file.bin"),
        );
        assert_eq!(
            a.file_name().unwrap().to_str().unwrap(),
            format!(
                "data_big_file.bin-{:016x}.json",
                fnv64(&["repo", "main", "data/big file.bin"])
            )
        );
        let b = checkpoint_path(uploads, &ObjectUri::new("repo", "dev", "data/big file.bin"));
        assert_ne!(a, b);
        let long = "x".repeat(300);
        let c = checkpoint_path(uploads, &ObjectUri::new("repo", "main", &long));
        assert!(c.file_name().unwrap().len() < 80);
    }

    #[test]
    fn journal_round_trip() {
        let dir = std::env::temp_dir().join(format!("lakefs-cli-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.jsonl");
        let _ = std::fs::remove_file(&path);
        let header = JournalHeader {
            kind: JOURNAL_KIND.into(),
            version: 1,
            source: dir.clone(),
            destination: "lakefs://repo/main/x".into(),
            content_type: None,
            metadata: vec![("k".into(), "v".into())],
        };
        let mut journal = Journal::open_or_create(&path, header.clone()).unwrap();
        let stamp = Stamp {
            size: 3,
            mtime_ns: 7,
        };
        journal.record("a/b.txt", stamp).unwrap();
        drop(journal);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"done\":\"cut")
            .unwrap();
        assert!(Journal::is_journal(&path));
        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.header, header);
        assert_eq!(journal.done.get("a/b.txt"), Some(&stamp));
        assert_eq!(journal.done.len(), 1);
        let mut journal = journal;
        journal.record("c", stamp).unwrap();
        assert_eq!(Journal::open(&path).unwrap().done.len(), 2);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
