package io.privacykit

import io.privacykit.Fixtures.config
import io.privacykit.Fixtures.openInMemory
import java.nio.charset.MalformedInputException
import java.nio.file.Path
import java.time.LocalDate
import java.time.ZoneOffset
import java.util.concurrent.atomic.AtomicLong
import kotlin.io.path.createTempDirectory
import kotlin.test.AfterTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotSame
import kotlin.test.assertSame
import kotlin.test.assertTrue

/** A clock the test moves by hand, read by the core and by the fast guard alike. */
class TestClock(startMs: Long) : PrivacyKitClock {
    private val ms = AtomicLong(startMs)
    override fun nowMs(): Long = ms.get()
    fun advance(byMs: Long) {
        ms.addAndGet(byMs)
    }
    fun set(toMs: Long) = ms.set(toMs)

    companion object {
        const val HOUR_MS = 3_600_000L
        const val DAY_MS = 24 * HOUR_MS

        /** 2024-05-01T12:00:00Z */
        const val MAY_1_NOON = 1_714_564_800_000L

        fun startOf(day: String, offsetMinutes: Int = 0): Long =
            LocalDate.parse(day).atStartOfDay().toInstant(ZoneOffset.ofTotalSeconds(offsetMinutes * 60)).toEpochMilli()
    }
}

/** The Kotlin fast guard (FastGuard.kt) against the core it stands in for. */
class FastGuardTest {
    private val temp: Path = createTempDirectory("fastguard")

    @AfterTest
    fun cleanUp() {
        temp.toFile().deleteRecursively()
    }

    private val categories = listOf("contacts", "location", "advertising_id", "diagnostics", "call_history", "read_receipts", "nope")
    private val purposes = listOf("service", "analytics", "marketing", "advertising", "legal_compliance", "nope")

    /** Every pair of declared ids, undeclared pairs and unknown ids included. */
    private fun assertAnswersLikeTheCore(kit: PrivacyKit, what: String) {
        val guard = kit.guard()
        for (c in categories) for (p in purposes) {
            val core = kit.explain(c, p)
            assertEquals(core, guard.explain(c, p), "$what: explain $c/$p")
            assertEquals(core, guard.check(c, p), "$what: check $c/$p")
            assertEquals(core.allowed, guard.isAllowed(c, p), "$what: isAllowed $c/$p")
            assertEquals(core.allowed, kit.isAllowed(c, p), "$what: kit.isAllowed $c/$p")
        }
    }

    private fun openWithClock(clock: PrivacyKitClock, path: Path? = null, offsetMinutes: Int = 0, policy: String = Fixtures.testPolicy()) =
        PrivacyKit.openWithClock(config(policy, databasePath = path?.toString(), utcOffsetMinutes = offsetMinutes), clock)

    @Test
    fun `answers like the core in every state`() {
        openInMemory().use { kit ->
            assertAnswersLikeTheCore(kit, "fresh")
            kit.acceptPolicy()
            assertAnswersLikeTheCore(kit, "accepted")
            kit.grantConsent("analytics")
            kit.objectTo("marketing")
            assertAnswersLikeTheCore(kit, "consent and objection")
            kit.recordPermissionRequest(OsPermission.LOCATION, PermissionStatus.GRANTED, LocationAccuracy.APPROXIMATE)
            kit.reportPermission(OsPermission.CONTACTS, PermissionStatus.LIMITED)
            assertAnswersLikeTheCore(kit, "permissions")
            kit.restrictProcessing()
            assertAnswersLikeTheCore(kit, "restricted")
            kit.liftRestriction()
            kit.withdrawConsent("analytics", category = "diagnostics")
            assertAnswersLikeTheCore(kit, "withdrawn")
            kit.declareUserFacts(UserFacts(birthDate = null, ageYears = 12u, jurisdiction = "DE"), ConsentSource.USER)
            assertAnswersLikeTheCore(kit, "a child")
            kit.updatePolicy(Fixtures.testPolicy(version = 2, controller = "Other Ltd"))
            assertAnswersLikeTheCore(kit, "a new controller")
            kit.eraseAll()
            assertAnswersLikeTheCore(kit, "erased")
        }
    }

    @Test
    fun `a lone surrogate throws from the generated check and is not declared for the fast guard`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            val lone = "\uD800"
            // The generated string conversion refuses text that is not valid UTF-16.
            assertFailsWith<MalformedInputException> { kit.check(lone, "service") }
            assertFailsWith<MalformedInputException> { kit.explain("diagnostics", "x\uDC00") }
            val notDeclared = denied(DecisionReason.NotDeclaredInPolicy)
            val guard = kit.guard()
            assertEquals(notDeclared, guard.check(lone, "service"))
            assertEquals(notDeclared, guard.explain("diagnostics", "x\uDC00"))
            assertEquals(notDeclared, guard.check("diagnostics\uD800", "service"))
            assertFalse(guard.isAllowed(lone, lone))
            assertFalse(kit.isAllowed(lone, "service"))
            // Any other string is simply unknown.
            for (text in listOf("", " ", "Diagnostics", "диагностика", "\u0000", "service\n", "😀")) {
                assertEquals(notDeclared, guard.check(text, "service"), text)
                assertEquals(notDeclared, guard.check("diagnostics", text), text)
            }
            assertEquals(permitted(LegalBasis.CONTRACT), guard.check("diagnostics", "service"))
        }
    }

    @Test
    fun `allowed uses are counted like check counts them and explain counts nothing`() {
        val clock = TestClock(TestClock.MAY_1_NOON)
        openWithClock(clock).use { kit ->
            val guard = kit.guard()
            guard.check("diagnostics", "legal_compliance") // allowed before acceptance
            kit.acceptPolicy()
            repeat(5) { assertTrue(guard.check("diagnostics", "service").allowed) }
            repeat(3) { assertTrue(guard.isAllowed("diagnostics", "service")) }
            repeat(2) { assertTrue(kit.isAllowed("diagnostics", "service")) }
            repeat(4) { assertFalse(guard.isAllowed("diagnostics", "analytics")) } // needs consent
            repeat(6) { guard.explain("diagnostics", "service") }
            guard.check("no_such_category", "service")
            guard.check("contacts", "service") // permission never requested
            guard.check("diagnostics", "legal_compliance")
            // The core collects the guard's counts before it writes: no flush of the guard needed.
            assertEquals(
                listOf(
                    AccessReportRow("2024-05-01", "diagnostics", "legal_compliance", 2uL),
                    AccessReportRow("2024-05-01", "diagnostics", "service", 10uL),
                ),
                kit.accessReport("2024-05-01", "2024-05-01"),
            )
            // Counts add up with the core's own counting.
            kit.check("diagnostics", "service")
            guard.check("diagnostics", "service")
            guard.flush()
            assertEquals(12uL, kit.accessReport("2024-05-01", "2024-05-01").single { it.purpose == "service" }.count)
        }
    }

    @Test
    fun `uses reach the core when the snapshot changes and every few seconds`() {
        val clock = TestClock(TestClock.MAY_1_NOON)
        openWithClock(clock).use { kit ->
            kit.acceptPolicy()
            val guard = kit.guard()
            // Take the core's collection away, to see what the guard gives it by itself.
            kit.setUseCountSource(object : UseCountSource {
                override fun takeUseCounts(): List<UseCount> = emptyList()
            })
            fun stored() = kit.accessReport("2024-05-01", "2024-05-01").sumOf { it.count.toLong() }

            repeat(3) { guard.check("diagnostics", "service") }
            assertEquals(0, stored(), "still in the guard's counters")
            kit.grantConsent("analytics") // the next check takes a new snapshot and hands the old one's counts over
            guard.check("diagnostics", "service")
            assertEquals(3, stored())
            clock.advance(4_000)
            guard.check("diagnostics", "service")
            assertEquals(3, stored(), "not yet: counts are handed over every 5 seconds")
            clock.advance(1_000)
            guard.check("diagnostics", "service") // the check that finds the interval over hands them over
            assertEquals(6, stored())
        }
    }

    @Test
    fun `closeStore writes the guard's counts`() {
        val path = temp.resolve("privacy.db")
        val clock = TestClock(TestClock.MAY_1_NOON)
        openWithClock(clock, path).use { kit ->
            kit.acceptPolicy()
            repeat(7) { kit.guard().check("diagnostics", "service") }
            kit.closeStore()
        }
        openWithClock(clock, path).use { kit ->
            assertEquals(
                listOf(AccessReportRow("2024-05-01", "diagnostics", "service", 7uL)),
                kit.accessReport("2024-05-01", "2024-05-01"),
            )
        }
    }

    @Test
    fun `a PrivacyKit released without closeStore writes the guard's counts too`() {
        val path = temp.resolve("privacy.db")
        val clock = TestClock(TestClock.MAY_1_NOON)
        val kit = openWithClock(clock, path)
        kit.acceptPolicy()
        repeat(4) { kit.guard().check("diagnostics", "service") }
        kit.close() // frees the native object: the core collects the guard's counts as it goes
        openWithClock(clock, path).use { again ->
            assertEquals(4uL, again.accessReport("2024-05-01", "2024-05-01").single().count)
        }
    }

    @Test
    fun `a closed or freed PrivacyKit answers Closed`() {
        val closed = denied(DecisionReason.Closed)
        val kit = openInMemory()
        kit.acceptPolicy()
        val guard = kit.guard()
        assertTrue(guard.check("diagnostics", "service").allowed)
        kit.closeStore()
        assertEquals(closed, guard.check("diagnostics", "service"))
        assertEquals(closed, guard.explain("no_such_category", "service"))
        assertEquals(closed, guard.check("\uD800", "service"))
        assertFalse(guard.isAllowed("diagnostics", "service"))
        assertFalse(kit.isAllowed("diagnostics", "service"))
        assertFailsWith<PrivacyException.Closed> { guard.flush() }
        kit.close()
        assertEquals(closed, guard.check("diagnostics", "service"), "after the native object is freed")

        // Freed without closeStore, with the guard made before and after.
        val other = openInMemory()
        other.acceptPolicy()
        val before = other.guard()
        assertTrue(before.isAllowed("diagnostics", "service"))
        other.close()
        assertEquals(closed, before.check("diagnostics", "service"))
        assertEquals(closed, other.guard().check("diagnostics", "service"))
        assertFalse(other.isAllowed("diagnostics", "service"))
        other.guard().flush() // nothing left to write, nowhere to write it: does nothing
    }

    @Test
    fun `one guard per PrivacyKit`() {
        openInMemory().use { a ->
            openInMemory().use { b ->
                assertSame(a.guard(), a.guard())
                assertNotSame(a.guard(), b.guard())
                assertSame(a.guard(), a.guard(), "after another kit's guard was asked for")
                a.acceptPolicy()
                assertTrue(a.guard().isAllowed("diagnostics", "service"))
                assertFalse(b.guard().isAllowed("diagnostics", "service"), "each answers for its own kit")
            }
        }
    }

    @Test
    fun `counts stay on the day they were made when the day ends`() {
        val clock = TestClock(TestClock.startOf("2024-05-02", offsetMinutes = 180) - 10)
        openWithClock(clock, offsetMinutes = 180).use { kit ->
            kit.acceptPolicy()
            val guard = kit.guard()
            repeat(2) { guard.check("diagnostics", "service") }
            clock.advance(10) // midnight in UTC+3
            repeat(3) { guard.check("diagnostics", "service") }
            assertEquals(
                listOf(
                    AccessReportRow("2024-05-01", "diagnostics", "service", 2uL),
                    AccessReportRow("2024-05-02", "diagnostics", "service", 3uL),
                ),
                kit.accessReport("2024-05-01", "2024-05-02"),
            )
        }
    }

    @Test
    fun `a birthday changes the answer at the start of its local day`() {
        val offset = -300
        val clock = TestClock(TestClock.MAY_1_NOON)
        openWithClock(clock, offsetMinutes = offset).use { kit ->
            kit.acceptPolicy()
            // 16 (the age of digital consent in DE) on 2024-05-03.
            kit.declareUserFacts(UserFacts(birthDate = "2008-05-03", ageYears = null, jurisdiction = "DE"), ConsentSource.USER)
            val guard = kit.guard()
            val minor = denied(DecisionReason.NeedsGuardianConsent)
            assertEquals(minor, guard.check("diagnostics", "marketing"))
            clock.set(TestClock.startOf("2024-05-03", offset) - 1)
            assertEquals(minor, guard.check("diagnostics", "marketing"))
            clock.advance(1)
            assertEquals(permitted(LegalBasis.LEGITIMATE_INTEREST), guard.check("diagnostics", "marketing"))
            assertEquals(kit.explain("diagnostics", "marketing"), guard.explain("diagnostics", "marketing"))
        }
    }

    @Test
    fun `a new UTC offset moves the day the guard counts on`() {
        val clock = TestClock(TestClock.startOf("2024-05-02") + 2 * TestClock.HOUR_MS) // 02:00 UTC
        openWithClock(clock).use { kit ->
            kit.acceptPolicy()
            val guard = kit.guard()
            guard.check("diagnostics", "service") // 2024-05-02 in UTC
            kit.setUtcOffsetMinutes(-300) // 21:00 the day before
            guard.check("diagnostics", "service")
            kit.setUtcOffsetMinutes(840) // 16:00 on 2024-05-02
            guard.check("diagnostics", "service")
            assertEquals(
                listOf(
                    AccessReportRow("2024-05-01", "diagnostics", "service", 1uL),
                    AccessReportRow("2024-05-02", "diagnostics", "service", 2uL),
                ),
                kit.accessReport("2024-04-30", "2024-05-03"),
            )
        }
    }

    @Test
    fun `a change made on another thread is seen by the next check`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            kit.grantConsent("analytics")
            val guard = kit.guard()
            assertTrue(guard.isAllowed("diagnostics", "analytics"))
            kotlin.concurrent.thread { kit.withdrawConsent("analytics") }.join()
            assertEquals(denied(DecisionReason.ConsentWithdrawn), guard.check("diagnostics", "analytics"))
        }
    }
}
