package io.privacykit.sample

import android.Manifest
import android.app.AlertDialog
import android.content.Intent
import android.content.pm.PackageManager
import android.provider.Settings
import io.privacykit.LocationAccuracy
import io.privacykit.OsPermission
import io.privacykit.PermissionEventKind
import io.privacykit.testing.PrivacyKitTestRunner
import org.junit.After
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf
import org.robolectric.shadows.ShadowAlertDialog
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** Rationale before the prompt, the second denial, Settings, and approximate location. */
@RunWith(PrivacyKitTestRunner::class)
class PermissionFlowTest {
    private val driver = SampleDriver()

    @After
    fun close() = driver.close()

    private fun onboarded(intent: Intent? = null): MainActivity {
        val main = if (intent == null) driver.launchMain() else driver.launchMain(intent)
        driver.type(main, "sheet-age", "30")
        driver.tap(main, "reject-all")
        return main
    }

    /** A discovery server address the denials below never reach. */
    private fun withEndpoint() = Intent(driver.app, MainActivity::class.java)
        .putExtra(DiscoveryEndpoint.EXTRA_URL, "http://127.0.0.1:9/")
        .putExtra(DiscoveryEndpoint.EXTRA_KEY, "00".repeat(32))

    @Test
    fun `the second denial leads to Settings, and stays there after a relaunch`() {
        val main = onboarded(withEndpoint())
        val packages = shadowOf(driver.app.packageManager)

        driver.tap(main, "find-contacts")
        assertTrue(driver.dialogMessage().startsWith("CallsApp shows which of your contacts"))
        assertFalse(driver.dialogMessage().contains("will not ask again"), "the first rationale")
        assertNull(shadowOf(main).lastRequestedPermission, "no system prompt before the rationale")
        driver.answerDialog(AlertDialog.BUTTON_POSITIVE)
        assertEquals(listOf(Manifest.permission.READ_CONTACTS), shadowOf(main).lastRequestedPermission.requestedPermissions.toList())

        packages.setShouldShowRequestPermissionRationale(Manifest.permission.READ_CONTACTS, true)
        driver.answerPermissionPrompt(main, PackageManager.PERMISSION_DENIED)
        assertEquals("Contacts: Denied once: the app explains why before asking again.", driver.text(main, "contacts-result"))

        driver.tap(main, "find-contacts")
        assertTrue(driver.dialogMessage().contains("If you say no again, Android will not ask again"))
        driver.answerDialog(AlertDialog.BUTTON_POSITIVE)
        packages.setShouldShowRequestPermissionRationale(Manifest.permission.READ_CONTACTS, false)
        driver.answerPermissionPrompt(main, PackageManager.PERMISSION_DENIED)

        assertEquals("The contacts permission is blocked in Settings: Android will not ask again.", driver.text(main, "contacts-result"))
        driver.tap(main, "open-system-settings")
        val opened = shadowOf(main).nextStartedActivity
        assertEquals(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, opened.action)

        driver.killProcess()
        val again = driver.launchMain()
        ShadowAlertDialog.reset()
        driver.tap(again, "find-contacts")
        assertNull(ShadowAlertDialog.getLatestAlertDialog(), "no rationale for a prompt that would not show")
        assertNull(shadowOf(again).lastRequestedPermission, "no request either")
        assertEquals("The contacts permission is blocked in Settings: Android will not ask again.", driver.text(again, "contacts-result"))
        assertEquals(2, driver.kit.permissionHistory(OsPermission.CONTACTS).count { it.kind == PermissionEventKind.REQUESTED })
    }

    @Test
    fun `not now asks nothing and records nothing`() {
        val main = onboarded(withEndpoint())
        driver.tap(main, "find-contacts")
        driver.answerDialog(AlertDialog.BUTTON_NEGATIVE)
        assertNull(shadowOf(main).lastRequestedPermission)
        assertTrue(driver.kit.permissionHistory(OsPermission.CONTACTS).none { it.kind == PermissionEventKind.REQUESTED })
    }

    @Test
    fun `approximate location is shown as such`() {
        val main = onboarded()
        assertEquals("Not allowed yet: the app asks when a feature needs it", driver.text(main, "location-state"))

        driver.tap(main, "allow-location")
        assertTrue(driver.dialogMessage().contains("approximate location"))
        driver.answerDialog(AlertDialog.BUTTON_POSITIVE)
        assertEquals(
            listOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION),
            shadowOf(main).lastRequestedPermission.requestedPermissions.toList(),
        )
        // The user picks "Approximate" in Android's dialog.
        shadowOf(driver.app).grantPermissions(Manifest.permission.ACCESS_COARSE_LOCATION)
        driver.answerPermissionPrompt(main, PackageManager.PERMISSION_DENIED, PackageManager.PERMISSION_GRANTED)

        assertEquals("Allowed: approximate location only", driver.text(main, "location-state"))
        assertEquals(LocationAccuracy.APPROXIMATE, driver.kit.permissionState(OsPermission.LOCATION).accuracy)
        assertTrue(driver.kit.explain("location", "service").allowed, "CallsApp's service needs approximate location only")

        driver.resume(main) // back from the background: still approximate, nothing new recorded
        assertEquals("Allowed: approximate location only", driver.text(main, "location-state"))
        assertEquals(1, driver.kit.permissionHistory(OsPermission.LOCATION).size)
    }
}
