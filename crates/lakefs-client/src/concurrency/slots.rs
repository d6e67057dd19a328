//! [`PartSlots`]: the parts in flight of a run, as permits — a fixed number, or as many as the
//! adaptive controller allows at the moment.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use lakefs_transport::Progress;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::controller::Controller;
use super::{AutoConcurrency, Concurrency};

/// Part slots shared by every transfer of a run: at most this many parts in flight across all
/// of them, so that a directory of files moved at once keeps one bound on connections and
/// memory. [`PartSlots::adaptive`] resizes the bound as the controller learns the link
/// (see [the module](super)); a part holds its [`SlotPermit`] from its read (or its GET) until
/// it is stored, and a limit that falls takes effect as parts end — no part is interrupted.
///
/// ```
/// use lakefs_client::concurrency::{AutoConcurrency, PartSlots};
///
/// let fixed = PartSlots::new(16);
/// assert_eq!((fixed.limit(), fixed.available()), (16, 16));
///
/// let auto = PartSlots::adaptive(AutoConcurrency::default());
/// assert_eq!(auto.limit(), 8, "starts at 8, then follows the link");
/// assert!(auto.meter().is_some(), "transfers count their bytes here");
/// ```
#[derive(Clone)]
pub struct PartSlots(Arc<Inner>);

struct Inner {
    semaphore: Arc<Semaphore>,
    /// Permits to forget as they come back: the limit fell below the parts holding them.
    debt: AtomicUsize,
    /// The limit now (fixed, or the controller's last answer).
    limit: AtomicUsize,
    adaptive: Option<Adaptive>,
}

struct Adaptive {
    controller: Mutex<Controller>,
    meter: Progress,
}

impl PartSlots {
    /// `slots` parts in flight at most (at least 1).
    #[must_use]
    pub fn new(slots: usize) -> Self {
        let slots = slots.max(1);
        Self(Arc::new(Inner {
            semaphore: Arc::new(Semaphore::new(slots)),
            debt: AtomicUsize::new(0),
            limit: AtomicUsize::new(slots),
            adaptive: None,
        }))
    }

    /// Slots whose number the adaptive controller sets, from `auto.initial` within `auto`'s
    /// bounds. Transfers drawing from them count their bytes in [`meter`](Self::meter) and
    /// report throttling through [`observe`](Self::observe).
    #[must_use]
    pub fn adaptive(auto: AutoConcurrency) -> Self {
        let controller = Controller::new(auto, Instant::now());
        let limit = controller.limit();
        Self(Arc::new(Inner {
            semaphore: Arc::new(Semaphore::new(limit)),
            debt: AtomicUsize::new(0),
            limit: AtomicUsize::new(limit),
            adaptive: Some(Adaptive {
                controller: Mutex::new(controller),
                meter: Progress::new(),
            }),
        }))
    }

    /// Fixed or adaptive slots for `concurrency`.
    #[must_use]
    pub fn for_concurrency(concurrency: Concurrency) -> Self {
        match concurrency {
            Concurrency::Fixed(parts) => Self::new(parts),
            Concurrency::Auto(auto) => Self::adaptive(auto),
        }
    }

    /// Slots free right now.
    #[must_use]
    pub fn available(&self) -> usize {
        self.0.semaphore.available_permits()
    }

    /// Parts allowed in flight now.
    #[must_use]
    pub fn limit(&self) -> usize {
        self.0.limit.load(Ordering::Relaxed)
    }

    /// Slots held now (parts in flight): after the limit fell, this may exceed it until parts
    /// end.
    #[must_use]
    pub fn in_use(&self) -> usize {
        let inner = &self.0;
        (inner.limit.load(Ordering::Relaxed) + inner.debt.load(Ordering::Acquire))
            .saturating_sub(inner.semaphore.available_permits())
    }

    /// Whether the controller sets the limit.
    #[must_use]
    pub fn is_adaptive(&self) -> bool {
        self.0.adaptive.is_some()
    }

    /// Where transfers count the bytes they move (adaptive slots only): give it to each
    /// request's progress as its total.
    #[must_use]
    pub fn meter(&self) -> Option<&Progress> {
        self.0.adaptive.as_ref().map(|adaptive| &adaptive.meter)
    }

    /// One request's outcome: `throttled` for `503 SlowDown` or `429`. Does nothing for
    /// fixed slots.
    pub fn observe(&self, throttled: bool) {
        if let Some(adaptive) = &self.0.adaptive {
            lock(&adaptive.controller).observe(throttled);
            self.tick();
        }
    }

    /// Waits for a slot. `None` only if the slots were closed, which this type never does.
    pub async fn acquire(&self) -> Option<SlotPermit> {
        self.tick();
        let permit = Arc::clone(&self.0.semaphore).acquire_owned().await.ok()?;
        Some(self.permit(permit))
    }

    /// A slot if one is free now.
    #[must_use]
    pub fn try_acquire(&self) -> Option<SlotPermit> {
        self.tick();
        let permit = Arc::clone(&self.0.semaphore).try_acquire_owned().ok()?;
        Some(self.permit(permit))
    }

    fn permit(&self, permit: OwnedSemaphorePermit) -> SlotPermit {
        SlotPermit {
            permit: Some(permit),
            slots: self.clone(),
            acquired: Instant::now(),
        }
    }

    /// Lets the controller end its window, and applies a new limit.
    fn tick(&self) {
        let Some(adaptive) = &self.0.adaptive else {
            return;
        };
        // A tick under way elsewhere does the work.
        let Ok(mut controller) = adaptive.controller.try_lock() else {
            return;
        };
        let before = controller.limit();
        let decision = controller.tick(Instant::now(), adaptive.meter.bytes());
        if decision.changed {
            // Under the controller's lock: resizes never interleave.
            self.resize(before, decision.limit);
            tracing::debug!(
                from = before,
                to = decision.limit,
                "adaptive concurrency: parts in flight"
            );
        }
    }

    fn resize(&self, from: usize, to: usize) {
        let inner = &self.0;
        inner.limit.store(to, Ordering::Relaxed);
        if to > from {
            // Pay back permits still owed before adding any.
            let mut grow = to - from;
            let _ = inner
                .debt
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |debt| {
                    let paid = debt.min(to - from);
                    grow = to - from - paid;
                    Some(debt - paid)
                });
            inner.semaphore.add_permits(grow);
        } else {
            let shrink = from - to;
            let forgotten = inner.semaphore.forget_permits(shrink);
            inner.debt.fetch_add(shrink - forgotten, Ordering::AcqRel);
        }
    }
}

impl fmt::Debug for PartSlots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartSlots")
            .field("limit", &self.limit())
            .field("available", &self.available())
            .field("adaptive", &self.is_adaptive())
            .finish()
    }
}

/// A part's slot, held until the part is done; given back (or, when the limit fell meanwhile,
/// retired) on drop.
pub struct SlotPermit {
    permit: Option<OwnedSemaphorePermit>,
    slots: PartSlots,
    acquired: Instant,
}

impl Drop for SlotPermit {
    fn drop(&mut self) {
        let owed = self
            .slots
            .0
            .debt
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |debt| {
                debt.checked_sub(1)
            })
            .is_ok();
        if let Some(permit) = self.permit.take() {
            if owed {
                permit.forget();
            }
        }
        // A part ended: the controller learns how long parts take, and a window may end.
        if let Some(adaptive) = &self.slots.0.adaptive {
            lock(&adaptive.controller).part_held(self.acquired.elapsed());
        }
        self.slots.tick();
    }
}

impl fmt::Debug for SlotPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlotPermit").finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Feeds adaptive slots a link of `per_part` bytes/s per slot held, `cap` in all, in
    /// simulated time; the limit at the end.
    async fn run_link(slots: &PartSlots, per_part: u64, cap: u64, seconds: u64) -> usize {
        let meter = slots.meter().unwrap().clone();
        let step = Duration::from_millis(50);
        let mut held = Vec::new();
        for _ in 0..(seconds * 1000 / 50) {
            // Take every slot free, as an engine would.
            while let Some(permit) = slots.try_acquire() {
                held.push(permit);
            }
            let rate = (held.len() as u64 * per_part).min(cap);
            tokio::time::advance(step).await;
            meter.add(rate / 20);
            // A part ends and the next starts: the slot comes back.
            if let Some(permit) = held.pop() {
                drop(permit);
            }
            // Slots owed after a fall are retired as parts end.
            while held.len() > slots.limit() {
                held.pop();
            }
        }
        slots.limit()
    }

    #[tokio::test(start_paused = true)]
    async fn adaptive_slots_follow_the_link_and_keep_their_count() {
        const MIB: u64 = 1 << 20;
        let slots = PartSlots::adaptive(AutoConcurrency::default());
        let limit = run_link(&slots, 25 * MIB, 400 * MIB, 20).await;
        assert!((16..=20).contains(&limit), "{limit}");
        // Every permit back (the run dropped what it held): no debt left, nothing in use, and
        // exactly `limit` slots exist, whatever the resizes were.
        assert_eq!(slots.0.debt.load(Ordering::Acquire), 0);
        assert_eq!(slots.in_use(), 0);
        let all: Vec<_> = std::iter::from_fn(|| slots.try_acquire()).collect();
        assert_eq!(all.len(), slots.limit());
        assert_eq!(slots.in_use(), slots.limit());
    }

    #[tokio::test(start_paused = true)]
    async fn a_falling_limit_retires_slots_as_parts_end() {
        let slots = PartSlots::adaptive(AutoConcurrency::default().initial(8));
        let held: Vec<_> = (0..8).map(|_| slots.try_acquire().unwrap()).collect();
        assert_eq!(slots.available(), 0);
        // Heavy throttling: the next window sheds a quarter (8 → 6).
        for _ in 0..8 {
            slots.observe(true);
        }
        tokio::time::advance(Duration::from_millis(300)).await;
        slots.observe(false);
        assert_eq!(slots.limit(), 6);
        assert_eq!(slots.in_use(), 8, "no part interrupted");
        drop(held);
        assert_eq!(slots.available(), 6, "two permits retired, six back");
        assert_eq!(slots.in_use(), 0);
    }

    #[test]
    fn fixed_slots_are_a_plain_bound() {
        let slots = PartSlots::new(2);
        let (a, b) = (slots.try_acquire(), slots.try_acquire());
        assert!(a.is_some() && b.is_some() && slots.try_acquire().is_none());
        slots.observe(true);
        drop(a);
        assert_eq!((slots.available(), slots.limit()), (1, 2));
        assert!(format!("{slots:?}").contains("limit: 2"));
    }
}
