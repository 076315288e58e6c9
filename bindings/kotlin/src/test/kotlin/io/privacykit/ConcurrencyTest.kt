package io.privacykit

import io.privacykit.Fixtures.openInMemory
import org.junit.jupiter.api.Timeout
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicInteger
import java.util.concurrent.atomic.AtomicLong
import kotlin.concurrent.thread
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/** One PrivacyKit shared by threads, as the SDK documents it may be. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConcurrencyTest {

    @Test
    fun `checks on several threads while another thread writes consent`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            val heard = AtomicInteger()
            kit.addListener(object : PrivacyListener {
                override fun onChange(change: PrivacyChange) {
                    heard.incrementAndGet()
                }
            })

            val writes = 200
            val start = CountDownLatch(1)
            val writerDone = AtomicBoolean(false)
            val problems = ConcurrentLinkedQueue<Any>()
            val allowedAnalytics = AtomicLong()
            val serviceChecks = AtomicLong()
            val totalChecks = AtomicLong()
            val valid = setOf(
                permitted(LegalBasis.CONSENT),
                denied(DecisionReason.NeedsConsent),
                denied(DecisionReason.ConsentWithdrawn),
            )

            val checkers = (1..4).map { n ->
                thread(name = "checker-$n") {
                    try {
                        start.await()
                        // Keep checking until the writer is done, and at least a few thousand times.
                        var i = 0
                        while (!writerDone.get() || i < 2_000) {
                            val analytics = kit.check("diagnostics", "analytics")
                            if (analytics !in valid) problems += analytics
                            if (analytics.allowed) allowedAnalytics.incrementAndGet()
                            val service = kit.check("diagnostics", "service")
                            if (service != permitted(LegalBasis.CONTRACT)) problems += service
                            serviceChecks.incrementAndGet()
                            if (kit.explain("nope", "service") != denied(DecisionReason.NotDeclaredInPolicy)) {
                                problems += "explain"
                            }
                            i++
                        }
                        totalChecks.addAndGet(i.toLong())
                    } catch (t: Throwable) {
                        problems += t
                    }
                }
            }
            val writer = thread(name = "writer") {
                try {
                    start.await()
                    repeat(writes) { i ->
                        if (i % 2 == 0) kit.grantConsent("analytics") else kit.withdrawConsent("analytics")
                    }
                    kit.grantConsent("analytics", category = "diagnostics")
                } catch (t: Throwable) {
                    problems += t
                } finally {
                    writerDone.set(true)
                }
            }
            start.countDown()
            writer.join()
            checkers.forEach { it.join() }

            assertEquals(emptyList(), problems.toList())
            assertTrue(totalChecks.get() >= 4 * 2_000)
            // The last write is a grant: every thread now sees it.
            assertEquals(permitted(LegalBasis.CONSENT), kit.explain("diagnostics", "analytics"))
            val state = kit.consentState()
            assertEquals(1uL + writes.toULong() + 1uL, state.ledgerLength)
            assertEquals(state.ledgerLength, kit.verifyLedger())
            assertEquals(writes + 1, heard.get()) // every write after the listener was added

            // Every allowed use was counted exactly once, and nothing else was.
            val report = kit.accessReport(Fixtures.dayUtc(-1), Fixtures.dayUtc(1))
            fun counted(purpose: String) =
                report.filter { it.category == "diagnostics" && it.purpose == purpose }.sumOf { it.count }
            assertEquals(allowedAnalytics.get().toULong(), counted("analytics"))
            assertEquals(serviceChecks.get().toULong(), counted("service"))
        }
    }

    @Test
    fun `writers on several threads get a gapless ledger`() {
        openInMemory().use { kit ->
            val problems = ConcurrentLinkedQueue<Throwable>()
            val seqs = ConcurrentLinkedQueue<ULong>()
            val threads = (1..4).map {
                thread {
                    try {
                        repeat(50) {
                            seqs += kit.grantConsent("analytics").seq
                            kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.DENIED)
                            seqs += kit.withdrawConsent("analytics", category = "read_receipts").seq
                        }
                    } catch (t: Throwable) {
                        problems += t
                    }
                }
            }
            threads.forEach { it.join() }
            assertEquals(emptyList(), problems.toList())
            assertEquals((1uL..400uL).toList(), seqs.sorted())
            assertEquals(400uL, kit.verifyLedger())
            assertEquals(200, kit.permissionHistory(OsPermission.CONTACTS).size)
        }
    }
}
