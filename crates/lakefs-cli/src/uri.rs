//! `lakefs://` URIs: a repository, a branch, or an object path (or prefix) on a branch.

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

fn check_branch(branch: &str, shape: &str) -> Result<(), String> {
    if branch.is_empty() {
        return Err(format!("the branch is missing: expected {shape}"));
    }
    if branch.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{branch:?} is not a branch name: expected {shape}"));
    }
    Ok(())
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

impl FromStr for ObjectUri {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        const SHAPE: &str = "lakefs://REPOSITORY/BRANCH/PATH";
        let rest = strip_scheme(text, SHAPE)?;
        let (repository, rest) = rest.split_once('/').unwrap_or((rest, ""));
        let (branch, path) = rest.split_once('/').unwrap_or((rest, ""));
        check_repository(repository, SHAPE)?;
        check_branch(branch, SHAPE)?;
        if path.starts_with('/') || path.contains("//") {
            return Err(format!(
                "the path {path:?} has an empty segment: expected {SHAPE}"
            ));
        }
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
    }
}
