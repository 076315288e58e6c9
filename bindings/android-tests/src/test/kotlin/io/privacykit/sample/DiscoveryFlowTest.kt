package io.privacykit.sample

import android.Manifest
import android.app.AlertDialog
import android.content.Intent
import android.content.pm.PackageManager
import io.privacykit.PersonalData
import io.privacykit.testing.FakeContactsProvider
import io.privacykit.testing.FakeContactsProvider.Person
import io.privacykit.testing.PrivacyKitTestRunner
import io.privacykit.testing.ReferenceServer
import org.junit.After
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/**
 * "Which of my contacts use the app", from the tap to the answer: the contacts provider, the
 * permission prompt, PrivacyKit's private discovery over OkHttp, and the reference discovery
 * server (the real binary) on a loopback port.
 */
@RunWith(PrivacyKitTestRunner::class)
class DiscoveryFlowTest {
    private val driver = SampleDriver()

    @After
    fun close() = driver.close()

    @Test
    fun `finds the contacts who use CallsApp, and remembers the server and the answers`() {
        ReferenceServer().use { server ->
            server.admin("join tel:+12015550101\njoin mailto:bob@example.com\n")
            val provider = FakeContactsProvider.install(
                Person("lookup-alice", "Alice Example", listOf("+1 201-555-0101"), emptyList()),
                Person("lookup-bob", "Bob Example", listOf("+12015550102"), listOf("bob@example.com")),
                Person("lookup-carol", "Carol Example", listOf("+12015550103"), emptyList()),
            )
            val launch = Intent(driver.app, MainActivity::class.java)
                .putExtra(DiscoveryEndpoint.EXTRA_URL, server.baseUrl)
                .putExtra(DiscoveryEndpoint.EXTRA_KEY, server.publicKeyHex)
            val main = driver.launchMain(launch)
            driver.type(main, "sheet-age", "30")
            driver.tap(main, "reject-all")

            driver.tap(main, "find-contacts")
            driver.answerDialog(AlertDialog.BUTTON_POSITIVE)
            shadowOf(driver.app).grantPermissions(Manifest.permission.READ_CONTACTS)
            driver.answerPermissionPrompt(main, PackageManager.PERMISSION_GRANTED)

            assertEquals("2 of your 3 contacts use CallsApp: +1 201-555-0101, +12015550102.", driver.text(main, "contacts-result"))
            assertTrue(provider.projections.isNotEmpty())
            val summary = driver.kit.exportPersonalData()
            assertTrue(summary.contains("\"discovery\""))

            // A new day: the app starts without the launch extras; the server and the answers are kept.
            driver.killProcess()
            val again = driver.launchMain()
            driver.tap(again, "find-contacts")
            assertEquals("2 of your 3 contacts use CallsApp: +1 201-555-0101, +12015550102.", driver.text(again, "contacts-result"))

            // A new member; once the user clears discovery's cache, every number is asked again.
            server.admin("join tel:+12015550103\n")
            driver.kit.eraseData(PersonalData.DISCOVERY_CACHE)
            driver.tap(again, "find-contacts")
            assertEquals(
                "3 of your 3 contacts use CallsApp: +1 201-555-0101, +12015550102, +12015550103.",
                driver.text(again, "contacts-result"),
            )
        }
    }

    @Test
    fun `without a server the screen says how to set one`() {
        val main = driver.launchMain()
        driver.type(main, "sheet-age", "30")
        driver.tap(main, "accept-all")
        driver.tap(main, "find-contacts")
        assertTrue(driver.text(main, "contacts-result").startsWith("No discovery server is set"))
    }
}
