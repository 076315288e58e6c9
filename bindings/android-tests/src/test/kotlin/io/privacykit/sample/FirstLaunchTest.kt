package io.privacykit.sample

import android.widget.Button
import android.widget.LinearLayout
import io.privacykit.ConsentChoice
import io.privacykit.DecisionReason
import io.privacykit.LegalBasis
import io.privacykit.testing.PrivacyKitTestRunner
import org.junit.After
import org.junit.Test
import org.junit.runner.RunWith
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** First launch: the policy summary and the consent sheet, then each of its three answers. */
@RunWith(PrivacyKitTestRunner::class)
class FirstLaunchTest {
    private val driver = SampleDriver()

    @After
    fun close() = driver.close()

    @Test
    fun `the sheet shows the policy and its purposes with their legal bases, every consent off`() {
        val main = driver.launchMain()

        val summary = driver.text(main, "policy-summary")
        assertTrue(summary.contains("CallsApp Media Sarl's privacy policy, version 1"), summary)
        assertTrue(summary.contains("at least 10"), summary)
        CONSENTS.forEach { assertFalse(driver.switchOn(main, "sheet:$it"), "$it starts off") }
        assertTrue(driver.text(main, "sheet-basis:service/contacts").endsWith("needed for the service you use"))
        assertTrue(driver.text(main, "sheet-basis:analytics/*").startsWith("call history, interaction data: our legitimate interest"))
        assertTrue(driver.text(main, "sheet-basis:legal_compliance/call_history").endsWith("required by law"))

        // Reject, choose and accept: side by side, the same size.
        val buttons = listOf("reject-all", "save-choices", "accept-all").map { driver.view<Button>(main, it) }
        assertEquals(1, buttons.map { it.parent }.toSet().size)
        assertEquals(setOf(1f), buttons.map { (it.layoutParams as LinearLayout.LayoutParams).weight }.toSet())
        assertEquals(setOf(0), buttons.map { it.layoutParams.width }.toSet())

        assertNull(driver.kit.consentState().acceptedPolicyVersion, "nothing is recorded before the user answers")
        driver.assertAbsent(main, "home")
    }

    @Test
    fun `reject all accepts the policy, declines every consent, and survives a relaunch`() {
        val main = driver.launchMain()
        driver.type(main, "sheet-age", "30")
        driver.tap(main, "reject-all")

        assertNotNull(driver.find(main, "home"))
        val state = driver.kit.consentState()
        assertEquals(1u, state.acceptedPolicyVersion)
        assertEquals(CONSENTS.toSet(), state.choices.map { UseScope(it.purpose, it.category).key }.toSet())
        assertTrue(state.choices.all { it.choice == ConsentChoice.DENIED })

        driver.killProcess()
        val again = driver.launchMain()
        assertNotNull(driver.find(again, "home"), "the sheet is not shown again")
        assertTrue(driver.text(again, "home-status").contains("Age: adult"))
        assertEquals(DecisionReason.ConsentDenied, driver.kit.explain("read_receipts", "service").reason)
    }

    @Test
    fun `accept all gives every consent`() {
        val main = driver.launchMain()
        driver.type(main, "sheet-age", "30")
        driver.tap(main, "accept-all")

        assertTrue(driver.kit.consentState().choices.all { it.choice == ConsentChoice.GRANTED })
        assertEquals(DecisionReason.Permitted(LegalBasis.CONSENT), driver.kit.explain("read_receipts", "service").reason)
        assertEquals(DecisionReason.Permitted(LegalBasis.CONSENT), driver.kit.explain("advertising_id", "advertising").reason)
    }

    @Test
    fun `choosing gives only what was switched on`() {
        val main = driver.launchMain()
        driver.type(main, "sheet-age", "30")
        driver.tap(main, "sheet:service/read_receipts")
        driver.tap(main, "save-choices")

        val choices = driver.kit.consentState().choices.associate { UseScope(it.purpose, it.category).key to it.choice }
        assertEquals(ConsentChoice.GRANTED, choices["service/read_receipts"])
        assertEquals(CONSENTS.size - 1, choices.values.count { it == ConsentChoice.DENIED })
        assertTrue(driver.kit.explain("read_receipts", "service").allowed)
        assertFalse(driver.kit.explain("online_status_visibility", "service").allowed)
    }

    @Test
    fun `the sample ships CallsApp's example policy unchanged`() {
        assertEquals(io.privacykit.testing.Policies.callsApp, io.privacykit.testing.Policies.sample)
    }

    companion object {
        /** Every use CallsApp's policy bases on consent, as the screens tag them. */
        val CONSENTS = listOf(
            "service/social_accounts",
            "service/online_status_visibility",
            "service/read_receipts",
            "service/linked_email_account",
            "marketing/location",
            "advertising/advertising_id",
        )
    }
}
