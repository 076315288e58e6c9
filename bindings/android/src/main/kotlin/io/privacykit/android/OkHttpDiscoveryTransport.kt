// Part of the Android library (bindings/android). OkHttp is compileOnly there: an app that uses
// this transport brings its own OkHttp 5. Compiled and tested on the JVM by
// bindings/android-tests, against the reference discovery server.

package io.privacykit.android

import io.privacykit.DiscoveryTransport
import io.privacykit.TransportException
import okhttp3.HttpUrl
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import java.io.IOException

/**
 * Sends PrivacyKit's discovery messages with the app's OkHttp client, so its interceptors
 * (authentication, certificate pinning, logging policy) apply. [baseUrl] is the discovery
 * server's root, e.g. `https://api.example.com/discovery/`.
 *
 * PrivacyKit calls this on the thread that called `discover`/`syncFilter`, never on the main
 * thread by itself and without holding its lock: run discovery off the main thread.
 * Never log request or response bodies: they are derived from the user's address book.
 */
class OkHttpDiscoveryTransport(
    private val client: OkHttpClient,
    private val baseUrl: HttpUrl,
) : DiscoveryTransport {
    override fun evaluate(request: ByteArray): ByteArray = execute(
        Request.Builder()
            .url(baseUrl.resolve("v1/evaluate")!!)
            .post(request.toRequestBody(OCTET_STREAM))
            .build(),
    )

    override fun fetchFilter(keyId: String, sinceVersion: ULong): ByteArray = execute(
        Request.Builder()
            .url(
                baseUrl.resolve("v1/filter")!!.newBuilder()
                    .addQueryParameter("key", keyId)
                    .addQueryParameter("since", sinceVersion.toString())
                    .build(),
            )
            .get()
            .build(),
    )

    private fun execute(request: Request): ByteArray {
        try {
            client.newCall(request).execute().use { response ->
                if (!response.isSuccessful) throw TransportException.Http(response.code.toUShort())
                return response.body.bytes()
            }
        } catch (e: IOException) {
            // The exception's class only: messages can quote URLs or bodies.
            throw TransportException.Unavailable(e.javaClass.simpleName)
        }
    }

    private companion object {
        val OCTET_STREAM = "application/octet-stream".toMediaType()
    }
}
