//! Counting allowed uses per (category, purpose, local day) without locks on the hot path.
//!
//! Each declared pair has one atomic counter for the current day. When the day changes, or
//! the counters are about to be written, they are swapped to zero and their counts "spill"
//! into a shared list that the next write transaction stores. Counts in memory at a crash are
//! lost: they are statistics, never acknowledged writes. A use that races a day change by
//! nanoseconds may be counted on the neighbouring day.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::access_report::AccessCount;
use crate::policy::Policy;

/// Counts taken out of the counters and not yet stored, with those counted outside the core.
#[derive(Default)]
pub(crate) struct Spill(Mutex<Waiting>);

#[derive(Default)]
struct Waiting {
    counts: Vec<AccessCount>,
    /// Counts taken outside the core under a serial up to this one were erased with the
    /// access report (or are being erased): they are dropped when they arrive.
    erased_through: u64,
}

impl Spill {
    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, counts: impl IntoIterator<Item = AccessCount>) {
        self.lock().counts.extend(counts);
    }

    pub fn take(&self) -> Vec<AccessCount> {
        std::mem::take(&mut self.lock().counts)
    }

    pub fn put_back(&self, counts: Vec<AccessCount>) {
        self.push(counts);
    }

    /// Counts taken outside the core, each under the serial of the table that allowed it.
    /// Those taken before an erasure of the access report are dropped, as the core's were.
    pub fn push_taken_under(&self, counts: Vec<(u64, AccessCount)>) {
        let mut waiting = self.lock();
        let erased_through = waiting.erased_through;
        waiting.counts.extend(
            counts
                .into_iter()
                .filter(|(serial, _)| *serial > erased_through)
                .map(|(_, count)| count),
        );
    }

    /// Takes every count for an erasure of the access report, and from then on drops counts
    /// taken outside the core under a serial up to `through` (the table in force), in one
    /// step: none can slip in between. Returns what `undo_erasure` needs.
    pub fn take_for_erasure(&self, through: u64) -> (Vec<AccessCount>, u64) {
        let mut waiting = self.lock();
        let previous = waiting.erased_through;
        waiting.erased_through = previous.max(through);
        (std::mem::take(&mut waiting.counts), previous)
    }

    /// After a failed erasure: the counts are kept again. Counts from outside the core that
    /// arrived while it ran stay dropped.
    pub fn undo_erasure(&self, counts: Vec<AccessCount>, previous: u64) {
        let mut waiting = self.lock();
        waiting.erased_through = previous;
        waiting.counts.extend(counts);
    }
}

pub(crate) struct AccessLog {
    policy: Arc<Policy>,
    day: AtomicI64,
    counts: Box<[AtomicU64]>,
    day_change: Mutex<()>,
    spill: Arc<Spill>,
}

impl AccessLog {
    pub fn new(policy: Arc<Policy>, spill: Arc<Spill>) -> Self {
        let counts = (0..policy.pair_count())
            .map(|_| AtomicU64::new(0))
            .collect();
        AccessLog {
            policy,
            day: AtomicI64::new(i64::MIN),
            counts,
            day_change: Mutex::new(()),
            spill,
        }
    }

    /// Counts one use of `pair` on `day`.
    pub fn record(&self, pair: usize, day: i64) {
        if self.day.load(Ordering::Acquire) != day {
            self.change_day(day);
        }
        self.counts[pair].fetch_add(1, Ordering::Relaxed);
    }

    #[cold]
    fn change_day(&self, day: i64) {
        let _only_one = self.day_change.lock().unwrap_or_else(|e| e.into_inner());
        if self.day.load(Ordering::Acquire) != day {
            self.spill_all();
            self.day.store(day, Ordering::Release);
        }
    }

    /// Moves every non-zero counter into the spill, under the current day.
    pub fn spill_all(&self) {
        let day = self.day.load(Ordering::Acquire);
        let counts = self
            .counts
            .iter()
            .enumerate()
            .filter_map(|(pair, counter)| {
                let count = counter.swap(0, Ordering::AcqRel);
                (count > 0).then(|| {
                    let (c, p) = self.policy.pair_of(pair);
                    AccessCount {
                        day,
                        category: self.policy.info.categories[c].id.clone(),
                        purpose: self.policy.info.purposes[p].id.clone(),
                        count,
                    }
                })
            });
        self.spill.push(counts.collect::<Vec<_>>());
    }
}

impl Drop for AccessLog {
    /// A log replaced by a new policy's keeps counting until its last reader is done; what it
    /// counted is kept for the next write.
    fn drop(&mut self) {
        self.spill_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_policy;

    fn policy() -> Arc<Policy> {
        let json = r#"{"format":1,"policy_id":"t","version":1,"effective_date":"2024-01-01",
            "controller":{"name":"T"},"minimum_age":13,"digital_consent_age":16,
            "categories":[{"id":"diagnostics"}],"purposes":[{"id":"service"},{"id":"analytics"}],
            "processing":[{"category":"diagnostics","purpose":"analytics","legal_basis":"contract"}]}"#;
        Arc::new(parse_policy(json).unwrap())
    }

    #[test]
    fn counts_split_by_day_and_survive_the_log() {
        let spill = Arc::new(Spill::default());
        let log = AccessLog::new(policy(), spill.clone());
        log.record(1, 100);
        log.record(1, 100);
        log.record(1, 101);
        assert_eq!(
            spill.take(),
            vec![AccessCount {
                day: 100,
                category: "diagnostics".into(),
                purpose: "analytics".into(),
                count: 2
            }]
        );
        log.record(1, 101);
        drop(log);
        let rest = spill.take();
        assert_eq!(rest.len(), 1);
        assert_eq!((rest[0].day, rest[0].count), (101, 2));
    }

    #[test]
    fn concurrent_counting_loses_nothing() {
        let spill = Arc::new(Spill::default());
        let log = Arc::new(AccessLog::new(policy(), spill.clone()));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let log = log.clone();
                std::thread::spawn(move || (0..10_000).for_each(|_| log.record(1, 7)))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        log.spill_all();
        let total: u64 = spill.take().iter().map(|c| c.count).sum();
        assert_eq!(total, 40_000);
    }
}
