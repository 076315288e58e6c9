package io.privacykit.sample

import android.content.Context
import android.content.SharedPreferences
import android.os.Handler
import android.os.Looper
import io.privacykit.ContactDiscovery
import io.privacykit.DiscoveryConfig
import io.privacykit.DiscoveryMode
import io.privacykit.KeyProvider
import io.privacykit.Platform
import io.privacykit.PrivacyKit
import io.privacykit.PrivacyException
import io.privacykit.PrivacyKitConfig
import io.privacykit.TokenVault
import io.privacykit.android.AdvertisingIdReporter
import io.privacykit.android.AdvertisingIdSource
import io.privacykit.android.ContactsReader
import io.privacykit.android.OkHttpDiscoveryTransport
import io.privacykit.android.PermissionReporter
import okhttp3.HttpUrl
import okhttp3.HttpUrl.Companion.toHttpUrlOrNull
import okhttp3.OkHttpClient
import java.io.Closeable
import java.io.File
import java.util.Locale
import java.util.TimeZone
import java.util.concurrent.Executor

/**
 * PrivacyKit opened on a file under the app's `noBackupFilesDir` (the consent ledger must not
 * be restored onto another device), with what the screens build on it.
 */
class PrivacyServices private constructor(
    private val context: Context,
    val kit: PrivacyKit,
    val keyProvider: KeyProvider,
    val permissions: PermissionReporter,
    val advertising: AdvertisingIdReporter,
    val contacts: ContactsReader,
    private val io: Executor,
    /**
     * The stored privacy choices did not verify at this launch (the file was edited, or the
     * keystore lost the key that sealed them) and were set aside: the settings screen says so
     * and the user chooses again.
     */
    val choicesSetAside: Boolean,
) : Closeable {
    private val main = Handler(Looper.getMainLooper())

    /** Runs [work] off the main thread and hands its result, or its failure, to [done] on the main thread. */
    fun <T> background(work: () -> T, done: (Result<T>) -> Unit) {
        io.execute {
            val result = runCatching(work)
            main.post { done(result) }
        }
    }

    /** Runs [block] on the main thread (listeners are called on the thread that made the change). */
    fun onMain(block: () -> Unit) {
        if (Looper.myLooper() == Looper.getMainLooper()) block() else main.post(block)
    }

    fun vault(): TokenVault = kit.vault(keyProvider)

    /** The discovery server set at launch (see [DiscoveryEndpoint]), or null when none is. */
    fun discoveryEndpoint(): DiscoveryEndpoint? = DiscoveryEndpoint.load(prefs())

    fun saveDiscoveryEndpoint(endpoint: DiscoveryEndpoint) = endpoint.save(prefs())

    /**
     * Contact discovery in private mode against [endpoint], over OkHttp. The app's client names
     * its account with the install id, PrivacyKit's pseudonym for this installation, which the
     * reference server uses for its per-account budget.
     */
    fun discovery(endpoint: DiscoveryEndpoint): ContactDiscovery {
        val installId = kit.installId()
        val client = OkHttpClient.Builder()
            .addInterceptor { chain -> chain.proceed(chain.request().newBuilder().header("X-Account", installId).build()) }
            .build()
        val region = Locale.getDefault().country.takeIf { it.length == 2 } ?: "US"
        return kit.discovery(
            DiscoveryConfig(DiscoveryMode.Private(endpoint.publicKey()), region),
            keyProvider,
            OkHttpDiscoveryTransport(client, endpoint.url),
        )
    }

    override fun close() {
        kit.closeStore()
        kit.close()
    }

    private fun prefs(): SharedPreferences = context.getSharedPreferences("discovery", Context.MODE_PRIVATE)

    companion object {
        const val DATABASE = "privacykit.db"

        fun open(
            context: Context,
            policyJson: String,
            keyProvider: KeyProvider,
            advertisingIdSource: AdvertisingIdSource,
            io: Executor,
        ): PrivacyServices {
            val config = PrivacyKitConfig(
                databasePath = File(context.noBackupFilesDir, DATABASE).path,
                policyJson = policyJson,
                platform = Platform.ANDROID,
                utcOffsetMinutes = TimeZone.getDefault().getOffset(System.currentTimeMillis()) / 60_000,
                // Given at open, so the consent ledger is verified under its seal before any
                // decision uses it.
                keyProvider = keyProvider,
            )
            var choicesSetAside = false
            val kit = try {
                PrivacyKit.open(config)
            } catch (e: PrivacyException) {
                if (e !is PrivacyException.LedgerTampered && e !is PrivacyException.LedgerSealLost) throw e
                // Choices that cannot be verified are never applied. The sample keeps them as
                // unverified history (in the user's export) and asks again; an app might first
                // show a screen that explains it.
                choicesSetAside = true
                PrivacyKit.openSettingAsideTamperedLedger(config)
            }
            return PrivacyServices(
                context.applicationContext,
                kit,
                keyProvider,
                PermissionReporter(kit),
                AdvertisingIdReporter(kit, advertisingIdSource),
                ContactsReader(context.applicationContext),
                io,
                choicesSetAside,
            )
        }
    }
}

/**
 * Where the discovery server is, and its public key to pin. The reference server makes a new
 * key each time it starts and prints it, so the sample takes both at launch, from the intent
 * extras [EXTRA_URL] and [EXTRA_KEY] (see docs/qa.md), and keeps them.
 */
class DiscoveryEndpoint(val url: HttpUrl, private val publicKeyHex: String) {
    fun publicKey(): ByteArray = publicKeyHex.chunked(2).map { it.toInt(16).toByte() }.toByteArray()

    internal fun save(prefs: SharedPreferences) {
        prefs.edit().putString(EXTRA_URL, url.toString()).putString(EXTRA_KEY, publicKeyHex).apply()
    }

    companion object {
        const val EXTRA_URL = "discovery_url"
        const val EXTRA_KEY = "discovery_key"

        /** Null unless [url] is an http(s) URL and [keyHex] a whole number of hex bytes. */
        fun parse(url: String?, keyHex: String?): DiscoveryEndpoint? {
            val parsed = url?.let { if (it.endsWith("/")) it else "$it/" }?.toHttpUrlOrNull() ?: return null
            val key = keyHex?.trim()?.lowercase() ?: return null
            if (key.isEmpty() || key.length % 2 != 0 || key.any { it !in "0123456789abcdef" }) return null
            return DiscoveryEndpoint(parsed, key)
        }

        internal fun load(prefs: SharedPreferences): DiscoveryEndpoint? =
            parse(prefs.getString(EXTRA_URL, null), prefs.getString(EXTRA_KEY, null))
    }
}
