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
    Camera,
    /// The photo library: iOS Photos (`Limited` for the photos the user picked), Android photos
    /// and videos (`Limited` for Android 14's selected-items access).
    Photos,
    /// Posting notifications: iOS (`Provisional` for quiet delivery), Android 13 and later.
    Notifications,
    Calendar,
    /// Bluetooth and nearby Wi-Fi devices: iOS Bluetooth, Android 12's nearby devices.
    NearbyDevices,
    /// Android READ_PHONE_STATE: the phone's state and its numbers.
    PhoneState,
}

impl OsPermission {
    // New permissions go at the end: `position` indexes the trackers by declaration order.
    pub const ALL: [OsPermission; 11] = [
        OsPermission::Contacts,
        OsPermission::Location,
        OsPermission::CallLog,
        OsPermission::Microphone,
        OsPermission::Tracking,
        OsPermission::Camera,
        OsPermission::Photos,
        OsPermission::Notifications,
        OsPermission::Calendar,
        OsPermission::NearbyDevices,
        OsPermission::PhoneState,
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
    /// iOS provisional notifications: delivered quietly until the user chooses; the app may
    /// still ask for full authorization.
    Provisional,
}

impl PermissionStatus {
    pub(crate) fn gives_access(self) -> bool {
        matches!(
            self,
            PermissionStatus::Granted | PermissionStatus::Limited | PermissionStatus::Provisional
        )
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
    Camera => "camera",
    Photos => "photos",
    Notifications => "notifications",
    Calendar => "calendar",
    NearbyDevices => "nearby_devices",
    PhoneState => "phone_state",
});

stored_as_text!(PermissionStatus {
    NotDetermined => "not_determined",
    Granted => "granted",
    Denied => "denied",
    Limited => "limited",
    Restricted => "restricted",
    Provisional => "provisional",
});

stored_as_text!(LocationAccuracy {
    Approximate => "approximate",
    Precise => "precise",
});
