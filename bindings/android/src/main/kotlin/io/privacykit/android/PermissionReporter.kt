package io.privacykit.android

import android.Manifest
import android.app.Activity
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.net.Uri
import android.os.Build
import android.provider.Settings
import io.privacykit.LocationAccuracy
import io.privacykit.OsPermission
import io.privacykit.PermissionState
import io.privacykit.PermissionStatus
import io.privacykit.PrivacyKit

/**
 * Tells PrivacyKit what Android says about the runtime permissions, so it knows before a
 * request whether the system prompt will still appear (Android stops showing it after the
 * second denial, and says so to nobody).
 *
 * - [reportAll] at launch and in every `onResume` (the user may have changed a permission in
 *   the system Settings meanwhile): `checkSelfPermission` and
 *   `shouldShowRequestPermissionRationale` for each permission, reported with `reportPermission`.
 * - [recordRequestResult] from `onRequestPermissionsResult`: the answer to the prompt the app
 *   showed, recorded with `recordPermissionRequest`.
 * - [requestPermissions] / [permissionsFor]: the Android permissions to request for an
 *   [OsPermission]; [settingsIntent] opens the app's page in Settings once the state is
 *   `blockedInSettings`.
 *
 * Mapped onto the permissions PrivacyKit's core knows today:
 *
 * | [OsPermission] | Android permissions |
 * | --- | --- |
 * | `CONTACTS` | `READ_CONTACTS` |
 * | `LOCATION` | `ACCESS_FINE_LOCATION` and `ACCESS_COARSE_LOCATION`: fine is reported as precise, coarse alone as approximate |
 * | `CALL_LOG` | `READ_CALL_LOG` |
 * | `MICROPHONE` | `RECORD_AUDIO` |
 * | `TRACKING` | no runtime permission: reported by [AdvertisingIdReporter] from "limit ad tracking" |
 *
 * Not mapped yet, because the core has no [OsPermission] for them: photos and videos
 * (`READ_MEDIA_IMAGES`, `READ_MEDIA_VIDEO`, and Android 14's partial access
 * `READ_MEDIA_VISUAL_USER_SELECTED`, which [visualMediaAccess] reads for the app but does not
 * report), camera, calendar, SMS, phone state, nearby devices, body sensors, notifications,
 * background location (`ACCESS_BACKGROUND_LOCATION`) and write access (`WRITE_CONTACTS`,
 * `WRITE_CALL_LOG`). `RESTRICTED` is never reported: Android tells an app only whether it holds
 * a permission, not that device management forbids it.
 *
 * Every report is a write: call these off the main thread where the app can.
 */
class PermissionReporter(private val kit: PrivacyKit) {
    /** Reports every mapped permission (not `TRACKING`); returns the states PrivacyKit derived. */
    fun reportAll(activity: Activity): List<PermissionState> = RUNTIME.map { report(activity, it) }

    /**
     * Reports what Android says now about [permission]. Android answers "not granted" both
     * before the first prompt and after "don't ask again"; PrivacyKit's own record of the
     * requests tells them apart, so this reports:
     * - `GRANTED` (with the location accuracy) when granted;
     * - `DENIED` when Android would show a rationale (the user declined before), or when
     *   PrivacyKit last knew it granted (the user revoked it in Settings);
     * - `NOT_DETERMINED` otherwise: not known to Android to have been asked.
     */
    fun report(activity: Activity, permission: OsPermission): PermissionState {
        val android = runtimePermissionsFor(permission)
        val granted = android.filter { activity.checkSelfPermission(it) == PackageManager.PERMISSION_GRANTED }
        val rationale = android.any { activity.shouldShowRequestPermissionRationale(it) }
        val status = when {
            granted.isNotEmpty() -> PermissionStatus.GRANTED
            rationale -> PermissionStatus.DENIED
            kit.permissionState(permission).status == PermissionStatus.GRANTED -> PermissionStatus.DENIED
            else -> PermissionStatus.NOT_DETERMINED
        }
        val accuracy = if (status == PermissionStatus.GRANTED) accuracy(permission, granted) else null
        return kit.reportPermission(permission, status, accuracy, rationale)
    }

    /** Shows the system prompt for [permission]; its answer arrives in `onRequestPermissionsResult`. */
    fun requestPermissions(activity: Activity, permission: OsPermission, requestCode: Int) {
        activity.requestPermissions(runtimePermissionsFor(permission), requestCode)
    }

    /**
     * Records the answer to the prompt for [permission], with the arrays Android passed to
     * `onRequestPermissionsResult`. Empty results (the prompt was dismissed or interrupted)
     * are `NOT_DETERMINED`, which PrivacyKit does not count as a denial.
     */
    fun recordRequestResult(
        activity: Activity,
        permission: OsPermission,
        permissions: Array<out String>,
        grantResults: IntArray,
    ): PermissionState {
        val asked = runtimePermissionsFor(permission).toSet()
        val answers = permissions.indices
            .filter { it < grantResults.size && permissions[it] in asked }
            .associate { permissions[it] to (grantResults[it] == PackageManager.PERMISSION_GRANTED) }
        val rationale = asked.any { activity.shouldShowRequestPermissionRationale(it) }
        val granted = answers.filterValues { it }.keys.toList()
        return when {
            answers.isEmpty() -> kit.recordPermissionRequest(permission, PermissionStatus.NOT_DETERMINED, null, rationale)
            granted.isEmpty() -> kit.recordPermissionRequest(permission, PermissionStatus.DENIED, null, rationale)
            else -> kit.recordPermissionRequest(permission, PermissionStatus.GRANTED, accuracy(permission, granted), rationale)
        }
    }

    /** What the user allowed of the photos and videos: read for the app, not reported (see the class). */
    fun visualMediaAccess(context: Context): VisualMediaAccess {
        fun granted(name: String) = context.checkSelfPermission(name) == PackageManager.PERMISSION_GRANTED
        return when {
            Build.VERSION.SDK_INT >= 33 ->
                when {
                    granted(Manifest.permission.READ_MEDIA_IMAGES) || granted(Manifest.permission.READ_MEDIA_VIDEO) ->
                        VisualMediaAccess.FULL
                    Build.VERSION.SDK_INT >= 34 && granted(Manifest.permission.READ_MEDIA_VISUAL_USER_SELECTED) ->
                        VisualMediaAccess.USER_SELECTED
                    else -> VisualMediaAccess.NONE
                }
            granted(Manifest.permission.READ_EXTERNAL_STORAGE) -> VisualMediaAccess.FULL
            else -> VisualMediaAccess.NONE
        }
    }

    private fun runtimePermissionsFor(permission: OsPermission): Array<String> =
        permissionsFor(permission).also {
            require(it.isNotEmpty()) { "$permission has no Android runtime permission; see AdvertisingIdReporter" }
        }

    private fun accuracy(permission: OsPermission, granted: List<String>): LocationAccuracy? = when {
        permission != OsPermission.LOCATION -> null
        Manifest.permission.ACCESS_FINE_LOCATION in granted -> LocationAccuracy.PRECISE
        else -> LocationAccuracy.APPROXIMATE
    }

    companion object {
        /** The permissions [reportAll] reports: those with an Android runtime permission. */
        val RUNTIME: List<OsPermission> =
            listOf(OsPermission.CONTACTS, OsPermission.LOCATION, OsPermission.CALL_LOG, OsPermission.MICROPHONE)

        /** The Android permissions behind [permission]; empty for `TRACKING`. */
        fun permissionsFor(permission: OsPermission): Array<String> = when (permission) {
            OsPermission.CONTACTS -> arrayOf(Manifest.permission.READ_CONTACTS)
            OsPermission.LOCATION ->
                arrayOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION)
            OsPermission.CALL_LOG -> arrayOf(Manifest.permission.READ_CALL_LOG)
            OsPermission.MICROPHONE -> arrayOf(Manifest.permission.RECORD_AUDIO)
            OsPermission.TRACKING -> emptyArray()
        }

        /** Opens this app's page in the system Settings, where a blocked permission can be given. */
        fun settingsIntent(context: Context): Intent =
            Intent(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, Uri.fromParts("package", context.packageName, null))
                .addFlags(Intent.FLAG_ACTIVITY_NEW_TASK)
    }
}

/** Photo and video access as Android 14 and later grant it. */
enum class VisualMediaAccess {
    /** Every photo and video (`READ_MEDIA_IMAGES`/`READ_MEDIA_VIDEO`, or storage before Android 13). */
    FULL,

    /** Only the items the user picked (`READ_MEDIA_VISUAL_USER_SELECTED`, Android 14 and later). */
    USER_SELECTED,

    /** None. */
    NONE,
}
