//! What every list operation shares (lakeFS `pkg/api/controller.go:6077-6089`, `:6180-6201`):
//! `amount` (spec range -1..=1000; absent, 0 and -1 mean 100), pages with `Pagination`
//! (`max_per_page` always 1000, `next_offset` the last item's key when more follow, else
//! `""`), and the listing of paths by prefix, delimiter and `after`
//! (`pkg/catalog/entry_listing_iterator.go:67-92`, `pkg/catalog/catalog.go:1270-1324`).

use http::StatusCode;
use lakefs_models::Pagination;
use serde::Serialize;

use super::{fail, Failure, Query};

/// `max_per_page` in every list answer.
const MAX_PER_PAGE: i64 = 1000;
/// The page size when `amount` is absent, 0 or -1.
const DEFAULT_AMOUNT: usize = 100;

impl Query {
    /// `amount`, as the spec validator checks it (an integer in -1..=1000, else 400) and the
    /// handler reads it (absent, 0 and -1 → 100).
    pub(super) fn amount(&self) -> Result<usize, Failure> {
        let out_of_range = |bound: &str| {
            fail(
                StatusCode::BAD_REQUEST,
                format!("parameter \"amount\" in query has an error: number must be {bound}"),
            )
        };
        match self.integer("amount")? {
            Some(amount) if amount > 1000 => Err(out_of_range("at most 1000")),
            Some(amount) if amount < -1 => Err(out_of_range("at least -1")),
            Some(amount) if amount > 0 => Ok(usize::try_from(amount).unwrap_or(DEFAULT_AMOUNT)),
            _ => Ok(DEFAULT_AMOUNT),
        }
    }

    /// An optional string parameter; absent is `""`.
    pub(super) fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }
}

/// One page of a list answer: `{"pagination": …, "results": […]}`.
#[derive(Debug, Serialize)]
pub(super) struct Page<T> {
    pagination: Pagination,
    results: Vec<T>,
}

/// The page of `items` — at most `amount` of them, and `has_more` when there were more
/// (callers collect `amount + 1` when they can) — with `next_offset` the last item's `key`.
pub(super) fn page<T>(mut items: Vec<T>, amount: usize, key: impl Fn(&T) -> &str) -> Page<T> {
    let has_more = items.len() > amount;
    items.truncate(amount);
    let next_offset = match items.last() {
        Some(last) if has_more => key(last).to_owned(),
        _ => String::new(),
    };
    let count = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Page {
        pagination: Pagination::new(has_more, next_offset, count, MAX_PER_PAGE),
        results: items,
    }
}

/// What a listing window holds: an item, or a common prefix standing for every path that
/// starts with it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Listed<T> {
    /// An item at its path.
    Item(String, T),
    /// A common prefix, ending with the delimiter.
    Prefix(String),
}

/// Which part of a sorted listing a request asks for.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window<'a> {
    /// Only paths starting with it.
    pub(super) prefix: &'a str,
    /// When not empty, paths whose remainder after `prefix` contains it are grouped into one
    /// common prefix: `prefix` + that remainder up to and including the delimiter's first
    /// occurrence.
    pub(super) delimiter: &'a str,
    /// Exclusive start: the full path (or common prefix) the previous page ended with.
    pub(super) after: &'a str,
    /// How many to return (one more is collected to tell whether more follow).
    pub(super) amount: usize,
}

/// The first `amount + 1` entries of `items` (sorted by path, byte order) in the window.
///
/// As lakeFS's listing iterator: the listing starts at `after` (or at `prefix` when `after`
/// sorts before it), skips an entry equal to `after`, and a common prefix equal to `after` is
/// skipped with its whole group. Used for listObjects and for diffBranch, whose own paging
/// with a delimiter (`pkg/catalog/catalog.go:1975-1990`) resumes at
/// `UpperBoundForPrefix(after)` and so, after a page ending on an object `foo`, never returns
/// `foo.txt` or `foo/…`: a lakeFS bug, so diffBranch pages here as listObjects does, which is
/// what lakeFS means to do.
pub(super) fn list<T>(items: Vec<(String, T)>, window: Window<'_>) -> Vec<Listed<T>> {
    let Window {
        prefix,
        delimiter,
        after,
        amount,
    } = window;
    let start = if after < prefix { prefix } else { after };
    let mut out = Vec::new();
    let mut skip_group: Option<String> = None;
    for (path, item) in items {
        if path.as_str() < start {
            continue;
        }
        if !path.starts_with(prefix) || out.len() > amount {
            break;
        }
        if skip_group
            .as_ref()
            .is_some_and(|g| path.starts_with(g.as_str()))
        {
            continue;
        }
        if !delimiter.is_empty() {
            if let Some(at) = path[prefix.len()..].find(delimiter) {
                let group = path[..prefix.len() + at + delimiter.len()].to_owned();
                if group != after {
                    out.push(Listed::Prefix(group.clone()));
                }
                skip_group = Some(group);
                continue;
            }
        }
        if path != after {
            out.push(Listed::Item(path, item));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(paths: &[&str], prefix: &str, delimiter: &str, after: &str) -> Vec<String> {
        let items = paths.iter().map(|p| ((*p).to_owned(), ())).collect();
        let window = Window {
            prefix,
            delimiter,
            after,
            amount: 100,
        };
        list(items, window)
            .into_iter()
            .map(|l| match l {
                Listed::Item(p, ()) => p,
                Listed::Prefix(p) => format!("{p}*"),
            })
            .collect()
    }

    #[test]
    fn lists_like_lakefs() {
        let paths = ["a.txt", "a/x", "a/y/z", "ab/y", "b"];
        assert_eq!(listing(&paths, "a", "/", ""), ["a.txt", "a/*", "ab/*"]);
        assert_eq!(listing(&paths, "", "/", ""), ["a.txt", "a/*", "ab/*", "b"]);
        assert_eq!(listing(&paths, "a/", "/", ""), ["a/x", "a/y/*"]);
        assert_eq!(listing(&paths, "", "", "a/x"), ["a/y/z", "ab/y", "b"]);
        assert_eq!(
            listing(&paths, "", "/", "a/"),
            ["ab/*", "b"],
            "a group after"
        );
        assert_eq!(listing(&paths, "", "/", "a.txt"), ["a/*", "ab/*", "b"]);
        assert_eq!(
            listing(&paths, "b", "", "a"),
            ["b"],
            "after before the prefix"
        );
        assert_eq!(listing(&paths, "c", "", ""), Vec::<String>::new());
    }

    #[test]
    fn pages_carry_the_last_key_when_more_follow() {
        let full = page(vec!["a", "b", "c"], 2, |s| s);
        assert_eq!(full.results, ["a", "b"]);
        assert!(full.pagination.has_more);
        assert_eq!(full.pagination.next_offset, "b");
        assert_eq!(full.pagination.results, 2);
        let last = page(vec!["c"], 2, |s| s);
        assert!(!last.pagination.has_more);
        assert_eq!(last.pagination.next_offset, "");
        assert_eq!(last.pagination.max_per_page, 1000);
    }
}
