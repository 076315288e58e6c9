package io.privacykit

import io.privacykit.Fixtures.openInMemory
import io.privacykit.Fixtures.testPolicy
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/**
 * Policy updates through the generated bindings: only uses whose terms grew need agreement
 * again, unchanged consents carry over, withdrawn ones never come back, wording fixes need
 * nothing. Mirrors tests/policy_updates.rs with the Kotlin fixture policy.
 */
class PolicyUpdateTest {
    /** Accepted v1, contacts, call log and precise location granted, analytics consented purpose-wide. */
    private fun ready(): PrivacyKit = openInMemory().also { kit ->
        kit.acceptPolicy()
        kit.reportPermission(OsPermission.CONTACTS, PermissionStatus.GRANTED)
        kit.reportPermission(OsPermission.LOCATION, PermissionStatus.GRANTED, LocationAccuracy.PRECISE)
        kit.reportPermission(OsPermission.CALL_LOG, PermissionStatus.GRANTED)
        kit.grantConsent("analytics")
    }

    /** The fixture policy as [version] with [from] replaced by [to] (which must be present). */
    private fun v(version: Int, from: String, to: String): String {
        val policy = testPolicy(version = version)
        check(from in policy) { "fixture text not found: $from" }
        return policy.replace(from, to)
    }

    private val diagnosticsAnalytics =
        """{ "category": "diagnostics", "purpose": "analytics", "legal_basis": "consent" }"""

    @Test
    fun `a wording fix needs nothing`() {
        ready().use { kit ->
            val listener = RecordingListener()
            kit.addListener(listener)
            kit.updatePolicy(
                v(
                    2,
                    """"description": "Whether others see that you read their messages"""",
                    """"description": "Whether other people can see that you have read their messages"""",
                ),
            )
            assertEquals(2u, kit.policy().version)
            assertEquals(listOf<PrivacyChange>(PrivacyChange.Policy(2u)), listener.changes.toList())
            assertEquals(emptyList(), kit.pendingReconsent())
            assertEquals(1u, kit.consentState().acceptedPolicyVersion)
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("read_receipts", "analytics"))
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("contacts", "service"))
        }
    }

    @Test
    fun `a recipient added asks for that use's consent again, and only that one`() {
        ready().use { kit ->
            val v2 = v(
                2,
                diagnosticsAnalytics,
                """{ "category": "diagnostics", "purpose": "analytics", "legal_basis": "consent", "recipients": ["stats"] }""",
            ).replace(
                "\"categories\": [",
                "\"recipients\": [ { \"id\": \"stats\", \"name\": \"Stats Inc\", \"kind\": \"processor\" } ],\n  \"categories\": [",
            )
            kit.updatePolicy(v2)
            assertEquals(denied(DecisionReason.ReconsentNeeded), kit.check("diagnostics", "analytics"))
            // Unchanged uses: the consent and the acceptance carry over.
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("read_receipts", "analytics"))
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("contacts", "service"))

            val pending = kit.pendingReconsent()
            assertEquals(
                listOf(
                    ReconsentItem(
                        category = "diagnostics",
                        purpose = "analytics",
                        legalBasis = LegalBasis.CONSENT,
                        action = ReconsentAction.GRANT_CONSENT,
                        agreedVersion = 1u,
                        changes = listOf(TermsChange.RecipientsAdded(listOf("stats"))),
                    ),
                ),
                pending,
            )

            kit.grantConsent("analytics", category = "diagnostics")
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))
            assertEquals(emptyList(), kit.pendingReconsent())
        }
    }

    @Test
    fun `a legal basis change needs the policy accepted again for that use only`() {
        ready().use { kit ->
            kit.updatePolicy(
                v(
                    2,
                    """{ "category": "diagnostics", "purpose": "marketing", "legal_basis": "legitimate_interest" }""",
                    """{ "category": "diagnostics", "purpose": "marketing", "legal_basis": "contract" }""",
                ),
            )
            assertEquals(denied(DecisionReason.PolicyNotAccepted), kit.check("diagnostics", "marketing"))
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("diagnostics", "service"))
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))

            val pending = kit.pendingReconsent()
            assertEquals(1, pending.size, "$pending")
            val item = pending.single()
            assertEquals("diagnostics" to "marketing", item.category to item.purpose)
            assertEquals(ReconsentAction.ACCEPT_POLICY, item.action)
            assertEquals(LegalBasis.CONTRACT, item.legalBasis)
            assertEquals(1u, item.agreedVersion)
            assertEquals(
                listOf<TermsChange>(TermsChange.LegalBasisChanged(LegalBasis.LEGITIMATE_INTEREST, LegalBasis.CONTRACT)),
                item.changes,
            )

            kit.acceptPolicy()
            assertEquals(2u, kit.consentState().acceptedPolicyVersion)
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("diagnostics", "marketing"))
            assertTrue(kit.pendingReconsent().isEmpty())
        }
    }

    @Test
    fun `a withdrawn consent never comes back and new uses are not covered by old grants`() {
        ready().use { kit ->
            kit.withdrawConsent("analytics", category = "read_receipts")
            kit.updatePolicy(
                v(
                    2,
                    diagnosticsAnalytics,
                    diagnosticsAnalytics + """,
    { "category": "call_history", "purpose": "analytics", "legal_basis": "consent" }""",
                ),
            )
            assertEquals(denied(DecisionReason.ConsentWithdrawn), kit.check("read_receipts", "analytics"))
            // The purpose-wide analytics grant from v1 does not silently cover the new use.
            assertEquals(denied(DecisionReason.ReconsentNeeded), kit.check("call_history", "analytics"))
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))

            val pending = kit.pendingReconsent()
            assertEquals(1, pending.size, "$pending")
            assertEquals("call_history" to "analytics", pending[0].category to pending[0].purpose)
            assertEquals(ReconsentAction.GRANT_CONSENT, pending[0].action)
            assertEquals(listOf<TermsChange>(TermsChange.NewProcessing), pending[0].changes)

            // Consenting to the new use covers it; the withdrawal for read receipts stays.
            kit.grantConsent("analytics", category = "call_history")
            assertTrue(kit.pendingReconsent().isEmpty())
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("call_history", "analytics"))
            assertEquals(denied(DecisionReason.ConsentWithdrawn), kit.check("read_receipts", "analytics"))
        }
    }
}
