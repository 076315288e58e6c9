package io.privacykit

import io.privacykit.Fixtures.openInMemory
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** The consent ledger and the state derived from it. */
class ConsentTest {

    @Test
    fun `grant, deny and withdraw are recorded with and without a category`() {
        openInMemory().use { kit ->
            val accept = kit.acceptPolicy()
            assertEquals(1uL, accept.seq)
            assertEquals(ConsentAction.ACCEPT_POLICY, accept.action)
            assertEquals(1u, accept.policyVersion)
            assertNull(accept.purpose)

            val grant = kit.grantConsent("analytics")
            assertEquals(2uL, grant.seq)
            assertEquals(ConsentAction.GRANT, grant.action)
            assertEquals("analytics", grant.purpose)
            assertNull(grant.category)
            assertEquals(ConsentSource.USER, grant.source)

            val deny = kit.denyConsent("marketing", category = "location")
            assertEquals(ConsentAction.DENY, deny.action)
            assertEquals("location", deny.category)

            val withdraw = kit.withdrawConsent("analytics", category = "read_receipts")
            assertEquals(ConsentAction.WITHDRAW, withdraw.action)
            assertEquals(4uL, withdraw.seq)

            val state = kit.consentState()
            assertEquals(1u, state.acceptedPolicyVersion)
            assertEquals(4uL, state.ledgerLength)
            assertFalse(state.restricted)
            assertEquals(
                listOf(
                    ScopedChoice("analytics", null, ConsentChoice.GRANTED, 2uL),
                    ScopedChoice("marketing", "location", ConsentChoice.DENIED, 3uL),
                    ScopedChoice("analytics", "read_receipts", ConsentChoice.WITHDRAWN, 4uL),
                ),
                state.choices,
            )
            assertEquals(emptyList(), state.objections)
        }
    }

    @Test
    fun `each entry is chained to the previous one`() {
        openInMemory().use { kit ->
            val entries = listOf(kit.acceptPolicy(), kit.grantConsent("analytics"), kit.grantConsent("analytics"))
            assertTrue(entries.all { it.hash.matches(Regex("[0-9a-f]{64}")) }, "${entries.map { it.hash }}")
            assertEquals(3, entries.map { it.hash }.toSet().size, "the same choice twice still gets a new hash")
            assertTrue(entries.zipWithNext().all { (a, b) -> a.timeMs <= b.timeMs })
            assertEquals(entries, kit.ledger(0uL, 10u))
        }
    }

    @Test
    fun `recordConsent carries the source, for a guardian`() {
        openInMemory().use { kit ->
            val entry = kit.recordConsent(
                ConsentChange(
                    action = ConsentAction.GRANT,
                    purpose = "analytics",
                    category = "diagnostics",
                    source = ConsentSource.GUARDIAN,
                ),
            )
            assertEquals(ConsentSource.GUARDIAN, entry.source)
            assertEquals("diagnostics", entry.category)
            assertEquals(ConsentSource.GUARDIAN, kit.ledger(0uL, 1u).single().source)
            assertEquals(
                listOf(ScopedChoice("analytics", "diagnostics", ConsentChoice.GRANTED, entry.seq)),
                kit.consentState().choices,
            )

            val accept = kit.recordConsent(ConsentChange(ConsentAction.ACCEPT_POLICY, null, null, ConsentSource.MIGRATION))
            assertEquals(ConsentSource.MIGRATION, accept.source)
            assertEquals(1u, kit.consentState().acceptedPolicyVersion)
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))

            kit.recordConsent(ConsentChange(ConsentAction.RESTRICT, null, null, ConsentSource.DEFAULT))
            assertTrue(kit.consentState().restricted)
        }
    }

    @Test
    fun `objections are listed until withdrawn`() {
        openInMemory().use { kit ->
            val objection = kit.objectTo("marketing")
            assertEquals(ConsentAction.OBJECT, objection.action)
            assertEquals(listOf(ScopedObjection("marketing", null, objection.seq)), kit.consentState().objections)
            kit.withdrawObjection("marketing")
            assertEquals(emptyList(), kit.consentState().objections)
            assertEquals(2uL, kit.consentState().ledgerLength)
        }
    }

    @Test
    fun `restriction and its lifting show in the state`() {
        openInMemory().use { kit ->
            assertEquals(ConsentAction.RESTRICT, kit.restrictProcessing().action)
            assertTrue(kit.consentState().restricted)
            assertEquals(ConsentAction.LIFT_RESTRICTION, kit.liftRestriction().action)
            assertFalse(kit.consentState().restricted)
        }
    }

    @Test
    fun `the ledger pages by sequence number`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            repeat(9) { i -> if (i % 2 == 0) kit.grantConsent("analytics") else kit.withdrawConsent("analytics") }
            val all = kit.ledger(0uL, 100u)
            assertEquals((1uL..10uL).toList(), all.map { it.seq })

            val pages = mutableListOf<List<LedgerEntry>>()
            var after = 0uL
            while (true) {
                val page = kit.ledger(after, 3u)
                if (page.isEmpty()) break
                pages += page
                after = page.last().seq
            }
            assertEquals(listOf(3, 3, 3, 1), pages.map { it.size })
            assertEquals(all, pages.flatten())
            assertEquals(listOf(5uL, 6uL), kit.ledger(4uL, 2u).map { it.seq })
            assertEquals(emptyList(), kit.ledger(10uL, 5u))
            assertEquals(emptyList(), kit.ledger(0uL, 0u))
            assertEquals(10uL, kit.consentState().ledgerLength)
        }
    }

    @Test
    fun `verifyLedger returns how many entries it checked`() {
        openInMemory().use { kit ->
            assertEquals(0uL, kit.verifyLedger())
            kit.acceptPolicy()
            kit.grantConsent("analytics")
            kit.objectTo("marketing", category = "diagnostics")
            kit.restrictProcessing()
            kit.recordConsent(ConsentChange(ConsentAction.DENY, "advertising", null, ConsentSource.GUARDIAN))
            assertEquals(5uL, kit.verifyLedger())
        }
    }

    @Test
    fun `a refused change writes nothing`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            val before = kit.consentState()
            assertFailsWith<PrivacyException.InvalidArgument> { kit.grantConsent("no_such_purpose") }
            assertFailsWith<PrivacyException.InvalidArgument> {
                kit.recordConsent(ConsentChange(ConsentAction.GRANT, null, null, ConsentSource.USER))
            }
            assertEquals(before, kit.consentState())
            assertEquals(1uL, kit.verifyLedger())
        }
    }
}
