package io.privacykit

import io.privacykit.Fixtures.config
import io.privacykit.Fixtures.openFile
import io.privacykit.Fixtures.openInMemory
import io.privacykit.Fixtures.testPolicy
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** Opening in memory and on a file, and what a file keeps across a reopen. */
class OpenAndPersistenceTest {

    @Test
    fun `an in-memory PrivacyKit starts empty and keeps nothing`() {
        openInMemory().use { kit ->
            assertEquals(1u, kit.policy().version)
            val state = kit.consentState()
            assertEquals(0uL, state.ledgerLength)
            assertNull(state.acceptedPolicyVersion)
            assertEquals(emptyList(), state.choices)
            assertEquals(PermissionStatus.NOT_DETERMINED, kit.permissionState(OsPermission.CONTACTS).status)
            kit.acceptPolicy()
            kit.grantConsent("analytics")
            // A second in-memory instance is independent (no AlreadyOpen, no shared state).
            openInMemory().use { other ->
                assertEquals(0uL, other.consentState().ledgerLength)
                assertEquals(denied(DecisionReason.PolicyNotAccepted), other.check("diagnostics", "analytics"))
            }
            assertEquals(2uL, kit.consentState().ledgerLength)
        }
        openInMemory().use { kit -> assertEquals(0uL, kit.consentState().ledgerLength) }
    }

    @Test
    fun `a file keeps consent, ledger, permissions and access counts across a reopen`(@TempDir dir: Path) {
        val db = dir.resolve("privacykit.db")
        val today = Fixtures.todayUtc()
        class Snapshot(
            val consent: ConsentState,
            val ledger: List<LedgerEntry>,
            val contacts: PermissionState,
            val location: PermissionState,
            val history: List<PermissionEvent>,
        )
        val before = openFile(db).use { kit ->
            kit.acceptPolicy()
            kit.grantConsent("analytics")
            kit.denyConsent("marketing", category = "location")
            kit.objectTo("marketing", category = "diagnostics")
            kit.recordConsent(ConsentChange(ConsentAction.GRANT, "advertising", null, ConsentSource.GUARDIAN))
            kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.DENIED)
            kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.DENIED)
            kit.recordPermissionRequest(OsPermission.LOCATION, PermissionStatus.GRANTED, LocationAccuracy.APPROXIMATE)
            repeat(3) { assertTrue(kit.check("diagnostics", "analytics").allowed) }

            val snapshot = Snapshot(
                consent = kit.consentState(),
                ledger = kit.ledger(0uL, 100u),
                contacts = kit.permissionState(OsPermission.CONTACTS),
                location = kit.permissionState(OsPermission.LOCATION),
                history = kit.permissionHistory(OsPermission.CONTACTS),
            )
            assertTrue(snapshot.contacts.blockedInSettings)
            kit.closeStore()
            snapshot
        }
        assertTrue(Files.size(db) > 0)

        openFile(db).use { kit ->
            assertEquals(before.consent, kit.consentState())
            assertEquals(5uL, kit.consentState().ledgerLength)
            assertEquals(before.ledger, kit.ledger(0uL, 100u))
            assertEquals(5uL, kit.verifyLedger())
            assertEquals(before.contacts, kit.permissionState(OsPermission.CONTACTS))
            assertEquals(before.location, kit.permissionState(OsPermission.LOCATION))
            assertEquals(before.history, kit.permissionHistory(OsPermission.CONTACTS))
            assertEquals(false, kit.canRequest(OsPermission.CONTACTS))

            // The guard is rebuilt from what was stored.
            assertEquals(permitted(LegalBasis.CONSENT), kit.explain("diagnostics", "analytics"))
            assertEquals(denied(DecisionReason.ObjectedByUser), kit.explain("diagnostics", "marketing"))
            assertEquals(denied(DecisionReason.ConsentDenied), kit.explain("location", "marketing"))
            assertEquals(
                denied(DecisionReason.BlockedInSettings(OsPermission.CONTACTS)),
                kit.explain("contacts", "service"),
            )
            assertEquals(denied(DecisionReason.ApproximateLocationOnly), kit.explain("location", "service"))
            assertEquals(
                denied(DecisionReason.OsPermissionNotRequested(OsPermission.TRACKING)),
                kit.explain("advertising_id", "advertising"),
            )

            // The uses counted before closing were written when the store closed.
            val counted = kit.accessReport(today, Fixtures.dayUtc(1)).filter { it.purpose == "analytics" }
            assertEquals(3uL, counted.sumOf { it.count })

            // Writing continues the same chain.
            assertEquals(6uL, kit.withdrawConsent("analytics").seq)
            assertEquals(6uL, kit.verifyLedger())
        }
    }

    @Test
    fun `a key provider given at open seals the ledger, and a ledger that verifies is never set aside`(@TempDir dir: Path) {
        val db = dir.resolve("app.db")
        val keys = Pkcs12KeyProvider(dir.resolve("keys.p12").toFile(), "test-only-password".toCharArray())
        val withKeys = config(databasePath = db.toString()).copy(keyProvider = keys)
        PrivacyKit.open(withKeys).use { kit ->
            kit.acceptPolicy()
            kit.grantConsent("analytics")
            kit.closeStore()
        }
        assertEquals(listOf("privacykit.ledger-seal"), keys.aliases())
        PrivacyKit.open(withKeys).use { kit ->
            assertEquals(2uL, kit.verifyLedger())
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))
            assertEquals(0uL, kit.setAsideUnverifiedLedger())
            kit.closeStore()
        }
        PrivacyKit.openSettingAsideTamperedLedger(withKeys).use { kit ->
            assertEquals(2uL, kit.consentState().ledgerLength)
            kit.setKeyProvider(keys)
            kit.closeStore()
        }
    }

    @Test
    fun `closing the Kotlin object alone releases the file and writes the counts`(@TempDir dir: Path) {
        val db = dir.resolve("app.db")
        val kit = openFile(db)
        kit.acceptPolicy()
        kit.grantConsent("analytics")
        repeat(4) { kit.check("diagnostics", "service") }
        kit.close() // AutoCloseable.close(): frees the Rust object
        assertTrue(kit.uniffiIsDestroyed)
        assertFailsWith<IllegalStateException> { kit.consentState() }

        openFile(db).use { again ->
            assertEquals(2uL, again.consentState().ledgerLength)
            assertEquals(permitted(LegalBasis.CONSENT), again.check("diagnostics", "analytics"))
            val service = again.accessReport(Fixtures.todayUtc(), Fixtures.dayUtc(1))
                .filter { it.category == "diagnostics" && it.purpose == "service" }
            assertEquals(4uL, service.sumOf { it.count })
        }
    }

    @Test
    fun `the state is stored as history, so another platform reads it its own way`(@TempDir dir: Path) {
        val db = dir.resolve("shared.db")
        openFile(db, platform = Platform.ANDROID).use { kit ->
            val state = kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.DENIED)
            assertTrue(state.canRequest && state.shouldShowRationale) // Android: one denial, ask again
            kit.closeStore()
        }
        openFile(db, platform = Platform.IOS).use { kit ->
            val state = kit.permissionState(OsPermission.CONTACTS)
            assertTrue(state.blockedInSettings) // iOS: one denial is final
            assertEquals(false, state.canRequest)
            kit.closeStore()
        }
    }

    @Test
    fun `a newer policy at reopen needs acceptance only if its terms grew, an older one is refused`(@TempDir dir: Path) {
        val db = dir.resolve("policy.db")
        openFile(db).use { kit ->
            kit.acceptPolicy()
            kit.closeStore()
        }
        // Newer with the same terms: loaded, and the acceptance carries over.
        openFile(db, testPolicy(version = 2)).use { kit ->
            assertEquals(2u, kit.policy().version)
            assertEquals(1u, kit.consentState().acceptedPolicyVersion)
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("diagnostics", "service"))
            kit.closeStore()
        }
        // Newer with another controller: the acceptance of the old terms no longer counts.
        openFile(db, testPolicy(version = 3, controller = "Changed Ltd")).use { kit ->
            assertEquals(3u, kit.policy().version)
            assertEquals(1u, kit.consentState().acceptedPolicyVersion)
            assertEquals(denied(DecisionReason.PolicyNotAccepted), kit.check("diagnostics", "service"))
            kit.closeStore()
        }
        assertFailsWith<PrivacyException.PolicyVersionConflict> { openFile(db, testPolicy(version = 1)) }
        assertFailsWith<PrivacyException.PolicyVersionConflict> { openFile(db, testPolicy(version = 2)) }
        assertFailsWith<PrivacyException.PolicyVersionConflict> {
            openFile(db, testPolicy(version = 3, controller = "Test Ltd"))
        }
        // The refused opens changed nothing and released the file; the terms history is
        // rebuilt from the stored versions on open.
        openFile(db, testPolicy(version = 3, controller = "Changed Ltd")).use { kit ->
            assertEquals("Changed Ltd", kit.policy().controllerName)
            assertEquals(1uL, kit.verifyLedger())
            assertEquals(denied(DecisionReason.PolicyNotAccepted), kit.check("diagnostics", "service"))
            kit.closeStore()
        }
    }

    @Test
    fun `the database file is created on first use, in an existing folder`(@TempDir dir: Path) {
        val db = dir.resolve("new.db")
        assertTrue(Files.notExists(db))
        PrivacyKit.open(config(databasePath = db.toString())).use { kit ->
            kit.acceptPolicy()
            kit.closeStore()
        }
        assertTrue(Files.exists(db))
        assertFailsWith<PrivacyException.Storage> {
            PrivacyKit.open(config(databasePath = dir.resolve("missing/folder/x.db").toString()))
        }
    }
}
