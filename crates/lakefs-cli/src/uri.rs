//! `lakefs://` URIs, as lakectl writes them: a repository, a branch, a ref (branch, tag,
//! commit id or expression such as `main~1`), or an object path (or prefix) on a branch or a
//! ref.

use std::fmt;
use std::str::FromStr;

/// `lakefs://REPOSITORY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepoUri {
    pub(crate) repository: String,
}

/// `lakefs://REPOSITORY/BRANCH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BranchUri {
    pub(crate) repository: String,
    pub(crate) branch: String,
}

/// `lakefs://REPOSITORY/REF`: a branch, a tag, a commit id or a ref expression (`main~1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefUri {
    pub(crate) repository: String,
    pub(crate) reference: String,
}

/// `lakefs://REPOSITORY/REF/PATH`, read at any ref; the path may be empty or end in `/` (a
/// prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathUri {
    pub(crate) repository: String,
    pub(crate) reference: String,
    pub(crate) path: String,
}

impl PathUri {
    /// The same repository, ref and another path.
    pub(crate) fn with_path(&self, path: &str) -> Self {
        Self {
            repository: self.repository.clone(),
            reference: self.reference.clone(),
            path: path.to_owned(),
        }
    }
}

/// `lakefs://REPOSITORY/BRANCH/PATH`; the path may be empty or end in `/` (a prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectUri {
    pub(crate) repository: String,
    pub(crate) branch: String,
    pub(crate) path: String,
}

impl ObjectUri {
    pub(crate) fn new(repository: &str, branch: &str, path: &str) -> Self {
        Self {
            repository: repository.to_owned(),
            branch: branch.to_owned(),
            path: path.to_owned(),
        }
    }

    /// Whether the path names a prefix (empty, or ending in `/`) rather than an object.
    pub(crate) fn is_prefix(&self) -> bool {
        self.path.is_empty() || self.path.ends_with('/')
    }

    /// The prefix below which [`Self::join`] puts objects: the path with one `/` at its end
    /// (empty for the whole branch).
    pub(crate) fn as_directory(&self) -> String {
        if self.path.is_empty() {
            String::new()
        } else {
            format!("{}/", self.path.trim_end_matches('/'))
        }
    }

    /// The object `name` under this prefix (`prefix/name`, one `/` between them).
    pub(crate) fn join(&self, name: &str) -> Self {
        let path = if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{}", self.path.trim_end_matches('/'), name)
        };
        Self::new(&self.repository, &self.branch, &path)
    }
}

impl fmt::Display for ObjectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lakefs://{}/{}/{}",
            self.repository, self.branch, self.path
        )
    }
}

impl fmt::Display for BranchUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lakefs://{}/{}", self.repository, self.branch)
    }
}

impl fmt::Display for RefUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lakefs://{}/{}", self.repository, self.reference)
    }
}

impl fmt::Display for PathUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lakefs://{}/{}/{}",
            self.repository, self.reference, self.path
        )
    }
}

impl fmt::Display for RepoUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lakefs://{}", self.repository)
    }
}

/// The part after `lakefs://`, or why there is none.
fn strip_scheme<'a>(text: &'a str, shape: &str) -> Result<&'a str, String> {
    text.strip_prefix("lakefs://")
        .ok_or_else(|| format!("not a lakefs:// URI: expected {shape}"))
}

/// lakeFS repository ids: 3 to 63 of a-z, 0-9 and `-`, not starting with `-`.
fn check_repository(repository: &str, shape: &str) -> Result<(), String> {
    let valid = (3..=63).contains(&repository.len())
        && repository
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !repository.starts_with('-');
    if valid {
        Ok(())
    } else if repository.is_empty() {
        Err(format!("the repository is missing: expected {shape}"))
    } else {
        Err(format!(
            "{repository:?} is not a repository id (3 to 63 characters of a-z, 0-9 and -): expected {shape}"
        ))
    }
}

/// lakeFS branch names: ASCII letters, digits, `_` and `-`, not starting with `-`.
fn check_branch(branch: &str, shape: &str) -> Result<(), String> {
    if branch.is_empty() {
        return Err(format!("the branch is missing: expected {shape}"));
    }
    let valid = branch
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !branch.starts_with('-');
    if !valid {
        return Err(format!(
            "{branch:?} is not a branch name (letters, digits, _ and -, not starting with -): expected {shape}"
        ));
    }
    Ok(())
}

/// lakeFS refs: anything without whitespace (a branch, a tag, a commit id, `main~1`).
fn check_ref(reference: &str, shape: &str) -> Result<(), String> {
    if reference.is_empty() {
        return Err(format!("the ref is missing: expected {shape}"));
    }
    if reference
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!("{reference:?} is not a ref: expected {shape}"));
    }
    Ok(())
}

/// Splits `REPOSITORY/NAME/PATH` (after the scheme): the path may be absent or empty, but
/// has no empty segment.
fn split_path<'a>(text: &'a str, shape: &str) -> Result<(&'a str, &'a str, &'a str), String> {
    let rest = strip_scheme(text, shape)?;
    let (repository, rest) = rest.split_once('/').unwrap_or((rest, ""));
    let (name, path) = rest.split_once('/').unwrap_or((rest, ""));
    check_repository(repository, shape)?;
    if path.starts_with('/') || path.contains("//") {
        return Err(format!(
            "the path {path:?} has an empty segment: expected {shape}"
        ));
    }
    Ok((repository, name, path))
}

impl FromStr for RepoUri {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        const SHAPE: &str = "lakefs://REPOSITORY";
        let rest = strip_scheme(text, SHAPE)?;
        let repository = rest.strip_suffix('/').unwrap_or(rest);
        if repository.contains('/') {
            return Err(format!("expected only a repository: {SHAPE}"));
        }
        check_repository(repository, SHAPE)?;
        Ok(Self {
            repository: repository.to_owned(),
        })
    }
}

impl FromStr for BranchUri {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        const SHAPE: &str = "lakefs://REPOSITORY/BRANCH";
        let rest = strip_scheme(text, SHAPE)?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (repository, branch) = rest.split_once('/').unwrap_or((rest, ""));
        check_repository(repository, SHAPE)?;
        if branch.contains('/') {
            return Err(format!("expected a branch, not a path: {SHAPE}"));
        }
        check_branch(branch, SHAPE)?;
        Ok(Self {
            repository: repository.to_owned(),
            branch: branch.to_owned(),
        })
    }
}

impl FromStr for RefUri {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        const SHAPE: &str = "lakefs://REPOSITORY/REF";
        let rest = strip_scheme(text, SHAPE)?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (repository, reference) = rest.split_once('/').unwrap_or((rest, ""));
        check_repository(repository, SHAPE)?;
        if reference.contains('/') {
            return Err(format!("expected a ref, not a path: {SHAPE}"));
        }
        check_ref(reference, SHAPE)?;
        Ok(Self {
            repository: repository.to_owned(),
            reference: reference.to_owned(),
        })
    }
}

impl FromStr for PathUri {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        const SHAPE: &str = "lakefs://REPOSITORY/REF/PATH";
        let (repository, reference, path) = split_path(text, SHAPE)?;
        check_ref(reference, SHAPE)?;
        Ok(Self {
            repository: repository.to_owned(),
            reference: reference.to_owned(),
            path: path.to_owned(),
        })
    }
}

impl FromStr for ObjectUri {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        const SHAPE: &str = "lakefs://REPOSITORY/BRANCH/PATH";
        let (repository, branch, path) = split_path(text, SHAPE)?;
        check_branch(branch, SHAPE)?;
        Ok(Self::new(repository, branch, path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_uris() {
        let uri: ObjectUri = "lakefs://my-repo/main/a/b.csv".parse().unwrap();
        assert_eq!(uri, ObjectUri::new("my-repo", "main", "a/b.csv"));
        assert!(!uri.is_prefix());
        let prefix: ObjectUri = "lakefs://my-repo/main".parse().unwrap();
        assert!(prefix.is_prefix());
        assert_eq!(prefix.join("x/y").path, "x/y");
        let prefix: ObjectUri = "lakefs://my-repo/main/logs/".parse().unwrap();
        assert_eq!(prefix.join("x").to_string(), "lakefs://my-repo/main/logs/x");
        for bad in [
            "s3://bucket/key",
            "lakefs://",
            "lakefs:///main/x",
            "lakefs://Repo/main/x",
            "lakefs://my-repo//x",
            "lakefs://my-repo/main//x",
            "my-repo/main/x",
        ] {
            assert!(bad.parse::<ObjectUri>().is_err(), "{bad}");
        }
    }

    #[test]
    fn repo_and_branch_uris() {
        assert_eq!(
            "lakefs://my-repo/".parse::<RepoUri>().unwrap().repository,
            "my-repo"
        );
        assert!("lakefs://my-repo/main".parse::<RepoUri>().is_err());
        let branch: BranchUri = "lakefs://my-repo/feature-1".parse().unwrap();
        assert_eq!(branch.branch, "feature-1");
        assert!("lakefs://my-repo".parse::<BranchUri>().is_err());
        assert!("lakefs://my-repo/a/b".parse::<BranchUri>().is_err());
        for bad in [
            "lakefs://my-repo/-x",
            "lakefs://my-repo/a.b",
            "lakefs://my-repo/a~1",
        ] {
            let error = bad.parse::<BranchUri>().unwrap_err();
            assert!(error.contains("not a branch name"), "{bad}: {error}");
        }
    }

    #[test]
    fn ref_and_path_uris_take_any_ref() {
        let log: RefUri = "lakefs://my-repo/main~1".parse().unwrap();
        assert_eq!(log.reference, "main~1");
        assert_eq!(log.to_string(), "lakefs://my-repo/main~1");
        assert!("lakefs://my-repo".parse::<RefUri>().is_err());
        assert!("lakefs://my-repo/main/x".parse::<RefUri>().is_err());
        let ls: PathUri = "lakefs://my-repo/v1.0/data/".parse().unwrap();
        assert_eq!((ls.reference.as_str(), ls.path.as_str()), ("v1.0", "data/"));
        assert_eq!(ls.with_path("x").to_string(), "lakefs://my-repo/v1.0/x");
        let root: PathUri = "lakefs://my-repo/main".parse().unwrap();
        assert_eq!(root.path, "");
        assert!("lakefs://my-repo//x".parse::<PathUri>().is_err());
        assert!("lakefs://my-repo/main/a//b".parse::<PathUri>().is_err());
        let prefix: ObjectUri = "lakefs://my-repo/main/logs".parse().unwrap();
        assert_eq!(prefix.as_directory(), "logs/");
        let root: ObjectUri = "lakefs://my-repo/main/".parse().unwrap();
        assert_eq!(root.as_directory(), "");
    }
}
