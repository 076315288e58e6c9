package io.privacykit.sample

import io.privacykit.AgeGroup
import io.privacykit.ConsentSource
import io.privacykit.DecisionReason
import io.privacykit.testing.PrivacyKitTestRunner
import org.junit.After
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf
import kotlin.test.assertEquals
import kotlin.test.assertNotEquals
import kotlin.test.assertTrue

/** The age declaration and the guardian path. */
@RunWith(PrivacyKitTestRunner::class)
class AgeTest {
    private val driver = SampleDriver()

    @After
    fun close() = driver.close()

    @Test
    fun `a minor's consent needs a parent or guardian, who can give it in settings`() {
        val main = driver.launchMain()
        driver.type(main, "sheet-age", "12")
        driver.tap(main, "accept-all")
        assertTrue(driver.text(main, "age-state").startsWith("Declared: under the age of digital consent (by you)"))

        driver.tap(main, "open-settings")
        val settings = driver.launch(PrivacySettingsActivity::class.java, shadowOf(main).nextStartedActivity)
        assertEquals("Off until a parent or guardian allows it.", driver.text(settings, "explain:marketing/location"))
        driver.tap(settings, "guardian:marketing/location")

        assertNotEquals(DecisionReason.NeedsGuardianConsent, driver.kit.explain("location", "marketing").reason)
        assertEquals("Needs the location permission.", driver.text(settings, "explain:marketing/location"))
        driver.assertAbsent(settings, "guardian:marketing/location")
        assertEquals(ConsentSource.GUARDIAN, driver.kit.ledger(0uL, 100u).last().source)
    }

    @Test
    fun `an age a guardian declared is changed only by a guardian`() {
        val main = driver.launchMain()
        driver.tap(main, "reject-all")
        assertTrue(driver.text(main, "age-state").startsWith("Declared: not declared"))

        driver.type(main, "age-field", "12")
        driver.tap(main, "guardian-declare-age")
        assertTrue(driver.text(main, "age-state").startsWith("Declared: under the age of digital consent (by a parent or guardian)"))

        driver.type(main, "age-field", "30")
        driver.tap(main, "declare-age")
        assertEquals("Off until a parent or guardian allows it.", driver.text(main, "age-message"))
        assertEquals(AgeGroup.MINOR, driver.kit.ageStatus().group)

        driver.type(main, "age-field", "9")
        driver.tap(main, "guardian-declare-age")
        assertEquals(AgeGroup.BELOW_MINIMUM_AGE, driver.kit.ageStatus().group)
        assertEquals(DecisionReason.BelowMinimumAge, driver.kit.explain("call_history", "analytics").reason)
    }
}
