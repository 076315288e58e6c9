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
 * The Android permissions behind each [OsPermission], on the device's Android version:
 *
 * | [OsPermission] | Android permissions |
 * | --- | --- |
 * | `CONTACTS` | `READ_CONTACTS` |
 * | `LOCATION` | `ACCESS_FINE_LOCATION` and `ACCESS_COARSE_LOCATION`: fine is reported as precise, coarse alone as approximate |
 * | `CALL_LOG` | `READ_CALL_LOG` |
 * | `MICROPHONE` | `RECORD_AUDIO` |
 * | `CAMERA` | `CAMERA` |
 * | `PHOTOS` | `READ_MEDIA_IMAGES` and `READ_MEDIA_VIDEO` (Android 13+), with `READ_MEDIA_VISUAL_USER_SELECTED` (Android 14+): the photos the user picked, reported as `LIMITED`; `READ_EXTERNAL_STORAGE` before Android 13 |
 * | `NOTIFICATIONS` | `POST_NOTIFICATIONS` (Android 13+); none before, where it is not reported |
 * | `CALENDAR` | `READ_CALENDAR` |
 * | `NEARBY_DEVICES` | `BLUETOOTH_CONNECT` and `BLUETOOTH_SCAN` (Android 12+), with `NEARBY_WIFI_DEVICES` (Android 13+); none before, where it is not reported |
 * | `PHONE_STATE` | `READ_PHONE_STATE` |
 * | `TRACKING` | no runtime permission: reported by [AdvertisingIdReporter] from "limit ad tracking" |
 *
 * Not mapped: SMS, body sensors, background location (`ACCESS_BACKGROUND_LOCATION`) and write
 * access (`WRITE_CONTACTS`, `WRITE_CALL_LOG`, `WRITE_CALENDAR`). `RESTRICTED` is never
 * reported: Android tells an app only whether it holds a permission, not that device
 * management forbids it. `PROVISIONAL` is iOS only.
 *
 * Every report is a write: call these off the main thread where the app can.
 */
class PermissionReporter(private val kit: PrivacyKit) {
    /** Reports every permission with a runtime permission on this device (not `TRACKING`); returns the states PrivacyKit derived. */
    fun reportAll(activity: Activity): List<PermissionState> = RUNTIME.map { report(activity, it) }

    /**
     * Reports what Android says now about [permission]. Android answers "not granted" both
     * before the first prompt and after "don't ask again"; PrivacyKit's own record of the
     * requests tells them apart, so this reports:
     * - `GRANTED` (with the location accuracy) when granted, `LIMITED` when only partial
     *   access is (the photos the user picked);
     * - `DENIED` when Android would show a rationale (the user declined before), or when
     *   PrivacyKit last knew it granted (the user revoked it in Settings);
     * - `NOT_DETERMINED` otherwise: not known to Android to have been asked.
     */
    fun report(activity: Activity, permission: OsPermission): PermissionState {
        val android = runtimePermissionsFor(permission)
        val granted = android.filter { activity.checkSelfPermission(it) == PackageManager.PERMISSION_GRANTED }
        val rationale = android.any { activity.shouldShowRequestPermissionRationale(it) }
        val status = when {
            granted.isNotEmpty() -> grantedStatus(granted)
            rationale -> PermissionStatus.DENIED
            kit.permissionState(permission).status == PermissionStatus.GRANTED -> PermissionStatus.DENIED
            else -> PermissionStatus.NOT_DETERMINED
        }
        val accuracy = if (granted.isNotEmpty()) accuracy(permission, granted) else null
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
            else -> kit.recordPermissionRequest(permission, grantedStatus(granted), accuracy(permission, granted), rationale)
        }
    }

    private fun runtimePermissionsFor(permission: OsPermission): Array<String> =
        permissionsFor(permission).also {
            require(it.isNotEmpty()) { "$permission has no Android runtime permission on this device" }
        }

    /** Only partial access granted (Android 14's selected photos) is `LIMITED`. */
    private fun grantedStatus(granted: List<String>): PermissionStatus =
        if (granted.all { it in PARTIAL }) PermissionStatus.LIMITED else PermissionStatus.GRANTED

    private fun accuracy(permission: OsPermission, granted: List<String>): LocationAccuracy? = when {
        permission != OsPermission.LOCATION -> null
        Manifest.permission.ACCESS_FINE_LOCATION in granted -> LocationAccuracy.PRECISE
        else -> LocationAccuracy.APPROXIMATE
    }

    companion object {
        /** Android permissions that give part of the data only. */
        private val PARTIAL = setOf(Manifest.permission.READ_MEDIA_VISUAL_USER_SELECTED)

        /** The permissions [reportAll] reports: those with an Android runtime permission on this device. */
        val RUNTIME: List<OsPermission>
            get() = OsPermission.entries.filter { permissionsFor(it).isNotEmpty() }

        /**
         * The Android permissions behind [permission] on this device's Android version; empty
         * for `TRACKING`, and where Android has no runtime permission for it (notifications
         * before 13, nearby devices before 12).
         */
        fun permissionsFor(permission: OsPermission): Array<String> = when (permission) {
            OsPermission.CONTACTS -> arrayOf(Manifest.permission.READ_CONTACTS)
            OsPermission.LOCATION ->
                arrayOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION)
            OsPermission.CALL_LOG -> arrayOf(Manifest.permission.READ_CALL_LOG)
            OsPermission.MICROPHONE -> arrayOf(Manifest.permission.RECORD_AUDIO)
            OsPermission.TRACKING -> emptyArray()
            OsPermission.CAMERA -> arrayOf(Manifest.permission.CAMERA)
            OsPermission.PHOTOS -> when {
                Build.VERSION.SDK_INT >= 34 -> arrayOf(
                    Manifest.permission.READ_MEDIA_IMAGES,
                    Manifest.permission.READ_MEDIA_VIDEO,
                    Manifest.permission.READ_MEDIA_VISUAL_USER_SELECTED,
                )
                Build.VERSION.SDK_INT >= 33 ->
                    arrayOf(Manifest.permission.READ_MEDIA_IMAGES, Manifest.permission.READ_MEDIA_VIDEO)
                else -> arrayOf(Manifest.permission.READ_EXTERNAL_STORAGE)
            }
            OsPermission.NOTIFICATIONS ->
                if (Build.VERSION.SDK_INT >= 33) arrayOf(Manifest.permission.POST_NOTIFICATIONS) else emptyArray()
            OsPermission.CALENDAR -> arrayOf(Manifest.permission.READ_CALENDAR)
            OsPermission.NEARBY_DEVICES -> when {
                Build.VERSION.SDK_INT >= 33 -> arrayOf(
                    Manifest.permission.BLUETOOTH_CONNECT,
                    Manifest.permission.BLUETOOTH_SCAN,
                    Manifest.permission.NEARBY_WIFI_DEVICES,
                )
                Build.VERSION.SDK_INT >= 31 ->
                    arrayOf(Manifest.permission.BLUETOOTH_CONNECT, Manifest.permission.BLUETOOTH_SCAN)
                else -> emptyArray()
            }
            OsPermission.PHONE_STATE -> arrayOf(Manifest.permission.READ_PHONE_STATE)
        }

        /** Opens this app's page in the system Settings, where a blocked permission can be given. */
        fun settingsIntent(context: Context): Intent =
            Intent(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, Uri.fromParts("package", context.packageName, null))
                .addFlags(Intent.FLAG_ACTIVITY_NEW_TASK)
    }
}
