//! The adaptive controller as a pure state machine: fed the bytes moved so far, request
//! outcomes and the time, it answers the limit. No clock or task of its own — [`PartSlots`]
//! calls it as parts start and end — so tests drive it with made-up times and rates.
//!
//! [`PartSlots`]: super::PartSlots

use std::time::Duration;

use tokio::time::Instant;

use super::AutoConcurrency;

/// A doubling is kept by slow start when at least this much faster than the level before:
/// below the knee a doubling is close to twice as fast, and a measurement right after a
/// change is noisy (new connections, parts started together), so 10 % would climb on noise.
const SLOW_START_GAIN: f64 = 1.25;
/// Past the knee, a level at least this much faster than the one before is split halfway
/// rather than left.
const SOFT_KNEE_GAIN: f64 = 1.02;
/// A probe's extra parts are kept when at least this much faster.
const PROBE_GAIN: f64 = 1.05;
/// Windows at one level before the next probe.
const PROBE_EVERY: u32 = 8;
/// Windows a level is measured over: one to settle (new connections, parts just starting),
/// then the goodput over the rest (their bytes over their time: a burst of parts ending
/// together in one window cannot fake a faster level).
const SETTLE_WINDOWS: u32 = 1;
const MEASURE_WINDOWS: u32 = 2;
const SLOW_START_MEASURE_WINDOWS: u32 = 2;
/// The weight of one request in the throttling average (about the last 32 requests).
const THROTTLE_WEIGHT: f64 = 1.0 / 32.0;
/// The share of throttled requests past which the pipeline sheds parts.
const THROTTLE_SHED_AT: f64 = 0.10;
/// The weight of one part in the average time a part holds its slot.
const PART_TIME_WEIGHT: f64 = 0.2;
/// Windows never last shorter than this.
const MIN_WINDOW: Duration = Duration::from_millis(10);
/// Windows never last longer than this, however slow the parts.
const MAX_WINDOW_SECONDS: f64 = 5.0;
/// Windows without probing after shedding.
const HOLD_WINDOWS: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Doubling; the previous level and its goodput, if any.
    SlowStart { previous: Option<(usize, f64)> },
    /// At a level measured at `rate`; `windows` since it was measured (negative: holding).
    Steady { rate: f64, windows: i64 },
    /// Trying more parts than `from`, whose goodput was `rate`.
    Probe { from: usize, rate: f64 },
}

/// The controller's state.
#[derive(Debug, Clone)]
pub(crate) struct Controller {
    auto: AutoConcurrency,
    limit: usize,
    phase: Phase,
    window_start: Instant,
    window_bytes: u64,
    /// Windows seen at the current level, and the bytes and seconds of those that count
    /// (after the settling one).
    windows_at_level: u32,
    level_bytes: f64,
    level_seconds: f64,
    /// The average share of throttled requests, updated per request.
    throttled: f64,
    /// How long a part holds its slot, on average (seconds): a window lasts at least this, so
    /// that parts started together and ending together cannot make a window look fast or
    /// slow, and bytes a new connection hands to its socket buffer at once are spread out.
    part_seconds: f64,
}

/// What a window's end changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) limit: usize,
    pub(crate) changed: bool,
}

impl Controller {
    /// A controller for `auto`, whose bounds are made consistent here whatever they are (a
    /// configuration checks them with [`Concurrency::check`](super::Concurrency::check) and
    /// says what is wrong; slots built directly must still never panic).
    pub(crate) fn new(mut auto: AutoConcurrency, now: Instant) -> Self {
        auto.max = auto.max.clamp(1, super::MAX_CONCURRENCY);
        auto.min = auto.min.clamp(1, auto.max);
        auto.initial = auto.initial.clamp(auto.min, auto.max);
        auto.window = auto.window.max(MIN_WINDOW);
        Self {
            limit: auto.initial,
            auto,
            phase: Phase::SlowStart { previous: None },
            window_start: now,
            window_bytes: 0,
            windows_at_level: 0,
            level_bytes: 0.0,
            level_seconds: 0.0,
            throttled: 0.0,
            part_seconds: 0.0,
        }
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// One request's outcome: throttled (`503 SlowDown`, `429`) or not.
    pub(crate) fn observe(&mut self, throttled: bool) {
        let sample = if throttled { 1.0 } else { 0.0 };
        self.throttled += (sample - self.throttled) * THROTTLE_WEIGHT;
    }

    /// A part held its slot for `held`.
    pub(crate) fn part_held(&mut self, held: Duration) {
        let held = held.as_secs_f64();
        self.part_seconds = if self.part_seconds == 0.0 {
            held
        } else {
            self.part_seconds + (held - self.part_seconds) * PART_TIME_WEIGHT
        };
    }

    /// How long a window lasts now: the configured window, or a part's time if longer.
    fn window(&self) -> Duration {
        self.auto.window.max(Duration::from_secs_f64(
            self.part_seconds.min(MAX_WINDOW_SECONDS),
        ))
    }

    /// Ends a window if one has passed: `bytes` is the total moved so far. Returns the limit,
    /// and whether it changed.
    pub(crate) fn tick(&mut self, now: Instant, bytes: u64) -> Decision {
        let elapsed = now.saturating_duration_since(self.window_start);
        if elapsed < self.window() {
            return self.decision(false);
        }
        let moved = bytes.saturating_sub(self.window_bytes) as f64;
        self.window_start = now;
        self.window_bytes = bytes;
        if self.throttled > THROTTLE_SHED_AT && self.limit > self.auto.min {
            let shed = (self.limit * 3 / 4).max(self.auto.min);
            self.throttled = 0.0;
            let rate = match self.phase {
                Phase::Steady { rate, .. } | Phase::Probe { rate, .. } => rate,
                Phase::SlowStart { .. } => self.level_rate(),
            };
            self.phase = Phase::Steady {
                rate,
                windows: -i64::from(HOLD_WINDOWS),
            };
            return self.set(shed);
        }
        self.windows_at_level += 1;
        if self.windows_at_level > SETTLE_WINDOWS {
            self.level_bytes += moved;
            self.level_seconds += elapsed.as_secs_f64();
        }
        // Slow start's doublings are told apart in one window; a probe's quarter needs two.
        let needed = match self.phase {
            Phase::SlowStart { .. } => SLOW_START_MEASURE_WINDOWS,
            _ => MEASURE_WINDOWS,
        };
        let measured = self.windows_at_level >= SETTLE_WINDOWS + needed;
        match self.phase {
            Phase::SlowStart { previous } if measured => {
                let level = (self.limit, self.level_rate());
                match previous {
                    Some((before, before_rate)) if level.1 < before_rate * SLOW_START_GAIN => {
                        // Past the knee. A level a little faster (a soft knee: latency
                        // between parts) puts it halfway; no faster, it goes back.
                        let (limit, rate) = if level.1 >= before_rate * SOFT_KNEE_GAIN {
                            ((before + self.limit) / 2, level.1)
                        } else {
                            (before, before_rate)
                        };
                        self.phase = Phase::Steady { rate, windows: 0 };
                        self.set(limit)
                    }
                    _ if self.limit >= self.auto.max => {
                        self.phase = Phase::Steady {
                            rate: level.1,
                            windows: 0,
                        };
                        self.decision(false)
                    }
                    _ => {
                        self.phase = Phase::SlowStart {
                            previous: Some(level),
                        };
                        self.set((self.limit * 2).min(self.auto.max))
                    }
                }
            }
            Phase::Probe { from, rate } if measured => {
                if self.level_rate() >= rate * PROBE_GAIN {
                    self.phase = Phase::Steady {
                        rate: self.level_rate(),
                        windows: 0,
                    };
                    self.windows_at_level = 0;
                    self.level_bytes = 0.0;
                    self.level_seconds = 0.0;
                    self.decision(false)
                } else {
                    self.phase = Phase::Steady { rate, windows: 0 };
                    self.set(from)
                }
            }
            Phase::Steady { rate, windows } => {
                let windows = windows + 1;
                if windows >= i64::from(PROBE_EVERY) && self.limit < self.auto.max {
                    let more = (self.limit / 4).max(1);
                    // The level's goodput now, when measured since it was set, else as set.
                    let rate = if measured { self.level_rate() } else { rate };
                    self.phase = Phase::Probe {
                        from: self.limit,
                        rate,
                    };
                    return self.set((self.limit + more).min(self.auto.max));
                }
                self.phase = Phase::Steady { rate, windows };
                self.decision(false)
            }
            Phase::SlowStart { .. } | Phase::Probe { .. } => self.decision(false),
        }
    }

    fn set(&mut self, limit: usize) -> Decision {
        let changed = limit != self.limit;
        self.limit = limit;
        self.windows_at_level = 0;
        self.level_bytes = 0.0;
        self.level_seconds = 0.0;
        self.decision(changed)
    }

    /// The current level's goodput over the windows that count, in bytes per second.
    fn level_rate(&self) -> f64 {
        if self.level_seconds > 0.0 {
            self.level_bytes / self.level_seconds
        } else {
            0.0
        }
    }

    fn decision(&self, changed: bool) -> Decision {
        Decision {
            limit: self.limit,
            changed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1024.0 * 1024.0;

    /// A link: each part in flight moves `per_part` bytes/s, all together at most `cap`.
    struct Link {
        per_part: f64,
        cap: f64,
    }

    impl Link {
        fn rate(&self, parts: usize) -> f64 {
            (parts as f64 * self.per_part).min(self.cap)
        }
    }

    /// Runs the controller over `seconds` of the link; the limit after each window, and the
    /// bytes moved.
    fn drive(
        auto: AutoConcurrency,
        link: &Link,
        seconds: f64,
        throttle_every: Option<u64>,
    ) -> (Vec<usize>, f64) {
        let start = Instant::now();
        let mut controller = Controller::new(auto, start);
        let step = auto.window / 5;
        let (mut bytes, mut now, mut limits, mut requests) = (0f64, start, Vec::new(), 0u64);
        while now.duration_since(start).as_secs_f64() < seconds {
            let moved = link.rate(controller.limit()) * step.as_secs_f64();
            bytes += moved;
            now += step;
            // One request per 8 MiB moved.
            let finished = ((bytes / (8.0 * MIB)) as u64).saturating_sub(requests);
            for _ in 0..finished {
                requests += 1;
                controller.observe(throttle_every.is_some_and(|every| requests % every == 0));
            }
            let before = controller.window_start;
            controller.tick(now, bytes as u64);
            if controller.window_start != before {
                limits.push(controller.limit());
            }
        }
        (limits, bytes)
    }

    #[test]
    fn slow_start_finds_the_knee_and_stays_there() {
        // 25 MiB/s per part, 400 MiB/s link: the knee is 16 parts.
        let link = Link {
            per_part: 25.0 * MIB,
            cap: 400.0 * MIB,
        };
        let (limits, _) = drive(AutoConcurrency::default(), &link, 20.0, None);
        // 8 → 16 (twice as fast) → 32 (no faster) → back to 16.
        assert_eq!(&limits[..9], &[8, 8, 16, 16, 16, 32, 32, 32, 16]);
        // Probes (a quarter more) never pay on a flat link: it comes back to 16 each time.
        assert!(
            limits[9..].iter().all(|l| (16..=20).contains(l)),
            "{limits:?}"
        );
        assert_eq!(*limits.last().unwrap(), 16);
    }

    #[test]
    fn a_fast_link_is_climbed_to_the_bound() {
        // Never saturated within 64 parts: climbs to the maximum and stays.
        let link = Link {
            per_part: 10.0 * MIB,
            cap: 10_000.0 * MIB,
        };
        let (limits, _) = drive(AutoConcurrency::default(), &link, 10.0, None);
        assert_eq!(*limits.last().unwrap(), 64);
        assert!(limits.iter().all(|l| *l <= 64));
    }

    #[test]
    fn a_slow_link_does_not_grow_past_what_pays() {
        // One part already fills the link: slow start stops at 8 (16 is no faster).
        let link = Link {
            per_part: 50.0 * MIB,
            cap: 20.0 * MIB,
        };
        let (limits, _) = drive(AutoConcurrency::default(), &link, 10.0, None);
        assert_eq!(limits.iter().max(), Some(&16), "tries 16 once, then probes");
        assert!(
            limits[6..].iter().all(|l| (8..=10).contains(l)),
            "{limits:?}"
        );
    }

    #[test]
    fn occasional_throttling_does_not_shrink_the_pipeline() {
        // One request in 50 throttled (2 %): far below the share that sheds.
        let link = Link {
            per_part: 25.0 * MIB,
            cap: 400.0 * MIB,
        };
        let (limits, _) = drive(AutoConcurrency::default(), &link, 20.0, Some(50));
        assert_eq!(*limits.last().unwrap(), 16, "{limits:?}");
    }

    #[test]
    fn frequent_throttling_sheds_a_quarter_and_holds() {
        let start = Instant::now();
        let auto = AutoConcurrency::default().initial(32);
        let mut controller = Controller::new(auto, start);
        for _ in 0..8 {
            controller.observe(true);
        }
        let decision = controller.tick(start + auto.window, 1 << 30);
        assert_eq!(
            decision,
            Decision {
                limit: 24,
                changed: true
            }
        );
        // Held: no probe for eight windows, whatever the goodput.
        let mut now = start + auto.window;
        for window in 1..=8u64 {
            now += auto.window;
            let decision = controller.tick(now, (1 << 30) + window * (1 << 28));
            assert_eq!(decision.limit, 24, "window {window}");
        }
    }

    #[test]
    fn inconsistent_bounds_are_made_consistent_not_a_panic() {
        let start = Instant::now();
        let wrong = AutoConcurrency::default()
            .min(8)
            .initial(100)
            .max(4)
            .window(Duration::ZERO);
        let mut controller = Controller::new(wrong, start);
        assert_eq!(controller.limit(), 4);
        let decision = controller.tick(start, 1 << 20);
        assert_eq!(decision.limit, 4);
        assert_eq!(
            Controller::new(AutoConcurrency::default().max(0), start).limit(),
            1
        );
    }

    #[test]
    fn never_leaves_its_bounds() {
        let auto = AutoConcurrency::default().min(4).initial(4).max(12);
        for (per_part, cap) in [(1.0, 1e12), (1e12, 1.0), (25.0 * MIB, 200.0 * MIB)] {
            let (limits, _) = drive(auto, &Link { per_part, cap }, 10.0, Some(3));
            assert!(limits.iter().all(|l| (4..=12).contains(l)), "{limits:?}");
        }
    }

    #[test]
    fn moves_at_least_nine_tenths_of_the_best_fixed_level_over_a_long_run() {
        for (per_part, cap) in [
            (25.0 * MIB, 400.0 * MIB),
            (10.0 * MIB, 100.0 * MIB),
            (100.0 * MIB, 1024.0 * MIB),
            (2.0 * MIB, 100.0 * MIB),
        ] {
            let link = Link { per_part, cap };
            let seconds = 30.0;
            let (_, bytes) = drive(AutoConcurrency::default(), &link, seconds, Some(50));
            let best = link.rate(64) * seconds;
            assert!(bytes >= 0.9 * best, "{per_part}/{cap}: {:.2}", bytes / best);
        }
    }
}
