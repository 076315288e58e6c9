package io.privacykit.android

import io.privacykit.DecisionReason
import io.privacykit.OsPermission
import io.privacykit.PermissionStatus
import io.privacykit.PrivacyKit
import io.privacykit.testing.Policies
import io.privacykit.testing.PrivacyKitTestRunner
import org.junit.After
import org.junit.Test
import org.junit.runner.RunWith
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

@RunWith(PrivacyKitTestRunner::class)
class AdvertisingIdReporterTest {
    private val kit: PrivacyKit = Policies.openTestPolicy().also { it.acceptPolicy() }
    private var device: AdvertisingIdInfo? = AdvertisingIdInfo(AD_ID, limitAdTracking = false)
    private val reporter = AdvertisingIdReporter(kit) { device }

    @After
    fun close() = kit.close()

    @Test
    fun `the id reaches the app only through the guard`() {
        assertEquals(PermissionStatus.GRANTED, reporter.refresh()!!.status)
        val beforeConsent = kit.advertisingId()
        assertNull(beforeConsent.advertisingId)
        assertEquals(DecisionReason.NeedsConsent, beforeConsent.decision.reason)

        kit.grantConsent("advertising")
        assertEquals(AD_ID, kit.advertisingId().advertisingId)

        kit.withdrawConsent("advertising")
        val withdrawn = kit.advertisingId()
        assertNull(withdrawn.advertisingId)
        assertEquals(DecisionReason.ConsentWithdrawn, withdrawn.decision.reason)
    }

    @Test
    fun `limited ad tracking is the Tracking permission denied, and no id`() {
        kit.grantConsent("advertising")
        device = AdvertisingIdInfo("00000000-0000-0000-0000-000000000000", limitAdTracking = true)

        val tracking = reporter.refresh()!!
        assertEquals(OsPermission.TRACKING, tracking.permission)
        assertEquals(PermissionStatus.DENIED, tracking.status)
        val answer = kit.advertisingId()
        assertNull(answer.advertisingId)
        assertFalse(answer.decision.allowed)

        device = AdvertisingIdInfo(AD_ID, limitAdTracking = false) // the user turned it back on
        assertEquals(PermissionStatus.GRANTED, reporter.refresh()!!.status)
        assertEquals(AD_ID, kit.advertisingId().advertisingId)
    }

    @Test
    fun `without Play services there is no id, and the guard says so`() {
        kit.grantConsent("advertising")
        reporter.refresh()
        device = null
        assertNull(reporter.refresh())
        val answer = kit.advertisingId()
        assertNull(answer.advertisingId)
        assertEquals(DecisionReason.AdvertisingIdUnavailable, answer.decision.reason)
    }

    @Test
    fun `the info never prints the id`() {
        val text = AdvertisingIdInfo(AD_ID, limitAdTracking = false).toString()
        assertFalse(text.contains(AD_ID))
        assertTrue(text.contains("present"))
    }

    private companion object {
        const val AD_ID = "38400000-8cf0-11bd-b23e-10b96e40000d"
    }
}
