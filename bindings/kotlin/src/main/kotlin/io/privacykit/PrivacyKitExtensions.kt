// Hand-written Kotlin sugar over the generated bindings in privacykit.kt (which must not be
// edited by hand). Everything here is expressible with the generated API alone; the fast guard
// behind isAllowed is in FastGuard.kt.

package io.privacykit

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow

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
 * `check(category, purpose).allowed`, answered by this PrivacyKit's [FastGuard] ([guard]): in
 * Kotlin, without a call into Rust while nothing changed, and with the allowed use counted in
 * the access report like `check` counts it. Any string is answered, a lone UTF-16 surrogate
 * included (`false`: no declared id is spelled like that). Use `guard().check` or
 * `guard().explain` when you need the reason.
 */
fun PrivacyKit.isAllowed(category: String, purpose: String): Boolean = guard().isAllowed(category, purpose)
