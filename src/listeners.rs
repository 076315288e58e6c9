//! Observers: the app hears about every change after it is durable.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::consent::LedgerEntry;
use crate::permissions::PermissionState;
use crate::rights::erase::ErasureReceipt;

/// A change that is already on disk.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PrivacyChange {
    /// A consent, objection, restriction or policy acceptance was recorded.
    Consent { entry: LedgerEntry },
    /// An OS permission changed, or a request for it was answered.
    Permission { state: PermissionState },
    /// A new policy version was loaded.
    Policy { version: u32 },
    /// Data was erased at the user's request.
    Erased { receipt: ErasureReceipt },
}

/// What a listener may report back; PrivacyKit logs it and carries on.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ListenerError {
    #[error("the listener failed")]
    Failed,
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ListenerError {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ListenerError::Failed
    }
}

/// Implemented by the app (Kotlin, Swift or Rust) to hear about changes.
///
/// Called after the change is durable and after PrivacyKit has released its locks, so a
/// listener may call back into PrivacyKit. Changes arrive one at a time, in the order they
/// were made (ledger order), whatever the number of threads writing: usually on the thread
/// that made the change, but while one thread is delivering, changes other threads make are
/// delivered by it, after the ones before them. Keep it short: post to your UI thread rather
/// than doing work here. A listener that throws is logged and skipped.
#[uniffi::export(foreign)]
pub trait PrivacyListener: Send + Sync {
    fn on_change(&self, change: PrivacyChange) -> Result<(), ListenerError>;
}

#[derive(Default)]
pub(crate) struct Listeners {
    next_id: AtomicU64,
    registered: Mutex<Vec<(u64, Arc<dyn PrivacyListener>)>>,
    delivery: Mutex<Delivery>,
}

/// Changes made and not yet delivered, oldest first, and whether a thread is delivering.
#[derive(Default)]
struct Delivery {
    queue: VecDeque<PrivacyChange>,
    draining: bool,
}

/// Clears `draining` if delivery unwinds, so later changes are still delivered.
struct Draining<'a>(&'a Mutex<Delivery>);

impl Drop for Draining<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(self.0).draining = false;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Listeners {
    pub fn add(&self, listener: Arc<dyn PrivacyListener>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        self.lock().push((id, listener));
        id
    }

    pub fn remove(&self, id: u64) -> bool {
        let mut registered = self.lock();
        let before = registered.len();
        registered.retain(|(known, _)| *known != id);
        registered.len() != before
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Queues a change for delivery. Called under the store lock, right after the change was
    /// committed, so the queue holds changes in the order they were made.
    pub fn enqueue(&self, change: PrivacyChange) {
        lock(&self.delivery).queue.push_back(change);
    }

    /// Delivers queued changes, oldest first, with no lock held while a listener runs. One
    /// thread delivers at a time: a thread that finds another delivering (or itself, when a
    /// listener called back into PrivacyKit and made a change) leaves its change in the queue,
    /// and the delivering thread stops only once the queue is empty, so no change overtakes
    /// an earlier one and none is left behind.
    pub fn deliver(&self) {
        {
            let mut delivery = lock(&self.delivery);
            if delivery.draining {
                return;
            }
            delivery.draining = true;
        }
        let _unwinding = Draining(&self.delivery);
        loop {
            let change = {
                let mut delivery = lock(&self.delivery);
                match delivery.queue.pop_front() {
                    Some(change) => change,
                    None => {
                        delivery.draining = false;
                        return;
                    }
                }
            };
            self.notify(&change);
        }
    }

    /// Tells every listener, outside the registry's lock, so listeners may add or remove.
    fn notify(&self, change: &PrivacyChange) {
        let listeners: Vec<_> = self.lock().iter().map(|(_, l)| l.clone()).collect();
        for listener in listeners {
            let outcome = catch_unwind(AssertUnwindSafe(|| listener.on_change(change.clone())));
            if !matches!(outcome, Ok(Ok(()))) {
                log::warn!("a change listener failed; the change itself is stored");
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(u64, Arc<dyn PrivacyListener>)>> {
        lock(&self.registered)
    }
}
