package io.privacykit

import io.privacykit.Fixtures.openInMemory
import io.privacykit.Fixtures.testPolicy
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

/** Loading, validating and updating policies. */
class PolicyTest {

    @Test
    fun `the example policies are all there`() {
        val names = Fixtures.examplePolicies().map { it.name }
        assertTrue(
            names.containsAll(
                listOf("callsapp.json", "mamontcall.json", "promophone.json", "promt.json", "voicecall.json"),
            ),
            "$names",
        )
    }

    @TestFactory
    fun `every example policy validates and opens`(): List<DynamicTest> =
        Fixtures.examplePolicies().map { file ->
            DynamicTest.dynamicTest(file.name) {
                val json = file.readText()
                val info = validatePolicy(json)
                assertTrue(info.policyId.isNotBlank())
                assertTrue(info.version >= 1u)
                assertTrue(info.categories.isNotEmpty() && info.purposes.isNotEmpty() && info.processing.isNotEmpty())
                val categoryIds = info.categories.map { it.id }.toSet()
                val purposeIds = info.purposes.map { it.id }.toSet()
                assertTrue(info.processing.all { it.category in categoryIds && it.purpose in purposeIds })

                for (platform in Platform.entries) {
                    openInMemory(json, platform).use { kit ->
                        assertEquals(info, kit.policy())
                        // Every declared pair gets a real decision, never an internal error.
                        for (processing in info.processing) {
                            val decision = kit.explain(processing.category, processing.purpose)
                            assertTrue(
                                decision.reason != DecisionReason.InternalError &&
                                    decision.reason != DecisionReason.NotDeclaredInPolicy,
                                "${file.name} ${processing.category}/${processing.purpose}: $decision",
                            )
                        }
                    }
                }
            }
        }

    @Test
    fun `the policy info mirrors the document`() {
        val info = validatePolicy(testPolicy())
        assertEquals("io.privacykit.test", info.policyId)
        assertEquals(1u, info.version)
        assertEquals("2024-05-01", info.effectiveDate)
        assertEquals("Test Ltd", info.controllerName)
        assertTrue(info.requiresAcceptance)
        assertEquals(13.toUByte(), info.minimumAge)
        assertEquals(16.toUByte(), info.digitalConsentAge)
        assertEquals(OsPermission.CONTACTS, info.categories.single { it.id == "contacts" }.osPermission)
        assertEquals(OsPermission.TRACKING, info.categories.single { it.id == "advertising_id" }.osPermission)
        val receipts = info.categories.single { it.id == "read_receipts" }
        assertEquals(false, receipts.builtIn)
        assertEquals(null, receipts.osPermission)
        val precise = info.processing.single { it.category == "location" && it.purpose == "service" }
        assertEquals(LocationAccuracy.PRECISE, precise.locationAccuracy)
        assertEquals(LegalBasis.CONTRACT, precise.legalBasis)
        assertEquals(10, info.processing.size)
    }

    @Test
    fun `the JSON schema is published`() {
        val schema = policyJsonSchema()
        assertTrue(schema.trimStart().startsWith("{"))
        assertTrue("legal_basis" in schema)
    }

    @Test
    fun `a bad policy names the field`() {
        fun fieldOf(json: String): String =
            assertFailsWith<PrivacyException.InvalidPolicy> { validatePolicy(json) }.field

        val good = testPolicy()
        assertEquals(
            "processing[0].legal_basis",
            fieldOf(good.replaceFirst("\"legal_basis\": \"contract\"", "\"legal_basis\": \"because\"")),
        )
        assertEquals("version", fieldOf(good.replace("\"version\": 1", "\"version\": 0")))
        assertEquals("effective_date", fieldOf(good.replace("2024-05-01", "2024-02-30")))
        assertEquals(
            "categories[5].description",
            fieldOf(good.replace(", \"description\": \"Whether others see that you read their messages\"", "")),
        )
        assertEquals(
            "processing[9].purpose",
            fieldOf(
                good.replace(
                    "{ \"category\": \"read_receipts\", \"purpose\": \"analytics\"",
                    "{ \"category\": \"read_receipts\", \"purpose\": \"support\"",
                ),
            ),
        )
        assertEquals("$", fieldOf("{ not json"))
        assertEquals("$", fieldOf(""))

        // The same rules apply to the example documents.
        val callsapp = Fixtures.example("callsapp.json")
        assertEquals(
            "processing[0].legal_basis",
            fieldOf(callsapp.replaceFirst("\"legal_basis\": \"contract\"", "\"legal_basis\": \"because\"")),
        )
    }

    @Test
    fun `a bad policy is refused at open with the same error`() {
        val bad = testPolicy().replaceFirst("\"legal_basis\": \"contract\"", "\"legal_basis\": \"because\"")
        val error = assertFailsWith<PrivacyException.InvalidPolicy> { openInMemory(bad) }
        assertEquals("processing[0].legal_basis", error.field)
        assertTrue(error.reason.isNotBlank())
        assertTrue(error.message.contains("processing[0].legal_basis"))
    }

    @Test
    fun `a bad update leaves the old policy in force`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            val before = kit.policy()
            val bad = testPolicy(version = 2).replaceFirst("\"legal_basis\": \"contract\"", "\"legal_basis\": \"because\"")
            val error = assertFailsWith<PrivacyException.InvalidPolicy> { kit.updatePolicy(bad) }
            assertEquals("processing[0].legal_basis", error.field)
            assertEquals(before, kit.policy())
            assertEquals(1u, kit.policy().version)
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("diagnostics", "service"))
            assertEquals(1uL, kit.consentState().ledgerLength)
        }
    }

    @Test
    fun `a newer version replaces the policy and needs acceptance again`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            val v2 = kit.updatePolicy(testPolicy(version = 2, controller = "Test Ltd 2"))
            assertEquals(2u, v2.version)
            assertEquals("Test Ltd 2", kit.policy().controllerName)
            assertEquals(denied(DecisionReason.PolicyNotAccepted), kit.check("diagnostics", "service"))
            assertEquals(permitted(LegalBasis.LEGAL_OBLIGATION), kit.check("diagnostics", "legal_compliance"))
            val accept = kit.acceptPolicy()
            assertEquals(2u, accept.policyVersion)
            assertEquals(2u, kit.consentState().acceptedPolicyVersion)
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("diagnostics", "service"))
        }
    }

    @Test
    fun `same version with other content is a version conflict`() {
        openInMemory().use { kit ->
            assertFailsWith<PrivacyException.PolicyVersionConflict> {
                kit.updatePolicy(testPolicy(version = 1, controller = "Someone Else"))
            }
            assertEquals("Test Ltd", kit.policy().controllerName)

            // The same version with the same content (in another layout) changes nothing.
            val compact = testPolicy().lines().joinToString("") { it.trim() }
            assertEquals(kit.policy(), kit.updatePolicy(compact))
        }
    }

    @Test
    fun `going back to an older version is a version conflict`() {
        openInMemory(testPolicy(version = 3)).use { kit ->
            assertFailsWith<PrivacyException.PolicyVersionConflict> { kit.updatePolicy(testPolicy(version = 2)) }
            assertEquals(3u, kit.policy().version)
        }
    }
}
