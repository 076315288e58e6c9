package io.privacykit

import java.io.File
import java.security.KeyStore
import java.util.concurrent.atomic.AtomicInteger
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * A [KeyProvider] for the JVM: AES-256-GCM keys in a PKCS12 keystore file, standing in for the
 * Android Keystore in tests. Same wrapped format as AndroidKeystoreKeyProvider:
 * `[1][12-byte IV][ciphertext + tag]`. Counts the vault keys' unwraps (not the ledger seal
 * key's) and can pretend to be locked.
 */
class Pkcs12KeyProvider(private val file: File, private val password: CharArray) : KeyProvider {
    /** Unwraps of vault keys. */
    val unwrapCalls = AtomicInteger()

    @Volatile
    var locked = false

    override fun wrap(alias: String, key: ByteArray): ByteArray {
        checkUnlocked()
        try {
            val keyStore = load()
            val secretKey = keyStore.getKey(alias, password) as SecretKey? ?: createKey(keyStore, alias)
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.ENCRYPT_MODE, secretKey)
            return byteArrayOf(FORMAT) + cipher.iv + cipher.doFinal(key)
        } finally {
            key.fill(0)
        }
    }

    override fun unwrap(alias: String, wrapped: ByteArray): ByteArray {
        checkUnlocked()
        if (alias.startsWith(VAULT_PREFIX)) unwrapCalls.incrementAndGet()
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
        checkUnlocked()
        val keyStore = load()
        if (keyStore.containsAlias(alias)) {
            keyStore.deleteEntry(alias)
            save(keyStore)
        }
    }

    fun aliases(): List<String> = load().aliases().toList().sorted()

    /** The vault's platform keys (the ledger's seal key is `privacykit.ledger-seal`). */
    fun vaultAliases(): List<String> = aliases().filter { it.startsWith(VAULT_PREFIX) }

    /** What an OS wiping the vault's platform keys looks like; the ledger's seal key stays. */
    fun wipeVaultKeys() {
        val keyStore = load()
        vaultAliases().forEach { keyStore.deleteEntry(it) }
        save(keyStore)
    }

    private fun checkUnlocked() {
        if (locked) throw KeyProviderException.Unavailable()
    }

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
        const val VAULT_PREFIX = "privacykit.vault."
        const val FORMAT: Byte = 1
        const val IV_BYTES = 12
    }
}
