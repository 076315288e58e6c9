package io.privacykit.testing

import java.io.File
import java.net.HttpURLConnection
import java.net.URI
import java.util.concurrent.TimeUnit

/**
 * PrivacyKit's reference discovery server, the real binary, as a child process on a loopback
 * port. Its path is the system property `privacykit.discoveryServer`, set in one place:
 * bindings/android-tests/pom.xml. Its first line names its address and its public key.
 */
class ReferenceServer(budget: Int = 10_000) : AutoCloseable {
    private val process: Process
    val baseUrl: String
    val publicKeyHex: String

    init {
        val binary = File(
            System.getProperty("privacykit.discoveryServer")
                ?: error("system property privacykit.discoveryServer is not set (run through Maven)"),
        )
        check(binary.canExecute()) {
            "the reference discovery server is not built at $binary: cargo build -p privacykit-discovery-server"
        }
        process = ProcessBuilder(binary.path, "--port", "0", "--budget", budget.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start()
        val line = process.inputStream.bufferedReader().readLine()
            ?: error("the discovery server exited before it was ready")
        val parts = line.split(" ") // listening on 127.0.0.1:PORT key HEX
        check(parts.size == 5 && parts[0] == "listening" && parts[3] == "key") { "unexpected ready line from the discovery server" }
        check(parts[2].startsWith("127.0.0.1:")) { "the discovery server must listen on loopback" }
        baseUrl = "http://" + parts[2] + "/"
        publicKeyHex = parts[4]
    }

    /** Registers users: lines `join <id>`, `hide <id>`, `leave <id>` (the server's test-only endpoint). */
    fun admin(lines: String) {
        val connection = URI.create(baseUrl + "admin/users").toURL().openConnection() as HttpURLConnection
        connection.requestMethod = "POST"
        connection.doOutput = true
        connection.outputStream.use { it.write(lines.toByteArray()) }
        check(connection.responseCode == 200) { "admin request failed: ${connection.responseCode}" }
        connection.inputStream.close()
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
    }
}
