package io.privacykit.sample

import android.app.Application
import io.privacykit.KeyProvider
import io.privacykit.android.AdvertisingIdSource
import io.privacykit.android.AndroidKeystoreKeyProvider
import java.util.concurrent.Executor
import java.util.concurrent.Executors

/**
 * The sample app: CallsApp's privacy policy (assets/privacy-policy.json, a copy of
 * examples/policies/callsapp.json) on PrivacyKit.
 *
 * [privacy] is opened on first use and shared by every screen. The four `open` functions are
 * what differs between a device and the JVM tests: where the policy is read from, the keystore,
 * the advertising identifier and the thread that writes.
 */
open class SampleApplication : Application() {
    private var services: PrivacyServices? = null

    /** PrivacyKit and what the screens build on it, opened on first use. */
    val privacy: PrivacyServices
        @Synchronized get() = services ?: PrivacyServices.open(
            context = this,
            policyJson = policyJson(),
            keyProvider = keyProvider(),
            advertisingIdSource = advertisingIdSource(),
            io = ioExecutor(),
        ).also { services = it }

    /** Writes what is pending and closes the store, as when the process ends. */
    @Synchronized
    fun closePrivacy() {
        services?.close()
        services = null
    }

    /** The policy the app ships. */
    protected open fun policyJson(): String =
        assets.open(POLICY_ASSET).bufferedReader().use { it.readText() }

    /** The vault's, the discovery cache's and the ledger seal's keys live in the Android Keystore. */
    protected open fun keyProvider(): KeyProvider = AndroidKeystoreKeyProvider()

    protected open fun advertisingIdSource(): AdvertisingIdSource = PlayServicesAdvertisingIdSource(this)

    /** Writes (each one an fsync), discovery and the advertising id are off the main thread. */
    protected open fun ioExecutor(): Executor = Executors.newSingleThreadExecutor { r -> Thread(r, "privacy-io") }

    companion object {
        const val POLICY_ASSET = "privacy-policy.json"
    }
}
