package io.privacykit

import io.privacykit.Fixtures.openFile
import io.privacykit.Fixtures.testPolicy
import io.privacykit.Fixtures.todayUtc
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.test.fail

/**
 * The user's rights through the generated bindings: the export (checked against its JSON
 * Schema), erasure of everything or of one kind of data, and retention purges. Mirrors
 * tests/rights.rs, without the Rust tests' manual clock.
 */
class RightsTest {
    @TempDir
    lateinit var dir: Path

    private val dbPath get() = dir.resolve("privacy.db")
    private val keys by lazy { Pkcs12KeyProvider(dir.resolve("keys.p12").toFile(), "test-only-password".toCharArray()) }

    /** The fixture policy with linked social accounts and [retention] rules. */
    private fun policy(retention: String = """{ "data": "access_log", "days": 30 }"""): String {
        val base = testPolicy()
        check("\"categories\": [" in base && "\"processing\": [" in base)
        return base
            .replace(
                "\"categories\": [",
                "\"retention\": [ $retention ],\n  \"categories\": [\n    { \"id\": \"social_accounts\" },",
            )
            .replace(
                "\"processing\": [",
                "\"processing\": [\n    { \"category\": \"social_accounts\", \"purpose\": \"service\", \"legal_basis\": \"consent\" },",
            )
    }

    private fun open(policy: String = policy()): PrivacyKit = openFile(dbPath, policy)

    /** A user with a bit of everything: choices, facts, permissions, uses, a linked account. */
    private fun busyUser(kit: PrivacyKit) {
        kit.acceptPolicy()
        kit.declareUserFacts(UserFacts(birthDate = "1990-04-12", ageYears = null, jurisdiction = "DE"), ConsentSource.USER)
        kit.grantConsent("analytics")
        kit.grantConsent("service", category = "social_accounts")
        kit.objectTo("marketing", category = "diagnostics")
        kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.GRANTED)
        repeat(3) { assertTrue(kit.check("diagnostics", "analytics").allowed) }
        kit.vault(keys).linkAccount(
            AccountLink(
                provider = "vk",
                accountId = ACCOUNT_ID,
                accessToken = Secret(TOKEN),
                refreshToken = null,
                expiresAtMs = null,
                scopes = listOf("email"),
            ),
        )
        kit.installId()
    }

    /**
     * A validator for the subset of JSON Schema the export schema uses: type, enum, const,
     * required, properties (no others allowed), items, local `$ref`s.
     */
    private fun validate(schemaNode: Any?, root: Any?, value: Any?, path: String) {
        var schema = schemaNode.asMap()
        (schema["\$ref"] as String?)?.let { ref ->
            schema = root["\$defs"][ref.removePrefix("#/\$defs/")].asMap()
        }
        if ("const" in schema) assertEquals(schema["const"], value, path)
        (schema["enum"] as List<*>?)?.let { assertTrue(value in it, "$path: $value not in $it") }
        schema["type"]?.let { t ->
            val types = if (t is String) listOf(t) else t.asList()
            val actual = when (value) {
                null -> "null"
                is Boolean -> "boolean"
                is Long -> "integer"
                is Double -> "number"
                is String -> "string"
                is List<*> -> "array"
                is Map<*, *> -> "object"
                else -> fail("$path: unexpected $value")
            }
            assertTrue(actual in types || (actual == "integer" && "number" in types), "$path: $actual is not $types")
        }
        val properties = schema["properties"]?.asMap()
        if (value is Map<*, *> && properties != null) {
            for (required in (schema["required"] as List<*>?).orEmpty()) {
                assertTrue(required in value, "$path: missing $required")
            }
            for ((key, item) in value) {
                val field = properties[key] ?: fail("$path.$key is not in the schema")
                validate(field, root, item, "$path.$key")
            }
        }
        val items = schema["items"]
        if (value is List<*> && items != null) {
            value.forEachIndexed { i, item -> validate(items, root, item, "$path[$i]") }
        }
    }

    @Test
    fun `the export holds every section, matches its schema and leaks no secret`() {
        open().use { kit ->
            busyUser(kit)
            kit.reportAdvertisingId(AD_ID)
            val installId = kit.installId()

            val text = kit.exportPersonalData()
            val export = MiniJson.parse(text)
            val schema = MiniJson.parse(exportJsonSchema())
            validate(schema, schema, export, "$")

            // The schema names every top-level key of the export, and requires each of them.
            val schemaKeys = schema["properties"].asMap().keys
            assertEquals(export.asMap().keys, schemaKeys)
            assertEquals(schemaKeys, schema["required"].asList().toSet())
            for (key in listOf(
                "format", "format_version", "controller", "policy", "install_id", "user_facts", "age",
                "processing", "decisions", "permissions", "consent_receipts", "consent_compaction", "linked_accounts",
                "access_report", "advertising",
            )) {
                assertTrue(key in export.asMap(), "missing $key")
            }

            assertEquals("privacykit-export", export["format"])
            assertEquals(1L, export["format_version"])
            assertEquals("Test Ltd", export["controller"]["name"])
            assertEquals("io.privacykit.test", export["policy"]["policy_id"])
            assertEquals(1L, export["policy"]["accepted_version"])
            assertEquals(installId, export["install_id"])
            assertEquals("1990-04-12", export["user_facts"]["birth_date"])
            assertEquals("DE", export["user_facts"]["jurisdiction"])
            assertEquals("adult", export["age"]["group"])
            assertEquals("user", export["age"]["declared_by"])

            assertEquals(false, export["processing"]["restricted"])
            assertEquals("diagnostics", export["processing"]["objections"][0]["category"])
            assertTrue(export["processing"]["choices"].asList().any { it["purpose"] == "analytics" && it["choice"] == "granted" })

            val decisions = export["decisions"].asList()
            val marketing = decisions.single { it["category"] == "diagnostics" && it["purpose"] == "marketing" }
            assertEquals(false, marketing["allowed"])
            assertEquals("objected_by_user", marketing["reason"])
            assertEquals("legitimate_interest", marketing["legal_basis"])
            val analytics = decisions.single { it["category"] == "diagnostics" && it["purpose"] == "analytics" }
            assertEquals(true, analytics["allowed"])

            val receipts = export["consent_receipts"].asList()
            assertEquals(5, receipts.size) // accept, facts, analytics, social accounts, objection
            assertEquals(kit.consentState().ledgerLength.toInt(), receipts.size)
            assertEquals("analytics", receipts[2]["purpose"])
            assertEquals(listOf<Any?>("consent"), receipts[2]["legal_bases"])
            assertEquals("user_in_app", receipts[2]["method"])
            assertEquals("Test Ltd", receipts[2]["controller"])
            assertEquals(1L, receipts[2]["policy_version"])
            assertTrue((receipts[2]["proof_sha256"] as String).matches(Regex("[0-9a-f]{64}")))

            val contacts = export["permissions"].asList().single { it["permission"] == "contacts" }
            assertEquals("granted", contacts["status"])
            assertEquals("requested", contacts["history"][0]["kind"])

            val access = export["access_report"].asList()
                .single { it["category"] == "diagnostics" && it["purpose"] == "analytics" }
            assertEquals(3L, access["count"])
            assertEquals(todayUtc(), access["day"])

            assertEquals("vk", export["linked_accounts"][0]["provider"])
            assertEquals(listOf<Any?>("email"), export["linked_accounts"][0]["scopes"])
            assertEquals(true, export["advertising"]["advertising_id_reported"])

            // Never a secret, an account id or the advertising ID.
            for (secret in listOf(TOKEN, ACCOUNT_ID, AD_ID)) {
                assertFalse(text.contains(secret, ignoreCase = true), "the export leaks $secret")
            }
            kit.closeStore()
        }
    }

    @Test
    fun `eraseAll leaves nothing, destroys the keys, tells listeners and starts fresh`() {
        val installId = open().use { kit ->
            busyUser(kit)
            assertEquals(1, keys.vaultAliases().size)
            val installId = kit.installId()
            val listener = RecordingListener()
            kit.addListener(listener)

            val receipt = kit.eraseAll()
            assertTrue(receipt.keysDestroyed)
            fun records(data: PersonalData) = receipt.erased.singleOrNull { it.data == data }?.records
            assertEquals(5uL, records(PersonalData.CONSENT_LEDGER))
            assertEquals(1uL, records(PersonalData.LINKED_ACCOUNTS))
            assertEquals(1uL, records(PersonalData.ACCESS_REPORT))
            assertEquals(1uL, records(PersonalData.INSTALL_ID))
            assertNotNull(records(PersonalData.PERMISSION_HISTORY))
            assertTrue(receipt.erasedAtMs > 0)
            assertEquals(emptyList(), keys.vaultAliases(), "the platform key is deleted")
            assertEquals(listOf<PrivacyChange>(PrivacyChange.Erased(receipt)), listener.changes.toList())

            // In memory: a first-open state.
            assertEquals(0uL, kit.consentState().ledgerLength)
            assertNull(kit.consentState().acceptedPolicyVersion)
            assertEquals(denied(DecisionReason.PolicyNotAccepted), kit.check("contacts", "service"))
            assertNull(kit.userFacts())
            assertEquals(0uL, kit.verifyLedger())
            assertEquals(emptyList(), kit.vault(keys).linkedAccounts())
            assertEquals(emptyList(), kit.accessReport("2024-01-01", "2099-12-31"))
            assertTrue(kit.installId() != installId, "a new install id")
            kit.closeStore()
            installId
        }

        // On disk: no byte of what was there, in the file or beside it.
        Files.list(dir).use { files ->
            for (file in files.filter { it.fileName.toString() != "keys.p12" }) {
                val bytes = String(Files.readAllBytes(file), Charsets.ISO_8859_1)
                for (needle in listOf(TOKEN, "1990-04-12", "declare_facts", installId)) {
                    assertFalse(bytes.contains(needle), "$needle survived erasure in ${file.fileName}")
                }
            }
        }
        open().use { kit ->
            assertEquals(0uL, kit.consentState().ledgerLength)
            assertEquals(emptyList(), kit.accessReport("2024-01-01", "2099-12-31"))
            assertEquals(emptyList(), kit.permissionHistory(OsPermission.CONTACTS))
            assertEquals(emptyList(), kit.vault(keys).linkedAccounts())
            kit.closeStore()
        }
    }

    @Test
    fun `eraseData erases one kind of data and keeps the rest`() {
        open().use { kit ->
            busyUser(kit)
            kit.flush()
            val listener = RecordingListener()
            kit.addListener(listener)

            val receipt = kit.eraseData(PersonalData.ACCESS_REPORT)
            assertEquals(listOf(PersonalData.ACCESS_REPORT), receipt.erased.map { it.data })
            assertEquals(1uL, receipt.erased[0].records)
            assertFalse(receipt.keysDestroyed)
            assertEquals(emptyList(), kit.accessReport(todayUtc(), todayUtc()))
            assertEquals(listOf<PrivacyChange>(PrivacyChange.Erased(receipt)), listener.changes.toList())

            // The rest stays.
            assertEquals(5uL, kit.consentState().ledgerLength, "the ledger stays")
            assertEquals(1u, kit.consentState().acceptedPolicyVersion)
            assertEquals(1, kit.permissionHistory(OsPermission.CONTACTS).size)
            assertEquals(listOf("vk"), kit.vault(keys).linkedAccounts().map { it.provider })
            assertEquals(1, keys.vaultAliases().size)
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))
            assertEquals(AgeGroup.ADULT, kit.ageStatus().group)
            kit.closeStore()
        }
    }

    @Test
    fun `purgeExpired enforces the retention rules it knows, reports the others and is idempotent`() {
        val rules = """
            { "data": "access_log", "days": 30 },
            { "data": "permission_history", "days": 90 },
            { "data": "linked_accounts", "days": 180 },
            { "data": "consent_records", "days": 365 },
            { "data": "technical_logs", "days": 14 }
        """.trimIndent()
        open(policy(rules)).use { kit ->
            busyUser(kit)
            kit.flush()

            val report = kit.purgeExpired()
            assertEquals(
                setOf("access_log", "permission_history", "linked_accounts", "consent_records"),
                report.purged.map { it.data }.toSet(),
            )
            // Nothing is old enough yet: today's uses, history, account and choices all stay.
            assertTrue(report.purged.all { it.records == 0uL }, "${report.purged}")
            assertEquals(emptyList(), report.deferred)
            assertNull(kit.ledgerSummary())
            val days = mapOf(
                "access_log" to 30L, "permission_history" to 90L, "linked_accounts" to 180L, "consent_records" to 365L,
            )
            for (purged in report.purged) {
                assertEquals(report.purgedAtMs - days.getValue(purged.data) * DAY_MS, purged.cutoffMs, purged.data)
            }
            assertEquals(
                listOf(RetentionCutoff(data = "technical_logs", days = 14u, cutoffMs = report.purgedAtMs - 14 * DAY_MS)),
                report.appManaged,
            )

            val again = kit.purgeExpired()
            assertTrue(again.purged.all { it.records == 0uL }, "idempotent")
            assertEquals(listOf("technical_logs"), again.appManaged.map { it.data })
            assertTrue(again.purgedAtMs >= report.purgedAtMs)

            assertEquals(3uL, kit.accessReport(todayUtc(), todayUtc()).single { it.purpose == "analytics" }.count)
            assertEquals(1, kit.permissionHistory(OsPermission.CONTACTS).size)
            assertEquals(1, kit.vault(keys).linkedAccounts().size)
            kit.closeStore()
        }
    }

    @Test
    fun `consent records past their retention are compacted into a sealed summary`() {
        // PrivacyKit's clock cannot be moved from the JVM, so a Rust example writes the store
        // with its history dated 800 days back (examples/aged_ledger.rs, built by cargo test).
        val policy = policy("""{ "data": "consent_records", "days": 365 }""")
        val policyFile = dir.resolve("policy.json").also { Files.writeString(it, policy) }
        val binary = System.getProperty("privacykit.agedLedger")
            ?: error("system property privacykit.agedLedger is not set (run through Maven)")
        val writer = ProcessBuilder(binary, dbPath.toString(), policyFile.toString(), "800")
            .redirectErrorStream(true).start()
        val output = writer.inputStream.bufferedReader().readText()
        assertEquals(0, writer.waitFor(), output)

        open(policy).use { kit ->
            val state = kit.consentState()
            // Without the keystore the rule waits and nothing is deleted.
            val waiting = kit.purgeExpired()
            assertEquals(PurgeDeferral.NO_KEY_PROVIDER, waiting.deferred.single().reason)
            assertNull(kit.ledgerSummary())

            kit.setKeyProvider(keys)
            val report = kit.purgeExpired()
            assertEquals(emptyList(), report.deferred)
            assertEquals(2uL, report.purged.single { it.data == "consent_records" }.records)
            val summary = assertNotNull(kit.ledgerSummary())
            assertEquals(6uL, summary.throughSeq)
            assertEquals(listOf(1uL, 3uL, 5uL, 6uL), summary.standing.map { it.seq })
            assertEquals(ConsentAction.OBJECT, summary.standing.last().action)
            assertEquals(listOf(1uL, 3uL, 5uL, 6uL), kit.ledger(0uL, 10u).map { it.seq })
            assertEquals(6uL, kit.verifyLedger())
            assertEquals(state, kit.consentState())

            val export = MiniJson.parse(kit.exportPersonalData())
            assertEquals(6L, export["consent_compaction"]["through_receipt_id"])
            assertEquals(4, export["consent_receipts"].asList().size)
            kit.closeStore()
        }
    }

    @Test
    fun `the ledger verifies through the key provider and erasing it forgets every choice`() {
        // The Rust suite (tests/ledger_compaction.rs) moves the clock past the retention period
        // to compact and tamper; a JVM test cannot move PrivacyKit's clock, so this one checks
        // what the bindings carry: the provider, the summary accessor, verification, erasure.
        open(policy("""{ "data": "consent_records", "days": 365 }""")).use { kit ->
            kit.setKeyProvider(keys)
            kit.grantConsent("analytics", null)
            kit.withdrawConsent("analytics", null)
            assertEquals(2uL, kit.verifyLedger())
            assertNull(kit.ledgerSummary())
            assertEquals(listOf(1uL, 2uL), kit.ledger(0uL, 10u).map { it.seq })

            val receipt = kit.eraseData(PersonalData.CONSENT_LEDGER)
            assertEquals(2uL, receipt.erased.single().records)
            assertEquals(0uL, kit.verifyLedger())
            assertTrue(kit.consentState().choices.isEmpty())
            kit.closeStore()
        }
    }

    private companion object {
        const val TOKEN = "tok-SENTINEL-123"
        const val ACCOUNT_ID = "anna.petrova"
        const val AD_ID = "38400000-8cf0-11bd-b23e-10b96e40000d"
        const val DAY_MS = 86_400_000L
    }
}
