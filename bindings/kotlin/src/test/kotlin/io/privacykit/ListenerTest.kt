package io.privacykit

import io.privacykit.Fixtures.openInMemory
import io.privacykit.Fixtures.testPolicy
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.supervisorScope
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Timeout
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertSame
import kotlin.test.assertTrue

/** Kotlin listeners called from Rust, and the Flow layer on top of them. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ListenerTest {

    @Test
    fun `a listener hears consent, permission and policy changes after they are stored`() {
        openInMemory().use { kit ->
            val listener = RecordingListener()
            kit.addListener(listener)

            val entry = kit.grantConsent("analytics")
            val state = kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.GRANTED)
            kit.updatePolicy(testPolicy(version = 2))

            assertEquals(
                listOf(
                    PrivacyChange.Consent(entry),
                    PrivacyChange.Permission(state),
                    PrivacyChange.Policy(2u),
                ),
                listener.changes.toList(),
            )
        }
    }

    @Test
    fun `nothing is heard when nothing changed`() {
        openInMemory().use { kit ->
            val listener = RecordingListener()
            kit.addListener(listener)
            kit.reportPermission(OsPermission.CONTACTS, PermissionStatus.NOT_DETERMINED) // already known
            kit.updatePolicy(testPolicy()) // same version, same content
            kit.flush()
            kit.check("diagnostics", "service")
            assertTrue(listener.changes.isEmpty(), "${listener.changes}")
        }
    }

    @Test
    fun `listeners run on the thread that made the change`() {
        openInMemory().use { kit ->
            val listener = RecordingListener()
            kit.addListener(listener)
            kit.grantConsent("analytics")
            var worker: Thread? = null
            thread(name = "privacykit-writer") {
                worker = Thread.currentThread()
                kit.denyConsent("analytics")
            }.join()
            assertEquals(2, listener.threads.size)
            assertSame(Thread.currentThread(), listener.threads[0])
            assertSame(worker, listener.threads[1])
        }
    }

    @Test
    fun `a listener may call back into PrivacyKit`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            val seen = CopyOnWriteArrayList<Pair<Decision, ULong>>()
            kit.addListener(object : PrivacyListener {
                override fun onChange(change: PrivacyChange) {
                    seen += kit.explain("diagnostics", "analytics") to kit.consentState().ledgerLength
                }
            })
            kit.grantConsent("analytics")
            // The change is already in force and on the ledger when the listener runs.
            assertEquals(listOf(permitted(LegalBasis.CONSENT) to 2uL), seen.toList())
        }
    }

    @Test
    fun `a throwing listener does not break PrivacyKit or the other listeners`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            var thrown = 0
            kit.addListener(object : PrivacyListener {
                override fun onChange(change: PrivacyChange) {
                    thrown++
                    throw RuntimeException("listener bug")
                }
            })
            kit.addListener(object : PrivacyListener {
                override fun onChange(change: PrivacyChange) {
                    thrown++
                    throw ListenerException.Failed()
                }
            })
            val after = RecordingListener()
            kit.addListener(after)

            val entry = kit.grantConsent("analytics")
            assertEquals(2, thrown)
            assertEquals(listOf<PrivacyChange>(PrivacyChange.Consent(entry)), after.changes.toList())
            // The change is stored and in force.
            assertEquals(2uL, kit.consentState().ledgerLength)
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))

            // Later calls work and keep notifying.
            val state = kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.DENIED)
            assertEquals(4, thrown)
            assertEquals(PrivacyChange.Permission(state), after.changes.last())
            assertEquals(2uL, kit.verifyLedger())
        }
    }

    @Test
    fun `removeListener stops delivery`() {
        openInMemory().use { kit ->
            val kept = RecordingListener()
            val removed = RecordingListener()
            kit.addListener(kept)
            val id = kit.addListener(removed)
            kit.grantConsent("analytics")
            assertTrue(kit.removeListener(id))
            assertFalse(kit.removeListener(id), "a second removal finds nothing")
            assertFalse(kit.removeListener(999_999uL))
            kit.denyConsent("analytics")
            assertEquals(1, removed.changes.size)
            assertEquals(2, kept.changes.size)
        }
    }

    @Test
    fun `the same listener added twice is called twice and has two ids`() {
        openInMemory().use { kit ->
            val listener = RecordingListener()
            val a = kit.addListener(listener)
            val b = kit.addListener(listener)
            assertTrue(a != b)
            kit.grantConsent("analytics")
            assertEquals(2, listener.changes.size)
        }
    }

    @Test
    fun `closing the store drops its listeners`() {
        val kit = openInMemory()
        val listener = RecordingListener()
        val id = kit.addListener(listener)
        kit.closeStore()
        assertFalse(kit.removeListener(id))
        kit.close()
    }

    @Test
    fun `the flow delivers changes in order`() = runBlocking<Unit> {
        openInMemory().use { kit ->
            withTimeout(10_000) {
                // Unconfined + UNDISPATCHED: the listener is registered before async returns.
                val received = async(Dispatchers.Unconfined, start = CoroutineStart.UNDISPATCHED) {
                    kit.changes().take(3).toList()
                }
                val entry = kit.grantConsent("analytics")
                val state = kit.recordPermissionRequest(OsPermission.LOCATION, PermissionStatus.GRANTED)
                kit.updatePolicy(testPolicy(version = 2))
                assertEquals(
                    listOf(PrivacyChange.Consent(entry), PrivacyChange.Permission(state), PrivacyChange.Policy(2u)),
                    received.await(),
                )
            }
        }
    }

    @Test
    fun `the flow hears changes made on other threads and unregisters when done`() = runBlocking<Unit> {
        openInMemory().use { kit ->
            val registeredBefore = FfiConverterTypePrivacyListener.handleMap.size
            withTimeout(10_000) {
                val firstPolicy = async(Dispatchers.Unconfined, start = CoroutineStart.UNDISPATCHED) {
                    kit.changes().filterIsInstance<PrivacyChange.Policy>().first()
                }
                assertEquals(registeredBefore + 1, FfiConverterTypePrivacyListener.handleMap.size)
                thread {
                    kit.grantConsent("analytics")
                    kit.updatePolicy(testPolicy(version = 5))
                }.join()
                assertEquals(PrivacyChange.Policy(5u), firstPolicy.await())
            }
            // Collection ended: the flow removed its listener and Rust released it.
            assertEquals(registeredBefore, FfiConverterTypePrivacyListener.handleMap.size)
            kit.grantConsent("marketing", category = "location") // nobody listening: still fine
        }
    }

    @Test
    fun `a flow outliving its PrivacyKit object ends with a plain cancellation`() {
        val kit = openInMemory()
        val outcome = runBlocking {
            supervisorScope {
                val received = async(Dispatchers.Unconfined, start = CoroutineStart.UNDISPATCHED) {
                    kit.changes().toList()
                }
                kit.close() // frees the Rust object while the flow is still collecting
                received.cancel()
                runCatching { received.await() }.exceptionOrNull()
            }
        }
        // Not the IllegalStateException a removeListener on a destroyed object throws.
        assertTrue(outcome is CancellationException, "$outcome")
        assertTrue(kit.uniffiIsDestroyed)
    }
}
