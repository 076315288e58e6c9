package io.privacykit.sample

import android.content.Context
import io.privacykit.android.AdvertisingIdInfo
import io.privacykit.android.AdvertisingIdSource

/**
 * The advertising identifier from Google Play services' `AdvertisingIdClient`.
 *
 * Play services is published on Google's Maven repository only, not on Maven Central, where
 * this sample's Kotlin is also compiled and tested; so the sample's Gradle build adds
 * `play-services-ads-identifier` at run time only, and this class calls it by name. An app
 * that depends on it at compile time writes the same in three lines:
 *
 * ```kotlin
 * AdvertisingIdSource {
 *     val info = AdvertisingIdClient.getAdvertisingIdInfo(context)
 *     AdvertisingIdInfo(info.id, info.isLimitAdTrackingEnabled)
 * }
 * ```
 *
 * [read] blocks (Play services answers over IPC): call it off the main thread. It returns null
 * when Play services is missing or gives no answer.
 */
class PlayServicesAdvertisingIdSource(private val context: Context) : AdvertisingIdSource {
    override fun read(): AdvertisingIdInfo? {
        val client = try {
            Class.forName(CLIENT)
        } catch (_: ClassNotFoundException) {
            return null
        }
        return try {
            val info = client.getMethod("getAdvertisingIdInfo", Context::class.java).invoke(null, context) ?: return null
            val id = info.javaClass.getMethod("getId").invoke(info) as String?
            val limited = info.javaClass.getMethod("isLimitAdTrackingEnabled").invoke(info) as Boolean
            AdvertisingIdInfo(id, limited)
        } catch (_: ReflectiveOperationException) {
            // Play services missing on the device, or unavailable right now.
            null
        }
    }

    companion object {
        const val CLIENT = "com.google.android.gms.ads.identifier.AdvertisingIdClient"
    }
}
