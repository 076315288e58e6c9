//! The engine: the store, the user's state and the guard behind one lock, and the one write
//! path. The facade (`PrivacyKit`) and the capabilities (vault, contact discovery, prepared
//! data uses) reach the state only through it; none of them reaches the facade.
//!
//! Writes follow one path (`commit`): validate, write the rows in one transaction together
//! with the access counts gathered so far (the use-count source's too), commit (durable on
//! return), then update memory, rebuild the guard's table and tell the listeners. A failed
//! step leaves memory untouched.
//!
//! Lock rules (ARCHITECTURE.md explains them):
//! 1. The store lock guards `State`. Work done while holding it receives a `Locked`, whose
//!    `check` answers from the state in hand: no decision takes the store lock from inside a
//!    store operation. Only `decide`, from outside, takes it to rebuild an expired table.
//! 2. Order: the store lock, then the guard's table, then the access counters; the store
//!    lock, then the vault keys. Nothing takes the store lock while holding one of those.
//! 3. Listeners, the discovery transport and the use-count source are called with no lock
//!    held; they may call back. Changes are queued under the store lock, so the queue holds
//!    them in ledger order, and delivered from it after the lock is released (see
//!    `Listeners::deliver`). Key providers and a custom clock are called with the store lock
//!    held and must not call back.

use std::cell::Cell;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

use crate::access_report::{self as report, AccessReportRow};
use crate::consent::seal::{LedgerIntegrity, Problem};
use crate::consent::{ledger, stored, ConsentBook, ConsentChange, LedgerEntry};
use crate::data_holder::PersonalData;
use crate::decision::Decision;
use crate::error::{Error, Result};
use crate::guard::snapshot::{DecisionSnapshot, UseCount, UseCountSource};
use crate::guard::{fail_closed, use_ended_by, Guard, PreparedUse};
use crate::holders::HOLDERS;
use crate::keys::KeyProvider;
use crate::listeners::{Listeners, PrivacyChange};
use crate::rights::erase::{self, ErasedData, ErasureReceipt};
use crate::signals::{self, ConsentSignalStore, Signals};
use crate::state::State;
use crate::time::Clock;
use crate::vault::keys::VaultKeys;

pub(crate) struct Engine {
    clock: Arc<dyn Clock>,
    guard: Guard,
    state: Mutex<Option<State>>,
    listeners: Listeners,
    /// The IAB consent signals and the app's store for them.
    signals: Signals,
    keys: VaultKeys,
    /// Where uses counted outside the core wait (the Kotlin fast guard); asked before every
    /// flush.
    use_counts: Mutex<Option<Arc<dyn UseCountSource>>>,
}

thread_local! {
    /// Whether this thread holds the store lock; checked in debug builds so that a decision
    /// taken the wrong way from inside a store operation fails the tests instead of hanging.
    static HOLDS_STORE: Cell<bool> = const { Cell::new(false) };
}

/// The store lock, held; marks the thread while it is.
struct StoreLock<'a>(MutexGuard<'a, Option<State>>);

impl Drop for StoreLock<'_> {
    fn drop(&mut self) {
        HOLDS_STORE.with(|held| held.set(false));
    }
}

/// What work done under the store lock gets: the state, the time of the call, the vault's
/// keys, and a guard that answers from this state without taking the lock again.
pub(crate) struct Locked<'a> {
    pub state: &'a mut State,
    pub now_ms: i64,
    pub keys: &'a VaultKeys,
    guard: &'a Guard,
}

impl Locked<'_> {
    /// `PrivacyKit::check` from inside a store operation: counts an allowed use.
    pub fn check(&mut self, category: &str, purpose: &str) -> Decision {
        let Locked { state, guard, .. } = self;
        fail_closed(|| {
            guard.refresh(state);
            guard.check(category, purpose, true)
        })
    }

    /// `PrivacyKit::explain` from inside a store operation: counts nothing.
    pub fn explain(&mut self, category: &str, purpose: &str) -> Decision {
        let Locked { state, guard, .. } = self;
        fail_closed(|| {
            guard.refresh(state);
            guard.check(category, purpose, false)
        })
    }

    /// Refuses with the guard's reason unless `category` may be used for `purpose`; with
    /// `count`, the use is counted in the access report.
    pub fn require(&mut self, category: &str, purpose: &str, count: bool) -> Result<()> {
        let decision = if count {
            self.check(category, purpose)
        } else {
            self.explain(category, purpose)
        };
        if decision.allowed {
            Ok(())
        } else {
            Err(Error::NotPermitted(decision.reason))
        }
    }
}

impl Engine {
    pub fn new(mut state: State, clock: Arc<dyn Clock>, utc_offset_minutes: i32) -> Engine {
        let guard = Guard::new(clock.clone(), utc_offset_minutes);
        guard.rebuild(&mut state);
        Engine {
            clock,
            guard,
            state: Mutex::new(Some(state)),
            listeners: Listeners::default(),
            signals: Signals::default(),
            keys: VaultKeys::default(),
            use_counts: Mutex::new(None),
        }
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The local day (the access report's unit, and the age rules').
    pub fn today(&self) -> i64 {
        self.guard.today()
    }

    /// Days begin elsewhere from now on: the age rules are assessed again for the new local
    /// day, and the rebuilt table moves the decision epoch on, so snapshots taken with the
    /// old offset are not used any more.
    pub fn set_utc_offset_minutes(&self, minutes: i32) -> Result<()> {
        let mut slot = self.lock_state();
        let state = slot.0.as_mut().ok_or(Error::Closed)?;
        self.guard.set_utc_offset_minutes(minutes);
        self.guard.rebuild(state);
        Ok(())
    }

    pub fn keys(&self) -> &VaultKeys {
        &self.keys
    }

    pub fn listeners(&self) -> &Listeners {
        &self.listeners
    }

    /// The decision for (category, purpose), from any thread that holds no store lock;
    /// `count` records an allowed use.
    pub fn decide(&self, category: &str, purpose: &str, count: bool) -> Decision {
        fail_closed(|| {
            self.refresh_if_expired();
            self.guard.check(category, purpose, count)
        })
    }

    /// The same for a prepared use (`DataUse`).
    pub fn decide_prepared(&self, prepared: &PreparedUse, count: bool) -> Decision {
        fail_closed(|| {
            self.refresh_if_expired();
            self.guard.check_prepared(prepared, count)
        })
    }

    /// The guard's table as one consistent copy, rebuilt first if a birthday made it out of
    /// date.
    pub fn decision_snapshot(&self) -> Result<DecisionSnapshot> {
        self.refresh_if_expired();
        self.guard.snapshot().ok_or(Error::Closed)
    }

    /// See `Guard::epoch_address`.
    pub fn decision_epoch_address(&self) -> u64 {
        self.guard.epoch_address()
    }

    /// Adds uses counted outside the core to the counts the next write stores, after checking
    /// them (`Guard::record_counts`). Never waits for a write in progress.
    pub fn record_uses(&self, uses: &[UseCount]) -> Result<()> {
        self.guard.record_counts(uses)
    }

    /// Replaces the source of uses counted outside the core. Its counts are taken before
    /// every write, as the guard's own are, so they land in the same transactions.
    pub fn set_use_count_source(&self, source: Arc<dyn UseCountSource>) {
        *self.use_counts.lock().unwrap_or_else(|e| e.into_inner()) = Some(source);
    }

    /// The counts of the use-count source, if one is set, taken with no lock held (it is the
    /// app's code). A source that fails gives nothing.
    fn take_foreign_uses(&self) -> Vec<UseCount> {
        let source = self
            .use_counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(source) = source else {
            return Vec::new();
        };
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| source.take_use_counts()))
            .unwrap_or_else(|_| {
                log::warn!("the use-count source failed; its counts were not collected");
                Vec::new()
            })
    }

    /// Adds what `take_foreign_uses` gave to the counts this write stores, entry by entry:
    /// what the guard refuses (only a clock set back by more than a day makes a source's
    /// count so) is dropped and logged without its ids; the rest is kept.
    fn add_foreign_uses(&self, uses: Vec<UseCount>) {
        let mut refused = 0usize;
        for use_ in uses {
            if self
                .guard
                .record_counts(std::slice::from_ref(&use_))
                .is_err()
            {
                refused += 1;
            }
        }
        if refused > 0 {
            log::warn!("{refused} use count(s) from the use-count source refused");
        }
    }

    /// Rebuilds the guard's table when a birthday moved the user into another age group
    /// since it was built. Costs one atomic load while no such day is ahead.
    fn refresh_if_expired(&self) {
        if self.guard.expired() {
            if let Some(state) = self.lock_state().0.as_mut() {
                self.guard.refresh(state);
                // A new day can move a decision the IAB keys carry (a birthday); they are
                // written only if they changed.
                if self.signals.active() {
                    self.signals
                        .stage(signals::keys_for(state, self.clock.now_ms()));
                }
            }
            self.signals.deliver();
        }
    }

    pub fn read<T>(&self, read: impl FnOnce(&State) -> Result<T>) -> Result<T> {
        read(self.lock_state().0.as_ref().ok_or(Error::Closed)?)
    }

    /// Runs `work` alone with the store, for capabilities that manage their own transactions
    /// (the vault, discovery). No listener is told and the guard's table is not rebuilt.
    pub fn exclusive<T>(&self, work: impl FnOnce(&mut Locked) -> Result<T>) -> Result<T> {
        let mut slot = self.lock_state();
        let state = slot.0.as_mut().ok_or(Error::Closed)?;
        work(&mut Locked {
            state,
            now_ms: self.clock.now_ms(),
            keys: &self.keys,
            guard: &self.guard,
        })
    }

    /// The one write path; see the module comment.
    pub fn commit<S, T, C: IntoIterator<Item = PrivacyChange>>(
        &self,
        stage: impl FnOnce(&State, &Connection, i64) -> Result<S>,
        apply: impl FnOnce(&mut State, S) -> (T, C),
    ) -> Result<T> {
        let foreign = self.take_foreign_uses();
        let result = {
            let mut slot = self.lock_state();
            let state = slot.0.as_mut().ok_or(Error::Closed)?;
            self.add_foreign_uses(foreign);
            let counts = self.guard.take_unwritten_counts();
            let now = self.clock.now_ms();
            let written = (|| {
                let tx = state.store.begin()?;
                let staged = stage(state, &tx, now)?;
                report::store(&tx, &counts)?;
                tx.commit()?;
                Ok(staged)
            })();
            let staged = match written {
                Ok(staged) => staged,
                Err(err) => {
                    self.guard.return_unwritten_counts(counts);
                    return Err(err);
                }
            };
            let (result, changes) = apply(state, staged);
            let mut changed = false;
            for change in changes {
                if !changed {
                    self.guard.rebuild(state);
                    changed = true;
                }
                self.listeners.enqueue(change);
            }
            if changed && self.signals.active() {
                self.signals.stage(signals::keys_for(state, now));
            }
            result
        };
        self.signals.deliver();
        self.listeners.deliver();
        Ok(result)
    }

    /// Appends one chained ledger entry after `check` passed, in one transaction with the
    /// data of every use the entry ends (a withdrawn consent for linked accounts shreds their
    /// tokens): there is no moment at which consent is gone and that data remains.
    ///
    /// `detail` gives the entry's detail from the state the entry is written under, so that
    /// it describes the policy in force at that moment.
    pub fn append_to_ledger(
        &self,
        change: ConsentChange,
        detail: impl FnOnce(&ConsentChange, &State) -> Option<String>,
        check: impl Fn(&ConsentChange, &State) -> Result<()>,
    ) -> Result<LedgerEntry> {
        let mut entries = self.append_all_to_ledger(
            |state| {
                let detail = detail(&change, state);
                Ok(vec![(change, detail)])
            },
            check,
        )?;
        entries.pop().ok_or(Error::Internal {
            reason: "an append wrote no entry",
        })
    }

    /// Appends the entries `plan` makes from the state under the store lock, in one
    /// transaction, each chained to the one before, after `check` passed for every one: all
    /// are recorded or none (an imported TC string).
    pub fn append_all_to_ledger(
        &self,
        plan: impl FnOnce(&State) -> Result<Vec<(ConsentChange, Option<String>)>>,
        check: impl Fn(&ConsentChange, &State) -> Result<()>,
    ) -> Result<Vec<LedgerEntry>> {
        self.commit(
            |state, conn, now| {
                state.ledger.usable()?;
                let changes = plan(state)?;
                for (change, _) in &changes {
                    check(change, state)?;
                }
                // Changes that only take permission away never wait for the keystore; they are
                // sealed with the next change that has the key (see `consent::seal`).
                let only_narrowing = changes.iter().all(|(c, _)| c.action.only_narrows());
                let fresh_key = match self.ledger_key_for_append(state, conn) {
                    Err(err) if only_narrowing && key_not_at_hand(&err) => None,
                    other => other?,
                };
                let key = state.ledger.key.as_ref().or(fresh_key.as_ref());
                let mut head = *state.consent.head();
                // Each entry's effect on the uses it may end is judged after the ones before.
                let mut book = state.consent.clone();
                let mut written = Vec::with_capacity(changes.len());
                let mut keys_destroyed = false;
                for (change, detail) in changes {
                    let mut entry = LedgerEntry {
                        seq: head.seq + 1,
                        time_ms: now,
                        policy_version: state.policy.version(),
                        action: change.action,
                        purpose: change.purpose.clone(),
                        category: change.category.clone(),
                        source: change.source,
                        detail,
                        hash: String::new(),
                    };
                    let hash = ledger::chain(&head.hash, &entry);
                    entry.hash = ledger::to_hex(&hash);
                    crate::consent::db::append(conn, &entry, &head.hash, &hash)?;
                    for holder in HOLDERS {
                        let Some((category, purpose)) = holder.serves() else {
                            continue;
                        };
                        if use_ended_by(state, &book, &entry, hash, category, purpose) {
                            keys_destroyed |= holder.erase(conn, now)?.keys_destroyed;
                        }
                    }
                    book.apply(&entry, hash);
                    head = ledger::Head {
                        seq: entry.seq,
                        hash,
                    };
                    written.push((entry, hash));
                }
                // The head is sealed once, after the last entry, in the same transaction,
                // whenever the key is at hand (always, once the ledger was sealed, unless the
                // changes only take permission away: see `ledger_key_for_append`).
                if let (Some(key), false) = (key, written.is_empty()) {
                    key.seal(conn, &head)?;
                }
                Ok((written, keys_destroyed, fresh_key))
            },
            |state, (written, keys_destroyed, fresh_key)| {
                for (entry, hash) in &written {
                    state.consent.apply(entry, *hash);
                }
                if let Some(key) = fresh_key {
                    state.ledger.key = Some(key);
                }
                if state.ledger.key.is_some() {
                    state.ledger.sealed = true;
                }
                if keys_destroyed {
                    self.keys.after_shred(&state.store);
                }
                let entries: Vec<LedgerEntry> = written.into_iter().map(|(e, _)| e).collect();
                let changes: Vec<PrivacyChange> = entries
                    .iter()
                    .map(|entry| PrivacyChange::Consent {
                        entry: entry.clone(),
                    })
                    .collect();
                (entries, changes)
            },
        )
    }

    /// The key an append to a sealed ledger needs when none is in memory yet (the keystore was
    /// locked when the provider was given, say): the ledger is verified under it and sealed
    /// first. A sealed ledger takes no unsealed entry that gives permission, so without a
    /// provider, or with the keystore unavailable, such an append fails (`VaultLocked`) and
    /// nothing is written.
    fn ledger_key_for_append(
        &self,
        state: &State,
        conn: &Connection,
    ) -> Result<Option<crate::consent::seal::LedgerKey>> {
        if state.ledger.key.is_some() || !state.ledger.sealed {
            return Ok(None);
        }
        let provider = self.keys.provider()?;
        match stored::verify_and_seal(conn, provider.as_ref())? {
            Some((key, book)) if book.head() == state.consent.head() => Ok(Some(key)),
            Some(_) => Err(Error::LedgerTampered {
                seq: state.consent.head().seq.saturating_add(1),
                reason: "the stored ledger is not the one PrivacyKit opened".into(),
            }),
            None => Err(Error::KeyProvider {
                key: crate::error::KeyUse::LedgerSeal,
                source: crate::keys::KeyProviderError::Unavailable,
            }),
        }
    }

    /// Runs an erasure: `work` deletes in one transaction; memory is then reloaded from the
    /// store, key material forgotten, the file compacted and listeners told. With
    /// `drop_counts`, access counts gathered in memory are discarded rather than written.
    pub fn erase(
        &self,
        drop_counts: bool,
        work: impl FnOnce(&Connection, &State, i64) -> Result<(Vec<ErasedData>, bool)>,
    ) -> Result<ErasureReceipt> {
        let foreign = self.take_foreign_uses();
        let receipt = {
            let mut slot = self.lock_state();
            let state = slot.0.as_mut().ok_or(Error::Closed)?;
            self.add_foreign_uses(foreign);
            let now = self.clock.now_ms();
            let (counts, undo) = if drop_counts {
                let (counts, previous) = self.guard.take_counts_for_erasure();
                (counts, Some(previous))
            } else {
                (self.guard.take_unwritten_counts(), None)
            };
            let written = (|| {
                let tx = state.store.begin()?;
                let done = work(&tx, state, now)?;
                // An emptied ledger stays sealed when the key is at hand, so that what is
                // written next is held to the seal as before.
                if let (Some(key), true) = (
                    &state.ledger.key,
                    done.0.iter().any(|e| e.data == PersonalData::ConsentLedger),
                ) {
                    key.seal(&tx, &ledger::Head::default())?;
                }
                if !drop_counts {
                    report::store(&tx, &counts)?;
                }
                tx.commit()?;
                Ok(done)
            })();
            let (erased, keys_destroyed) = match written {
                Ok(done) => done,
                Err(err) => {
                    match undo {
                        Some(previous) => self.guard.undo_erasure(counts, previous),
                        None => self.guard.return_unwritten_counts(counts),
                    }
                    return Err(err);
                }
            };
            if keys_destroyed {
                self.keys.after_shred(&state.store);
            }
            state.reload_choices()?;
            state.ledger.sealed = crate::consent::db::sealed_head(state.store.conn())?.is_some();
            if erased.iter().any(|e| e.data == PersonalData::ConsentLedger) {
                state.advertising_id = None;
            }
            self.guard.rebuild(state);
            erase::compact(state.store.conn())?;
            let receipt = ErasureReceipt {
                erased_at_ms: now,
                erased,
                keys_destroyed,
            };
            log::info!(
                "erased {} record(s) of {} kind(s) of data",
                receipt.erased.iter().map(|e| e.records).sum::<u64>(),
                receipt.erased.len()
            );
            if self.signals.active() {
                // Erased choices take their signals with them: no key is left for vendors
                // to read until the user chooses again.
                let ledger_erased = receipt
                    .erased
                    .iter()
                    .any(|e| e.data == PersonalData::ConsentLedger);
                self.signals.stage(if ledger_erased {
                    Default::default()
                } else {
                    signals::keys_for(state, now)
                });
            }
            self.listeners.enqueue(PrivacyChange::Erased {
                receipt: receipt.clone(),
            });
            receipt
        };
        self.signals.deliver();
        self.listeners.deliver();
        Ok(receipt)
    }

    /// Gives the key provider to every key PrivacyKit keeps and, if the ledger was not yet
    /// verified under its seal, verifies it now and seals its head. A ledger that does not
    /// verify is `LedgerTampered` (or `LedgerSealLost`), and from then on no decision uses
    /// it and nothing is appended to it, until `set_aside_ledger`. A keystore that is
    /// unavailable leaves the check for the next time a provider is given.
    pub fn set_key_provider(&self, provider: Arc<dyn KeyProvider>) -> Result<()> {
        self.keys.set_provider(provider.clone());
        let mut slot = self.lock_state();
        let state = slot.0.as_mut().ok_or(Error::Closed)?;
        if state.ledger.key.is_some() {
            return Ok(());
        }
        state.ledger.usable()?;
        let tx = state.store.begin()?;
        let verified = match stored::verify_and_seal(&tx, provider.as_ref()) {
            // The file must still hold the ledger memory was built from.
            Ok(Some((_, book))) if book.head() != state.consent.head() => {
                Err(Error::LedgerTampered {
                    seq: book
                        .head()
                        .seq
                        .min(state.consent.head().seq)
                        .saturating_add(1),
                    reason: "the stored ledger is not the one PrivacyKit opened".into(),
                })
            }
            other => other,
        };
        match verified {
            Ok(Some((key, _))) => {
                tx.commit()?;
                state.ledger.key = Some(key);
                state.ledger.sealed = true;
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(err) => {
                drop(tx);
                if let Some(problem) = Problem::of(&err) {
                    log::warn!("the consent ledger does not verify under its seal: {err}");
                    state.ledger.problem = Some(problem);
                    state.consent.mark_unverified();
                    self.guard.rebuild(state);
                }
                Err(err)
            }
        }
    }

    /// Sets the ledger aside as unverified history if it does not verify now (or did not
    /// under the key given earlier), and starts an empty one, sealed when the key is at hand.
    /// Returns the records set aside; 0, changing nothing, when the ledger verifies.
    pub fn set_aside_ledger(&self) -> Result<u64> {
        let provider = self.keys.provider().ok();
        let mut slot = self.lock_state();
        let state = slot.0.as_mut().ok_or(Error::Closed)?;
        let tx = state.store.begin()?;
        let check = (|| {
            let key = match &provider {
                Some(provider) => stored::ledger_key(&tx, provider.as_ref(), false)?,
                None => None,
            };
            stored::load_verified(&tx, key.as_ref()).map(|_| ())
        })();
        let problem = match (check, &state.ledger.problem) {
            (Ok(()), None) => return Ok(0),
            (Ok(()), Some(problem)) => problem.clone(),
            (Err(err), _) => Problem::of(&err).ok_or(err)?,
        };
        let reason = problem.error().to_string();
        let now = self.clock.now_ms();
        let kept = stored::set_aside(&tx, now, &reason, problem == Problem::SealLost)?;
        let key = match &provider {
            Some(provider) => stored::verify_and_seal(&tx, provider.as_ref())?.map(|(key, _)| key),
            None => None,
        };
        tx.commit()?;
        state.consent = ConsentBook::default();
        state.ledger = LedgerIntegrity {
            sealed: key.is_some(),
            key,
            problem: None,
        };
        self.guard.rebuild(state);
        Ok(kept)
    }

    /// Registers the app's store for the IAB consent signals and writes the current ones to
    /// it: computed under the store lock like every later set, written after it is released.
    pub fn set_signal_store(&self, store: Arc<dyn ConsentSignalStore>) -> Result<()> {
        {
            let mut slot = self.lock_state();
            let state = slot.0.as_mut().ok_or(Error::Closed)?;
            self.signals.set_store(store);
            self.signals
                .stage(signals::keys_for(state, self.clock.now_ms()));
        }
        self.signals.deliver();
        Ok(())
    }

    /// Writes the access counts gathered in memory, the use-count source's included.
    pub fn flush(&self) -> Result<()> {
        self.commit(|_, _, _| Ok(()), |_, ()| ((), None))
    }

    /// Allowed uses per day from `from` to `to` (local days), after writing what is counted.
    pub fn access_report(&self, from: i64, to: i64) -> Result<Vec<AccessReportRow>> {
        self.flush()?;
        self.read(|state| report::load(state.store.conn(), from, to))
    }

    /// Writes what is in memory and closes the store. Closing twice is fine.
    pub fn close(&self) -> Result<()> {
        match self.flush() {
            Err(Error::Closed) => return Ok(()),
            other => other?,
        }
        let closed = self.lock_state().0.take();
        self.guard.close();
        self.listeners.clear();
        self.signals.clear();
        self.keys.forget();
        self.use_counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        drop(closed);
        Ok(())
    }

    fn lock_state(&self) -> StoreLock<'_> {
        debug_assert!(
            !HOLDS_STORE.with(Cell::get),
            "the store lock is not re-entrant: inside a store operation, decide through Locked"
        );
        // Memory changes only after a commit, in steps that cannot panic half-way, so the
        // state behind a poisoned lock is still consistent.
        let guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        HOLDS_STORE.with(|held| held.set(true));
        StoreLock(guard)
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if self.lock_state().0.is_some() {
            if let Err(err) = self.flush() {
                log::warn!("access counts not written when PrivacyKit was dropped: {err}");
            }
        }
    }
}

/// The ledger's key cannot be had now: no key provider, or the keystore is unavailable (a
/// device locked since boot). Unlike a lost key or a ledger that does not verify, this passes.
fn key_not_at_hand(err: &Error) -> bool {
    matches!(
        err,
        Error::NoKeyProvider
            | Error::KeyProvider {
                source: crate::keys::KeyProviderError::Unavailable,
                ..
            }
    )
}
