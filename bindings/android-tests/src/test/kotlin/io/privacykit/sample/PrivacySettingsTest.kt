package io.privacykit.sample

import android.content.Intent
import android.provider.Settings
import io.privacykit.ConsentAction
import io.privacykit.OsPermission
import io.privacykit.PermissionStatus
import io.privacykit.testing.PrivacyKitTestRunner
import org.json.JSONObject
import java.io.File
import org.junit.After
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf
import kotlin.concurrent.thread
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/** The privacy settings screen: a row per purpose or category, the guard's reasons, permissions, live updates. */
@RunWith(PrivacyKitTestRunner::class)
class PrivacySettingsTest {
    private val driver = SampleDriver()

    @After
    fun close() = driver.close()

    private fun openSettings(): PrivacySettingsActivity {
        val main = driver.launchMain()
        driver.type(main, "sheet-age", "30")
        driver.tap(main, "reject-all")
        driver.tap(main, "open-settings")
        val intent = shadowOf(main).nextStartedActivity
        assertEquals(PrivacySettingsActivity::class.java.name, intent.component!!.className)
        return driver.launch(PrivacySettingsActivity::class.java, intent)
    }

    @Test
    fun `choices whose seal key the keystore lost are set aside and asked for again`() {
        val settings = openSettings()
        driver.tap(settings, "consent:service/read_receipts")
        assertTrue(driver.kit.check("read_receipts", "service").allowed)
        driver.assertAbsent(settings, "choices-set-aside")
        driver.killProcess()
        // The keystore lost every key (as when the app's data is restored onto another phone):
        // the seal over the stored choices can no longer be checked.
        assertTrue(File(driver.app.noBackupFilesDir, "keystore.p12").delete())

        val reopened = openSettings()
        assertEquals(
            "Your earlier privacy choices could not be verified on this phone, so they are no longer used. Please choose again.",
            driver.text(reopened, "choices-set-aside"),
        )
        assertTrue(
            driver.kit.ledger(0uL, 100u).none { it.action == ConsentAction.GRANT && it.category == "read_receipts" },
            "the old grant is not applied",
        )
        assertFalse(driver.switchOn(reopened, "consent:service/read_receipts"))
        val history = JSONObject(driver.kit.exportPersonalData()).getJSONArray("unverified_consent_history")
        assertTrue(history.length() > 0, "the set-aside records stay in the user's export")
    }

    @Test
    fun `each row shows its switch and the guard's explanation`() {
        val settings = openSettings()

        assertFalse(driver.switchOn(settings, "consent:service/read_receipts"))
        assertEquals("Off: you said no.", driver.text(settings, "explain:service/read_receipts"))
        assertTrue(driver.switchOn(settings, "object:analytics/*"), "legitimate interest runs until the user objects")
        assertEquals(
            "call history: On: our legitimate interest, until you object.\ninteraction data: On: our legitimate interest, until you object.",
            driver.text(settings, "explain:analytics/*"),
        )
        assertEquals("contacts (needed for the service you use)", driver.text(settings, "fixed:service/contacts"))
        assertEquals("Needs the contacts permission.", driver.text(settings, "explain:service/contacts"))
        assertEquals("On: required by law.", driver.text(settings, "explain:legal_compliance/call_history"))
    }

    @Test
    fun `switching records the choice and the explanation follows`() {
        val settings = openSettings()

        driver.tap(settings, "consent:service/read_receipts")
        assertTrue(driver.switchOn(settings, "consent:service/read_receipts"))
        assertEquals("On: with your consent.", driver.text(settings, "explain:service/read_receipts"))

        driver.tap(settings, "consent:service/read_receipts")
        assertEquals("Off: you withdrew your consent.", driver.text(settings, "explain:service/read_receipts"))
        val last = driver.kit.ledger(0uL, 100u).last()
        assertEquals(ConsentAction.WITHDRAW, last.action)
        assertEquals("read_receipts", last.category)

        driver.tap(settings, "object:analytics/*")
        assertFalse(driver.switchOn(settings, "object:analytics/*"))
        assertTrue(driver.text(settings, "explain:analytics/*").contains("call history: Off: you objected to this use."))
        assertFalse(driver.kit.check("call_history", "analytics").allowed)

        driver.tap(settings, "object:analytics/*")
        assertTrue(driver.kit.check("call_history", "analytics").allowed, "the objection is withdrawn")
    }

    @Test
    fun `a change made elsewhere appears at once`() {
        val settings = openSettings()
        assertFalse(driver.switchOn(settings, "consent:marketing/location"))

        thread { driver.kit.grantConsent("marketing", "location") }.join()
        driver.idle()

        assertTrue(driver.switchOn(settings, "consent:marketing/location"))
        assertEquals("Needs the location permission.", driver.text(settings, "explain:marketing/location"))

        thread { driver.kit.recordPermissionRequest(OsPermission.LOCATION, PermissionStatus.GRANTED, io.privacykit.LocationAccuracy.APPROXIMATE) }.join()
        driver.idle()
        assertEquals("Location: Allowed: approximate location only", driver.text(settings, "permission:LOCATION"))
        assertEquals("On: with your consent.", driver.text(settings, "explain:marketing/location"))
    }

    @Test
    fun `a permission Android no longer asks for offers Settings`() {
        val settings = openSettings()
        driver.assertAbsent(settings, "permission-settings:CONTACTS")

        thread {
            repeat(2) { driver.kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.DENIED) }
        }.join()
        driver.idle()

        assertEquals("Contacts: Blocked: only the system Settings can allow it", driver.text(settings, "permission:CONTACTS"))
        driver.tap(settings, "permission-settings:CONTACTS")
        val opened = shadowOf(settings).nextStartedActivity
        assertEquals(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, opened.action)
        assertEquals("package:${settings.packageName}", opened.data.toString())
        assertTrue(opened.flags and Intent.FLAG_ACTIVITY_NEW_TASK != 0)
    }
}
