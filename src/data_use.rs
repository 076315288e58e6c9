//! `DataUse`: one (category, purpose) the app checks again and again, prepared once.
//!
//! Through JNA every string argument and every record result costs extra native calls;
//! `is_allowed()` passes no string and returns a primitive, so a hot path in Kotlin or
//! Swift makes a single call.

use std::sync::{Arc, Weak};

use crate::decision::{Decision, DecisionReason};
use crate::engine::Engine;
use crate::guard::PreparedUse;

/// A (category, purpose) prepared for repeated checks. Stays valid across policy updates:
/// it looks itself up again in a new policy. It does not keep its `PrivacyKit` alive: once
/// that is closed or freed, every answer is `Closed`.
#[derive(uniffi::Object)]
pub struct DataUse {
    engine: Weak<Engine>,
    prepared: PreparedUse,
}

impl DataUse {
    pub(crate) fn new(engine: &Arc<Engine>, category: String, purpose: String) -> Self {
        DataUse {
            engine: Arc::downgrade(engine),
            prepared: PreparedUse::new(category, purpose),
        }
    }

    fn decide(&self, count: bool) -> Decision {
        let Some(engine) = self.engine.upgrade() else {
            return Decision {
                allowed: false,
                reason: DecisionReason::Closed,
            };
        };
        engine.decide_prepared(&self.prepared, count)
    }
}

#[uniffi::export]
impl DataUse {
    /// `check().allowed`, in one native call: for hot paths. Counts an allowed use.
    pub fn is_allowed(&self) -> bool {
        self.decide(true).allowed
    }

    /// Like `PrivacyKit::check` for this use: the decision with its reason, counted.
    pub fn check(&self) -> Decision {
        self.decide(true)
    }

    /// Like `PrivacyKit::explain`: the decision without counting a use.
    pub fn explain(&self) -> Decision {
        self.decide(false)
    }
}
