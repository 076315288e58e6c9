package io.privacykit

import org.junit.jupiter.api.Timeout
import java.time.Instant
import java.time.LocalDate
import java.time.ZoneOffset
import java.util.Random
import java.util.concurrent.TimeUnit
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlin.test.fail

/**
 * Random sequences of everything that changes decisions (consents, objections, restrictions,
 * permission reports, age declarations, policy updates, the clock moving across birthdays and
 * midnights, UTC offsets, retention purges, erasures), applied to two stores on one clock.
 * After each step the fast guard of store A must answer every pair (undeclared pairs and
 * unknown ids included) as the generated `explain` of A does, and answer a random run of
 * counted checks as the generated `check` of store B does, which counts in Rust. Every few
 * steps and at the end, the two access reports must be identical.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class FastGuardDifferentialTest {

    private val categories = listOf("contacts", "location", "advertising_id", "diagnostics", "call_history", "read_receipts", "billing")
    private val purposes = listOf("service", "analytics", "marketing", "advertising", "legal_compliance")
    private val askedCategories = categories + listOf("nope", "\uD800")
    private val askedPurposes = purposes + listOf("nope")

    private val v1Processing = listOf(
        """{ "category": "contacts", "purpose": "service", "legal_basis": "contract" }""",
        """{ "category": "location", "purpose": "service", "legal_basis": "contract", "location_accuracy": "precise" }""",
        """{ "category": "location", "purpose": "marketing", "legal_basis": "consent" }""",
        """{ "category": "advertising_id", "purpose": "advertising", "legal_basis": "consent" }""",
        """{ "category": "diagnostics", "purpose": "service", "legal_basis": "contract" }""",
        """{ "category": "diagnostics", "purpose": "analytics", "legal_basis": "consent" }""",
        """{ "category": "diagnostics", "purpose": "marketing", "legal_basis": "legitimate_interest" }""",
        """{ "category": "diagnostics", "purpose": "legal_compliance", "legal_basis": "legal_obligation" }""",
        """{ "category": "call_history", "purpose": "service", "legal_basis": "contract" }""",
        """{ "category": "read_receipts", "purpose": "analytics", "legal_basis": "consent" }""",
    )

    /** Version 2 stops one use and starts another. */
    private val v2Processing = v1Processing.filterNot { "\"diagnostics\", \"purpose\": \"marketing\"" in it } +
        """{ "category": "call_history", "purpose": "legal_compliance", "legal_basis": "legal_obligation" }"""

    /** Version 3 changes a legal basis, brings a use back on another basis, adds a category's use. */
    private val v3Processing = v2Processing.map {
        it.replace("\"marketing\", \"legal_basis\": \"consent\"", "\"marketing\", \"legal_basis\": \"legitimate_interest\"")
    } + listOf(
        """{ "category": "diagnostics", "purpose": "marketing", "legal_basis": "consent" }""",
        """{ "category": "billing", "purpose": "service", "legal_basis": "contract" }""",
    )

    /** Four versions; the fourth has another controller and needs no acceptance. */
    private fun policy(version: Int): String {
        val processing = when (version) {
            1 -> v1Processing
            2 -> v2Processing
            else -> v3Processing
        }
        val controller = if (version >= 4) "Other Ltd" else "Test Ltd"
        val unknownAge = if (version == 1) "protect" else "adult"
        return """
            {
              "format": 1, "policy_id": "io.privacykit.test", "version": $version,
              "effective_date": "2024-05-01", "controller": { "name": "$controller" },
              "requires_acceptance": ${version != 4}, "minimum_age": 13, "digital_consent_age": 16,
              "unknown_age": "$unknownAge",
              "categories": [
                { "id": "contacts" }, { "id": "location" }, { "id": "advertising_id" }, { "id": "diagnostics" },
                { "id": "call_history" }, { "id": "read_receipts", "description": "Read receipts" },
                { "id": "billing", "description": "Invoices" }
              ],
              "purposes": [
                { "id": "service" }, { "id": "analytics" }, { "id": "marketing" }, { "id": "advertising" },
                { "id": "legal_compliance" }
              ],
              "processing": [ ${processing.joinToString(",\n")} ],
              "retention": [ { "data": "access_log", "days": 3 }, { "data": "permission_history", "days": 5 } ]
            }
        """.trimIndent()
    }

    private class Run(val seed: Long) {
        val clock = TestClock(TestClock.MAY_1_NOON)
        var offsetMinutes = 0
        var version = 1
        val log = ArrayList<String>()
    }

    /** What the histories went through, so that they cannot pass by testing little. */
    private class Coverage {
        val reasons = HashSet<String>()
        var allowedCounted = 0
        var refusedCounted = 0
        var refusedSteps = 0
        var changedByTimeAlone = 0
        var reportRows = 0
        var policyVersions = HashSet<Int>()
    }

    private val coverage = Coverage()

    @Test
    fun `the fast guard answers and counts as the core does over random histories`() {
        for (seed in 1L..5L) runHistory(seed, steps = 150)
        with(coverage) {
            val summary = "reasons $reasons, allowed $allowedCounted, refused $refusedCounted, refused steps $refusedSteps, " +
                "changed by time alone $changedByTimeAlone, report rows $reportRows, versions $policyVersions"
            assertTrue(reasons.size >= 20, summary)
            assertTrue(allowedCounted > 2_000 && refusedCounted > 2_000, summary)
            assertTrue(refusedSteps > 0, summary)
            assertTrue(changedByTimeAlone >= 3, "birthdays crossed: $summary")
            assertTrue(reportRows > 0, summary)
            assertEquals(setOf(1, 2, 3, 4), policyVersions, summary)
        }
    }

    private fun runHistory(seed: Long, steps: Int) {
        val run = Run(seed)
        val random = Random(seed)
        val config = { PrivacyKitConfig(databasePath = null, policyJson = policy(1), platform = Platform.ANDROID, utcOffsetMinutes = 0) }
        PrivacyKit.openWithClock(config(), run.clock).use { a ->
            PrivacyKit.openWithClock(config(), run.clock).use { b ->
                val guard = a.guard()
                fun failure(message: String): Nothing =
                    fail("seed $seed: $message\nsteps so far:\n${run.log.takeLast(30).joinToString("\n")}")

                var answers = emptyList<Decision>()
                for (step in 1..steps) {
                    val (name, op) = nextOperation(run, random)
                    run.log += "$step: $name"
                    val outcomeA = runCatching { op(a) }.exceptionOrNull()
                    val outcomeB = runCatching { op(b) }.exceptionOrNull()
                    if (outcomeA?.javaClass != outcomeB?.javaClass) {
                        failure("$name: A ${outcomeA ?: "succeeded"}, B ${outcomeB ?: "succeeded"}")
                    }
                    if (outcomeA != null && outcomeA !is PrivacyException) throw outcomeA
                    if (outcomeA != null) coverage.refusedSteps++
                    coverage.policyVersions += run.version

                    // Every pair, undeclared ones and unknown ids included, as A's core explains it.
                    val before = answers
                    answers = ArrayList()
                    for (c in askedCategories) for (p in askedPurposes) {
                        val core = if (c == "\uD800") denied(DecisionReason.NotDeclaredInPolicy) else a.explain(c, p)
                        val fast = guard.explain(c, p)
                        if (fast != core) failure("$name: explain $c/$p: fast $fast, core $core")
                        answers += fast
                        coverage.reasons += fast.reason.toString()
                    }
                    if (name.startsWith("clock") && before.isNotEmpty() && before != answers) coverage.changedByTimeAlone++
                    // Counted checks: the fast guard on A, the generated check on B; mostly declared
                    // pairs, so that allowed answers (and counts) are common.
                    val declared = a.policy().processing.map { it.category to it.purpose }
                    repeat(25) {
                        val (c, p) = if (random.nextInt(4) > 0) {
                            declared[random.nextInt(declared.size)]
                        } else {
                            askedCategories[random.nextInt(askedCategories.size - 1)] to askedPurposes[random.nextInt(askedPurposes.size)]
                        }
                        val core = b.check(c, p)
                        if (core.allowed) coverage.allowedCounted++ else coverage.refusedCounted++
                        when (random.nextInt(3)) {
                            0 -> guard.check(c, p).let { if (it != core) failure("$name: check $c/$p: fast $it, core $core") }
                            1 -> guard.isAllowed(c, p).let { if (it != core.allowed) failure("$name: isAllowed $c/$p: fast $it, core $core") }
                            else -> a.isAllowed(c, p).let { if (it != core.allowed) failure("$name: kit.isAllowed $c/$p: fast $it, core $core") }
                        }
                    }
                    if (step % 20 == 0) assertSameReports(a, b, "seed $seed, step $step")
                }
                assertSameReports(a, b, "seed $seed, end")
            }
        }
    }

    private fun assertSameReports(a: PrivacyKit, b: PrivacyKit, what: String) {
        a.guard().flush()
        b.flush()
        val reportA = a.accessReport("2000-01-01", "2100-12-31")
        val reportB = b.accessReport("2000-01-01", "2100-12-31")
        assertEquals(reportB, reportA, what)
        coverage.reportRows += reportA.size
    }

    /** The next step: its description and what it does to a store. */
    private fun nextOperation(run: Run, random: Random): Pair<String, (PrivacyKit) -> Unit> {
        fun <T> pick(from: List<T>): T = from[random.nextInt(from.size)]
        val purpose = pick(purposes)
        val category: String? = if (random.nextBoolean()) null else pick(categories)
        return when (random.nextInt(100)) {
            in 0..9 -> "accept" to { kit -> kit.acceptPolicy() }
            in 10..19 -> {
                val action = pick(listOf("grant", "deny", "withdraw"))
                "$action $purpose/${category ?: "*"}" to { kit ->
                    when (action) {
                        "grant" -> kit.grantConsent(purpose, category)
                        "deny" -> kit.denyConsent(purpose, category)
                        else -> kit.withdrawConsent(purpose, category)
                    }
                }
            }
            in 20..24 -> {
                val action = pick(listOf(ConsentAction.GRANT, ConsentAction.DENY, ConsentAction.WITHDRAW))
                "guardian $action $purpose/${category ?: "*"}" to { kit ->
                    kit.recordConsent(ConsentChange(action = action, purpose = purpose, category = category, source = ConsentSource.GUARDIAN))
                }
            }
            in 25..31 -> {
                val objecting = random.nextBoolean()
                "${if (objecting) "object to" else "withdraw objection"} $purpose/${category ?: "*"}" to { kit ->
                    if (objecting) kit.objectTo(purpose, category) else kit.withdrawObjection(purpose, category)
                }
            }
            in 32..35 -> {
                val restricting = random.nextBoolean()
                (if (restricting) "restrict" else "lift restriction") to { kit ->
                    if (restricting) kit.restrictProcessing() else kit.liftRestriction()
                }
            }
            in 36..47 -> {
                val permission = pick(listOf(OsPermission.CONTACTS, OsPermission.LOCATION, OsPermission.CALL_LOG, OsPermission.TRACKING))
                val status = pick(PermissionStatus.entries)
                val accuracy = if (permission == OsPermission.LOCATION && (status == PermissionStatus.GRANTED || status == PermissionStatus.LIMITED)) {
                    pick(listOf(null, LocationAccuracy.APPROXIMATE, LocationAccuracy.PRECISE))
                } else {
                    null
                }
                val requested = random.nextBoolean()
                "${if (requested) "request" else "report"} $permission $status $accuracy" to { kit ->
                    if (requested) kit.recordPermissionRequest(permission, status, accuracy) else kit.reportPermission(permission, status, accuracy)
                }
            }
            in 48..56 -> {
                // Mostly birth dates whose 13th or 16th birthday (the policy's minimum age and the
                // age of digital consent) is one to three days ahead.
                val today = Instant.ofEpochMilli(run.clock.nowMs()).atOffset(ZoneOffset.ofTotalSeconds(run.offsetMinutes * 60)).toLocalDate()
                val years = pick(listOf(13L, 13L, 16L, 16L, 16L, 12L, 17L, 30L))
                val facts = if (random.nextInt(4) == 0) {
                    UserFacts(birthDate = null, ageYears = years.toInt().toUByte(), jurisdiction = pick(listOf(null, "DE", "FR")))
                } else {
                    val born: LocalDate = today.minusYears(years).plusDays(random.nextInt(4).toLong())
                    UserFacts(birthDate = born.toString(), ageYears = null, jurisdiction = pick(listOf(null, "DE", "GB", "FR", "US-CA")))
                }
                val source = if (random.nextInt(5) == 0) ConsentSource.GUARDIAN else ConsentSource.USER
                "declare ${facts.birthDate ?: "${facts.ageYears} years"} ${facts.jurisdiction} by $source" to { kit ->
                    kit.declareUserFacts(facts, source)
                }
            }
            in 57..59 -> {
                if (run.version >= 4) {
                    "accept" to { kit -> kit.acceptPolicy() }
                } else {
                    run.version++
                    val json = policy(run.version)
                    "policy version ${run.version}" to { kit -> kit.updatePolicy(json) }
                }
            }
            in 60..79 -> {
                val byMs = pick(listOf(60_000L, TestClock.HOUR_MS, 6 * TestClock.HOUR_MS, 23 * TestClock.HOUR_MS, TestClock.DAY_MS, TestClock.DAY_MS, 36 * TestClock.HOUR_MS, 2 * TestClock.DAY_MS))
                // The clock is shared: it moves once, for both stores.
                run.clock.advance(byMs)
                "clock + ${byMs / 60_000} min" to { _ -> }
            }
            in 80..82 -> {
                val minutes = pick(listOf(-720, -300, 0, 60, 180, 330, 840))
                run.offsetMinutes = minutes
                "UTC offset $minutes" to { kit -> kit.setUtcOffsetMinutes(minutes) }
            }
            in 83..86 -> "purge expired" to { kit -> kit.purgeExpired() }
            in 87..88 -> {
                val data = pick(listOf(PersonalData.ACCESS_REPORT, PersonalData.CONSENT_LEDGER, PersonalData.PERMISSION_HISTORY))
                "erase $data" to { kit -> kit.eraseData(data) }
            }
            89 -> "erase all" to { kit -> kit.eraseAll() }
            else -> "nothing but checks" to { _ -> }
        }
    }
}
