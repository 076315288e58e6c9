package io.privacykit.android

import android.app.Application
import android.content.Context
import io.privacykit.ConsentSource
import io.privacykit.Platform
import io.privacykit.PrivacyKit
import io.privacykit.PrivacyKitConfig
import io.privacykit.UserFacts
import io.privacykit.testing.Policies
import io.privacykit.testing.PrivacyKitTestRunner
import org.junit.After
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RuntimeEnvironment
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

@RunWith(PrivacyKitTestRunner::class)
class SharedPreferencesConsentSignalStoreTest {
    private val app: Application = RuntimeEnvironment.getApplication()
    private val kit: PrivacyKit = PrivacyKit.open(PrivacyKitConfig(null, Policies.callsAppTcf, Platform.ANDROID, 0))

    /** The file PreferenceManager.getDefaultSharedPreferences opens, where ad SDKs look. */
    private val defaults = app.getSharedPreferences(app.packageName + "_preferences", Context.MODE_PRIVATE)

    @After
    fun close() = kit.close()

    private fun adultIn(jurisdiction: String) {
        kit.declareUserFacts(UserFacts("1990-04-12", null, jurisdiction), ConsentSource.USER)
    }

    @Test
    fun `the keys land in the default preferences typed as ad SDKs read them`() {
        defaults.edit().putString("IABTCF_PublisherRestrictions9", "left by an earlier CMP").commit()
        kit.setConsentSignalStore(SharedPreferencesConsentSignalStore(app))
        adultIn("DE")
        kit.acceptPolicy()
        kit.grantConsent("advertising", "advertising_id")

        assertEquals(1, defaults.getInt("IABTCF_gdprApplies", -1))
        assertEquals(300, defaults.getInt("IABTCF_CmpSdkID", -1))
        assertEquals(5, defaults.getInt("IABTCF_PolicyVersion", -1))
        assertEquals("101100" + "0".repeat(18), defaults.getString("IABTCF_PurposeConsents", null))
        assertEquals("0100001" + "0".repeat(17), defaults.getString("IABTCF_PurposeLegitimateInterests", null))
        assertEquals("CY", defaults.getString("IABTCF_PublisherCC", null))
        val tcString = defaults.getString("IABTCF_TCString", null)!!
        assertTrue(tcString.startsWith("C"), tcString)
        assertEquals(tcString, defaults.getString("IABGPP_2_String", null))
        assertEquals("2", defaults.getString("IABGPP_GppSID", null))
        assertFalse(defaults.contains("IABTCF_PublisherRestrictions9"), "a key PrivacyKit does not write is removed")

        kit.withdrawConsent("advertising")
        assertEquals("0".repeat(24), defaults.getString("IABTCF_PurposeConsents", null))
    }

    @Test
    fun `in the US the TCF keys go and the US National section comes, and erasure removes them all`() {
        kit.setConsentSignalStore(SharedPreferencesConsentSignalStore(app))
        adultIn("DE")
        assertTrue(defaults.contains("IABTCF_TCString"))
        adultIn("US")
        assertEquals(0, defaults.getInt("IABTCF_gdprApplies", -1))
        assertFalse(defaults.contains("IABTCF_TCString"))
        // In the US the GPP string carries the US National section alone: sharing for
        // advertising opted out (no consent given), no sale declared.
        assertEquals("7", defaults.getString("IABGPP_GppSID", null))
        assertFalse(defaults.contains("IABGPP_2_String"))
        assertEquals(1, defaults.getInt("IABGPP_USNAT_SharingOptOut", -1))
        assertEquals(0, defaults.getInt("IABGPP_USNAT_SaleOptOut", -1))

        kit.eraseAll()
        assertTrue(defaults.all.keys.none { it.startsWith("IABTCF_") || it.startsWith("IABGPP_") }, "${defaults.all.keys}")
    }
}
