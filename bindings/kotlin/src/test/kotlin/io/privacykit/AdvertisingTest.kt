package io.privacykit

import io.privacykit.Fixtures.openFile
import io.privacykit.Fixtures.openInMemory
import io.privacykit.Fixtures.testPolicy
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotEquals
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * The advertising identifier, the ad context and the install id through the generated
 * bindings. Mirrors the advertising part of tests/rights.rs.
 */
class AdvertisingTest {
    /** The fixture policy with `device_info` for advertising, and optionally `location` too. */
    private fun adPolicy(locationForAds: Boolean): String {
        val adUse = """{ "category": "advertising_id", "purpose": "advertising", "legal_basis": "consent" },"""
        val base = testPolicy()
        check(adUse in base && "{ \"id\": \"diagnostics\" }," in base)
        val extraUses = buildString {
            append("\n    { \"category\": \"device_info\", \"purpose\": \"advertising\", \"legal_basis\": \"consent\" },")
            if (locationForAds) {
                append("\n    { \"category\": \"location\", \"purpose\": \"advertising\", \"legal_basis\": \"consent\" },")
            }
        }
        return base.replace(adUse, adUse + extraUses)
            .replace("{ \"id\": \"diagnostics\" },", "{ \"id\": \"diagnostics\" }, { \"id\": \"device_info\" },")
    }

    private val input = AdContextInput(language = "de-DE", country = "DE", city = "Berlin", deviceModel = "Pixel 9")

    @Test
    fun `the advertising id needs consent, the OS, an adult and no restriction`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            assertFailsWith<PrivacyException.InvalidArgument> { kit.reportAdvertisingId("not a uuid") }
            kit.reportAdvertisingId(AD_ID.uppercase())

            var answer = kit.advertisingId()
            assertEquals(AdvertisingIdAnswer(null, denied(DecisionReason.NeedsConsent)), answer)

            kit.grantConsent("advertising")
            assertEquals(
                AdvertisingIdAnswer(null, denied(DecisionReason.OsPermissionNotRequested(OsPermission.TRACKING))),
                kit.advertisingId(),
            )
            kit.reportPermission(OsPermission.TRACKING, PermissionStatus.DENIED)
            assertEquals(
                denied(DecisionReason.OsPermissionDenied(OsPermission.TRACKING)),
                kit.advertisingId().decision,
            )
            assertNull(kit.advertisingId().advertisingId)

            kit.reportPermission(OsPermission.TRACKING, PermissionStatus.GRANTED)
            answer = kit.advertisingId()
            assertEquals(AD_ID, answer.advertisingId, "given out, normalised to lower case")
            assertEquals(permitted(LegalBasis.CONSENT), answer.decision)

            kit.restrictProcessing()
            assertEquals(AdvertisingIdAnswer(null, denied(DecisionReason.RestrictedByUser)), kit.advertisingId())
            kit.liftRestriction()
            assertEquals(AD_ID, kit.advertisingId().advertisingId)

            // The all-zero ID (limit ad tracking) and no ID count as none.
            kit.reportAdvertisingId("00000000-0000-0000-0000-000000000000")
            assertEquals(
                AdvertisingIdAnswer(null, denied(DecisionReason.AdvertisingIdUnavailable)),
                kit.advertisingId(),
            )
            kit.reportAdvertisingId(null)
            assertEquals(denied(DecisionReason.AdvertisingIdUnavailable), kit.advertisingId().decision)

            kit.reportAdvertisingId(AD_ID)
            assertEquals(AD_ID, kit.advertisingId().advertisingId)
            kit.withdrawConsent("advertising")
            assertEquals(AdvertisingIdAnswer(null, denied(DecisionReason.ConsentWithdrawn)), kit.advertisingId())
            kit.grantConsent("advertising")
            assertEquals(AD_ID, kit.advertisingId().advertisingId)

            // A declared minor never gets it, whatever else allows it.
            kit.declareUserFacts(UserFacts(birthDate = null, ageYears = 14u, jurisdiction = null), ConsentSource.USER)
            assertEquals(
                AdvertisingIdAnswer(null, denied(DecisionReason.NotAllowedForMinors)),
                kit.advertisingId(),
            )
            // Nor does its text appear anywhere it could leak.
            assertFalse(kit.advertisingId().toString().contains("38400000"))
        }
    }

    @Test
    fun `the advertising id is kept in memory only`(@TempDir dir: Path) {
        val db = dir.resolve("ads.db")
        openFile(db).use { kit ->
            kit.acceptPolicy()
            kit.grantConsent("advertising")
            kit.reportPermission(OsPermission.TRACKING, PermissionStatus.GRANTED)
            kit.reportAdvertisingId(AD_ID)
            assertEquals(AD_ID, kit.advertisingId().advertisingId)
            kit.closeStore()
        }
        openFile(db).use { kit ->
            assertEquals(
                AdvertisingIdAnswer(null, denied(DecisionReason.AdvertisingIdUnavailable)),
                kit.advertisingId(),
                "the platform must report it again after a restart",
            )
            kit.closeStore()
        }
    }

    @Test
    fun `the ad context carries only the fields allowed for advertising`() {
        openInMemory(adPolicy(locationForAds = false), Platform.IOS).use { kit ->
            kit.acceptPolicy()
            kit.grantConsent("advertising")
            kit.reportPermission(OsPermission.TRACKING, PermissionStatus.DENIED)
            kit.reportAdvertisingId(AD_ID)

            val context = kit.adContext(input)
            assertEquals("de-DE", context.language)
            assertEquals("Pixel 9", context.deviceModel)
            assertNull(context.country, "location is not declared for ads")
            assertNull(context.city)
            assertNull(context.advertisingId, "ATT denied")
            assertEquals(listOf("country", "city", "advertising_id"), context.withheld.map { it.field })
            assertEquals(DecisionReason.NotDeclaredInPolicy, context.withheld[0].reason)
            // On iOS one ATT denial is final.
            assertEquals(DecisionReason.BlockedInSettings(OsPermission.TRACKING), context.withheld[2].reason)

            // Without consent to advertising nothing at all goes out.
            kit.withdrawConsent("advertising")
            val none = kit.adContext(input)
            assertEquals(AdContext(null, null, null, null, null, none.withheld), none)
            assertEquals(
                listOf("language", "country", "city", "device_model", "advertising_id"),
                none.withheld.map { it.field },
            )
            assertEquals(DecisionReason.ConsentWithdrawn, none.withheld[0].reason)
        }
    }

    @Test
    fun `with location declared for ads and everything allowed the whole context goes out`() {
        openInMemory(adPolicy(locationForAds = true), Platform.ANDROID).use { kit ->
            kit.acceptPolicy()
            kit.grantConsent("advertising")
            kit.reportPermission(OsPermission.TRACKING, PermissionStatus.GRANTED)
            kit.reportPermission(OsPermission.LOCATION, PermissionStatus.GRANTED, LocationAccuracy.APPROXIMATE)
            kit.reportAdvertisingId(AD_ID)

            assertEquals(
                AdContext(
                    language = "de-DE",
                    country = "DE",
                    city = "Berlin",
                    deviceModel = "Pixel 9",
                    advertisingId = AD_ID,
                    withheld = emptyList(),
                ),
                kit.adContext(input),
            )
            // Fields the app does not supply are simply absent, not withheld.
            val partial = kit.adContext(AdContextInput(language = "de-DE", country = null, city = null, deviceModel = null))
            assertEquals("de-DE", partial.language)
            assertNull(partial.country)
            assertEquals(emptyList(), partial.withheld)

            // A minor's context carries nothing for advertising.
            kit.declareUserFacts(UserFacts(birthDate = null, ageYears = 15u, jurisdiction = "DE"), ConsentSource.USER)
            val minor = kit.adContext(input)
            assertEquals(AdContext(null, null, null, null, null, minor.withheld), minor)
            assertTrue(minor.withheld.all { it.reason == DecisionReason.NotAllowedForMinors }, "${minor.withheld}")
        }
    }

    @Test
    fun `the install id is a stable random UUID until reset`(@TempDir dir: Path) {
        val db = dir.resolve("install.db")
        val uuid = Regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
        val first = openFile(db).use { kit ->
            val id = kit.installId()
            assertTrue(uuid.matches(id), id)
            assertEquals(id, kit.installId())
            kit.closeStore()
            id
        }
        val second = openFile(db).use { kit ->
            assertEquals(first, kit.installId(), "persisted")
            val reset = kit.resetInstallId()
            assertNotEquals(first, reset)
            assertTrue(uuid.matches(reset), reset)
            assertEquals(reset, kit.installId())
            kit.closeStore()
            reset
        }
        openFile(db).use { kit ->
            assertEquals(second, kit.installId(), "the reset one is persisted")
            kit.closeStore()
        }
        // Another install has another id.
        openFile(dir.resolve("other.db")).use { kit ->
            assertNotEquals(second, kit.installId())
            kit.closeStore()
        }
    }

    private companion object {
        const val AD_ID = "38400000-8cf0-11bd-b23e-10b96e40000d"
    }
}
