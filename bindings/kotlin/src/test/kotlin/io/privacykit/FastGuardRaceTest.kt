package io.privacykit

import io.privacykit.Fixtures.openInMemory
import org.junit.jupiter.api.Timeout
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicIntegerArray
import java.util.concurrent.atomic.AtomicLongArray
import java.util.concurrent.locks.LockSupport
import kotlin.concurrent.thread
import kotlin.test.Test
import kotlin.test.assertEquals

/**
 * Writers change the user's choices while readers check through the fast guard. After each
 * write returns, its writer signals the round; every check a reader starts after seeing that
 * signal must give the answer of that round. A writer starts its next write only once every
 * reader has checked the current round, so a reader's check is never racing a later write of
 * the same pair: the one answer it may give is the current one. Meanwhile the readers count
 * uses on another pair without pause, so counts keep landing in snapshots as they are replaced;
 * at the end the access report must hold exactly the allowed answers they got.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FastGuardRaceTest {

    /** One writer's pair, what it writes in each round, and what the guard must then answer. */
    private class Flip(
        val category: String,
        val purpose: String,
        val write: (PrivacyKit, Int) -> Unit,
        val expected: (Int) -> Decision,
    )

    private val flips = listOf(
        Flip(
            "diagnostics", "analytics",
            write = { kit, round ->
                if (round % 2 == 1) kit.grantConsent("analytics", "diagnostics") else kit.withdrawConsent("analytics", "diagnostics")
            },
            expected = { round ->
                when {
                    round == 0 -> denied(DecisionReason.NeedsConsent)
                    round % 2 == 1 -> permitted(LegalBasis.CONSENT)
                    else -> denied(DecisionReason.ConsentWithdrawn)
                }
            },
        ),
        Flip(
            "diagnostics", "marketing",
            write = { kit, round ->
                if (round % 2 == 1) kit.objectTo("marketing", "diagnostics") else kit.withdrawObjection("marketing", "diagnostics")
            },
            expected = { round ->
                if (round % 2 == 1) denied(DecisionReason.ObjectedByUser) else permitted(LegalBasis.LEGITIMATE_INTEREST)
            },
        ),
        Flip(
            "contacts", "service",
            write = { kit, round ->
                kit.reportPermission(OsPermission.CONTACTS, if (round % 2 == 1) PermissionStatus.GRANTED else PermissionStatus.RESTRICTED)
            },
            expected = { round ->
                when {
                    round == 0 -> denied(DecisionReason.OsPermissionNotRequested(OsPermission.CONTACTS))
                    round % 2 == 1 -> permitted(LegalBasis.CONTRACT)
                    else -> denied(DecisionReason.OsPermissionRestricted(OsPermission.CONTACTS))
                }
            },
        ),
    )

    @Test
    fun `no check that starts after a write returned answers as before it`() {
        val rounds = 200
        val readers = 3
        openInMemory().use { kit ->
            kit.acceptPolicy()
            val guard = kit.guard()
            val writers = flips.size
            val published = AtomicIntegerArray(writers)
            val checked = AtomicIntegerArray(writers * readers) // round each reader last checked, per writer
            val writersDone = AtomicIntegerArray(1)
            val problems = ConcurrentLinkedQueue<Any>()
            // Allowed answers the readers got, per writer's pair, and on the steady pair.
            val allowed = AtomicLongArray(writers + 1)
            var verified = 0L

            val readerThreads = (0 until readers).map { r ->
                thread(name = "reader-$r") {
                    try {
                        val seen = IntArray(writers)
                        var steady = 0L
                        var rounds = 0L
                        while (writersDone.get(0) < writers || (0 until writers).any { seen[it] != published.get(it) }) {
                            for (w in 0 until writers) {
                                val round = published.get(w)
                                if (round == seen[w]) continue
                                // The write of `round` returned before it was published: every
                                // answer from here on must be that round's.
                                val flip = flips[w]
                                val expected = flip.expected(round)
                                val first = guard.check(flip.category, flip.purpose)
                                val second = guard.isAllowed(flip.category, flip.purpose)
                                val third = kit.isAllowed(flip.category, flip.purpose)
                                val explained = guard.explain(flip.category, flip.purpose)
                                if (first != expected || second != expected.allowed || third != expected.allowed || explained != expected) {
                                    problems += "reader $r, ${flip.category}/${flip.purpose} round $round: " +
                                        "expected $expected, got $first, $second, $third, $explained"
                                }
                                if (expected.allowed) allowed.addAndGet(w, listOf(first.allowed, second, third).count { it }.toLong())
                                seen[w] = round
                                checked.set(w * readers + r, round)
                                rounds++
                            }
                            // Uses on a pair no writer touches, counted without pause.
                            repeat(20) { if (guard.isAllowed("diagnostics", "service")) steady++ }
                        }
                        allowed.addAndGet(writers, steady)
                        synchronized(this@FastGuardRaceTest) { verified += rounds }
                    } catch (t: Throwable) {
                        problems += t
                    }
                }
            }
            val writerThreads = flips.indices.map { w ->
                thread(name = "writer-$w") {
                    try {
                        for (round in 1..rounds) {
                            flips[w].write(kit, round)
                            published.set(w, round) // the signal: the write has returned
                            while ((0 until readers).any { checked.get(w * readers + it) < round }) {
                                if (problems.isNotEmpty()) return@thread
                                LockSupport.parkNanos(20_000)
                            }
                        }
                    } catch (t: Throwable) {
                        problems += t
                    } finally {
                        writersDone.incrementAndGet(0)
                    }
                }
            }
            writerThreads.forEach { it.join() }
            readerThreads.forEach { it.join() }

            assertEquals(emptyList(), problems.toList())
            assertEquals((writers * rounds * readers).toLong(), verified, "every reader checked every round")

            // Every allowed answer was counted once, and nothing else.
            val report = kit.accessReport(Fixtures.dayUtc(-1), Fixtures.dayUtc(1))
            fun counted(category: String, purpose: String) =
                report.filter { it.category == category && it.purpose == purpose }.sumOf { it.count.toLong() }
            flips.forEachIndexed { w, flip ->
                assertEquals(allowed.get(w), counted(flip.category, flip.purpose), "${flip.category}/${flip.purpose}")
            }
            assertEquals(allowed.get(writers), counted("diagnostics", "service"), "diagnostics/service")
        }
    }
}
