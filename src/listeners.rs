//! Observers: the app hears about every change after it is durable.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
/// Called on the thread that made the change, after it is durable and after PrivacyKit has
/// released its locks, so a listener may call back into PrivacyKit. Keep it short: post to
/// your UI thread rather than doing work here. A listener that throws is logged and skipped.
#[uniffi::export(foreign)]
pub trait PrivacyListener: Send + Sync {
    fn on_change(&self, change: PrivacyChange) -> Result<(), ListenerError>;
}

#[derive(Default)]
pub(crate) struct Listeners {
    next_id: AtomicU64,
    registered: Mutex<Vec<(u64, Arc<dyn PrivacyListener>)>>,
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

    /// Tells every listener, outside the registry's lock, so listeners may add or remove.
    pub fn notify(&self, change: &PrivacyChange) {
        let listeners: Vec<_> = self.lock().iter().map(|(_, l)| l.clone()).collect();
        for listener in listeners {
            let outcome = catch_unwind(AssertUnwindSafe(|| listener.on_change(change.clone())));
            if !matches!(outcome, Ok(Ok(()))) {
                log::warn!("a change listener failed; the change itself is stored");
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<dyn PrivacyListener>)>> {
        self.registered.lock().unwrap_or_else(|e| e.into_inner())
    }
}
