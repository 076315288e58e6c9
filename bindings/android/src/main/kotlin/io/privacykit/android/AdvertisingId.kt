package io.privacykit.android

import io.privacykit.OsPermission
import io.privacykit.PermissionState
import io.privacykit.PermissionStatus
import io.privacykit.PrivacyKit

/**
 * What the OS says about the advertising identifier: the id (null when the OS gives none) and
 * whether the user limited ad tracking (on Android 12 and later the OS then gives an all-zero
 * id). [toString] never shows the id.
 */
class AdvertisingIdInfo(val id: String?, val limitAdTracking: Boolean) {
    override fun toString(): String =
        "AdvertisingIdInfo(id=${if (id == null) "none" else "present"}, limitAdTracking=$limitAdTracking)"

    override fun equals(other: Any?): Boolean =
        other is AdvertisingIdInfo && other.id == id && other.limitAdTracking == limitAdTracking

    override fun hashCode(): Int = 31 * (id?.hashCode() ?: 0) + limitAdTracking.hashCode()
}

/**
 * Where the advertising identifier comes from. The app implements it with Google Play
 * services' `AdvertisingIdClient` (artifact `com.google.android.gms:play-services-ads-identifier`
 * from Google's Maven repository; this library does not depend on it):
 *
 * ```kotlin
 * val source = AdvertisingIdSource {
 *     val info = AdvertisingIdClient.getAdvertisingIdInfo(context) // blocking: not on the main thread
 *     AdvertisingIdInfo(info.id, info.isLimitAdTrackingEnabled)
 * }
 * ```
 *
 * Return null when the device has no advertising identifier at all (no Play services).
 */
fun interface AdvertisingIdSource {
    fun read(): AdvertisingIdInfo?
}

/**
 * Hands the advertising identifier to PrivacyKit, never to the app: it reports the id with
 * `reportAdvertisingId` and the `Tracking` permission with `reportPermission` (`Denied` when the
 * user limited ad tracking, `Granted` otherwise). The app then gets the id only through
 * `kit.advertisingId()`, which gives it out only when the OS, the user's consent to
 * advertising, the age rules and any restriction of processing all allow it.
 *
 * Call [refresh] at launch and when the app returns to the foreground (the user may have reset
 * or limited the id in the system settings), off the main thread: Play services' call blocks.
 */
class AdvertisingIdReporter(
    private val kit: PrivacyKit,
    private val source: AdvertisingIdSource,
) {
    /**
     * Reads the source and reports what it says. Returns the `Tracking` permission's state, or
     * null when the device gives no advertising identifier (then only the absence of an id is
     * reported, and `kit.advertisingId()` answers without one).
     */
    fun refresh(): PermissionState? {
        val info = source.read()
        if (info == null) {
            kit.reportAdvertisingId(null)
            return null
        }
        // A limited id is not handed over at all: PrivacyKit would refuse it anyway.
        kit.reportAdvertisingId(if (info.limitAdTracking) null else info.id)
        return kit.reportPermission(
            OsPermission.TRACKING,
            if (info.limitAdTracking) PermissionStatus.DENIED else PermissionStatus.GRANTED,
        )
    }
}
