package io.privacykit.android

import android.app.Application
import io.privacykit.Contact
import io.privacykit.DiscoveryConfig
import io.privacykit.DiscoveryMode
import io.privacykit.OsPermission
import io.privacykit.PermissionStatus
import io.privacykit.PrivacyException
import io.privacykit.TransportException
import io.privacykit.testing.JvmKeyProvider
import io.privacykit.testing.Policies
import io.privacykit.testing.PrivacyKitTestRunner
import io.privacykit.testing.ReferenceServer
import okhttp3.HttpUrl.Companion.toHttpUrl
import okhttp3.OkHttpClient
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RuntimeEnvironment
import java.io.File
import java.net.ServerSocket
import java.util.concurrent.atomic.AtomicInteger
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

/** The AAR's OkHttp transport against the reference discovery server on a loopback port. */
@RunWith(PrivacyKitTestRunner::class)
class OkHttpDiscoveryTransportTest {
    private val app: Application = RuntimeEnvironment.getApplication()
    private val keys = JvmKeyProvider(File(app.noBackupFilesDir, "keys.p12"))
    private val evaluations = AtomicInteger()
    private val filterFetches = AtomicInteger()
    private val client = OkHttpClient.Builder()
        .addInterceptor { chain ->
            val path = chain.request().url.encodedPath
            if (path.endsWith("/v1/evaluate")) evaluations.incrementAndGet()
            if (path.endsWith("/v1/filter")) filterFetches.incrementAndGet()
            chain.proceed(chain.request().newBuilder().header("X-Account", "android-test").build())
        }
        .build()

    private val book = listOf(
        Contact("alice", listOf("+12015550101"), emptyList()),
        Contact("bob", listOf("+12015550102"), listOf("bob@example.com")),
        Contact("carol", listOf("+12015550103"), emptyList()),
    )

    @Test
    fun `finds members, then hears a join from the filter`() {
        ReferenceServer().use { server ->
            server.admin("join tel:+12015550101\njoin mailto:bob@example.com\nhide tel:+12015550103\n")
            Policies.openTestPolicy().use { kit ->
                kit.acceptPolicy()
                kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.GRANTED)
                val transport = OkHttpDiscoveryTransport(client, server.baseUrl.toHttpUrl())
                val config = DiscoveryConfig(DiscoveryMode.Private(hex(server.publicKeyHex)), "US")
                kit.discovery(config, keys, transport).use { discovery ->
                    val found = discovery.discover(book)
                    assertEquals(listOf("alice", "bob"), found.matched)
                    assertEquals(1, evaluations.get())

                    server.admin("join tel:+12015550103\n")
                    val fetchesBefore = filterFetches.get()
                    assertEquals(listOf("carol"), discovery.syncFilter().joined)
                    assertEquals(1, evaluations.get(), "joins come from the filter, not from evaluating again")
                    assertTrue(filterFetches.get() > fetchesBefore, "the filter came over the app's client")
                }
            }
        }
    }

    @Test
    fun `HTTP errors and unreachable servers arrive as typed transport errors`() {
        val serverKey = ReferenceServer().use { server ->
            val wrongPath = OkHttpDiscoveryTransport(client, (server.baseUrl + "nowhere/").toHttpUrl())
            val http = assertFailsWith<TransportException.Http> { wrongPath.fetchFilter("00", 0uL) }
            assertEquals(404.toUShort(), http.status)
            hex(server.publicKeyHex)
        }
        val closedPort = ServerSocket(0).use { it.localPort }
        val unreachable = OkHttpDiscoveryTransport(client, "http://127.0.0.1:$closedPort/".toHttpUrl())
        val failure = assertFailsWith<TransportException.Unavailable> { unreachable.evaluate(ByteArray(8)) }
        assertEquals("ConnectException", failure.reason)

        Policies.openTestPolicy().use { kit ->
            kit.acceptPolicy()
            kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.GRANTED)
            val config = DiscoveryConfig(DiscoveryMode.Private(serverKey), "US")
            kit.discovery(config, keys, unreachable).use { discovery ->
                assertFailsWith<PrivacyException.DiscoveryTransport> { discovery.discover(book) }
            }
        }
    }

    private fun hex(text: String) = text.chunked(2).map { it.toInt(16).toByte() }.toByteArray()
}
