// The guard answered in Kotlin, from a decision snapshot the core hands over: check, explain
// and isAllowed without a call into Rust while nothing changed. Hand-written, over the generated
// bindings in privacykit.kt (which must not be edited by hand). docs/guard.md describes the
// design ("The fast guard in Kotlin").

package io.privacykit

import com.sun.jna.Memory
import com.sun.jna.Pointer
import java.lang.ref.WeakReference
import java.nio.charset.CharacterCodingException
import java.util.Collections
import java.util.WeakHashMap
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.atomic.AtomicLong
import java.util.concurrent.atomic.AtomicLongArray
import java.util.concurrent.locks.ReentrantLock
import kotlin.concurrent.withLock

/**
 * The guard of one [PrivacyKit], answered in Kotlin: the same answers as [PrivacyKit.check],
 * [PrivacyKit.explain] and `check(...).allowed`, and the same access counts, in well under a
 * microsecond instead of tens of microseconds through the generated bindings. Get it with
 * [PrivacyKit.guard]; it is safe to share between threads.
 *
 * How it stays right:
 * - It answers from a [DecisionSnapshot] (the core's whole decision table) while the core's
 *   decision epoch, read from native memory on every check (one JNI read, no UniFFI call),
 *   equals the snapshot's serial. Every change of state moves the epoch on before the call that
 *   made it returns (consent, objection, restriction, permission report, age facts, policy
 *   update, erasure, UTC offset, from any thread), so a check that starts after such a call
 *   returned takes a new snapshot first: a withdrawn consent never answers "allowed".
 * - Time: the snapshot is used only until its day ends and until `validUntilMs` (a birthday
 *   that changes the age rules), by the clock the core reads ([PrivacyKit.customClock], or the
 *   system clock).
 * - Counting: allowed uses counted by [check] and [isAllowed] are kept per pair in lock-free
 *   counters and given to the core under the day they were counted on: when the snapshot is
 *   replaced (a change, a new day), every few seconds from a later check, and whenever the core
 *   writes its own counts ([flush], [PrivacyKit.flush], [PrivacyKit.accessReport],
 *   [PrivacyKit.exportPersonalData], [PrivacyKit.closeStore], and when the PrivacyKit is freed),
 *   because the guard registers itself as the core's [UseCountSource]. Counts still in memory
 *   when the process is killed are lost, as the core's own are: call [flush] (or
 *   [PrivacyKit.flush]) when the app goes to the background.
 * - Unknown ids, and strings that are not valid UTF-16 (a lone surrogate), answer
 *   `NotDeclaredInPolicy` without a call into Rust; nothing here throws for any string.
 * - Closed: once the PrivacyKit is closed ([PrivacyKit.closeStore]) or freed, every answer is
 *   `Closed`. The guard does not keep its PrivacyKit alive.
 */
class FastGuard internal constructor(kit: PrivacyKit) {
    private val kit = WeakReference(kit)

    /** The core's decision epoch (see [PrivacyKit.decisionEpochAddress]): never freed. */
    private val epoch: Pointer

    /** The clock the core reads; null for the system clock. */
    private val clock: PrivacyKitClock?

    private val uses = Uses()
    private val refresh = ReentrantLock()
    private val nextPushAtMs: AtomicLong

    init {
        var epoch = CLOSED_CELL
        var clock: PrivacyKitClock? = null
        try {
            clock = kit.customClock()
            epoch = Pointer(kit.decisionEpochAddress().toLong())
            kit.setUseCountSource(uses)
        } catch (_: IllegalStateException) {
            // The Kotlin object was already destroyed: this guard answers Closed.
        }
        this.epoch = epoch
        this.clock = clock
        nextPushAtMs = AtomicLong(now() + PUSH_INTERVAL_MS)
    }

    /**
     * May [category] be used for [purpose] now? Like [PrivacyKit.check]: the same decision, and
     * an allowed use is counted in the access report.
     */
    fun check(category: String, purpose: String): Decision = answer(category, purpose, count = true).copy()

    /** The same answer as [check], without counting a use: for settings screens. */
    fun explain(category: String, purpose: String): Decision = answer(category, purpose, count = false).copy()

    /** `check(category, purpose).allowed`, without allocating: counts an allowed use. */
    fun isAllowed(category: String, purpose: String): Boolean = answer(category, purpose, count = true).allowed

    /**
     * Writes the uses counted so far, this guard's and the core's, durably ([PrivacyKit.flush]).
     * Call it when the app goes to the background. Throws like [PrivacyKit.flush]
     * (`PrivacyException.Closed` once the PrivacyKit is closed); does nothing once the native
     * object is freed (`close()`, or collected), which collected the counts as it went.
     */
    fun flush() {
        val kit = kit.get() ?: return
        try {
            kit.flush() // The core takes this guard's counts first (it is the kit's UseCountSource).
        } catch (_: IllegalStateException) {
            // The Kotlin object was destroyed: nothing is left to write.
        }
    }

    internal fun isFor(kit: PrivacyKit): Boolean = this.kit.get() === kit

    private fun now(): Long {
        val clock = clock
        return if (clock == null) System.currentTimeMillis() else clock.nowMs()
    }

    private fun answer(category: String, purpose: String, count: Boolean): Decision {
        val snapshot = uses.current
        val now = now()
        if (snapshot == null || epoch.getLong(0) != snapshot.serial || now >= snapshot.expiresAtMs) {
            return answerAfterRefresh(category, purpose, count)
        }
        return answerFrom(snapshot, category, purpose, count, now)
    }

    private fun answerFrom(snapshot: Snapshot, category: String, purpose: String, count: Boolean, now: Long): Decision {
        val pair = snapshot.pairOf(category, purpose)
        if (pair < 0) return NOT_DECLARED
        val decision = snapshot.decisions[pair]
        if (count && decision.allowed) {
            snapshot.counts.incrementAndGet(pair)
            // Counted into a snapshot that was replaced meanwhile: take the count back out, so
            // it is not left behind in counters nobody drains any more.
            if (snapshot.retired) uses.reclaim(snapshot, pair)
            if (now >= nextPushAtMs.get()) pushPeriodically(now)
        }
        return decision
    }

    /** The epoch moved, the day ended or a birthday came: a new snapshot, then the answer. */
    private fun answerAfterRefresh(category: String, purpose: String, count: Boolean): Decision {
        var current: Snapshot? = null
        var now = 0L
        refresh.withLock {
            repeat(MAX_REFRESHES) {
                now = now()
                val installed = uses.current
                val epochNow = epoch.getLong(0)
                if (epochNow == CLOSED) {
                    retire(installed)
                    return CLOSED_DECISION
                }
                if (installed != null && epochNow == installed.serial && now < installed.expiresAtMs) {
                    current = installed
                    return@withLock
                }
                val kit = kit.get() ?: return CLOSED_DECISION
                val taken = try {
                    kit.decisionSnapshot()
                } catch (_: PrivacyException.Closed) {
                    return CLOSED_DECISION
                } catch (_: IllegalStateException) {
                    return CLOSED_DECISION // the Kotlin object was destroyed
                } catch (_: PrivacyException) {
                    return INTERNAL_ERROR // fail closed, as check does
                }
                val fresh = Snapshot.of(taken) ?: return INTERNAL_ERROR
                // Published before the old one is drained: a check that still counts into the
                // old one after that sees it retired and takes its count back out.
                uses.current = fresh
                retire(installed)
                // The next pass checks the epoch against the serial returned and the time against
                // the new expiry: a change made meanwhile takes another snapshot.
            }
        }
        val snapshot = current
            ?: return answerThroughTheCore(category, purpose, count) // clocks disagree: ask Rust
        return answerFrom(snapshot, category, purpose, count, now)
    }

    /** Gives a replaced snapshot's counts to the core. */
    private fun retire(snapshot: Snapshot?) {
        if (snapshot == null) return
        snapshot.retired = true
        val counts = ArrayList<UseCount>()
        snapshot.drainTo(counts)
        uses.drainPendingTo(counts)
        push(counts)
    }

    private fun pushPeriodically(now: Long) {
        val due = nextPushAtMs.get()
        if (now < due || !nextPushAtMs.compareAndSet(due, now + PUSH_INTERVAL_MS)) return
        push(uses.takeUseCounts())
    }

    /**
     * Adds counts to the core's (written with its next write). Counts it refuses are dropped:
     * only a clock moved back across midnight makes them so, and the core's own counts are
     * statistics too; once the PrivacyKit is closed or freed there is nowhere to put them.
     */
    private fun push(counts: List<UseCount>) {
        if (counts.isEmpty()) return
        val kit = kit.get() ?: return
        try {
            kit.recordUses(counts)
        } catch (_: PrivacyException) {
        } catch (_: IllegalStateException) {
        }
    }

    /** The generated call, for the rare answer no snapshot can give (the clocks disagree). */
    private fun answerThroughTheCore(category: String, purpose: String, count: Boolean): Decision {
        val kit = kit.get() ?: return CLOSED_DECISION
        return try {
            if (count) kit.check(category, purpose) else kit.explain(category, purpose)
        } catch (_: CharacterCodingException) {
            NOT_DECLARED // not valid UTF-16: no declared id is spelled like that
        } catch (_: IllegalStateException) {
            CLOSED_DECISION
        }
    }

    /** One snapshot in Kotlin form, with its use counters. */
    private class Snapshot private constructor(source: DecisionSnapshot) {
        val serial: Long = source.serial.toLong()
        val day: Long = source.day
        val expiresAtMs: Long = minOf(source.dayEndsAtMs, source.validUntilMs ?: Long.MAX_VALUE)
        private val categoryIds: Array<String> = source.categories.toTypedArray()
        private val purposeIds: Array<String> = source.purposes.toTypedArray()
        private val categoryIndex: HashMap<String, Int> = indexOf(categoryIds)
        private val purposeIndex: HashMap<String, Int> = indexOf(purposeIds)
        val decisions: Array<Decision> = source.decisions.toTypedArray()
        val counts = AtomicLongArray(decisions.size)

        @Volatile
        var retired = false

        /** The pair's slot, or -1 when the policy does not know both ids. */
        fun pairOf(category: String, purpose: String): Int {
            val c = categoryIndex[category] ?: return -1
            val p = purposeIndex[purpose] ?: return -1
            return c * purposeIds.size + p
        }

        fun useCount(pair: Int, count: Long) = UseCount(
            serial = serial.toULong(),
            day = day,
            category = categoryIds[pair / purposeIds.size],
            purpose = purposeIds[pair % purposeIds.size],
            count = count.toULong(),
        )

        /** Takes every non-zero counter out (each count goes to exactly one taker). */
        fun drainTo(out: MutableList<UseCount>) {
            for (pair in 0 until counts.length()) {
                if (counts.get(pair) == 0L) continue
                val count = counts.getAndSet(pair, 0L)
                if (count > 0) out += useCount(pair, count)
            }
        }

        companion object {
            /** The snapshot, or null when its table does not have one decision per pair. */
            fun of(source: DecisionSnapshot): Snapshot? =
                if (source.decisions.size == source.categories.size * source.purposes.size) Snapshot(source) else null

            private fun indexOf(ids: Array<String>) = HashMap<String, Int>(ids.size * 2).apply {
                ids.forEachIndexed { i, id -> put(id, i) }
            }
        }
    }

    /**
     * The counts the core collects: the current snapshot's and those taken back from replaced
     * ones. Lock-free, and it holds no reference to the PrivacyKit (the core holds it).
     */
    private class Uses : UseCountSource {
        @Volatile
        var current: Snapshot? = null
        private val pending = ConcurrentLinkedQueue<UseCount>()

        fun reclaim(snapshot: Snapshot, pair: Int) {
            val count = snapshot.counts.getAndSet(pair, 0L)
            if (count > 0) pending += snapshot.useCount(pair, count)
        }

        fun drainPendingTo(out: MutableList<UseCount>) {
            while (true) out += pending.poll() ?: return
        }

        override fun takeUseCounts(): List<UseCount> {
            val out = ArrayList<UseCount>()
            current?.drainTo(out)
            drainPendingTo(out)
            return out
        }
    }

    private companion object {
        /** The epoch's value once the PrivacyKit is closed or freed (`u64::MAX`). */
        const val CLOSED = -1L
        const val PUSH_INTERVAL_MS = 5_000L
        const val MAX_REFRESHES = 4

        /** An epoch cell that always says closed, for a guard made from a destroyed object. */
        val CLOSED_CELL: Pointer = Memory(8).apply { setLong(0, CLOSED) }

        val NOT_DECLARED = Decision(false, DecisionReason.NotDeclaredInPolicy)
        val CLOSED_DECISION = Decision(false, DecisionReason.Closed)
        val INTERNAL_ERROR = Decision(false, DecisionReason.InternalError)
    }
}

/**
 * This PrivacyKit's [FastGuard], made on first use and then the same one. Use it wherever the
 * app touches personal data: `kit.guard().isAllowed("location", "analytics")`.
 */
fun PrivacyKit.guard(): FastGuard {
    lastGuard?.let { if (it.isFor(this)) return it }
    val guard = synchronized(guards) { guards.getOrPut(this) { FastGuard(this) } }
    lastGuard = guard
    return guard
}

/** One guard per PrivacyKit, dropped with it (a guard holds its PrivacyKit only weakly). */
private val guards: MutableMap<PrivacyKit, FastGuard> = WeakHashMap()

/** The guard asked for last: most apps have one PrivacyKit, found here without a lock. */
@Volatile
private var lastGuard: FastGuard? = null
