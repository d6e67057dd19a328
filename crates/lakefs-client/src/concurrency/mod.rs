//! How many parts a transfer keeps in flight: a fixed number, or [`AutoConcurrency`], which
//! finds the link's knee by itself; and [`PartSlots`], the bound shared by every part of a
//! run (of one file or of a directory), which the adaptive controller resizes.
//!
//! Both transfer engines (`lakefs-multipart` for uploads, `lakefs-download`) take their
//! concurrency from here, so that `-c auto` means the same thing in both directions.
//!
//! ## How the adaptive controller decides
//!
//! Throughput over a real link grows with parts in flight until the link (or the server, or
//! the disk) is the bottleneck — the knee — and is flat after it; each part in flight past the
//! knee only costs a part's memory and a connection. The controller measures goodput (bytes
//! moved on the wire, counted by the transport as they go, not parts finished) in short
//! windows, and:
//!
//! 1. **slow start**: from [`AutoConcurrency::initial`] parts, doubles the limit while a level
//!    is at least 25 % faster than the one before (below the knee, a doubling is close to
//!    twice as fast); the first level that is not goes back to
//!    the previous one — or halfway to it when it was still a little (2 %) faster: latency
//!    between parts makes a soft knee. Each level is measured over one window to settle,
//!    then as the bytes of the next two over their time.
//! 2. **steady**: every eight windows it probes a quarter more parts, and keeps them only when
//!    they are at least 5 % faster (the link got faster, or slow start stopped early).
//! 3. **throttling** (`503 SlowDown`, `429`): each part's own retry already backs off; the
//!    whole pipeline sheds a quarter of its parts only when throttling is frequent (more than
//!    a tenth of recent requests, as an average over the last ~32), so a prefix that answers
//!    the odd `503` does not collapse the transfer, and then holds for eight windows.
//!
//! Memory grows with the limit: a transfer holds at most [`AutoConcurrency::max`] parts, so
//! `max × part size` is the bound to plan for (64 × 8 MiB = 512 MiB by default for uploads;
//! downloads written as they arrive hold 1 MiB per part whatever the part size).

mod controller;
mod slots;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

pub use slots::{PartSlots, SlotPermit};

/// The most parts in flight either engine accepts.
pub const MAX_CONCURRENCY: usize = 256;

/// How many parts are in flight: a fixed number, or found by the adaptive controller.
///
/// Parses from the CLI's spelling: `"8"`, `"auto"`, or `"auto:32"` (auto with at most 32).
///
/// ```
/// use lakefs_client::concurrency::{AutoConcurrency, Concurrency};
///
/// assert_eq!("8".parse::<Concurrency>()?, Concurrency::Fixed(8));
/// assert_eq!("auto".parse::<Concurrency>()?, Concurrency::auto());
/// assert_eq!("auto:32".parse::<Concurrency>()?.max_parts(), 32);
/// assert!("0".parse::<Concurrency>().is_err());
/// # Ok::<(), lakefs_client::concurrency::ParseConcurrencyError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    /// Exactly this many parts in flight at most.
    Fixed(usize),
    /// As many as the link rewards, within the setting's bounds.
    Auto(AutoConcurrency),
}

impl Concurrency {
    /// Adaptive, with the default bounds.
    #[must_use]
    pub fn auto() -> Self {
        Self::Auto(AutoConcurrency::default())
    }

    /// The most parts in flight this setting allows (for memory planning).
    #[must_use]
    pub fn max_parts(&self) -> usize {
        match self {
            Self::Fixed(parts) => *parts,
            Self::Auto(auto) => auto.max,
        }
    }

    /// Whether the controller chooses.
    #[must_use]
    pub fn is_auto(&self) -> bool {
        matches!(self, Self::Auto(_))
    }

    /// Checks the bounds: 1 to [`MAX_CONCURRENCY`], and for auto `min ≤ initial ≤ max`.
    ///
    /// # Errors
    /// What is out of range, in words.
    pub fn check(&self) -> Result<(), String> {
        let in_range = |n: usize| (1..=MAX_CONCURRENCY).contains(&n);
        match self {
            Self::Fixed(parts) if !in_range(*parts) => Err(format!(
                "must be from 1 to {MAX_CONCURRENCY}, or auto (it is {parts})"
            )),
            Self::Fixed(_) => Ok(()),
            Self::Auto(auto) => {
                if !in_range(auto.min) || !in_range(auto.max) {
                    return Err(format!(
                        "auto's bounds are {}..={}; each must be from 1 to {MAX_CONCURRENCY}",
                        auto.min, auto.max
                    ));
                }
                if !(auto.min..=auto.max).contains(&auto.initial) {
                    return Err(format!(
                        "auto starts at {} parts, outside its bounds {}..={}",
                        auto.initial, auto.min, auto.max
                    ));
                }
                if auto.window.is_zero() {
                    return Err("auto's measuring window is zero".into());
                }
                Ok(())
            }
        }
    }
}

impl From<usize> for Concurrency {
    fn from(parts: usize) -> Self {
        Self::Fixed(parts)
    }
}

impl From<AutoConcurrency> for Concurrency {
    fn from(auto: AutoConcurrency) -> Self {
        Self::Auto(auto)
    }
}

impl fmt::Display for Concurrency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(parts) => write!(f, "{parts}"),
            Self::Auto(auto) if auto.max == AutoConcurrency::default().max => f.write_str("auto"),
            Self::Auto(auto) => write!(f, "auto:{}", auto.max),
        }
    }
}

/// A concurrency that did not parse; says what was given and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("concurrency {given:?} {problem}")]
pub struct ParseConcurrencyError {
    given: String,
    problem: String,
}

impl FromStr for Concurrency {
    type Err = ParseConcurrencyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |problem: String| ParseConcurrencyError {
            given: text.to_owned(),
            problem,
        };
        let trimmed = text.trim();
        let parsed = if trimmed.eq_ignore_ascii_case("auto") {
            Self::auto()
        } else if let Some(max) = trimmed.strip_prefix("auto:") {
            let max: usize = max
                .parse()
                .map_err(|_| fail("is not auto:<most parts>, e.g. auto:32".into()))?;
            if !(1..=MAX_CONCURRENCY).contains(&max) {
                return Err(fail(format!(
                    "caps auto at {max} parts; the cap must be from 1 to {MAX_CONCURRENCY}"
                )));
            }
            let auto = AutoConcurrency::default();
            Self::Auto(auto.max(max).initial(auto.initial.min(max)))
        } else {
            let parts: usize = trimmed
                .parse()
                .map_err(|_| fail("is neither a number of parts (e.g. 8) nor auto".into()))?;
            if !(1..=MAX_CONCURRENCY).contains(&parts) {
                return Err(fail(format!(
                    "is out of range: a number of parts must be from 1 to {MAX_CONCURRENCY}, or auto"
                )));
            }
            Self::Fixed(parts)
        };
        parsed.check().map_err(fail)?;
        Ok(parsed)
    }
}

/// The adaptive controller's bounds and pace. Defaults: start at 8 parts, at least 1, at most
/// 64, goodput measured in 250 ms windows.
///
/// ```
/// use std::time::Duration;
/// use lakefs_client::concurrency::{AutoConcurrency, Concurrency};
///
/// let auto = AutoConcurrency::default().max(32).window(Duration::from_millis(500));
/// assert_eq!(Concurrency::from(auto).max_parts(), 32);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct AutoConcurrency {
    pub(crate) min: usize,
    pub(crate) initial: usize,
    pub(crate) max: usize,
    pub(crate) window: Duration,
}

impl Default for AutoConcurrency {
    fn default() -> Self {
        Self {
            min: 1,
            initial: 8,
            max: 64,
            window: Duration::from_millis(250),
        }
    }
}

impl AutoConcurrency {
    /// Never fewer parts in flight than this (default 1).
    pub fn min(mut self, parts: usize) -> Self {
        self.min = parts;
        self
    }

    /// Where slow start begins (default 8, the fixed default of earlier versions).
    pub fn initial(mut self, parts: usize) -> Self {
        self.initial = parts;
        self
    }

    /// Never more parts in flight than this (default 64): the memory bound is `max × part
    /// size` for parts held whole.
    pub fn max(mut self, parts: usize) -> Self {
        self.max = parts;
        self
    }

    /// How long one goodput measurement lasts (default 250 ms). Longer windows suit links
    /// whose parts take seconds each; each level costs three windows.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// The most parts in flight.
    #[must_use]
    pub fn max_parts(&self) -> usize {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_the_cli_accepts_and_names_what_it_refuses() {
        assert_eq!(" 16 ".parse::<Concurrency>(), Ok(Concurrency::Fixed(16)));
        assert_eq!("AUTO".parse::<Concurrency>(), Ok(Concurrency::auto()));
        let small = "auto:4".parse::<Concurrency>().unwrap();
        assert_eq!(small.max_parts(), 4);
        let Concurrency::Auto(auto) = small else {
            panic!("auto:4 is auto")
        };
        assert_eq!(auto.initial, 4, "starts within its own bound");
        assert_eq!(small.to_string(), "auto:4");
        assert_eq!(Concurrency::auto().to_string(), "auto");
        for (given, says) in [
            (
                "0",
                "is out of range: a number of parts must be from 1 to 256, or auto",
            ),
            ("300", "is out of range"),
            ("eight", "neither a number of parts"),
            ("auto:", "auto:<most parts>"),
            (
                "auto:0",
                "caps auto at 0 parts; the cap must be from 1 to 256",
            ),
        ] {
            let error = given.parse::<Concurrency>().unwrap_err().to_string();
            assert!(
                error.contains(given) && error.contains(says),
                "{given}: {error}"
            );
        }
    }

    #[test]
    fn checks_the_auto_bounds() {
        let auto = AutoConcurrency::default();
        assert!(Concurrency::Auto(auto.initial(100)).check().is_err());
        assert!(Concurrency::Auto(auto.min(10).initial(8)).check().is_err());
        assert!(Concurrency::Auto(auto.window(Duration::ZERO))
            .check()
            .is_err());
        assert!(Concurrency::auto().check().is_ok());
    }
}
