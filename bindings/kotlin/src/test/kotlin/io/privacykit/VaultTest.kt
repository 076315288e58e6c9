package io.privacykit

import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.nio.file.Path
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** The token vault through the generated bindings, keyed by a PKCS12-backed KeyProvider. */
class VaultTest {
    @TempDir
    lateinit var dir: Path

    private val policy = """
        {
          "format": 1, "policy_id": "io.privacykit.vaulttest", "version": 1,
          "effective_date": "2024-05-01", "controller": { "name": "Test Ltd" },
          "minimum_age": 13, "digital_consent_age": 16,
          "categories": [ { "id": "social_accounts" } ],
          "purposes": [ { "id": "service" } ],
          "processing": [ { "category": "social_accounts", "purpose": "service", "legal_basis": "consent" } ]
        }
    """.trimIndent()

    private val dbPath get() = dir.resolve("privacy.db").toString()
    private val keystoreFile get() = dir.resolve("keys.p12").toFile()
    private val password = "test-only-password".toCharArray()

    private fun open(): PrivacyKit =
        PrivacyKit.open(PrivacyKitConfig(dbPath, policy, Platform.ANDROID, 0))

    private fun consenting(): PrivacyKit = open().also { kit ->
        if (kit.consentState().ledgerLength == 0uL) {
            kit.acceptPolicy()
            kit.grantConsent("service", "social_accounts")
        }
    }

    /** Runs [block] with a consenting PrivacyKit, then closes its store and frees it. */
    private fun <T> session(kit: PrivacyKit = consenting(), block: (PrivacyKit) -> T): T =
        kit.use { try { block(it) } finally { it.closeStore() } }

    private fun link(account: String, token: String, refresh: String? = null) = AccountLink(
        provider = "vk",
        accountId = account,
        accessToken = Secret(token),
        refreshToken = refresh?.let { Secret(it) },
        expiresAtMs = 1_900_000_000_000,
        scopes = listOf("friends", "email"),
    )

    @Test
    fun `link, read back, list without secrets, unlink`() {
        val keys = Pkcs12KeyProvider(keystoreFile, password)
        session { kit ->
            val vault = kit.vault(keys)
            vault.linkAccount(link("id1", "access-1", "refresh-1"))
            vault.linkAccount(link("id2", "access-2"))
            val tokens = vault.tokens("vk", "id1")
            assertEquals("access-1", tokens.accessToken.expose())
            assertEquals("refresh-1", tokens.refreshToken!!.expose())
            assertEquals(listOf("friends", "email"), tokens.scopes)
            assertFalse(tokens.accessToken.toString().contains("access-1"))

            val listed = vault.linkedAccounts()
            assertEquals(listOf("id1", "id2"), listed.map { it.accountId })
            assertTrue(vault.unlinkAccount("vk", "id1"))
            assertFailsWith<PrivacyException.AccountNotLinked> { vault.tokens("vk", "id1") }
            assertEquals("access-2", vault.tokens("vk", "id2").accessToken.expose())
            assertEquals(listOf("privacykit.vault.1.1"), keys.vaultAliases())
        }
    }

    @Test
    fun `the platform unwraps once however many tokens are read`() {
        val keys = Pkcs12KeyProvider(keystoreFile, password)
        session { kit -> repeat(5) { kit.vault(keys).linkAccount(link("u$it", "t$it")) } }
        session { kit ->
            val vault = kit.vault(keys)
            repeat(200) { assertEquals("t${it % 5}", vault.tokens("vk", "u${it % 5}").accessToken.expose()) }
        }
        // One unwrap per process, plus one when the new vault key was made, to check its wrap.
        assertEquals(2, keys.unwrapCalls.get())
    }

    @Test
    fun `linking needs consent and withdrawal destroys tokens and keys`() {
        val keys = Pkcs12KeyProvider(keystoreFile, password)
        session(open()) { kit ->
            kit.acceptPolicy()
            val vault = kit.vault(keys)
            val refused = assertFailsWith<PrivacyException.NotPermitted> { vault.linkAccount(link("u", "t")) }
            assertEquals(DecisionReason.NeedsConsent, refused.reason)

            kit.grantConsent("service")
            vault.linkAccount(link("u", "t"))
            assertEquals(1, keys.vaultAliases().size)

            kit.withdrawConsent("service")
            assertTrue(keys.vaultAliases().isEmpty(), "the platform key is deleted")
            val afterWithdrawal = assertFailsWith<PrivacyException.NotPermitted> { vault.tokens("vk", "u") }
            assertEquals(DecisionReason.ConsentWithdrawn, afterWithdrawal.reason)

            kit.grantConsent("service")
            assertTrue(vault.linkedAccounts().isEmpty(), "nothing comes back")
        }
    }

    @Test
    fun `a locked keystore is retryable and deletes nothing`() {
        val keys = Pkcs12KeyProvider(keystoreFile, password)
        session { kit -> kit.vault(keys).linkAccount(link("u", "secret")) }
        keys.locked = true
        session { kit ->
            val vault = kit.vault(keys)
            assertFailsWith<PrivacyException.VaultLocked> { vault.tokens("vk", "u") }
            keys.locked = false
            assertEquals("secret", vault.tokens("vk", "u").accessToken.expose())
        }
    }

    @Test
    fun `a lost key is reported and reset explicitly`() {
        session { kit -> kit.vault(Pkcs12KeyProvider(keystoreFile, password)).linkAccount(link("u", "secret")) }
        // The vault's platform key wiped by the OS. (A backup restored onto another device also
        // loses the ledger's seal key: the Rust tests in tests/ledger_integrity.rs cover that.)
        Pkcs12KeyProvider(keystoreFile, password).wipeVaultKeys()
        session { kit ->
            val vault = kit.vault(Pkcs12KeyProvider(keystoreFile, password))
            assertFailsWith<PrivacyException.VaultKeyLost> { vault.tokens("vk", "u") }
            assertFailsWith<PrivacyException.VaultKeyLost> { vault.linkedAccounts() }
            assertEquals(1u, vault.resetVault())
            vault.linkAccount(link("u", "fresh"))
            assertEquals("fresh", vault.tokens("vk", "u").accessToken.expose())
        }
    }

    @Test
    fun `rotation keeps every token readable under one platform key`() {
        val keys = Pkcs12KeyProvider(keystoreFile, password)
        session { kit ->
            val vault = kit.vault(keys)
            repeat(3) { vault.linkAccount(link("u$it", "t$it")) }
            vault.rewrapKey()
            assertEquals(listOf("privacykit.vault.1.2"), keys.vaultAliases())
            vault.rotateKey()
            assertEquals(listOf("privacykit.vault.2.1"), keys.vaultAliases())
        }
        session { kit ->
            val vault = kit.vault(keys)
            repeat(3) { assertEquals("t$it", vault.tokens("vk", "u$it").accessToken.expose()) }
        }
    }

    @Test
    fun `bad input is a typed error`() {
        session { kit ->
            val vault = kit.vault(Pkcs12KeyProvider(keystoreFile, password))
            val error = assertFailsWith<PrivacyException.InvalidArgument> { vault.linkAccount(link("u", "")) }
            assertEquals("access_token", error.field)
            assertNull(vault.linkedAccounts().firstOrNull())
        }
    }

    @Test
    fun `use {} on the kit closes the store even while a vault handle exists`() {
        val keys = Pkcs12KeyProvider(keystoreFile, password)
        val vault = consenting().use { kit -> kit.vault(keys).also { it.linkAccount(link("u", "t")) } }
        assertFailsWith<PrivacyException.Closed> { vault.tokens("vk", "u") }
        // The file was released: it opens again at once.
        session { kit -> assertEquals("t", kit.vault(keys).tokens("vk", "u").accessToken.expose()) }
        vault.close()
    }
}
