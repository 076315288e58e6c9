package io.privacykit

import org.junit.jupiter.api.io.TempDir
import java.io.IOException
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Path
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

/**
 * Contact discovery through the generated bindings against the reference server (the
 * `privacykit-discovery-server` binary, built by `.ci/test`) on a loopback port, with a
 * transport written in Kotlin over java.net.http.
 */
class DiscoveryTest {
    @TempDir
    lateinit var dir: Path

    /** The reference server as a child process; its first line names its address and key. */
    private class ReferenceServer(budget: Int = 10_000) : AutoCloseable {
        private val process: Process
        val baseUrl: String
        val publicKey: ByteArray

        init {
            val binary = System.getProperty("privacykit.discoveryServer")
                ?: error("system property privacykit.discoveryServer is not set (run through Maven)")
            process = ProcessBuilder(binary, "--port", "0", "--budget", budget.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start()
            val line = process.inputStream.bufferedReader().readLine()
                ?: error("the discovery server did not start: build it with cargo build -p privacykit-discovery-server")
            val parts = line.split(" ") // listening on 127.0.0.1:PORT key HEX
            baseUrl = "http://" + parts[2]
            publicKey = parts[4].chunked(2).map { it.toInt(16).toByte() }.toByteArray()
        }

        fun admin(lines: String) {
            val request = HttpRequest.newBuilder(URI.create("$baseUrl/admin/users"))
                .POST(HttpRequest.BodyPublishers.ofString(lines)).build()
            val response = client.send(request, HttpResponse.BodyHandlers.ofString())
            check(response.statusCode() == 200) { "admin request failed: ${response.statusCode()}" }
        }

        override fun close() {
            process.destroy()
            process.waitFor()
        }
    }

    /** What an app's transport does: its own HTTP stack, its own account header. */
    class HttpClientTransport(private val baseUrl: String, private val account: String) : DiscoveryTransport {
        val requests = java.util.concurrent.atomic.AtomicInteger()

        override fun evaluate(request: ByteArray): ByteArray {
            requests.incrementAndGet()
            return send(
                HttpRequest.newBuilder(URI.create("$baseUrl/v1/evaluate"))
                    .header("X-Account", account)
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(request)).build(),
            )
        }

        override fun fetchFilter(keyId: String, sinceVersion: ULong): ByteArray = send(
            HttpRequest.newBuilder(URI.create("$baseUrl/v1/filter?key=$keyId&since=$sinceVersion")).GET().build(),
        )

        private fun send(request: HttpRequest): ByteArray {
            val response = try {
                client.send(request, HttpResponse.BodyHandlers.ofByteArray())
            } catch (e: IOException) {
                throw TransportException.Unavailable(e.javaClass.simpleName)
            }
            if (response.statusCode() != 200) throw TransportException.Http(response.statusCode().toUShort())
            return response.body()
        }
    }

    private fun kitAllowingContacts(): PrivacyKit = Fixtures.openInMemory().also { kit ->
        kit.acceptPolicy()
        kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.GRANTED)
    }

    private fun keys() = Pkcs12KeyProvider(dir.resolve("keys.p12").toFile(), "test-only-password".toCharArray())

    private val book = listOf(
        Contact("alice", listOf("+12015550101"), emptyList()),
        Contact("bob", listOf("+12015550102"), listOf("bob@example.com")),
        Contact("carol", listOf("+12015550103"), emptyList()),
    )

    @Test
    fun `finds registered contacts, caches them, and hears joins from the filter`() {
        ReferenceServer().use { server ->
            server.admin("join tel:+12015550101\njoin mailto:bob@example.com\nhide tel:+12015550103\n")
            kitAllowingContacts().use { kit ->
                val transport = HttpClientTransport(server.baseUrl, "kotlin-test")
                val config = DiscoveryConfig(DiscoveryMode.Private(server.publicKey), "US")
                kit.discovery(config, keys(), transport).use { discovery ->
                    val first = discovery.discover(book)
                    assertEquals(listOf("alice", "bob"), first.matched)
                    assertEquals(4u, first.evaluated)
                    assertEquals(1, transport.requests.get())

                    val again = discovery.discover(book)
                    assertEquals(first.matched, again.matched)
                    assertEquals(0u, again.requests)
                    assertEquals(1, transport.requests.get(), "an unchanged book sends nothing")

                    server.admin("join tel:+12015550103\n")
                    val update = discovery.syncFilter()
                    assertEquals(listOf("carol"), update.joined)
                    assertEquals(1, transport.requests.get(), "joins come from the filter")
                    assertEquals(4uL, discovery.summary().cachedIdentifiers)
                }
            }
        }
    }

    @Test
    fun `refusals arrive as typed exceptions`() {
        ReferenceServer(budget = 64).use { server ->
            Fixtures.openInMemory().use { kit ->
                kit.acceptPolicy()
                val transport = HttpClientTransport(server.baseUrl, "kotlin-budget")
                val config = DiscoveryConfig(DiscoveryMode.Private(server.publicKey), "US")
                kit.discovery(config, keys(), transport).use { discovery ->
                    val refused = assertFailsWith<PrivacyException.NotPermitted> { discovery.discover(book) }
                    assertTrue(refused.reason is DecisionReason.OsPermissionNotRequested)
                    assertEquals(0, transport.requests.get())

                    kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.GRANTED)
                    val many = (0 until 100).map { Contact("c$it", listOf("+1201555%04d".format(it)), emptyList()) }
                    assertFailsWith<PrivacyException.DiscoveryBudgetExceeded> { discovery.discover(many) }
                }
            }
        }
    }

    private companion object {
        // HTTP/1.1: the reference server does not speak HTTP/2.
        val client: HttpClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
    }
}
