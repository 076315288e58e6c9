package io.privacykit

import io.privacykit.Fixtures.openInMemory
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/** The guard's decisions and their typed reasons, through the real native library. */
class GuardTest {

    @Test
    fun `nothing but legal obligations runs before the policy is accepted`() {
        openInMemory().use { kit ->
            assertEquals(denied(DecisionReason.PolicyNotAccepted), kit.check("diagnostics", "service"))
            assertEquals(denied(DecisionReason.PolicyNotAccepted), kit.check("diagnostics", "analytics"))
            assertEquals(permitted(LegalBasis.LEGAL_OBLIGATION), kit.check("diagnostics", "legal_compliance"))

            kit.acceptPolicy()
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("diagnostics", "service"))
            assertEquals(
                permitted(LegalBasis.LEGITIMATE_INTEREST),
                kit.check("diagnostics", "marketing"),
            )
        }
    }

    @Test
    fun `consent is needed, then granted, withdrawn, granted and denied`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            assertEquals(denied(DecisionReason.NeedsConsent), kit.check("diagnostics", "analytics"))

            kit.grantConsent("analytics")
            val granted = kit.check("diagnostics", "analytics")
            assertTrue(granted.allowed)
            assertEquals(DecisionReason.Permitted(LegalBasis.CONSENT), granted.reason)

            kit.withdrawConsent("analytics")
            assertEquals(denied(DecisionReason.ConsentWithdrawn), kit.check("diagnostics", "analytics"))

            kit.grantConsent("analytics")
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))

            kit.denyConsent("analytics")
            assertEquals(denied(DecisionReason.ConsentDenied), kit.check("diagnostics", "analytics"))
        }
    }

    @Test
    fun `a category-scoped grant covers one category and a purpose-wide withdrawal ends it`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            kit.grantConsent("analytics", category = "diagnostics")
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))
            assertEquals(denied(DecisionReason.NeedsConsent), kit.check("read_receipts", "analytics"))

            kit.withdrawConsent("analytics")
            assertEquals(denied(DecisionReason.ConsentWithdrawn), kit.check("diagnostics", "analytics"))
            assertEquals(denied(DecisionReason.ConsentWithdrawn), kit.check("read_receipts", "analytics"))

            // A narrower entry newer than the wide one wins for its category only.
            kit.grantConsent("analytics", category = "read_receipts")
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("read_receipts", "analytics"))
            assertEquals(denied(DecisionReason.ConsentWithdrawn), kit.check("diagnostics", "analytics"))
        }
    }

    @Test
    fun `objection switches a legitimate-interest use off and back on`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            kit.objectTo("marketing")
            assertEquals(denied(DecisionReason.ObjectedByUser), kit.check("diagnostics", "marketing"))
            // Objecting does not touch consent-based or contract uses of other purposes.
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("diagnostics", "service"))

            kit.withdrawObjection("marketing")
            assertEquals(permitted(LegalBasis.LEGITIMATE_INTEREST), kit.check("diagnostics", "marketing"))
        }
    }

    @Test
    fun `restriction stops everything that is not essential`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            kit.grantConsent("analytics")
            kit.restrictProcessing()
            assertEquals(denied(DecisionReason.RestrictedByUser), kit.check("diagnostics", "analytics"))
            assertEquals(denied(DecisionReason.RestrictedByUser), kit.check("diagnostics", "marketing"))
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("diagnostics", "service"))
            assertEquals(permitted(LegalBasis.LEGAL_OBLIGATION), kit.check("diagnostics", "legal_compliance"))

            kit.liftRestriction()
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("diagnostics", "analytics"))
        }
    }

    @Test
    fun `unknown ids and undeclared pairs are not declared in the policy`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            val notDeclared = denied(DecisionReason.NotDeclaredInPolicy)
            assertEquals(notDeclared, kit.check("no_such_category", "service"))
            assertEquals(notDeclared, kit.check("diagnostics", "no_such_purpose"))
            assertEquals(notDeclared, kit.check("", ""))
            assertEquals(notDeclared, kit.check("Diagnostics", "service"))
            assertEquals(notDeclared, kit.check("call_history", "analytics")) // both declared, pair not
            assertEquals(notDeclared, kit.check("contacts", "marketing"))
            assertEquals(notDeclared, kit.explain("no_such_category", "service"))
            // Non-ASCII text crosses the FFI without trouble and is simply unknown.
            assertEquals(notDeclared, kit.check("геолокация", "сервис"))
        }
    }

    @Test
    fun `os permission gates a category behind it, on Android`() {
        openInMemory(platform = Platform.ANDROID).use { kit ->
            kit.acceptPolicy()
            assertEquals(
                denied(DecisionReason.OsPermissionNotRequested(OsPermission.CONTACTS)),
                kit.check("contacts", "service"),
            )
            kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.DENIED)
            assertEquals(
                denied(DecisionReason.OsPermissionDenied(OsPermission.CONTACTS)),
                kit.check("contacts", "service"),
            )
            kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.DENIED)
            assertEquals(
                denied(DecisionReason.BlockedInSettings(OsPermission.CONTACTS)),
                kit.check("contacts", "service"),
            )
            // The user turns it on in the system Settings app.
            kit.reportPermission(OsPermission.CONTACTS, PermissionStatus.GRANTED)
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("contacts", "service"))

            kit.reportPermission(OsPermission.CONTACTS, PermissionStatus.LIMITED)
            assertEquals(
                Decision(true, DecisionReason.PermittedWithLimitedAccess(LegalBasis.CONTRACT)),
                kit.check("contacts", "service"),
            )
            kit.reportPermission(OsPermission.CONTACTS, PermissionStatus.RESTRICTED)
            assertEquals(
                denied(DecisionReason.OsPermissionRestricted(OsPermission.CONTACTS)),
                kit.check("contacts", "service"),
            )
            // Other categories are untouched by the contacts permission.
            assertEquals(
                denied(DecisionReason.OsPermissionNotRequested(OsPermission.CALL_LOG)),
                kit.check("call_history", "service"),
            )
        }
    }

    @Test
    fun `an iOS denial is blocked in settings at once`() {
        openInMemory(platform = Platform.IOS).use { kit ->
            kit.acceptPolicy()
            kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.DENIED)
            assertEquals(
                denied(DecisionReason.BlockedInSettings(OsPermission.CONTACTS)),
                kit.check("contacts", "service"),
            )
        }
    }

    @Test
    fun `a precise-location use needs precise location`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            kit.recordPermissionRequest(
                OsPermission.LOCATION,
                PermissionStatus.GRANTED,
                accuracy = LocationAccuracy.APPROXIMATE,
            )
            assertEquals(denied(DecisionReason.ApproximateLocationOnly), kit.check("location", "service"))

            kit.reportPermission(OsPermission.LOCATION, PermissionStatus.GRANTED, accuracy = LocationAccuracy.PRECISE)
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("location", "service"))

            // Granted without saying the accuracy means full (precise) access.
            kit.reportPermission(OsPermission.LOCATION, PermissionStatus.DENIED)
            kit.reportPermission(OsPermission.LOCATION, PermissionStatus.GRANTED)
            assertEquals(LocationAccuracy.PRECISE, kit.permissionState(OsPermission.LOCATION).accuracy)
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("location", "service"))
        }
    }

    @Test
    fun `in-app choices come before OS prompts`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            // location/marketing needs consent and the location permission: consent is asked first.
            assertEquals(denied(DecisionReason.NeedsConsent), kit.check("location", "marketing"))
            kit.grantConsent("marketing", category = "location")
            assertEquals(
                denied(DecisionReason.OsPermissionNotRequested(OsPermission.LOCATION)),
                kit.check("location", "marketing"),
            )
            kit.recordPermissionRequest(OsPermission.LOCATION, PermissionStatus.GRANTED, LocationAccuracy.APPROXIMATE)
            // Marketing does not require precise location.
            assertEquals(permitted(LegalBasis.CONSENT), kit.check("location", "marketing"))
        }
    }

    @Test
    fun `callsapp advertising id for advertising needs consent and tracking`() {
        for (platform in Platform.entries) {
            openInMemory(Fixtures.example("callsapp.json"), platform).use { kit ->
                // An adult: with no age declared, the protective default refuses advertising.
                kit.declareUserFacts(UserFacts(birthDate = "1990-04-12", ageYears = null, jurisdiction = null), ConsentSource.USER)
                assertEquals(
                    denied(DecisionReason.PolicyNotAccepted),
                    kit.check("advertising_id", "advertising"),
                    "$platform",
                )
                kit.acceptPolicy()
                assertEquals(denied(DecisionReason.NeedsConsent), kit.check("advertising_id", "advertising"))

                kit.denyConsent("advertising")
                assertEquals(denied(DecisionReason.ConsentDenied), kit.check("advertising_id", "advertising"))

                kit.grantConsent("advertising")
                assertEquals(
                    denied(DecisionReason.OsPermissionNotRequested(OsPermission.TRACKING)),
                    kit.check("advertising_id", "advertising"),
                )
                kit.recordPermissionRequest(OsPermission.TRACKING, PermissionStatus.GRANTED)
                assertEquals(permitted(LegalBasis.CONSENT), kit.check("advertising_id", "advertising"))

                kit.withdrawConsent("advertising", category = "advertising_id")
                assertEquals(denied(DecisionReason.ConsentWithdrawn), kit.check("advertising_id", "advertising"))
            }
        }
    }

    @Test
    fun `callsapp declares its own call history without an OS permission`() {
        openInMemory(Fixtures.example("callsapp.json")).use { kit ->
            assertEquals(permitted(LegalBasis.LEGAL_OBLIGATION), kit.check("call_history", "legal_compliance"))
            assertEquals(permitted(LegalBasis.LEGAL_OBLIGATION), kit.check("billing", "legal_compliance"))
            kit.acceptPolicy()
            assertEquals(permitted(LegalBasis.CONTRACT), kit.check("call_history", "service"))
            assertEquals(
                denied(DecisionReason.OsPermissionNotRequested(OsPermission.CONTACTS)),
                kit.check("contacts", "service"),
            )
            assertEquals(denied(DecisionReason.NeedsConsent), kit.check("read_receipts", "service"))
            assertEquals(denied(DecisionReason.NotDeclaredInPolicy), kit.check("messages", "advertising"))
            val callHistory = kit.policy().categories.single { it.id == "call_history" }
            assertEquals(null, callHistory.osPermission)
            assertTrue(callHistory.builtIn)
        }
    }

    @Test
    fun `explain gives the same answer as check`() {
        openInMemory().use { kit ->
            val pairs = listOf(
                "diagnostics" to "service", "diagnostics" to "analytics", "contacts" to "service",
                "diagnostics" to "legal_compliance", "nope" to "nope",
            )
            for ((c, p) in pairs) assertEquals(kit.check(c, p), kit.explain(c, p), "$c/$p")
            kit.acceptPolicy()
            kit.grantConsent("analytics")
            for ((c, p) in pairs) assertEquals(kit.check(c, p), kit.explain(c, p), "$c/$p")
        }
    }

    @Test
    fun `after close every check answers Closed`() {
        val kit = openInMemory()
        kit.acceptPolicy()
        assertTrue(kit.check("diagnostics", "service").allowed)
        kit.closeStore()
        val closed = kit.check("diagnostics", "service")
        assertFalse(closed.allowed)
        assertEquals(DecisionReason.Closed, closed.reason)
        assertEquals(denied(DecisionReason.Closed), kit.explain("diagnostics", "service"))
        assertEquals(denied(DecisionReason.Closed), kit.check("no_such_category", "service"))
        kit.close()
    }

    @Test
    fun `a prepared data use answers like check in one call`() {
        openInMemory().use { kit ->
            kit.acceptPolicy()
            kit.dataUse("diagnostics", "analytics").use { analytics ->
                kit.dataUse("no_such_category", "service").use { unknown ->
                    assertFalse(analytics.isAllowed())
                    assertEquals(denied(DecisionReason.NeedsConsent), analytics.check())
                    kit.grantConsent("analytics")
                    assertTrue(analytics.isAllowed())
                    assertEquals(permitted(LegalBasis.CONSENT), analytics.explain())
                    assertEquals(denied(DecisionReason.NotDeclaredInPolicy), unknown.check())
                    assertTrue(kit.isAllowed("diagnostics", "analytics"))
                    assertFalse(kit.isAllowed("no_such_category", "service"))
                    kit.withdrawConsent("analytics")
                    assertFalse(kit.isAllowed("diagnostics", "analytics"), "the cached use follows changes")
                    kit.closeStore()
                    assertEquals(denied(DecisionReason.Closed), analytics.check())
                }
            }
        }
    }
}
