package io.privacykit.sample

import io.privacykit.KeyProvider
import io.privacykit.android.AdvertisingIdInfo
import io.privacykit.android.AdvertisingIdSource
import io.privacykit.testing.JvmKeyProvider
import io.privacykit.testing.Policies
import java.io.File
import java.util.concurrent.Executor

/**
 * The sample app as the tests run it. Only what the JVM lacks or tests must control differs:
 * the policy is read from the very file the APK ships as an asset (Robolectric has no APK to
 * read assets from), the keystore is a PKCS#12 file under noBackupFilesDir, the advertising
 * id comes from [device] instead of Play services, and background work runs at once on the
 * calling thread, so a tap's effect is there when the main looper is idled.
 */
class TestSampleApplication : SampleApplication() {
    /** What the device's ad ID settings say; tests change it. */
    @Volatile
    var device: AdvertisingIdInfo? = AdvertisingIdInfo(AD_ID, limitAdTracking = false)

    override fun policyJson(): String = Policies.sample

    override fun keyProvider(): KeyProvider = JvmKeyProvider(File(noBackupFilesDir, "keystore.p12"))

    override fun advertisingIdSource(): AdvertisingIdSource = AdvertisingIdSource { device }

    override fun ioExecutor(): Executor = Executor { it.run() }

    companion object {
        const val AD_ID = "38400000-8cf0-11bd-b23e-10b96e40000d"
    }
}
