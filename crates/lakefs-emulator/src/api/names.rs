//! lakeFS's checks of names and paths in its catalog layer (`pkg/validator/validate.go`,
//! `pkg/graveler/validate.go`, `pkg/catalog/validate.go`): each failure is a 400 `argument
//! <name>: <reason>`; and the repository lookups the stable operations share.

use http::StatusCode;

use super::{fail, Failure};
use crate::model::{Repository, State};

/// lakeFS's longest object path, prefix or delimiter, in bytes.
const MAX_PATH_LENGTH: usize = 1024;

/// The validation text every failure ends with (`ErrInvalidValue`).
const INVALID: &str = "invalid value: validation error";

/// A repository id: `^[a-z0-9][a-z0-9-]{2,62}$`.
pub(super) fn check_repository(name: &str) -> Result<(), Failure> {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = name.as_bytes();
    let valid = (3..=63).contains(&bytes.len())
        && allowed(bytes[0])
        && bytes[1..].iter().all(|&b| allowed(b) || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(fail(
            StatusCode::BAD_REQUEST,
            format!("argument repository: repository id: {INVALID}"),
        ))
    }
}

/// A branch id, `^\w[-\w]*$` (ASCII letters, digits, `_`, `-`; not starting with `-`),
/// reported as `argument` (`branch`, or `name` where lakeFS calls it that).
pub(super) fn check_branch(argument: &str, name: &str) -> Result<(), Failure> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = name.as_bytes();
    if bytes.first().is_some_and(|&b| word(b)) && bytes.iter().all(|&b| word(b) || b == b'-') {
        Ok(())
    } else {
        Err(fail(
            StatusCode::BAD_REQUEST,
            format!("argument {argument}: branch id: {INVALID}"),
        ))
    }
}

/// A ref, `^[^\s]+$`.
pub(super) fn check_ref(argument: &str, reference: &str) -> Result<(), Failure> {
    if !reference.is_empty() && !reference.chars().any(char::is_whitespace) {
        Ok(())
    } else {
        Err(fail(
            StatusCode::BAD_REQUEST,
            format!("argument {argument}: ref: {INVALID}"),
        ))
    }
}

/// An object path: not empty, at most 1024 bytes.
pub(super) fn check_path(path: &str) -> Result<(), Failure> {
    if path.is_empty() {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            "argument path: missing path: required value: validation error",
        ));
    }
    check_optional_path("path", path)
}

/// A prefix or delimiter: at most 1024 bytes.
pub(super) fn check_optional_path(argument: &str, path: &str) -> Result<(), Failure> {
    if path.len() > MAX_PATH_LENGTH {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            format!(
                "argument {argument}: {INVALID}: {} is above maximum length ({MAX_PATH_LENGTH})",
                path.len()
            ),
        ));
    }
    Ok(())
}

/// `repository not found`, the 404 of every operation on a missing repository.
pub(super) fn repository_not_found() -> Failure {
    fail(StatusCode::NOT_FOUND, "repository not found")
}

/// The repository, after checking its name (400) — 404 if it does not exist.
pub(super) fn repository<'a>(state: &'a State, name: &str) -> Result<&'a Repository, Failure> {
    check_repository(name)?;
    state
        .repositories
        .get(name)
        .ok_or_else(repository_not_found)
}

/// As [`repository`], to change it.
pub(super) fn repository_mut<'a>(
    state: &'a mut State,
    name: &str,
) -> Result<&'a mut Repository, Failure> {
    check_repository(name)?;
    state
        .repositories
        .get_mut(name)
        .ok_or_else(repository_not_found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_lakefs_validates_them() {
        for good in ["abc", "example-repo", "r2-d2", &"a".repeat(63)] {
            assert!(check_repository(good).is_ok(), "{good}");
        }
        for bad in ["ab", "-abc", "Repo", "my_repo", &"a".repeat(64)] {
            assert!(check_repository(bad).is_err(), "{bad}");
        }
        for good in ["main", "feature-1", "_x", "a"] {
            assert!(check_branch("branch", good).is_ok(), "{good}");
        }
        for bad in ["", "-x", "a/b", "a.b", "é"] {
            assert!(check_branch("branch", bad).is_err(), "{bad}");
        }
        assert!(check_ref("ref", "main~1").is_ok());
        assert!(check_ref("ref", "a b").is_err());
        assert!(check_path("").is_err());
        assert!(check_path(&"p".repeat(1024)).is_ok());
        assert!(check_path(&"p".repeat(1025)).is_err());
    }
}
