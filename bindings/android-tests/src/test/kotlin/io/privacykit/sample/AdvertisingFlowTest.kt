package io.privacykit.sample

import io.privacykit.android.AdvertisingIdInfo
import io.privacykit.testing.PrivacyKitTestRunner
import org.junit.After
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf
import kotlin.test.assertEquals
import kotlin.test.assertFalse

/** The advertising identifier: shown only while the OS, the user's consent and the age rules allow it. */
@RunWith(PrivacyKitTestRunner::class)
class AdvertisingFlowTest {
    private val driver = SampleDriver()

    @After
    fun close() = driver.close()

    private fun onboarded(age: String): MainActivity {
        val main = driver.launchMain()
        driver.type(main, "sheet-age", age)
        driver.tap(main, "accept-all")
        return main
    }

    @Test
    fun `given while allowed, refused with the reason after a withdrawal`() {
        val main = onboarded("30")
        driver.tap(main, "ad-refresh")
        assertEquals("Advertising ID given to ad partners: ${TestSampleApplication.AD_ID}", driver.text(main, "ad-state"))

        driver.tap(main, "open-settings")
        val settings = driver.launch(PrivacySettingsActivity::class.java, shadowOf(main).nextStartedActivity)
        driver.tap(settings, "consent:advertising/advertising_id")
        driver.resume(main)

        driver.tap(main, "ad-refresh")
        assertEquals("No advertising ID: Off: you withdrew your consent.", driver.text(main, "ad-state"))
    }

    @Test
    fun `limited ad tracking hides the id`() {
        val main = onboarded("30")
        driver.app.device = AdvertisingIdInfo("00000000-0000-0000-0000-000000000000", limitAdTracking = true)
        driver.tap(main, "ad-refresh")
        assertEquals("No advertising ID: The ad tracking permission was denied; you can allow it.", driver.text(main, "ad-state"))

        driver.app.device = AdvertisingIdInfo(TestSampleApplication.AD_ID, limitAdTracking = false)
        driver.tap(main, "ad-refresh")
        assertEquals("Advertising ID given to ad partners: ${TestSampleApplication.AD_ID}", driver.text(main, "ad-state"))
    }

    @Test
    fun `without Play services there is no id`() {
        val main = onboarded("30")
        driver.app.device = null
        driver.tap(main, "ad-refresh")
        assertEquals("No advertising ID on this device. This device gives no advertising ID.", driver.text(main, "ad-state"))
    }

    @Test
    fun `never for a minor, whatever the consent`() {
        val main = onboarded("12")
        driver.tap(main, "ad-refresh")
        assertEquals("No advertising ID: Off: never for users under the age of digital consent.", driver.text(main, "ad-state"))
        assertFalse(driver.text(main, "ad-state").contains(TestSampleApplication.AD_ID))
    }
}
