package io.privacykit.android

import android.Manifest
import android.app.Activity
import android.content.Intent
import android.content.pm.PackageManager
import android.provider.Settings
import io.privacykit.DecisionReason
import io.privacykit.LocationAccuracy
import io.privacykit.OsPermission
import io.privacykit.PermissionEventKind
import io.privacykit.PermissionStatus
import io.privacykit.PrivacyKit
import io.privacykit.testing.PrivacyKitTestRunner
import io.privacykit.testing.Policies
import org.junit.After
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.Shadows.shadowOf
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue

@RunWith(PrivacyKitTestRunner::class)
class PermissionReporterTest {
    private val kit: PrivacyKit = Policies.openTestPolicy().also { it.acceptPolicy() }
    private val reporter = PermissionReporter(kit)
    private val activity: Activity = Robolectric.buildActivity(Activity::class.java).setup().get()
    private val granted = PackageManager.PERMISSION_GRANTED
    private val denied = PackageManager.PERMISSION_DENIED

    @After
    fun close() = kit.close()

    private fun rationale(permission: String, show: Boolean) =
        shadowOf(activity.packageManager).setShouldShowRequestPermissionRationale(permission, show)

    @Test
    fun `at launch every runtime permission is reported as Android says it`() {
        shadowOf(activity.application).grantPermissions(Manifest.permission.READ_CONTACTS)
        rationale(Manifest.permission.RECORD_AUDIO, true)

        val states = reporter.reportAll(activity).associateBy { it.permission }

        assertEquals(PermissionReporter.RUNTIME.toSet(), states.keys)
        assertEquals(PermissionStatus.GRANTED, states.getValue(OsPermission.CONTACTS).status)
        // Never asked: Android says only "not granted"; a prompt will appear.
        assertEquals(PermissionStatus.NOT_DETERMINED, states.getValue(OsPermission.CALL_LOG).status)
        assertTrue(states.getValue(OsPermission.CALL_LOG).canRequest)
        assertEquals(DecisionReason.OsPermissionNotRequested(OsPermission.LOCATION), kit.explain("location", "service").reason)
        // The rationale flag reveals a denial from before PrivacyKit was there.
        assertEquals(1u, states.getValue(OsPermission.MICROPHONE).denials)
        assertTrue(states.getValue(OsPermission.MICROPHONE).shouldShowRationale)
        assertTrue(kit.permissionHistory(OsPermission.CONTACTS).all { it.kind == PermissionEventKind.OBSERVED })
    }

    @Test
    fun `the second denial is known as blocked in Settings, also at the next launch`() {
        val asked = arrayOf(Manifest.permission.READ_CONTACTS)
        rationale(Manifest.permission.READ_CONTACTS, true)
        val first = reporter.recordRequestResult(activity, OsPermission.CONTACTS, asked, intArrayOf(denied))
        assertTrue(first.shouldShowRationale && first.canRequest)

        rationale(Manifest.permission.READ_CONTACTS, false) // Android's "don't ask again"
        val second = reporter.recordRequestResult(activity, OsPermission.CONTACTS, asked, intArrayOf(denied))
        assertTrue(second.blockedInSettings)
        assertFalse(second.canRequest)

        val relaunch = reporter.report(activity, OsPermission.CONTACTS)
        assertTrue(relaunch.blockedInSettings, "known without asking again")
        assertEquals(PermissionStatus.DENIED, relaunch.status)
        assertEquals(
            DecisionReason.BlockedInSettings(OsPermission.CONTACTS),
            kit.explain("contacts", "service").reason,
        )
    }

    @Test
    fun `a dismissed prompt is not a denial`() {
        val state = reporter.recordRequestResult(activity, OsPermission.CONTACTS, emptyArray(), IntArray(0))
        assertEquals(0u, state.denials)
        assertTrue(state.canRequest)
        assertEquals(PermissionStatus.NOT_DETERMINED, kit.permissionHistory(OsPermission.CONTACTS).last().status)
    }

    @Test
    fun `coarse location alone is approximate, and a precise use is refused as such`() {
        val asked = PermissionReporter.permissionsFor(OsPermission.LOCATION)
        val approximate = reporter.recordRequestResult(activity, OsPermission.LOCATION, asked, intArrayOf(denied, granted))
        assertEquals(PermissionStatus.GRANTED, approximate.status)
        assertEquals(LocationAccuracy.APPROXIMATE, approximate.accuracy)
        assertEquals(DecisionReason.ApproximateLocationOnly, kit.explain("location", "service").reason)

        shadowOf(activity.application).grantPermissions(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION)
        val precise = reporter.report(activity, OsPermission.LOCATION)
        assertEquals(LocationAccuracy.PRECISE, precise.accuracy)
        assertTrue(kit.explain("location", "service").allowed)
    }

    @Test
    fun `a revocation in Settings is observed on resume`() {
        shadowOf(activity.application).grantPermissions(Manifest.permission.READ_CONTACTS)
        assertEquals(PermissionStatus.GRANTED, reporter.report(activity, OsPermission.CONTACTS).status)
        shadowOf(activity.application).denyPermissions(Manifest.permission.READ_CONTACTS)
        val revoked = reporter.report(activity, OsPermission.CONTACTS)
        assertEquals(PermissionStatus.DENIED, revoked.status)
        assertTrue(revoked.canRequest)
        assertEquals(DecisionReason.OsPermissionDenied(OsPermission.CONTACTS), kit.explain("contacts", "service").reason)
    }

    @Test
    fun `permissions to request, Settings, and what is not mapped`() {
        reporter.requestPermissions(activity, OsPermission.LOCATION, 7)
        val request = shadowOf(activity).lastRequestedPermission
        assertEquals(7, request.requestCode)
        assertEquals(listOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION), request.requestedPermissions.toList())

        val settings = PermissionReporter.settingsIntent(activity)
        assertEquals(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, settings.action)
        assertEquals("package:${activity.packageName}", settings.data.toString())
        assertTrue(settings.flags and Intent.FLAG_ACTIVITY_NEW_TASK != 0)

        assertFailsWith<IllegalArgumentException> { reporter.report(activity, OsPermission.TRACKING) }
        assertTrue(kit.permissionHistory(OsPermission.TRACKING).isEmpty())
    }

    @Test
    fun `Android 14 partial photo access is reported as limited`() {
        assertEquals(PermissionStatus.NOT_DETERMINED, reporter.report(activity, OsPermission.PHOTOS).status)
        shadowOf(activity.application).grantPermissions(Manifest.permission.READ_MEDIA_VISUAL_USER_SELECTED)
        assertEquals(PermissionStatus.LIMITED, reporter.report(activity, OsPermission.PHOTOS).status)
        shadowOf(activity.application).grantPermissions(Manifest.permission.READ_MEDIA_IMAGES)
        assertEquals(PermissionStatus.GRANTED, reporter.report(activity, OsPermission.PHOTOS).status)
    }

    @Test
    fun `a prompt answered with selected photos is recorded as limited`() {
        val asked = PermissionReporter.permissionsFor(OsPermission.PHOTOS)
        assertEquals(
            listOf(Manifest.permission.READ_MEDIA_IMAGES, Manifest.permission.READ_MEDIA_VIDEO, Manifest.permission.READ_MEDIA_VISUAL_USER_SELECTED),
            asked.toList(),
        )
        val state = reporter.recordRequestResult(activity, OsPermission.PHOTOS, asked, intArrayOf(denied, denied, granted))
        assertEquals(PermissionStatus.LIMITED, state.status)
        assertEquals(PermissionEventKind.REQUESTED, kit.permissionHistory(OsPermission.PHOTOS).single().kind)
    }

    @Test
    fun `camera, notifications, calendar, nearby devices and phone state map onto Android 15's permissions`() {
        assertEquals(listOf(Manifest.permission.CAMERA), PermissionReporter.permissionsFor(OsPermission.CAMERA).toList())
        assertEquals(listOf(Manifest.permission.POST_NOTIFICATIONS), PermissionReporter.permissionsFor(OsPermission.NOTIFICATIONS).toList())
        assertEquals(listOf(Manifest.permission.READ_CALENDAR), PermissionReporter.permissionsFor(OsPermission.CALENDAR).toList())
        assertEquals(
            listOf(Manifest.permission.BLUETOOTH_CONNECT, Manifest.permission.BLUETOOTH_SCAN, Manifest.permission.NEARBY_WIFI_DEVICES),
            PermissionReporter.permissionsFor(OsPermission.NEARBY_DEVICES).toList(),
        )
        assertEquals(listOf(Manifest.permission.READ_PHONE_STATE), PermissionReporter.permissionsFor(OsPermission.PHONE_STATE).toList())
        assertEquals(OsPermission.entries - OsPermission.TRACKING, PermissionReporter.RUNTIME)

        shadowOf(activity.application).grantPermissions(Manifest.permission.CAMERA)
        rationale(Manifest.permission.READ_PHONE_STATE, true)
        val states = reporter.reportAll(activity).associateBy { it.permission }
        assertEquals(PermissionStatus.GRANTED, states.getValue(OsPermission.CAMERA).status)
        assertTrue(states.getValue(OsPermission.PHONE_STATE).shouldShowRationale)
        assertEquals(PermissionStatus.NOT_DETERMINED, states.getValue(OsPermission.NOTIFICATIONS).status)
    }
}
