//! `upload --include GLOB` / `--exclude GLOB`: patterns matched against a file's path below
//! the source directory (`/`-separated, as its object's path below the destination).
//!
//! A pattern is matched against the whole path, from the source directory down:
//! * `*` matches any characters except `/` (so `*.csv` matches `a.csv`, not `dir/a.csv`);
//! * `?` matches one character except `/`;
//! * `**`, as a whole path segment, matches any number of directories, none included:
//!   `**/*.csv` is every `.csv` file at any depth, `a/**/b` is `a/b`, `a/x/b`, `a/x/y/b`…;
//!   at the end it matches one or more segments: `logs/**` is everything below `logs`, not a
//!   file named `logs`;
//! * a pattern ending in `/` means everything below that directory (`logs/` is `logs/**`);
//! * every other character matches itself (there are no `[…]` classes and no escapes).
//!
//! Matching takes time proportional to the pattern's length times the path's: no pattern,
//! however many `*` and `**` it has, makes it explode.

use std::fmt;

/// One `/`-separated segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// `**`: any number of whole segments, none included.
    AnyDirectories,
    /// A segment of literal characters, `*` and `?`.
    Pattern(Vec<char>),
}

/// A parsed `--include` / `--exclude` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    text: String,
    segments: Vec<Segment>,
}

impl Glob {
    /// Parses a pattern; the error says what is wrong with it (for clap's usage error).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("an empty pattern matches nothing: give a GLOB such as '**/*.csv'".into());
        }
        if text.starts_with('/') {
            return Err(format!(
                "{text:?} starts with /: patterns are matched against the path below the source directory, write it without the leading /"
            ));
        }
        let body = match text.strip_suffix('/') {
            Some(directory) => format!("{directory}/**"),
            None => text.to_owned(),
        };
        let mut segments = Vec::new();
        for segment in body.split('/') {
            if segment.is_empty() {
                return Err(format!("{text:?} has an empty path segment (//)"));
            }
            if segment == "**" {
                // `**/**` is the same as `**`.
                if segments.last() != Some(&Segment::AnyDirectories) {
                    segments.push(Segment::AnyDirectories);
                }
            } else if segment.contains("**") {
                return Err(format!(
                    "{text:?}: ** must be a whole path segment (a/**/b, **/*.csv); within a name, * already matches any characters"
                ));
            } else {
                segments.push(Segment::Pattern(segment.chars().collect()));
            }
        }
        Ok(Self {
            text: text.to_owned(),
            segments,
        })
    }

    /// Whether `path` (`/`-separated, relative) matches the whole pattern.
    pub(crate) fn matches(&self, path: &str) -> bool {
        let names: Vec<&str> = path.split('/').collect();
        let matched = self.prefix_matches(&self.segments, &names);
        matched[names.len()]
    }

    /// Whether every path below the directory `dir` matches: the pattern ends with `**` and
    /// what comes before it matches `dir` or a directory above it (`logs/**` covers `logs`
    /// and `logs/2026`). An excluded directory so covered is not even read.
    pub(crate) fn covers_directory(&self, dir: &str) -> bool {
        let Some((Segment::AnyDirectories, head)) = self.segments.split_last() else {
            return false;
        };
        let names: Vec<&str> = dir.split('/').collect();
        let matched = self.prefix_matches(head, &names);
        matched[1..].iter().any(|m| *m) || (head.is_empty() && !dir.is_empty())
    }

    /// `matched[j]`: whether `segments` match the first `j` names (dynamic programming over
    /// segments × names, so no pattern explodes).
    fn prefix_matches(&self, segments: &[Segment], names: &[&str]) -> Vec<bool> {
        let mut matched = vec![false; names.len() + 1];
        matched[0] = true;
        for (index, segment) in segments.iter().enumerate() {
            let mut next = vec![false; names.len() + 1];
            match segment {
                Segment::AnyDirectories => {
                    // At the very end of the pattern, at least one name: `logs/**` is below
                    // `logs`, not `logs` itself.
                    let last = index + 1 == self.segments.len();
                    let mut any = false;
                    for j in 0..=names.len() {
                        if last {
                            next[j] = any;
                            any |= matched[j];
                        } else {
                            any |= matched[j];
                            next[j] = any;
                        }
                    }
                }
                Segment::Pattern(pattern) => {
                    for j in 1..=names.len() {
                        next[j] = matched[j - 1] && name_matches(pattern, names[j - 1]);
                    }
                }
            }
            matched = next;
        }
        matched
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Whether one path segment `name` matches `pattern` (`*` any run of characters, `?` one):
/// the classic linear scan that remembers the last `*` and retries from there.
fn name_matches(pattern: &[char], name: &str) -> bool {
    let name: Vec<char> = name.chars().collect();
    let (mut p, mut n) = (0, 0);
    // Where the last `*` was, and the name position it currently stands for.
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == '?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more character and try again.
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Which files of a directory are uploaded: those that match some `--include` (or all when
/// none is given) and no `--exclude`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub(crate) include: Vec<Glob>,
    pub(crate) exclude: Vec<Glob>,
}

impl Filter {
    /// Whether no pattern is given (every file is uploaded).
    pub(crate) fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether the file at `relative` (below the source directory) is uploaded.
    pub(crate) fn admits(&self, relative: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|g| g.matches(relative)))
            && !self.exclude.iter().any(|g| g.matches(relative))
    }

    /// Whether nothing below the directory `relative` can be uploaded, so that it need not
    /// be read: an `--exclude` covers it.
    pub(crate) fn prunes(&self, relative: &str) -> bool {
        self.exclude.iter().any(|g| g.covers_directory(relative))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(text: &str) -> Glob {
        Glob::parse(text).unwrap()
    }

    #[test]
    fn star_and_question_mark_stay_within_a_name() {
        let csv = glob("*.csv");
        assert!(csv.matches("a.csv"));
        assert!(csv.matches(".csv"));
        assert!(!csv.matches("dir/a.csv"));
        assert!(!csv.matches("a.csv.gz"));
        assert!(glob("a?c").matches("abc"));
        assert!(!glob("a?c").matches("a/c"));
        assert!(!glob("a?c").matches("ac"));
        assert!(glob("data/*/part-*.parquet").matches("data/2026/part-0001.parquet"));
        assert!(!glob("data/*/part-*.parquet").matches("data/2026/05/part-0001.parquet"));
        assert!(glob("*").matches("anything"));
        assert!(!glob("*").matches("a/b"));
        assert!(glob("a*b*c").matches("aXbYbZc"));
        assert!(!glob("a*b*c").matches("aXbYbZ"));
        assert!(glob("exact.txt").matches("exact.txt"));
        assert!(!glob("exact.txt").matches("exact.txt2"));
    }

    #[test]
    fn double_star_is_any_number_of_directories() {
        let any_csv = glob("**/*.csv");
        assert!(any_csv.matches("a.csv"));
        assert!(any_csv.matches("x/y/z/a.csv"));
        assert!(!any_csv.matches("x/a.txt"));
        let below = glob("logs/**");
        assert!(below.matches("logs/a"));
        assert!(below.matches("logs/a/b/c"));
        assert!(!below.matches("logs"));
        assert!(!below.matches("logs2/a"));
        assert!(!below.matches("x/logs/a"));
        let middle = glob("a/**/b");
        for path in ["a/b", "a/x/b", "a/x/y/b"] {
            assert!(middle.matches(path), "{path}");
        }
        assert!(!middle.matches("a/x/c"));
        assert!(!middle.matches("b"));
        assert!(glob("**").matches("a/b/c"));
        assert!(glob("**").matches("a"));
        assert!(glob("**/**/x").matches("x"));
        // A trailing / is everything below the directory.
        assert!(glob("tmp/").matches("tmp/a/b"));
        assert!(!glob("tmp/").matches("tmp"));
    }

    #[test]
    fn a_trailing_double_star_covers_whole_directories() {
        let logs = glob("logs/**");
        assert!(logs.covers_directory("logs"));
        assert!(logs.covers_directory("logs/2026"));
        assert!(!logs.covers_directory("log"));
        assert!(!logs.covers_directory("x/logs"));
        let any = glob("**/node_modules/**");
        assert!(any.covers_directory("node_modules"));
        assert!(any.covers_directory("web/app/node_modules"));
        assert!(any.covers_directory("web/node_modules/x"));
        assert!(!any.covers_directory("web"));
        assert!(glob("**").covers_directory("a"));
        // Not ending in **: a directory is never covered whole.
        assert!(!glob("logs/*").covers_directory("logs"));
        assert!(!glob("**/*.tmp").covers_directory("x.tmp"));
    }

    #[test]
    fn bad_patterns_are_refused_with_a_reason() {
        for (bad, why) in [
            ("", "empty"),
            ("/abs/*.csv", "leading /"),
            ("a//b", "empty path segment"),
            ("a**", "whole path segment"),
            ("**b/c", "whole path segment"),
        ] {
            let error = Glob::parse(bad).unwrap_err();
            assert!(error.contains(why), "{bad:?}: {error}");
        }
    }

    #[test]
    fn many_stars_do_not_explode() {
        let pattern = glob(&vec!["**/*a*"; 20].join("/"));
        let path = vec!["b"; 60].join("/");
        assert!(!pattern.matches(&path));
        let stars = glob(&format!("{}*b", "*a".repeat(25)));
        assert!(!stars.matches(&"a".repeat(200)));
        assert!(stars.matches(&format!("{}b", "a".repeat(200))));
    }

    #[test]
    fn a_filter_needs_some_include_and_no_exclude() {
        let everything = Filter::default();
        assert!(everything.is_empty());
        assert!(everything.admits("a/b"));
        let filter = Filter {
            include: vec![glob("**/*.csv"), glob("README")],
            exclude: vec![glob("tmp/**")],
        };
        assert!(filter.admits("README"));
        assert!(filter.admits("x/a.csv"));
        assert!(!filter.admits("tmp/a.csv"));
        assert!(!filter.admits("x/a.json"));
        let only_exclude = Filter {
            include: Vec::new(),
            exclude: vec![glob("*.tmp")],
        };
        assert!(only_exclude.admits("a.csv"));
        assert!(!only_exclude.admits("a.tmp"));
        assert!(only_exclude.admits("d/a.tmp"));
        assert!(filter.prunes("tmp"));
        assert!(!filter.prunes("x"));
    }
}
