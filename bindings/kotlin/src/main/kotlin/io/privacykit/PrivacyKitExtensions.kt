// Hand-written Kotlin sugar over the generated bindings in privacykit.kt (which must not be
// edited by hand). Everything here is expressible with the generated API alone.

package io.privacykit

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import java.util.Collections
import java.util.WeakHashMap
import java.util.concurrent.ConcurrentHashMap

/**
 * Every change PrivacyKit makes from the moment collection starts, as a cold [Flow]:
 * consent and ledger entries ([PrivacyChange.Consent]), OS permission changes
 * ([PrivacyChange.Permission]) and new policy versions ([PrivacyChange.Policy]).
 *
 * Each collector registers its own [PrivacyListener] with [PrivacyKit.addListener] and removes
 * it with [PrivacyKit.removeListener] when the collection ends or is cancelled. Nothing is
 * replayed: changes made before collection started are not emitted (read
 * [PrivacyKit.consentState] or [PrivacyKit.permissionState] for the current state).
 *
 * Threading: PrivacyKit calls listeners synchronously **on the thread that made the change**
 * (the thread that called `grantConsent`, `recordPermissionRequest`, `updatePolicy`, ...),
 * after the change is durable and after PrivacyKit released its locks. This flow only hands
 * the change to an unbounded buffer there, so it never blocks or slows that thread; values
 * are delivered in the collector's own coroutine context. Use `flowOn`/`conflate` as usual.
 *
 * Closing PrivacyKit (its own close method, or `close()`/`use {}` on the Kotlin object) drops
 * its listeners, so the flow stops emitting; it does not complete by itself, so cancel the
 * collection (or use `take`/`first`/`takeWhile`) to end it.
 */
fun PrivacyKit.changes(): Flow<PrivacyChange> = callbackFlow {
    val listener = object : PrivacyListener {
        override fun onChange(change: PrivacyChange) {
            // Unbounded buffer: trySend only fails once the flow is already closed.
            trySend(change)
        }
    }
    val id = addListener(listener)
    awaitClose {
        try {
            removeListener(id)
        } catch (_: IllegalStateException) {
            // The Kotlin object was already destroyed (close()/use {}); the Rust side dropped
            // its listeners with it, so there is nothing left to remove.
        }
    }
}.buffer(Channel.UNLIMITED)

/**
 * `check(category, purpose).allowed` in a single native call: the first call for a pair
 * prepares a [DataUse] (see [PrivacyKit.dataUse]) and later calls reuse it, so no string
 * crosses into Rust again. Counts an allowed use, like `check`.
 *
 * Through JNA, `check(category, purpose)` makes five native calls (two string buffers in, the
 * call, buffers out); this makes one. Use `check` or `explain` when you need the reason.
 */
fun PrivacyKit.isAllowed(category: String, purpose: String): Boolean =
    preparedUses.getOrPut(this) { ConcurrentHashMap() }
        .computeIfAbsent(category to purpose) { (c, p) -> dataUse(c, p) }
        .isAllowed()

/** One map of prepared uses per PrivacyKit, dropped with it. */
private val preparedUses: MutableMap<PrivacyKit, ConcurrentHashMap<Pair<String, String>, DataUse>> =
    Collections.synchronizedMap(WeakHashMap())
