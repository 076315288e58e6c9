package io.privacykit.sample

import io.privacykit.AgeGroup
import io.privacykit.Decision
import io.privacykit.DecisionReason
import io.privacykit.LegalBasis
import io.privacykit.LocationAccuracy
import io.privacykit.OsPermission
import io.privacykit.PermissionState
import io.privacykit.PermissionStatus

/** What the settings screen says for each of the guard's reasons. */
fun Decision.explanation(): String = reason.explanation()

fun DecisionReason.explanation(): String = when (this) {
    is DecisionReason.Permitted -> "On: ${basis.label()}."
    is DecisionReason.PermittedWithLimitedAccess -> "On (${basis.label()}), with the part of the data the system gives."
    DecisionReason.NotDeclaredInPolicy -> "Off: the privacy policy does not include this use."
    DecisionReason.PolicyNotAccepted -> "Off until you accept the privacy policy."
    DecisionReason.BelowMinimumAge -> "Off: below the minimum age only the service itself runs."
    DecisionReason.RestrictedByUser -> "Off: you restricted processing."
    DecisionReason.ObjectedByUser -> "Off: you objected to this use."
    DecisionReason.NotAllowedForMinors -> "Off: never for users under the age of digital consent."
    DecisionReason.NeedsGuardianConsent -> "Off until a parent or guardian allows it."
    DecisionReason.NeedsConsent -> "Off until you allow it."
    DecisionReason.ReconsentNeeded -> "Off: the terms changed; please choose again."
    DecisionReason.ConsentDenied -> "Off: you said no."
    DecisionReason.ConsentWithdrawn -> "Off: you withdrew your consent."
    is DecisionReason.OsPermissionNotRequested -> "Needs the ${permission.label()} permission."
    is DecisionReason.OsPermissionDenied -> "The ${permission.label()} permission was denied; you can allow it."
    is DecisionReason.BlockedInSettings -> "The ${permission.label()} permission is blocked: only the system Settings can allow it."
    is DecisionReason.OsPermissionRestricted -> "The ${permission.label()} permission is restricted on this device."
    DecisionReason.ApproximateLocationOnly -> "Needs your precise location; you allowed approximate location only."
    DecisionReason.AdvertisingIdUnavailable -> "This device gives no advertising ID."
    DecisionReason.LedgerUnverified -> "Off: your privacy choices could not be verified; please choose again."
    DecisionReason.Closed -> "Privacy settings are closed."
    DecisionReason.InternalError -> "Off: something went wrong, so nothing is used."
}

fun LegalBasis.label(): String = when (this) {
    LegalBasis.CONSENT -> "with your consent"
    LegalBasis.CONTRACT -> "needed for the service you use"
    LegalBasis.LEGAL_OBLIGATION -> "required by law"
    LegalBasis.LEGITIMATE_INTEREST -> "our legitimate interest, until you object"
    LegalBasis.VITAL_INTEREST -> "to protect someone's life"
    LegalBasis.PUBLIC_TASK -> "a task in the public interest"
}

fun OsPermission.label(): String = when (this) {
    OsPermission.CONTACTS -> "contacts"
    OsPermission.LOCATION -> "location"
    OsPermission.CALL_LOG -> "call log"
    OsPermission.MICROPHONE -> "microphone"
    OsPermission.TRACKING -> "ad tracking"
}

/** One line for a permission's state, as the settings screen shows it. */
fun PermissionState.describe(): String = when {
    status == PermissionStatus.GRANTED && accuracy == LocationAccuracy.APPROXIMATE -> "Allowed: approximate location only"
    status == PermissionStatus.GRANTED && permission == OsPermission.TRACKING -> "Allowed: ad tracking is not limited"
    status == PermissionStatus.GRANTED -> "Allowed"
    status == PermissionStatus.LIMITED -> "Allowed in part"
    status == PermissionStatus.RESTRICTED -> "Restricted on this device"
    permission == OsPermission.TRACKING && status == PermissionStatus.DENIED -> "Off: you limited ad tracking in the system settings"
    blockedInSettings -> "Blocked: only the system Settings can allow it"
    shouldShowRationale -> "Denied once: the app explains why before asking again"
    canRequest -> "Not allowed yet: the app asks when a feature needs it"
    else -> "Not allowed"
}

fun AgeGroup.label(): String = when (this) {
    AgeGroup.ADULT -> "adult"
    AgeGroup.MINOR -> "under the age of digital consent"
    AgeGroup.BELOW_MINIMUM_AGE -> "below the minimum age"
    AgeGroup.UNKNOWN -> "not declared"
}
