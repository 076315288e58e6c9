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
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/** Typed errors: PrivacyException subclasses with their fields. */
class ErrorsTest {

    private inline fun invalidArgument(block: () -> Unit): String =
        assertFailsWith<PrivacyException.InvalidArgument> { block() }.field

    @Test
    fun `unknown ids and misplaced arguments are InvalidArgument naming the argument`() {
        openInMemory().use { kit ->
            assertEquals("purpose", invalidArgument { kit.grantConsent("no_such_purpose") })
            assertEquals("purpose", invalidArgument { kit.denyConsent("") })
            assertEquals("purpose", invalidArgument { kit.objectTo("Marketing") })
            assertEquals("category", invalidArgument { kit.grantConsent("analytics", category = "no_such_category") })
            // Both declared, but the policy does not process contacts for analytics.
            assertEquals("category", invalidArgument { kit.withdrawConsent("analytics", category = "contacts") })
            assertEquals(
                "purpose",
                invalidArgument { kit.recordConsent(ConsentChange(ConsentAction.ACCEPT_POLICY, "analytics", null, ConsentSource.USER)) },
            )
            assertEquals(
                "purpose",
                invalidArgument { kit.recordConsent(ConsentChange(ConsentAction.GRANT, null, null, ConsentSource.USER)) },
            )
            assertEquals(
                "accuracy",
                invalidArgument { kit.reportPermission(OsPermission.CONTACTS, PermissionStatus.GRANTED, LocationAccuracy.PRECISE) },
            )
            assertEquals(
                "accuracy",
                invalidArgument {
                    kit.recordPermissionRequest(OsPermission.LOCATION, PermissionStatus.DENIED, LocationAccuracy.PRECISE)
                },
            )
            assertEquals("utc_offset_minutes", invalidArgument { kit.setUtcOffsetMinutes(841) })
            assertEquals("from_day", invalidArgument { kit.accessReport("2024-13-01", "2024-12-31") })
            assertEquals("to_day", invalidArgument { kit.accessReport("2024-01-01", "yesterday") })
            assertEquals("from_day", invalidArgument { kit.accessReport("2024-02-02", "2024-02-01") })

            // None of that was written.
            assertEquals(0uL, kit.consentState().ledgerLength)
            assertEquals(emptyList(), kit.permissionHistory(OsPermission.LOCATION))
        }
    }

    @Test
    fun `an error message never echoes text that is not an identifier`() {
        openInMemory().use { kit ->
            val error = assertFailsWith<PrivacyException.InvalidArgument> { kit.grantConsent("Anna +7 912 345 67 89") }
            assertFalse(error.reason.contains("912"), error.reason)
            assertFalse(error.message.contains("Anna"), error.message)
        }
    }

    @Test
    fun `open refuses bad configuration`(@TempDir dir: Path) {
        assertEquals(
            "utc_offset_minutes",
            assertFailsWith<PrivacyException.InvalidArgument> {
                PrivacyKit.open(config(utcOffsetMinutes = -841))
            }.field,
        )
        assertEquals(
            "database_path",
            assertFailsWith<PrivacyException.InvalidArgument> { PrivacyKit.open(config(databasePath = "")) }.field,
        )
        // UTC-14..UTC+14 are fine.
        PrivacyKit.open(config(utcOffsetMinutes = 840)).use { it.setUtcOffsetMinutes(-840) }
    }

    @Test
    fun `after close every write and read fails with Closed`() {
        val kit = openInMemory()
        kit.acceptPolicy()
        kit.closeStore()
        assertFailsWith<PrivacyException.Closed> { kit.grantConsent("analytics") }
        assertFailsWith<PrivacyException.Closed> { kit.denyConsent("analytics") }
        assertFailsWith<PrivacyException.Closed> { kit.acceptPolicy() }
        assertFailsWith<PrivacyException.Closed> { kit.restrictProcessing() }
        assertFailsWith<PrivacyException.Closed> {
            kit.recordConsent(ConsentChange(ConsentAction.GRANT, "analytics", null, ConsentSource.GUARDIAN))
        }
        assertFailsWith<PrivacyException.Closed> {
            kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.GRANTED)
        }
        assertFailsWith<PrivacyException.Closed> { kit.reportPermission(OsPermission.CONTACTS, PermissionStatus.GRANTED) }
        assertFailsWith<PrivacyException.Closed> { kit.updatePolicy(testPolicy(version = 2)) }
        assertFailsWith<PrivacyException.Closed> { kit.flush() }
        assertFailsWith<PrivacyException.Closed> { kit.consentState() }
        assertFailsWith<PrivacyException.Closed> { kit.policy() }
        assertFailsWith<PrivacyException.Closed> { kit.ledger(0uL, 10u) }
        assertFailsWith<PrivacyException.Closed> { kit.verifyLedger() }
        assertFailsWith<PrivacyException.Closed> { kit.permissionState(OsPermission.CONTACTS) }
        assertFailsWith<PrivacyException.Closed> { kit.canRequest(OsPermission.CONTACTS) }
        assertFailsWith<PrivacyException.Closed> { kit.permissionHistory(OsPermission.CONTACTS) }
        assertFailsWith<PrivacyException.Closed> { kit.accessReport("2024-01-01", "2024-01-02") }
        assertFailsWith<PrivacyException.Closed> { kit.setUtcOffsetMinutes(60) }
        assertFailsWith<PrivacyException.Closed> {
            kit.addListener(object : PrivacyListener {
                override fun onChange(change: PrivacyChange) = Unit
            })
        }
        assertEquals(denied(DecisionReason.Closed), kit.check("diagnostics", "service"))
        // An invalid policy is still reported as such: validation comes first.
        assertFailsWith<PrivacyException.InvalidPolicy> { kit.updatePolicy("{}") }

        kit.closeStore() // closing twice is fine
        kit.close()
        kit.close() // and so is destroying twice
        assertFailsWith<IllegalStateException> { kit.check("diagnostics", "service") }
    }

    @Test
    fun `the same file cannot be opened twice in one process`(@TempDir dir: Path) {
        val db = dir.resolve("one.db")
        openFile(db).use { first ->
            first.acceptPolicy()
            assertFailsWith<PrivacyException.AlreadyOpen> { openFile(db) }
            // Another spelling of the same path is the same file.
            Files.createDirectories(dir.resolve("sub"))
            assertFailsWith<PrivacyException.AlreadyOpen> { openFile(dir.resolve("sub/../one.db")) }
            // The refused open did not disturb the first one.
            assertEquals(1uL, first.consentState().ledgerLength)
            first.grantConsent("analytics")

            first.closeStore()
            openFile(db).use { second ->
                assertEquals(2uL, second.consentState().ledgerLength)
            }
        }
    }

    @Test
    fun `a file that is not a database is refused and left alone`(@TempDir dir: Path) {
        val junk = dir.resolve("notes.db")
        val text = "these are not the bytes of a SQLite database\n".repeat(200)
        Files.writeString(junk, text)
        assertFailsWith<PrivacyException.CorruptDatabase> { openFile(junk) }
        assertEquals(text, Files.readString(junk))
        // The refused open released its claim on the path.
        Files.delete(junk)
        openFile(junk).use { kit -> assertEquals(0uL, kit.consentState().ledgerLength) }
    }

    @Test
    fun `errors are ordinary Kotlin exceptions`() {
        val error: Exception = assertFailsWith<PrivacyException> { validatePolicy("[]") }
        assertTrue(error is PrivacyException.InvalidPolicy)
        assertEquals("$", error.field)
    }
}
