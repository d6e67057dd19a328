//! The files below a directory, for `upload --recursive`.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::state::Stamp;
use crate::glob::Filter;

/// A regular file to upload.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) path: PathBuf,
    /// Its path below the root, `/`-separated: the object's path below the destination prefix.
    pub(crate) relative: String,
    pub(crate) stamp: Stamp,
}

/// What a walk found.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    /// Regular files (and symbolic links to them), sorted by relative path.
    pub(crate) files: Vec<Entry>,
    /// What could not be read (an unreadable directory, a name that is not Unicode).
    pub(crate) errors: Vec<(PathBuf, std::io::Error)>,
    /// What is not uploaded on purpose: links to directories, sockets, devices, FIFOs.
    pub(crate) skipped: Vec<(PathBuf, &'static str)>,
    /// Files `--include` / `--exclude` leave out.
    pub(crate) excluded: usize,
    /// Directories an `--exclude` covers whole, not read.
    pub(crate) pruned: usize,
}

/// The size and modification time of a file, from its metadata.
pub(crate) fn stamp(metadata: &std::fs::Metadata) -> Stamp {
    let mtime_ns = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Stamp {
        size: metadata.len(),
        mtime_ns,
    }
}

/// Every file below `root` that `filter` admits. Symbolic links to files are followed; links
/// to directories are not (no cycles, no escaping the tree). Directories an `--exclude` covers
/// whole are not read; what the filter leaves out is not reported (not even when unreadable).
pub(crate) fn walk(root: &Path, filter: &Filter) -> Walk {
    let mut walk = Walk::default();
    let mut stack = vec![(root.to_owned(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) => {
                walk.errors.push((dir, error));
                continue;
            }
        };
        let mut children = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => children.push(entry),
                Err(error) => walk.errors.push((dir.clone(), error)),
            }
        }
        children.sort_by_key(std::fs::DirEntry::file_name);
        let mut subdirectories = Vec::new();
        for entry in children {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                walk.errors.push((
                    path,
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "the file name is not valid Unicode, which lakeFS paths must be",
                    ),
                ));
                continue;
            };
            let relative = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let file_type = match entry.file_type() {
                Ok(file_type) => file_type,
                Err(error) => {
                    walk.errors.push((path, error));
                    continue;
                }
            };
            if file_type.is_dir() {
                if filter.prunes(&relative) {
                    walk.pruned += 1;
                } else {
                    subdirectories.push((path, relative));
                }
                continue;
            }
            if !filter.admits(&relative) {
                walk.excluded += 1;
                continue;
            }
            // Follows a symbolic link.
            let metadata = match std::fs::metadata(&path) {
                Ok(metadata) => metadata,
                Err(error) => {
                    walk.errors.push((path, error));
                    continue;
                }
            };
            if metadata.is_file() {
                walk.files.push(Entry {
                    path,
                    relative,
                    stamp: stamp(&metadata),
                });
            } else if metadata.is_dir() {
                walk.skipped.push((path, "a symbolic link to a directory"));
            } else {
                walk.skipped.push((path, "not a regular file"));
            }
        }
        // Depth first, in name order.
        stack.extend(subdirectories.into_iter().rev());
    }
    walk.files.sort_by(|a, b| a.relative.cmp(&b.relative));
    walk
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_a_tree() {
        let root = std::env::temp_dir().join(format!("lakefs-cli-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join("empty")).unwrap();
        std::fs::write(root.join("top.txt"), "1").unwrap();
        std::fs::write(root.join("a/b/deep.bin"), "22").unwrap();
        std::fs::write(root.join("a/x.txt"), "").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("a"), root.join("link-to-dir")).unwrap();
            std::os::unix::fs::symlink(root.join("top.txt"), root.join("link-to-file")).unwrap();
        }
        let walk = walk(&root, &Filter::default());
        let names: Vec<_> = walk.files.iter().map(|e| e.relative.as_str()).collect();
        #[cfg(unix)]
        assert_eq!(
            names,
            ["a/b/deep.bin", "a/x.txt", "link-to-file", "top.txt"]
        );
        #[cfg(unix)]
        assert_eq!(walk.skipped.len(), 1);
        assert!(walk.errors.is_empty());
        assert_eq!(walk.files[0].stamp.size, 2);
        // Filtered: *.txt at any depth, and nothing below a/b (not even read).
        let filter = Filter {
            include: vec![crate::glob::Glob::parse("**/*.txt").unwrap()],
            exclude: vec![crate::glob::Glob::parse("a/b/**").unwrap()],
        };
        let filtered = super::walk(&root, &filter);
        let names: Vec<_> = filtered.files.iter().map(|e| e.relative.as_str()).collect();
        assert_eq!(names, ["a/x.txt", "top.txt"]);
        assert_eq!(filtered.pruned, 1);
        #[cfg(unix)]
        assert_eq!(filtered.excluded, 2, "the two links");
        std::fs::remove_dir_all(root).unwrap();
    }
}
