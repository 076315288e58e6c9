//! What the OS says: the platform, its permissions, their status and location accuracy. A
//! leaf: the decision's reasons and the policy's categories name these, and it names nothing.

use crate::stored_text::stored_as_text;

/// The app's platform; the rules for asking again differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Platform {
    Android,
    Ios,
}

/// OS permissions that gate personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum OsPermission {
    Contacts,
    Location,
    /// Android READ_CALL_LOG.
    CallLog,
    Microphone,
    /// iOS App Tracking Transparency; on Android, "limit ad tracking" off and a non-zero ID.
    Tracking,
}

impl OsPermission {
    pub const ALL: [OsPermission; 5] = [
        OsPermission::Contacts,
        OsPermission::Location,
        OsPermission::CallLog,
        OsPermission::Microphone,
        OsPermission::Tracking,
    ];

    pub(crate) fn position(self) -> usize {
        self as usize
    }
}

/// What the OS says about one permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PermissionStatus {
    /// Never asked (iOS), or not known to have been asked (Android).
    NotDetermined,
    Granted,
    Denied,
    /// Partial access: iOS 18 limited contacts, Android selected-items access.
    Limited,
    /// Parental controls or device management forbid it; the user cannot change it.
    Restricted,
}

impl PermissionStatus {
    pub(crate) fn gives_access(self) -> bool {
        matches!(self, PermissionStatus::Granted | PermissionStatus::Limited)
    }
}

/// Location accuracy the OS granted (or a use requires).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum LocationAccuracy {
    Approximate,
    Precise,
}

stored_as_text!(OsPermission {
    Contacts => "contacts",
    Location => "location",
    CallLog => "call_log",
    Microphone => "microphone",
    Tracking => "tracking",
});

stored_as_text!(PermissionStatus {
    NotDetermined => "not_determined",
    Granted => "granted",
    Denied => "denied",
    Limited => "limited",
    Restricted => "restricted",
});

stored_as_text!(LocationAccuracy {
    Approximate => "approximate",
    Precise => "precise",
});
