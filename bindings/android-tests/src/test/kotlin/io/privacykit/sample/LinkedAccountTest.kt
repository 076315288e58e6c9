package io.privacykit.sample

import io.privacykit.testing.PrivacyKitTestRunner
import org.junit.After
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/** A social account in the vault: tokens only while the user allows it, gone when they withdraw. */
@RunWith(PrivacyKitTestRunner::class)
class LinkedAccountTest {
    private val driver = SampleDriver()

    @After
    fun close() = driver.close()

    @Test
    fun `link while allowed, withdraw in settings, and the feature refuses with the reason`() {
        val main = driver.launchMain()
        driver.type(main, "sheet-age", "30")
        driver.tap(main, "reject-all")

        driver.tap(main, "link-account")
        assertEquals("Off: you said no.", driver.text(main, "account-message"))
        assertEquals("No account linked.", driver.text(main, "account-linked"))

        // The user allows it in Privacy settings and comes back.
        driver.tap(main, "open-settings")
        val settings = driver.launch(PrivacySettingsActivity::class.java, shadowOf(main).nextStartedActivity)
        driver.tap(settings, "consent:service/social_accounts")
        driver.resume(main)

        driver.tap(main, "link-account")
        assertEquals("Linked: VK", driver.text(main, "account-linked"))
        driver.tap(main, "use-account")
        assertEquals(
            "Signed in to VK: access token available (48 characters), scopes friends, email.",
            driver.text(main, "account-message"),
        )

        // Withdrawing consent deletes the tokens with it.
        driver.tap(settings, "consent:service/social_accounts")
        assertEquals("Off: you withdrew your consent.", driver.text(settings, "explain:service/social_accounts"))
        driver.resume(main)
        assertEquals("No account linked.", driver.text(main, "account-linked"))
        assertTrue(driver.app.privacy.vault().linkedAccounts().isEmpty())
        driver.tap(main, "link-account")
        assertEquals("Off: you withdrew your consent.", driver.text(main, "account-message"))
    }

    @Test
    fun `a linked account survives a relaunch and can be unlinked`() {
        val main = driver.launchMain()
        driver.type(main, "sheet-age", "30")
        driver.tap(main, "accept-all")
        driver.tap(main, "link-account")

        driver.killProcess()
        val again = driver.launchMain()
        assertEquals("Linked: VK", driver.text(again, "account-linked"))
        driver.tap(again, "use-account")
        assertTrue(driver.text(again, "account-message").startsWith("Signed in to VK"))
        driver.tap(again, "unlink-account")
        assertEquals("No account linked.", driver.text(again, "account-linked"))
    }
}
