package io.privacykit

import io.privacykit.Fixtures.openFile
import io.privacykit.Fixtures.openInMemory
import io.privacykit.Fixtures.testPolicy
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.time.LocalDate
import java.time.ZoneOffset
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * Age rules through the generated bindings: the protective default for undeclared ages,
 * guardian consent for minors, the age of digital consent by jurisdiction, the guardian's lock
 * on what a guardian declared, and the minimum age. Mirrors tests/age.rs.
 */
class AgeRulesTest {
    /** The fixture policy without `unknown_age: adult`: the SDK's protective default. */
    private fun protectivePolicy(digitalConsentAge: Int = 16): String {
        val policy = testPolicy()
        check("\"unknown_age\": \"adult\"," in policy)
        return policy.replace("\"unknown_age\": \"adult\",", "")
            .replace("\"digital_consent_age\": 16", "\"digital_consent_age\": $digitalConsentAge")
    }

    /** Ready for everything but age: policy accepted, tracking and contacts granted. */
    private fun open(policy: String = protectivePolicy()): PrivacyKit = openInMemory(policy).also { kit ->
        kit.acceptPolicy()
        kit.reportPermission(OsPermission.TRACKING, PermissionStatus.GRANTED)
        kit.reportPermission(OsPermission.CONTACTS, PermissionStatus.GRANTED)
    }

    /** A birth date that makes the user [years] old today (UTC), well away from a birthday. */
    private fun bornYearsAgo(years: Long, jurisdiction: String? = null) = UserFacts(
        birthDate = LocalDate.now(ZoneOffset.UTC).minusYears(years).minusMonths(6).toString(),
        ageYears = null,
        jurisdiction = jurisdiction,
    )

    private fun guardianGrant(kit: PrivacyKit, purpose: String) = kit.recordConsent(
        ConsentChange(action = ConsentAction.GRANT, purpose = purpose, category = null, source = ConsentSource.GUARDIAN),
    )

    @Test
    fun `undeclared ages get the protective defaults until an adult age is declared`() {
        open().use { kit ->
            kit.grantConsent("analytics")
            kit.grantConsent("advertising")
            val status = kit.ageStatus()
            assertEquals(AgeGroup.UNKNOWN, status.group)
            assertTrue(status.protectiveDefaults)
            assertEquals(13u.toUByte(), status.minimumAge)
            assertEquals(16u.toUByte(), status.digitalConsentAge)
            assertNull(status.declaredBy)
            assertNull(kit.userFacts())

            // The service runs; anything beyond it waits for a guardian, even legitimate interest.
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("contacts", "service"))
            assertEquals(denied(DecisionReason.NeedsGuardianConsent), kit.check("diagnostics", "analytics"))
            assertEquals(denied(DecisionReason.NeedsGuardianConsent), kit.check("diagnostics", "marketing"))
            assertEquals(denied(DecisionReason.NotAllowedForMinors), kit.check("advertising_id", "advertising"))
            // What the law requires is never held back.
            assertEquals(permitted(LegalBasis.LEGAL_OBLIGATION), kit.check("diagnostics", "legal_compliance"))

            kit.declareUserFacts(
                UserFacts(birthDate = "1990-04-12", ageYears = null, jurisdiction = null),
                ConsentSource.USER,
            )
            val adult = kit.ageStatus()
            assertEquals(AgeGroup.ADULT, adult.group)
            assertFalse(adult.protectiveDefaults)
            assertEquals(ConsentSource.USER, adult.declaredBy)
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))
            assertEquals(permitted(LegalBasis.LEGITIMATE_INTEREST), kit.check("diagnostics", "marketing"))
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("advertising_id", "advertising"))
        }
    }

    @Test
    fun `a policy may treat undeclared ages as adults`() {
        open(testPolicy()).use { kit ->
            kit.grantConsent("analytics")
            val status = kit.ageStatus()
            assertEquals(AgeGroup.UNKNOWN, status.group)
            assertFalse(status.protectiveDefaults)
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))
            // A declared minor still gets the protection.
            kit.declareUserFacts(bornYearsAgo(14), ConsentSource.USER)
            assertEquals(AgeGroup.MINOR, kit.ageStatus().group)
            assertTrue(kit.ageStatus().protectiveDefaults)
            assertEquals(denied(DecisionReason.NeedsGuardianConsent), kit.check("diagnostics", "analytics"))
        }
    }

    @Test
    fun `minors need a guardian's consent and never get advertising`() {
        open().use { kit ->
            kit.declareUserFacts(bornYearsAgo(14, "DE"), ConsentSource.GUARDIAN)
            val status = kit.ageStatus()
            assertEquals(AgeGroup.MINOR, status.group)
            assertEquals(16u.toUByte(), status.digitalConsentAge)
            assertEquals(ConsentSource.GUARDIAN, status.declaredBy)
            assertTrue(status.protectiveDefaults)

            // The child's own consent is not enough.
            kit.grantConsent("analytics")
            assertEquals(denied(DecisionReason.NeedsGuardianConsent), kit.check("diagnostics", "analytics"))
            val entry = guardianGrant(kit, "analytics")
            assertEquals(ConsentSource.GUARDIAN, entry.source)
            assertEquals(ConsentAction.GRANT, entry.action)
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("read_receipts", "analytics"))

            // The child may still withdraw what the guardian granted.
            kit.withdrawConsent("analytics")
            assertEquals(denied(DecisionReason.ConsentWithdrawn), kit.check("diagnostics", "analytics"))

            // Not even a guardian opens advertising for a minor.
            guardianGrant(kit, "advertising")
            assertEquals(denied(DecisionReason.NotAllowedForMinors), kit.check("advertising_id", "advertising"))
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("contacts", "service"))
        }
    }

    @Test
    fun `the jurisdiction sets the age of digital consent`() {
        // 14 years old: under this policy's own 16 a minor even in the US.
        open().use { kit ->
            kit.grantConsent("analytics")
            kit.declareUserFacts(bornYearsAgo(14, "US"), ConsentSource.USER)
            assertEquals(16u.toUByte(), kit.ageStatus().digitalConsentAge)
            assertEquals(AgeGroup.MINOR, kit.ageStatus().group)
            assertEquals(denied(DecisionReason.NeedsGuardianConsent), kit.check("diagnostics", "analytics"))
        }
        // Under a policy of 13: an adult in the US (COPPA's 13), a minor in Germany (16) and,
        // at 14, in France (15) too; the age in years works like a birth date.
        open(protectivePolicy(digitalConsentAge = 13)).use { kit ->
            kit.grantConsent("analytics")
            kit.declareUserFacts(bornYearsAgo(14, "US"), ConsentSource.USER)
            assertEquals(AgeGroup.ADULT, kit.ageStatus().group)
            assertEquals(13u.toUByte(), kit.ageStatus().digitalConsentAge)
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))

            kit.declareUserFacts(bornYearsAgo(14, "DE"), ConsentSource.USER)
            assertEquals(AgeGroup.MINOR, kit.ageStatus().group)
            assertEquals(16u.toUByte(), kit.ageStatus().digitalConsentAge)
            assertEquals(denied(DecisionReason.NeedsGuardianConsent), kit.check("diagnostics", "analytics"))

            kit.declareUserFacts(UserFacts(birthDate = null, ageYears = 14u, jurisdiction = "FR"), ConsentSource.USER)
            assertEquals(15u.toUByte(), kit.ageStatus().digitalConsentAge)
            assertEquals(AgeGroup.MINOR, kit.ageStatus().group)
            kit.declareUserFacts(UserFacts(birthDate = null, ageYears = 15u, jurisdiction = "FR"), ConsentSource.USER)
            assertEquals(AgeGroup.ADULT, kit.ageStatus().group)
            assertEquals(15u.toUByte(), kit.userFacts()!!.ageYears)
        }
    }

    @Test
    fun `what a guardian declared only a guardian can change, and each declaration is a ledger entry`() {
        open().use { kit ->
            val first = kit.declareUserFacts(
                UserFacts(birthDate = "2000-02-29", ageYears = null, jurisdiction = "gb"),
                ConsentSource.USER,
            )
            assertEquals(ConsentAction.DECLARE_FACTS, first.action)
            assertEquals("""{"birth_date":"2000-02-29","jurisdiction":"GB"}""", first.detail)
            assertEquals("GB", kit.userFacts()!!.jurisdiction)

            val corrected = kit.declareUserFacts(
                UserFacts(birthDate = null, ageYears = 12u, jurisdiction = "GB"),
                ConsentSource.GUARDIAN,
            )
            assertEquals(first.seq + 1uL, corrected.seq)
            assertEquals(ConsentSource.GUARDIAN, corrected.source)
            assertEquals(AgeGroup.BELOW_MINIMUM_AGE, kit.ageStatus().group)

            // The child cannot undo the guardian's declaration; bad input changes nothing.
            val before = kit.consentState().ledgerLength
            val refused = assertFailsWith<PrivacyException.NotPermitted> {
                kit.declareUserFacts(
                    UserFacts(birthDate = "1990-01-01", ageYears = null, jurisdiction = null),
                    ConsentSource.USER,
                )
            }
            assertEquals(DecisionReason.NeedsGuardianConsent, refused.reason)
            assertFailsWith<PrivacyException.InvalidArgument> {
                kit.declareUserFacts(
                    UserFacts(birthDate = LocalDate.now(ZoneOffset.UTC).plusYears(3).toString(), ageYears = null, jurisdiction = null),
                    ConsentSource.GUARDIAN,
                )
            }
            assertEquals(before, kit.consentState().ledgerLength)
            assertEquals(UserFacts(birthDate = null, ageYears = 12u, jurisdiction = "GB"), kit.userFacts())
            assertEquals(ConsentSource.GUARDIAN, kit.ageStatus().declaredBy)

            // The guardian can.
            kit.declareUserFacts(bornYearsAgo(30, "GB"), ConsentSource.GUARDIAN)
            assertEquals(AgeGroup.ADULT, kit.ageStatus().group)
            assertEquals(kit.ledger(0uL, 100u).size.toULong(), kit.verifyLedger())
            assertEquals(3, kit.ledger(0uL, 100u).count { it.action == ConsentAction.DECLARE_FACTS })
        }
    }

    @Test
    fun `below the minimum age only the service runs, even with a guardian's consent`() {
        open().use { kit ->
            kit.declareUserFacts(bornYearsAgo(10), ConsentSource.GUARDIAN)
            assertEquals(AgeGroup.BELOW_MINIMUM_AGE, kit.ageStatus().group)
            guardianGrant(kit, "analytics")
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("contacts", "service"))
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("diagnostics", "service"))
            assertEquals(denied(DecisionReason.BelowMinimumAge), kit.check("diagnostics", "analytics"))
            assertEquals(denied(DecisionReason.BelowMinimumAge), kit.check("diagnostics", "marketing"))
        }
    }

    @Test
    fun `declared facts survive a reopen`(@TempDir dir: Path) {
        val db = dir.resolve("age.db")
        openFile(db, protectivePolicy()).use { kit ->
            kit.declareUserFacts(bornYearsAgo(14, "NL"), ConsentSource.GUARDIAN)
            kit.closeStore()
        }
        openFile(db, protectivePolicy()).use { kit ->
            assertEquals(AgeGroup.MINOR, kit.ageStatus().group)
            assertEquals(ConsentSource.GUARDIAN, kit.ageStatus().declaredBy)
            assertEquals("NL", kit.userFacts()!!.jurisdiction)
            kit.closeStore()
        }
    }
}
