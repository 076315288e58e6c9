package io.privacykit

import java.io.File
import java.nio.file.Path
import java.time.LocalDate
import java.time.ZoneOffset

/** Shared helpers for the tests: the example policies and a small policy built for them. */
object Fixtures {
    /** examples/policies, passed by surefire as `privacykit.examples`. */
    val examplesDir: File by lazy {
        val dir = File(
            System.getProperty("privacykit.examples")
                ?: error("system property privacykit.examples is not set (run through Maven)"),
        )
        check(dir.isDirectory) { "examples directory not found: $dir" }
        dir
    }

    fun examplePolicies(): List<File> =
        examplesDir.listFiles { f -> f.isFile && f.name.endsWith(".json") }!!.sortedBy { it.name }

    fun example(name: String): String = File(examplesDir, name).readText()

    /**
     * A policy built for precise control of every decision the guard can give. Its user counts
     * as an adult until a test declares an age (`unknown_age`); AgeRulesTest covers the
     * protective default.
     *
     * | category       | OS permission | purpose          | basis                |
     * |----------------|---------------|------------------|----------------------|
     * | contacts       | contacts      | service          | contract             |
     * | location       | location      | service          | contract, *precise*  |
     * | location       | location      | marketing        | consent              |
     * | advertising_id | tracking      | advertising      | consent              |
     * | diagnostics    | -             | service          | contract             |
     * | diagnostics    | -             | analytics        | consent              |
     * | diagnostics    | -             | marketing        | legitimate_interest  |
     * | diagnostics    | -             | legal_compliance | legal_obligation     |
     * | call_history   | call_log      | service          | contract             |
     * | read_receipts  | -             | analytics        | consent              |
     *
     * `call_history`/`analytics` and `contacts`/`marketing` are declared ids but undeclared pairs.
     */
    fun testPolicy(version: Int = 1, controller: String = "Test Ltd"): String = """
        {
          "format": 1,
          "policy_id": "io.privacykit.test",
          "version": $version,
          "effective_date": "2024-05-01",
          "controller": { "name": "$controller" },
          "requires_acceptance": true,
          "minimum_age": 13,
          "digital_consent_age": 16,
          "unknown_age": "adult",
          "categories": [
            { "id": "contacts" },
            { "id": "location" },
            { "id": "advertising_id" },
            { "id": "diagnostics" },
            { "id": "call_history" },
            { "id": "read_receipts", "description": "Whether others see that you read their messages" }
          ],
          "purposes": [
            { "id": "service" },
            { "id": "analytics" },
            { "id": "marketing" },
            { "id": "advertising" },
            { "id": "legal_compliance" }
          ],
          "processing": [
            { "category": "contacts", "purpose": "service", "legal_basis": "contract" },
            { "category": "location", "purpose": "service", "legal_basis": "contract", "location_accuracy": "precise" },
            { "category": "location", "purpose": "marketing", "legal_basis": "consent" },
            { "category": "advertising_id", "purpose": "advertising", "legal_basis": "consent" },
            { "category": "diagnostics", "purpose": "service", "legal_basis": "contract" },
            { "category": "diagnostics", "purpose": "analytics", "legal_basis": "consent" },
            { "category": "diagnostics", "purpose": "marketing", "legal_basis": "legitimate_interest" },
            { "category": "diagnostics", "purpose": "legal_compliance", "legal_basis": "legal_obligation" },
            { "category": "call_history", "purpose": "service", "legal_basis": "contract" },
            { "category": "read_receipts", "purpose": "analytics", "legal_basis": "consent" }
          ]
        }
    """.trimIndent()

    fun config(
        policyJson: String = testPolicy(),
        platform: Platform = Platform.ANDROID,
        databasePath: String? = null,
        utcOffsetMinutes: Int = 0,
    ) = PrivacyKitConfig(
        databasePath = databasePath,
        policyJson = policyJson,
        platform = platform,
        utcOffsetMinutes = utcOffsetMinutes,
    )

    fun openInMemory(
        policyJson: String = testPolicy(),
        platform: Platform = Platform.ANDROID,
    ): PrivacyKit = PrivacyKit.open(config(policyJson, platform))

    fun openFile(path: Path, policyJson: String = testPolicy(), platform: Platform = Platform.ANDROID) =
        PrivacyKit.open(config(policyJson, platform, databasePath = path.toString()))

    /** Today's date in UTC, as PrivacyKit writes it with utcOffsetMinutes = 0. */
    fun todayUtc(): String = LocalDate.now(ZoneOffset.UTC).toString()

    fun dayUtc(offsetDays: Long): String = LocalDate.now(ZoneOffset.UTC).plusDays(offsetDays).toString()
}

/** A listener that remembers what it heard and on which thread. */
class RecordingListener : PrivacyListener {
    val changes = java.util.concurrent.CopyOnWriteArrayList<PrivacyChange>()
    val threads = java.util.concurrent.CopyOnWriteArrayList<Thread>()

    override fun onChange(change: PrivacyChange) {
        threads += Thread.currentThread()
        changes += change
    }
}

fun permitted(basis: LegalBasis) = Decision(allowed = true, reason = DecisionReason.Permitted(basis))

fun denied(reason: DecisionReason) = Decision(allowed = false, reason = reason)
