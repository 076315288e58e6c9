package io.privacykit.testing

import io.privacykit.KeyProvider
import io.privacykit.KeyProviderException
import java.io.File
import java.security.KeyStore
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The Android Keystore does not exist on the JVM: AES-256-GCM keys in a PKCS#12 file stand in
 * for it, with AndroidKeystoreKeyProvider's wrapped format `[1][12-byte IV][ciphertext + tag]`.
 */
class JvmKeyProvider(private val file: File) : KeyProvider {
    private val password = "test-only-password".toCharArray()

    override fun wrap(alias: String, key: ByteArray): ByteArray = try {
        val keyStore = load()
        val secretKey = keyStore.getKey(alias, password) as SecretKey? ?: createKey(keyStore, alias)
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, secretKey)
        byteArrayOf(FORMAT) + cipher.iv + cipher.doFinal(key)
    } finally {
        key.fill(0)
    }

    override fun unwrap(alias: String, wrapped: ByteArray): ByteArray {
        val secretKey = load().getKey(alias, password) as SecretKey? ?: throw KeyProviderException.KeyLost()
        if (wrapped.size < 1 + IV_BYTES + 16 || wrapped[0] != FORMAT) throw KeyProviderException.KeyLost()
        return try {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, secretKey, GCMParameterSpec(128, wrapped, 1, IV_BYTES))
            cipher.doFinal(wrapped, 1 + IV_BYTES, wrapped.size - 1 - IV_BYTES)
        } catch (e: AEADBadTagException) {
            throw KeyProviderException.KeyLost()
        }
    }

    override fun delete(alias: String) {
        val keyStore = load()
        if (keyStore.containsAlias(alias)) {
            keyStore.deleteEntry(alias)
            save(keyStore)
        }
    }

    fun aliases(): List<String> = load().aliases().toList().sorted()

    private fun createKey(keyStore: KeyStore, alias: String): SecretKey {
        val key = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
        keyStore.setEntry(alias, KeyStore.SecretKeyEntry(key), KeyStore.PasswordProtection(password))
        save(keyStore)
        return key
    }

    private fun load(): KeyStore = KeyStore.getInstance("PKCS12").apply {
        if (file.exists()) file.inputStream().use { load(it, password) } else load(null, password)
    }

    private fun save(keyStore: KeyStore) = file.outputStream().use { keyStore.store(it, password) }

    private companion object {
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val FORMAT: Byte = 1
        const val IV_BYTES = 12
    }
}
