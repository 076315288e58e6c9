// Part of the Android library (bindings/android). Compiled against the Android framework by
// bindings/android-tests; not run there, since the Android Keystore exists only on a device
// (the JVM tests exercise the same wrap/unwrap contract with a PKCS#12 provider).

package io.privacykit.android

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.UserNotAuthenticatedException
import io.privacykit.KeyProvider
import io.privacykit.KeyProviderException
import java.security.GeneralSecurityException
import java.security.KeyStore
import java.security.ProviderException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * Wraps PrivacyKit's vault key with an AES-256-GCM key that lives in the Android Keystore
 * (hardware-backed where the device has it) and never leaves it.
 *
 * Wrapped format: `[1][12-byte IV][ciphertext + 16-byte tag]`.
 *
 * PrivacyKit calls this while holding its lock: do not call back into PrivacyKit from here.
 */
class AndroidKeystoreKeyProvider : KeyProvider {
    private val keyStore: KeyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }

    override fun wrap(alias: String, key: ByteArray): ByteArray = keystoreCall {
        try {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.ENCRYPT_MODE, existingKey(alias) ?: generateKey(alias))
            byteArrayOf(FORMAT) + cipher.iv + cipher.doFinal(key)
        } finally {
            key.fill(0)
        }
    }

    override fun unwrap(alias: String, wrapped: ByteArray): ByteArray = keystoreCall {
        if (wrapped.size < 1 + IV_BYTES + TAG_BITS / 8 || wrapped[0] != FORMAT) {
            throw KeyProviderException.KeyLost()
        }
        val secretKey = existingKey(alias) ?: throw KeyProviderException.KeyLost()
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, secretKey, GCMParameterSpec(TAG_BITS, wrapped, 1, IV_BYTES))
        cipher.doFinal(wrapped, 1 + IV_BYTES, wrapped.size - 1 - IV_BYTES)
    }

    override fun delete(alias: String) = keystoreCall {
        if (keyStore.containsAlias(alias)) keyStore.deleteEntry(alias)
    }

    private fun existingKey(alias: String): SecretKey? = keyStore.getKey(alias, null) as SecretKey?

    private fun generateKey(alias: String): SecretKey {
        val spec = KeyGenParameterSpec.Builder(
            alias,
            KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT,
        )
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .setRandomizedEncryptionRequired(true)
            .build()
        return KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
            .apply { init(spec) }
            .generateKey()
    }

    /** Maps what the Keystore throws onto the three cases PrivacyKit tells apart. */
    private inline fun <T> keystoreCall(block: () -> T): T = try {
        block()
    } catch (e: KeyProviderException) {
        throw e
    } catch (e: UserNotAuthenticatedException) {
        throw KeyProviderException.Unavailable()
    } catch (e: KeyPermanentlyInvalidatedException) {
        throw KeyProviderException.KeyLost()
    } catch (e: AEADBadTagException) {
        throw KeyProviderException.KeyLost()
    } catch (e: ProviderException) {
        // Keystore daemon busy or restarting: worth retrying.
        throw KeyProviderException.Unavailable()
    } catch (e: GeneralSecurityException) {
        throw KeyProviderException.Failed(e.javaClass.simpleName)
    }

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val FORMAT: Byte = 1
        const val IV_BYTES = 12
        const val TAG_BITS = 128
    }
}
