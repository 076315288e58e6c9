package io.privacykit.minified

import io.privacykit.AccountLink
import io.privacykit.ConsentSource
import io.privacykit.DecisionReason
import io.privacykit.KeyProvider
import io.privacykit.Platform
import io.privacykit.PrivacyChange
import io.privacykit.PrivacyException
import io.privacykit.PrivacyKit
import io.privacykit.PrivacyKitConfig
import io.privacykit.PrivacyListener
import io.privacykit.Secret
import io.privacykit.UserFacts
import java.io.File
import java.security.SecureRandom
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.system.exitProcess

/**
 * What an app does with the bindings, as a program that ConsumerRulesTest minifies with the
 * library's consumer rules and then runs: every kind of JNA crossing (calls, structures,
 * strings, records, errors, and callbacks from Rust into Kotlin: a listener and a key provider).
 * Argument: the policy file. Prints one line and exits 0 when everything worked.
 */
object MinifiedApp {
    @JvmStatic
    fun main(args: Array<String>) {
        val policy = File(args[0]).readText()
        PrivacyKit.open(PrivacyKitConfig(null, policy, Platform.ANDROID, 0)).use { kit ->
            val heard = CopyOnWriteArrayList<PrivacyChange>()
            kit.addListener(object : PrivacyListener {
                override fun onChange(change: PrivacyChange) {
                    heard += change
                }
            })
            kit.declareUserFacts(UserFacts(birthDate = null, ageYears = 30u, jurisdiction = null), ConsentSource.USER)
            kit.acceptPolicy()
            kit.grantConsent("service", "social_accounts")
            check(kit.check("social_accounts", "service").allowed) { "the grant did not allow the use" }
            check(heard.size == 3) { "the listener heard ${heard.size} changes" }

            val vault = kit.vault(MemoryKeyProvider())
            vault.linkAccount(AccountLink("vk", "42", Secret("token-a"), null, null, listOf("friends")))
            check(vault.tokens("vk", "42").accessToken.expose() == "token-a") { "the token did not come back" }
            kit.withdrawConsent("service", "social_accounts")
            val refused = try {
                vault.tokens("vk", "42")
                null
            } catch (e: PrivacyException.NotPermitted) {
                e.reason
            }
            check(refused == DecisionReason.ConsentWithdrawn) { "the withdrawal was not enforced" }
        }
        println("minified app: every call worked")
        exitProcess(0)
    }
}

/** A key provider kept in memory: the key XOR a random pad per alias. */
private class MemoryKeyProvider : KeyProvider {
    private val pads = ConcurrentHashMap<String, ByteArray>()
    private val random = SecureRandom()

    override fun wrap(alias: String, key: ByteArray): ByteArray {
        val pad = pads.getOrPut(alias) { ByteArray(64).also(random::nextBytes) }
        return ByteArray(key.size) { (key[it].toInt() xor pad[it].toInt()).toByte() }
    }

    override fun unwrap(alias: String, wrapped: ByteArray): ByteArray {
        val pad = pads[alias] ?: throw io.privacykit.KeyProviderException.KeyLost()
        return ByteArray(wrapped.size) { (wrapped[it].toInt() xor pad[it].toInt()).toByte() }
    }

    override fun delete(alias: String) {
        pads.remove(alias)
    }
}
