//! OS permission state, and what the request history says about asking again.
//!
//! The OS alone cannot say whether a denial is final: Android reports "denied" both before the
//! first prompt and after "don't ask again", and iOS shows its prompt once. Platform libraries
//! learn that a denial is permanent only by requesting and watching nothing appear. PrivacyKit
//! records every request and its outcome durably, so the answer is known before the request.

pub(crate) mod db;
pub(crate) mod os;

pub use os::{LocationAccuracy, OsPermission, PermissionStatus, Platform};

use crate::error::{Error, Result};
use crate::stored_text::stored_as_text;

/// How a permission event reached PrivacyKit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PermissionEventKind {
    /// The app read the OS state (at launch, on resume); a change here without a request
    /// was made in the system Settings app.
    Observed,
    /// The app showed the system prompt and this was its result.
    Requested,
}

/// One recorded permission observation or request result.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PermissionEvent {
    pub time_ms: i64,
    pub permission: OsPermission,
    pub kind: PermissionEventKind,
    pub status: PermissionStatus,
    pub accuracy: Option<LocationAccuracy>,
    /// Android's `shouldShowRequestPermissionRationale` at that moment, when the app passed it.
    pub os_shows_rationale: Option<bool>,
}

/// Everything the app needs to decide whether and how to ask for a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct PermissionState {
    pub permission: OsPermission,
    pub status: PermissionStatus,
    /// Location only: the accuracy the OS granted.
    pub accuracy: Option<LocationAccuracy>,
    /// System prompts answered "deny" since access was last given.
    pub denials: u32,
    /// Only the system Settings app can change this now; a request would show nothing.
    pub blocked_in_settings: bool,
    /// A request would show the system prompt.
    pub can_request: bool,
    /// The user declined before and may be asked again: explain why before asking.
    pub should_show_rationale: bool,
}

/// Folds the history of one permission into its current state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PermissionTracker {
    permission: OsPermission,
    status: PermissionStatus,
    accuracy: Option<LocationAccuracy>,
    denials: u32,
}

/// Android 11 and later stop showing the prompt after the second denial.
const ANDROID_DENIALS_BEFORE_BLOCK: u32 = 2;

impl PermissionTracker {
    pub fn new(permission: OsPermission) -> Self {
        PermissionTracker {
            permission,
            status: PermissionStatus::NotDetermined,
            accuracy: None,
            denials: 0,
        }
    }

    /// Applies one event, in the order they happened.
    pub fn apply(&mut self, event: &PermissionEvent) {
        match event.kind {
            PermissionEventKind::Requested => {
                if event.status == PermissionStatus::Denied {
                    self.denials = self.denials.saturating_add(1);
                }
            }
            PermissionEventKind::Observed => {
                let revoked_in_settings =
                    self.status.gives_access() && event.status == PermissionStatus::Denied;
                if revoked_in_settings {
                    // A revocation in Settings clears Android's "don't ask again"; on iOS the
                    // status alone already says only Settings can undo it.
                    self.denials = 0;
                }
                // Android cannot tell "never asked" from "denied"; the OS rationale flag can.
                if event.status == PermissionStatus::Denied
                    && event.os_shows_rationale == Some(true)
                {
                    self.denials = self.denials.max(1);
                }
            }
        }
        if event.status.gives_access() {
            self.denials = 0;
        }
        self.status = event.status;
        self.accuracy = if event.status.gives_access() && self.permission == OsPermission::Location
        {
            event.accuracy.or(Some(LocationAccuracy::Precise))
        } else {
            None
        };
    }

    /// The state the app sees on `platform`.
    pub fn state(&self, platform: Platform) -> PermissionState {
        let status = self.status;
        let (blocked_in_settings, can_request, should_show_rationale) = match (platform, status) {
            (_, PermissionStatus::Granted) => (false, false, false),
            (_, PermissionStatus::Restricted) => (false, false, false),
            (Platform::Ios, PermissionStatus::Limited) => (false, false, false),
            (Platform::Android, PermissionStatus::Limited) => (false, true, false),
            // Full authorization may still be asked for: iOS shows its prompt then.
            (_, PermissionStatus::Provisional) => (false, true, false),
            (_, PermissionStatus::NotDetermined) if self.denials == 0 => (false, true, false),
            (Platform::Ios, _) => (true, false, false),
            (Platform::Android, _) => {
                let blocked = self.denials >= ANDROID_DENIALS_BEFORE_BLOCK;
                (blocked, !blocked, !blocked && self.denials > 0)
            }
        };
        PermissionState {
            permission: self.permission,
            status: if status == PermissionStatus::NotDetermined && self.denials > 0 {
                PermissionStatus::Denied
            } else {
                status
            },
            accuracy: self.accuracy,
            denials: self.denials,
            blocked_in_settings,
            can_request,
            should_show_rationale,
        }
    }
}

/// An accuracy is reported only for location, and only while access is granted.
pub(crate) fn check_accuracy(
    permission: OsPermission,
    status: PermissionStatus,
    accuracy: Option<LocationAccuracy>,
) -> Result<()> {
    if accuracy.is_some() && permission != OsPermission::Location {
        return Err(Error::invalid_argument(
            "accuracy",
            "applies to the location permission only",
        ));
    }
    if accuracy.is_some()
        && !matches!(
            status,
            PermissionStatus::Granted | PermissionStatus::Limited
        )
    {
        return Err(Error::invalid_argument(
            "accuracy",
            "applies only when location access is granted",
        ));
    }
    Ok(())
}

stored_as_text!(PermissionEventKind {
    Observed => "observed",
    Requested => "requested",
});

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: PermissionEventKind, status: PermissionStatus) -> PermissionEvent {
        PermissionEvent {
            time_ms: 0,
            permission: OsPermission::Contacts,
            kind,
            status,
            accuracy: None,
            os_shows_rationale: None,
        }
    }

    use PermissionEventKind::{Observed, Requested};
    use PermissionStatus::*;

    fn after(platform: Platform, events: &[PermissionEvent]) -> PermissionState {
        let mut tracker = PermissionTracker::new(OsPermission::Contacts);
        events.iter().for_each(|e| tracker.apply(e));
        tracker.state(platform)
    }

    #[test]
    fn android_blocks_after_the_second_denial_and_says_so_before_any_request() {
        let fresh = after(Platform::Android, &[event(Observed, Denied)]);
        assert!(fresh.can_request && !fresh.should_show_rationale && !fresh.blocked_in_settings);

        let once = after(Platform::Android, &[event(Requested, Denied)]);
        assert!(once.can_request && once.should_show_rationale && !once.blocked_in_settings);

        let twice = after(
            Platform::Android,
            &[event(Requested, Denied), event(Requested, Denied)],
        );
        assert!(!twice.can_request && twice.blocked_in_settings && !twice.should_show_rationale);

        // The next launch only observes "denied": still blocked, known without a request.
        let relaunch = after(
            Platform::Android,
            &[
                event(Requested, Denied),
                event(Requested, Denied),
                event(Observed, Denied),
            ],
        );
        assert!(relaunch.blocked_in_settings && !relaunch.can_request);
    }

    #[test]
    fn android_rationale_flag_reveals_a_denial_from_before_the_sdk() {
        let mut observed = event(Observed, Denied);
        observed.os_shows_rationale = Some(true);
        let state = after(Platform::Android, &[observed]);
        assert_eq!(state.denials, 1);
        assert!(state.can_request && state.should_show_rationale);
    }

    #[test]
    fn android_settings_revocation_allows_asking_again() {
        let state = after(
            Platform::Android,
            &[
                event(Requested, Denied),
                event(Requested, Denied),
                event(Observed, Granted), // turned on in Settings
                event(Observed, Denied),  // and off again
            ],
        );
        assert_eq!(state.denials, 0);
        assert!(state.can_request && !state.blocked_in_settings);
    }

    #[test]
    fn ios_prompts_once() {
        let fresh = after(Platform::Ios, &[]);
        assert!(fresh.can_request && fresh.status == NotDetermined);

        let denied = after(Platform::Ios, &[event(Requested, Denied)]);
        assert!(denied.blocked_in_settings && !denied.can_request);

        // Seen as denied at launch with no recorded request: still only Settings can help.
        let observed = after(Platform::Ios, &[event(Observed, Denied)]);
        assert!(observed.blocked_in_settings && !observed.can_request);

        let limited = after(Platform::Ios, &[event(Requested, Limited)]);
        assert!(!limited.can_request && !limited.blocked_in_settings);
    }

    #[test]
    fn provisional_gives_access_and_full_authorization_may_still_be_asked_for() {
        for platform in [Platform::Android, Platform::Ios] {
            let state = after(platform, &[event(Requested, Provisional)]);
            assert_eq!(state.status, Provisional);
            assert!(state.can_request && !state.blocked_in_settings);
            assert!(!state.should_show_rationale);
        }
        // A denial before it does not linger once the OS gives quiet delivery.
        let state = after(
            Platform::Ios,
            &[event(Requested, Denied), event(Observed, Provisional)],
        );
        assert_eq!(state.denials, 0);
        assert!(state.can_request);
    }

    #[test]
    fn restricted_is_neither_requestable_nor_fixable_in_settings() {
        for platform in [Platform::Android, Platform::Ios] {
            let state = after(platform, &[event(Observed, Restricted)]);
            assert!(!state.can_request && !state.blocked_in_settings);
        }
    }

    #[test]
    fn stored_names_read_back_as_the_same_value() {
        for permission in OsPermission::ALL {
            assert_eq!(
                OsPermission::from_str(permission.as_str()),
                Some(permission)
            );
        }
        for status in [
            NotDetermined,
            Granted,
            Denied,
            Limited,
            Restricted,
            Provisional,
        ] {
            assert_eq!(PermissionStatus::from_str(status.as_str()), Some(status));
        }
        assert_eq!(PermissionStatus::from_str("Granted"), None);
    }

    #[test]
    fn location_keeps_the_granted_accuracy() {
        let mut tracker = PermissionTracker::new(OsPermission::Location);
        let mut granted = event(Requested, Granted);
        granted.permission = OsPermission::Location;
        granted.accuracy = Some(LocationAccuracy::Approximate);
        tracker.apply(&granted);
        assert_eq!(
            tracker.state(Platform::Ios).accuracy,
            Some(LocationAccuracy::Approximate)
        );
        let mut denied = granted.clone();
        denied.status = Denied;
        tracker.apply(&denied);
        assert_eq!(tracker.state(Platform::Ios).accuracy, None);
    }
}
