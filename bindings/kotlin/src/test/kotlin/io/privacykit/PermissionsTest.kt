package io.privacykit

import io.privacykit.Fixtures.openInMemory
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** OS permission state: whether a request would show the prompt, and the request history. */
class PermissionsTest {

    @Test
    fun `android asks twice, explains before the second ask, then only settings can help`() {
        openInMemory(platform = Platform.ANDROID).use { kit ->
            val p = OsPermission.CONTACTS
            val fresh = kit.permissionState(p)
            assertEquals(PermissionStatus.NOT_DETERMINED, fresh.status)
            assertEquals(0u, fresh.denials)
            assertTrue(kit.canRequest(p))
            assertFalse(kit.shouldShowRationale(p))

            val once = kit.recordPermissionRequest(p, PermissionStatus.DENIED)
            assertEquals(PermissionStatus.DENIED, once.status)
            assertEquals(1u, once.denials)
            assertTrue(once.canRequest)
            assertTrue(once.shouldShowRationale)
            assertFalse(once.blockedInSettings)
            assertTrue(kit.canRequest(p))
            assertTrue(kit.shouldShowRationale(p))

            val twice = kit.recordPermissionRequest(p, PermissionStatus.DENIED)
            assertEquals(2u, twice.denials)
            assertTrue(twice.blockedInSettings)
            assertFalse(kit.canRequest(p))
            assertFalse(kit.shouldShowRationale(p))

            // The next launch only observes "denied": still blocked, known without a request.
            val relaunch = kit.reportPermission(p, PermissionStatus.DENIED, osShowsRationale = false)
            assertTrue(relaunch.blockedInSettings)
            assertEquals(twice, kit.permissionState(p))

            // Granted in Settings, then revoked there: the app may ask again.
            kit.reportPermission(p, PermissionStatus.GRANTED)
            assertFalse(kit.canRequest(p))
            val revoked = kit.reportPermission(p, PermissionStatus.DENIED)
            assertEquals(0u, revoked.denials)
            assertTrue(kit.canRequest(p))
            assertFalse(kit.shouldShowRationale(p))
        }
    }

    @Test
    fun `android rationale flag reveals a denial made before the SDK`() {
        openInMemory(platform = Platform.ANDROID).use { kit ->
            val state = kit.reportPermission(OsPermission.MICROPHONE, PermissionStatus.DENIED, osShowsRationale = true)
            assertEquals(1u, state.denials)
            assertTrue(kit.canRequest(OsPermission.MICROPHONE))
            assertTrue(kit.shouldShowRationale(OsPermission.MICROPHONE))
            // Other permissions are independent.
            assertEquals(0u, kit.permissionState(OsPermission.CONTACTS).denials)
        }
    }

    @Test
    fun `ios prompts once and never asks for a rationale`() {
        openInMemory(platform = Platform.IOS).use { kit ->
            val p = OsPermission.TRACKING
            assertTrue(kit.canRequest(p))
            assertFalse(kit.shouldShowRationale(p))

            val denied = kit.recordPermissionRequest(p, PermissionStatus.DENIED)
            assertTrue(denied.blockedInSettings)
            assertFalse(kit.canRequest(p))
            assertFalse(kit.shouldShowRationale(p))

            // Observed as denied at launch with no recorded request: only Settings can help.
            assertTrue(kit.reportPermission(OsPermission.LOCATION, PermissionStatus.DENIED).blockedInSettings)
            assertFalse(kit.canRequest(OsPermission.LOCATION))

            val limited = kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.LIMITED)
            assertEquals(PermissionStatus.LIMITED, limited.status)
            assertFalse(limited.canRequest)
            assertFalse(limited.blockedInSettings)
        }
    }

    @Test
    fun `restricted is neither requestable nor fixable in settings`() {
        for (platform in Platform.entries) {
            openInMemory(platform = platform).use { kit ->
                val state = kit.reportPermission(OsPermission.CALL_LOG, PermissionStatus.RESTRICTED)
                assertEquals(PermissionStatus.RESTRICTED, state.status)
                assertFalse(state.canRequest, "$platform")
                assertFalse(state.blockedInSettings, "$platform")
                assertFalse(kit.shouldShowRationale(OsPermission.CALL_LOG), "$platform")
            }
        }
    }

    @Test
    fun `permission history records requests and changes, oldest first`() {
        openInMemory(platform = Platform.ANDROID).use { kit ->
            val p = OsPermission.LOCATION
            assertEquals(emptyList(), kit.permissionHistory(p))

            kit.reportPermission(p, PermissionStatus.NOT_DETERMINED) // what PrivacyKit already knew: not recorded
            kit.recordPermissionRequest(p, PermissionStatus.DENIED, osShowsRationale = true)
            kit.recordPermissionRequest(p, PermissionStatus.GRANTED, accuracy = LocationAccuracy.APPROXIMATE)
            kit.reportPermission(p, PermissionStatus.GRANTED, accuracy = LocationAccuracy.APPROXIMATE) // unchanged
            kit.reportPermission(p, PermissionStatus.GRANTED, accuracy = LocationAccuracy.PRECISE)
            kit.recordPermissionRequest(OsPermission.CONTACTS, PermissionStatus.GRANTED)

            val history = kit.permissionHistory(p)
            assertEquals(3, history.size, "$history")
            assertEquals(
                listOf(PermissionEventKind.REQUESTED, PermissionEventKind.REQUESTED, PermissionEventKind.OBSERVED),
                history.map { it.kind },
            )
            assertEquals(
                listOf(PermissionStatus.DENIED, PermissionStatus.GRANTED, PermissionStatus.GRANTED),
                history.map { it.status },
            )
            assertEquals(listOf(null, LocationAccuracy.APPROXIMATE, LocationAccuracy.PRECISE), history.map { it.accuracy })
            assertEquals(listOf(true, null, null), history.map { it.osShowsRationale })
            assertTrue(history.all { it.permission == p })
            assertTrue(history.zipWithNext().all { (a, b) -> a.timeMs <= b.timeMs })
            val now = System.currentTimeMillis()
            assertTrue(history.all { it.timeMs in (now - 60_000)..(now + 60_000) }, "times are wall-clock ms")

            assertEquals(1, kit.permissionHistory(OsPermission.CONTACTS).size)
            assertEquals(emptyList(), kit.permissionHistory(OsPermission.MICROPHONE))
        }
    }

    @Test
    fun `a repeated request answer is recorded even when the state does not change`() {
        openInMemory(platform = Platform.IOS).use { kit ->
            kit.recordPermissionRequest(OsPermission.MICROPHONE, PermissionStatus.GRANTED)
            kit.recordPermissionRequest(OsPermission.MICROPHONE, PermissionStatus.GRANTED)
            assertEquals(2, kit.permissionHistory(OsPermission.MICROPHONE).size)
            val state = kit.permissionState(OsPermission.MICROPHONE)
            assertEquals(PermissionStatus.GRANTED, state.status)
            assertNull(state.accuracy, "accuracy is for location only")
        }
    }
}
