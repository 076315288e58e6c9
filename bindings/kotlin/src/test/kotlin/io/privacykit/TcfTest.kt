package io.privacykit

import com.iabtcf.decoder.TCString
import com.iabtcf.utils.IntIterable
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.time.Instant
import java.time.temporal.ChronoUnit
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/**
 * The IAB consent signals through the bindings: a map-backed ConsentSignalStore, as
 * SharedPreferences would hold the keys, and IABTCF_TCString decoded by the IAB Tech Lab's
 * own Java decoder (com.iabtcf:iabtcf-decoder) and compared with the consent state.
 */
class TcfTest {
    /** The keys as the last write left them, and every write's removed keys. */
    private class MapStore : ConsentSignalStore {
        val map = mutableMapOf<String, ConsentSignalValue>()
        val writes = mutableListOf<Pair<Map<String, ConsentSignalValue>, List<String>>>()

        @Synchronized
        override fun write(values: Map<String, ConsentSignalValue>, removedKeys: List<String>) {
            writes += values to removedKeys
            removedKeys.forEach(map::remove)
            map.putAll(values)
        }

        fun text(key: String): String = (map[key] as ConsentSignalValue.Text).value
        fun int(key: String): Long = (map[key] as ConsentSignalValue.Int).value
        fun tcString(): TCString = TCString.decode(text("IABTCF_TCString"))
    }

    private val kit = Fixtures.openInMemory(Fixtures.example("callsapp_tcf.json"), Platform.ANDROID)
    private val store = MapStore()

    @AfterEach
    fun close() = kit.close()

    private fun IntIterable.ids(): Set<Int> {
        val out = sortedSetOf<Int>()
        val iterator = intIterator()
        while (iterator.hasNext()) out += iterator.nextInt()
        return out
    }

    private fun adultIn(jurisdiction: String) {
        kit.declareUserFacts(UserFacts("1990-04-12", null, jurisdiction), ConsentSource.USER)
    }

    @Test
    fun `the IAB decoder reads what PrivacyKit wrote, field by field`() {
        kit.setConsentSignalStore(store)
        adultIn("DE")
        kit.acceptPolicy()
        kit.grantConsent("advertising", "advertising_id")

        val tc = store.tcString()
        assertEquals(2, tc.version)
        assertEquals(300, tc.cmpId)
        assertEquals(1, tc.cmpVersion)
        assertEquals(140, tc.vendorListVersion)
        assertEquals(5, tc.tcfPolicyVersion)
        assertEquals("EN", tc.consentLanguage)
        assertEquals("CY", tc.publisherCC)
        assertTrue(tc.isServiceSpecific)
        assertEquals(setOf(1, 3, 4), tc.purposesConsent.ids())
        assertEquals(setOf(2, 7), tc.purposesLITransparency.ids())
        assertEquals(setOf(755, 793, 804), tc.vendorConsent.ids())
        assertEquals(setOf(755, 793, 804), tc.vendorLegitimateInterest.ids())
        assertEquals(setOf(755, 793, 804), tc.disclosedVendors.ids())
        assertEquals(setOf(1, 3, 4), tc.pubPurposesConsent.ids())
        assertEquals(setOf(2, 7), tc.pubPurposesLITransparency.ids())
        val restriction = tc.publisherRestrictions.single()
        assertEquals(2, restriction.purposeId)
        assertEquals(setOf(804), restriction.vendorIds.ids())
        // Created and LastUpdated: the day of the newest choice, at midnight UTC.
        assertEquals(tc.created, tc.lastUpdated)
        assertEquals(Instant.now().truncatedTo(ChronoUnit.DAYS), tc.lastUpdated)

        assertEquals(1L, store.int("IABTCF_gdprApplies"))
        assertEquals(300L, store.int("IABTCF_CmpSdkID"))
        assertEquals("101100" + "0".repeat(18), store.text("IABTCF_PurposeConsents"))
        assertEquals(store.text("IABTCF_TCString"), store.text("IABGPP_2_String"))
    }

    @Test
    fun `an objection and a withdrawal reach the string`() {
        kit.setConsentSignalStore(store)
        adultIn("DE")
        kit.acceptPolicy()
        kit.grantConsent("advertising")
        kit.objectTo("advertising", "device_info")
        var tc = store.tcString()
        assertEquals(setOf(1, 3, 4), tc.purposesConsent.ids())
        assertTrue(tc.purposesLITransparency.isEmpty)
        assertTrue(tc.vendorLegitimateInterest.isEmpty)

        kit.withdrawConsent("advertising")
        tc = store.tcString()
        assertTrue(tc.purposesConsent.isEmpty)
        assertTrue(tc.vendorConsent.isEmpty)
        assertEquals(setOf(755, 793, 804), tc.disclosedVendors.ids())
    }

    @Test
    fun `outside the EEA gdprApplies is 0 and erasure removes every key`() {
        kit.setConsentSignalStore(store)
        adultIn("US-CA")
        assertEquals(0L, store.int("IABTCF_gdprApplies"))
        assertFalse("IABTCF_TCString" in store.map)
        adultIn("NO")
        assertEquals(1L, store.int("IABTCF_gdprApplies"))
        kit.eraseAll()
        assertTrue(store.map.isEmpty(), "${store.map.keys}")
        assertTrue("IABTCF_TCString" in store.writes.last().second)
    }

    @Test
    fun `a TC string written by the IAB-decoded kit imports into another`() {
        kit.setConsentSignalStore(store)
        adultIn("DE")
        kit.acceptPolicy()
        kit.grantConsent("advertising", "advertising_id")
        Fixtures.openInMemory(Fixtures.example("callsapp_tcf.json"), Platform.ANDROID).use { other ->
            other.declareUserFacts(UserFacts("1990-04-12", null, "DE"), ConsentSource.USER)
            other.acceptPolicy()
            val entries = other.importTcString(store.text("IABTCF_TCString"))
            val grant = entries.single()
            assertEquals(ConsentAction.GRANT, grant.action)
            assertEquals(ConsentSource.TC_STRING, grant.source)
            assertEquals("advertising_id", grant.category)
            assertTrue(other.explain("advertising_id", "advertising").reason !is DecisionReason.NeedsConsent)
            val refused = assertThrows<PrivacyException.TcStringRefused> { other.importTcString("garbage") }
            assertTrue(refused.reason.startsWith("malformed"), refused.reason)
        }
    }
}
