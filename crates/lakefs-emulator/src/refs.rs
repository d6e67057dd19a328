//! Ref expressions, resolved as lakeFS does (`pkg/graveler/ref/parse_ref.go:11-68`,
//! `pkg/graveler/ref/resolve_ref.go:31-122`), and what a resolved ref holds.
//!
//! A ref is a base — a full 64-hex commit id, else a branch, else (lakeFS also has tags, the
//! emulator has none) a unique commit-id prefix — followed by modifiers: `~N` (N first parents
//! back, `~` = `~1`), `^N` (the Nth parent, `^0` the commit itself), or, alone and only on a
//! branch, `@` (the branch's commit without its uncommitted changes) or `$` (its staging area,
//! which reads like the branch but is no commit).

use std::collections::BTreeMap;

use crate::model::{Branch, ObjectEntry, Repository};

/// Why a ref expression names nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefError {
    /// lakeFS's `ErrNotFound` (`not found`): no such base, or `~N` past the first commit.
    NotFound,
    /// lakeFS's `ErrInvalidRef` (`ref: invalid value: validation error`): an empty base, a
    /// malformed modifier, `@` or `$` not alone or not on a branch, `^N` beyond the parents;
    /// and, where a commit is needed, `$`.
    Invalid,
}

/// What a ref expression resolves to.
#[derive(Debug)]
pub(crate) struct Resolved<'a> {
    /// The commit.
    pub(crate) commit: String,
    /// The branch whose uncommitted changes reads see on top of the commit (a bare branch
    /// name, or `branch$`).
    pub(crate) branch: Option<&'a Branch>,
    /// `branch$`: the staging area, which is not a commit.
    pub(crate) staging: bool,
}

/// One modifier after the base.
enum Modifier {
    Tilde(usize),
    Caret(usize),
    At,
    Dollar,
}

/// The characters that start a modifier.
const MODIFIERS: [char; 4] = ['~', '^', '@', '$'];

/// Splits a ref into its base and modifiers (`ParseRef`).
fn parse(reference: &str) -> Result<(&str, Vec<Modifier>), RefError> {
    let base_end = reference.find(MODIFIERS).unwrap_or(reference.len());
    let base = &reference[..base_end];
    if base.is_empty() {
        return Err(RefError::Invalid);
    }
    let mut modifiers = Vec::new();
    let mut rest = &reference[base_end..];
    while let Some(kind) = rest.chars().next() {
        let end = rest[1..].find(MODIFIERS).map_or(rest.len(), |i| i + 1);
        let value = &rest[1..end];
        let amount = || -> Result<usize, RefError> {
            if value.is_empty() {
                Ok(1)
            } else {
                value.parse().map_err(|_| RefError::Invalid)
            }
        };
        modifiers.push(match kind {
            '~' => Modifier::Tilde(amount()?),
            '^' => Modifier::Caret(amount()?),
            '@' if value.is_empty() => Modifier::At,
            '$' if value.is_empty() => Modifier::Dollar,
            _ => return Err(RefError::Invalid),
        });
        rest = &rest[end..];
    }
    Ok((base, modifiers))
}

/// Whether `text` could be a commit id or its prefix: 1 to 64 hex digits.
fn is_hex(text: &str) -> bool {
    (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Repository {
    /// The commit (and branch) a base names: full commit id, branch, unique commit-id prefix.
    fn base(&self, base: &str) -> Option<(String, Option<&Branch>)> {
        if base.len() == 64 && is_hex(base) && self.commits.contains_key(base) {
            return Some((base.to_owned(), None));
        }
        if let Some(branch) = self.branches.get(base) {
            return Some((branch.head.clone(), Some(branch)));
        }
        if is_hex(base) {
            let mut matching = self.commits.keys().filter(|id| id.starts_with(base));
            if let (Some(only), None) = (matching.next(), matching.next()) {
                return Some((only.clone(), None));
            }
        }
        None
    }

    /// Resolves a ref expression.
    pub(crate) fn resolve_ref(&self, reference: &str) -> Result<Resolved<'_>, RefError> {
        let (base, modifiers) = parse(reference)?;
        let (mut commit, branch) = self.base(base).ok_or(RefError::NotFound)?;
        if modifiers.is_empty() {
            return Ok(Resolved {
                commit,
                branch,
                staging: false,
            });
        }
        let alone = modifiers.len() == 1;
        for modifier in modifiers {
            match modifier {
                Modifier::At | Modifier::Dollar if branch.is_none() || !alone => {
                    return Err(RefError::Invalid)
                }
                Modifier::At => {
                    return Ok(Resolved {
                        commit,
                        branch: None,
                        staging: false,
                    })
                }
                Modifier::Dollar => {
                    return Ok(Resolved {
                        commit,
                        branch,
                        staging: true,
                    })
                }
                Modifier::Tilde(steps) => {
                    for _ in 0..steps {
                        let record = self.commits.get(&commit).ok_or(RefError::NotFound)?;
                        commit = record.parents.first().ok_or(RefError::NotFound)?.clone();
                    }
                }
                Modifier::Caret(0) => {}
                Modifier::Caret(n) => {
                    let record = self.commits.get(&commit).ok_or(RefError::NotFound)?;
                    commit = record.parents.get(n - 1).ok_or(RefError::Invalid)?.clone();
                }
            }
        }
        Ok(Resolved {
            commit,
            branch: None,
            staging: false,
        })
    }

    /// The commit a ref names (lakeFS's `dereferenceCommitID`, `pkg/catalog/catalog.go:3314-3326`):
    /// a staging area (`branch$`) is no commit and is [`RefError::Invalid`].
    pub(crate) fn resolve_commit(&self, reference: &str) -> Result<String, RefError> {
        let resolved = self.resolve_ref(reference)?;
        if resolved.staging {
            return Err(RefError::Invalid);
        }
        Ok(resolved.commit)
    }

    /// The object at `path` in a resolved ref: the branch's uncommitted change first (a
    /// tombstone hides the committed object), then the commit's.
    pub(crate) fn object_in<'a>(
        &'a self,
        resolved: &Resolved<'a>,
        path: &str,
    ) -> Option<&'a ObjectEntry> {
        if let Some(change) = resolved.branch.and_then(|b| b.staged.get(path)) {
            return change.as_ref();
        }
        self.commits.get(&resolved.commit)?.tree.get(path)
    }

    /// Every object a resolved ref holds, by path, in lakeFS's (byte) order.
    pub(crate) fn objects_in<'a>(
        &'a self,
        resolved: &Resolved<'a>,
    ) -> BTreeMap<&'a str, &'a ObjectEntry> {
        let mut objects: BTreeMap<&str, &ObjectEntry> = self
            .commits
            .get(&resolved.commit)
            .map(|c| c.tree.iter().map(|(p, e)| (p.as_str(), e)).collect())
            .unwrap_or_default();
        if let Some(branch) = resolved.branch {
            for (path, change) in &branch.staged {
                match change {
                    Some(entry) => objects.insert(path.as_str(), entry),
                    None => objects.remove(path.as_str()),
                };
            }
        }
        objects
    }

    /// The object at `path` as `branch` sees it: its uncommitted change first, then its
    /// head commit.
    pub(crate) fn branch_object(&self, branch: &str, path: &str) -> Option<&ObjectEntry> {
        let branch = self.branches.get(branch)?;
        match branch.staged.get(path) {
            Some(change) => change.as_ref(),
            None => self.commits.get(&branch.head)?.tree.get(path),
        }
    }

    /// The object at `path` in a ref expression (`None` when the ref resolves to nothing;
    /// `Some(None)` when the object is not there).
    pub(crate) fn object_at(&self, reference: &str, path: &str) -> Option<Option<&ObjectEntry>> {
        let resolved = self.resolve_ref(reference).ok()?;
        Some(self.object_in(&resolved, path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Commit;

    fn repository() -> Repository {
        let mut repo = Repository::default();
        let ids = ["a".repeat(64), "ab".repeat(32), "c".repeat(64)];
        repo.commits.insert(ids[0].clone(), Commit::default());
        for pair in ids.windows(2) {
            let commit = Commit {
                parents: vec![pair[0].clone()],
                ..Commit::default()
            };
            repo.commits.insert(pair[1].clone(), commit);
        }
        repo.branches.insert(
            "main".into(),
            Branch {
                head: ids[2].clone(),
                ..Branch::default()
            },
        );
        repo
    }

    #[test]
    fn resolves_bases_and_modifiers() {
        let repo = repository();
        let (a, ab, c) = ("a".repeat(64), "ab".repeat(32), "c".repeat(64));
        let commit = |r: &str| repo.resolve_commit(r);
        assert_eq!(commit("main"), Ok(c.clone()));
        assert_eq!(commit("main~"), Ok(ab.clone()));
        assert_eq!(commit("main~2"), Ok(a.clone()));
        assert_eq!(commit("main^1^"), Ok(a.clone()));
        assert_eq!(commit("main^0"), Ok(c.clone()));
        assert_eq!(commit("main~3"), Err(RefError::NotFound));
        assert_eq!(commit("main^2"), Err(RefError::Invalid));
        assert_eq!(commit("ccc"), Ok(c.clone()), "a unique prefix");
        assert_eq!(commit("a"), Err(RefError::NotFound), "an ambiguous prefix");
        assert_eq!(commit(&ab), Ok(ab.clone()));
        assert_eq!(commit("main@"), Ok(c.clone()));
        assert_eq!(commit("main$"), Err(RefError::Invalid));
        assert!(repo.resolve_ref("main$").unwrap().staging);
        assert!(repo.resolve_ref("main@").unwrap().branch.is_none());
        assert_eq!(commit("main@~1").err(), Some(RefError::Invalid));
        assert_eq!(commit("ccc@").err(), Some(RefError::Invalid));
        assert_eq!(commit("main~x").err(), Some(RefError::Invalid));
        assert_eq!(commit("~1").err(), Some(RefError::Invalid));
        assert_eq!(commit("nope").err(), Some(RefError::NotFound));
    }
}
