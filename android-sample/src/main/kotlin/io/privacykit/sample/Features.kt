package io.privacykit.sample

import io.privacykit.AccountLink
import io.privacykit.Contact
import io.privacykit.ErasureReceipt
import io.privacykit.LinkedAccount
import io.privacykit.OsPermission
import io.privacykit.PermissionState
import io.privacykit.PermissionStatus
import io.privacykit.PersonalData
import io.privacykit.PrivacyException
import io.privacykit.Secret
import java.security.SecureRandom
import java.text.DateFormat
import java.util.Date

/** The permission flow: explain before the system prompt, and never ask when the prompt would not show. */
object PermissionFlow {
    sealed interface Step {
        /** Access is there: go on. */
        data object Proceed : Step

        /** Explain why, then show the system prompt; [afterDenial] when the user declined before. */
        data class ExplainThenAsk(val afterDenial: Boolean) : Step

        /** Android would show nothing (the second denial): only the system Settings can allow it. */
        data object OpenSettings : Step

        /** Device management forbids it; the user cannot change it. */
        data object Unavailable : Step
    }

    fun next(state: PermissionState): Step = when {
        state.status == PermissionStatus.GRANTED || state.status == PermissionStatus.LIMITED ||
            state.status == PermissionStatus.PROVISIONAL -> Step.Proceed
        state.status == PermissionStatus.RESTRICTED -> Step.Unavailable
        state.blockedInSettings || !state.canRequest -> Step.OpenSettings
        else -> Step.ExplainThenAsk(afterDenial = state.shouldShowRationale)
    }

    fun rationale(permission: OsPermission, afterDenial: Boolean): String {
        val why = when (permission) {
            OsPermission.CONTACTS ->
                "CallsApp shows which of your contacts already use it. Only phone numbers and emails are checked, " +
                    "blinded so the server learns nothing about people who do not use CallsApp; names never leave your phone."
            OsPermission.LOCATION ->
                "CallsApp uses your approximate location for the service, and for offers near you only if you allow it."
            OsPermission.CALL_LOG -> "CallsApp shows your calls in one list."
            OsPermission.MICROPHONE -> "CallsApp needs the microphone for calls."
            OsPermission.TRACKING -> "Ads can be personalised with your advertising ID."
            // CallsApp's policy declares none of these; an app names why it needs each it uses.
            OsPermission.CAMERA, OsPermission.PHOTOS, OsPermission.NOTIFICATIONS, OsPermission.CALENDAR,
            OsPermission.NEARBY_DEVICES, OsPermission.PHONE_STATE -> "CallsApp needs the ${permission.label()} permission for this feature."
        }
        return if (afterDenial) {
            "$why If you say no again, Android will not ask again and only the system Settings can change it."
        } else {
            why
        }
    }
}

/** What one contact discovery found, in words the screen shows. */
class DiscoveryOutcome(val members: List<Contact>, val checked: Int) {
    fun describe(): String = buildString {
        append("${members.size} of your $checked contacts use CallsApp")
        if (members.isNotEmpty()) append(": ")
        append(members.joinToString(", ") { it.phones.firstOrNull() ?: it.emails.first() })
        append('.')
    }
}

/** Which of the address book's contacts use the app, with PrivacyKit's private discovery. */
class ContactDiscoveryFeature(private val services: PrivacyServices) {
    /** Reads the address book and asks the server. Blocking: off the main thread. */
    fun findMembers(endpoint: DiscoveryEndpoint): DiscoveryOutcome {
        val decision = services.kit.check("contacts", "service")
        if (!decision.allowed) throw PrivacyException.NotPermitted(decision.reason)
        val book = services.contacts.read()
        val result = services.discovery(endpoint).use { it.discover(book) }
        val members = result.matched.toSet()
        return DiscoveryOutcome(book.filter { it.id in members }, book.size)
    }
}

/**
 * A social network account linked through PrivacyKit's vault. The sample's sign-in is a demo:
 * it makes up the account's tokens on the device, where an app gets them from the network's
 * login SDK; everything after that is what an app does.
 */
class LinkedAccountFeature(private val services: PrivacyServices) {
    fun accounts(): List<LinkedAccount> = services.vault().linkedAccounts()

    /** Links a demo account; refused with the guard's reason unless `social_accounts` may be used. */
    fun signInDemo(): LinkedAccount {
        val accountId = (1..9).map { random.nextInt(10) }.joinToString("")
        return services.vault().linkAccount(
            AccountLink(
                provider = PROVIDER,
                accountId = accountId,
                accessToken = Secret(token()),
                refreshToken = Secret(token()),
                expiresAtMs = System.currentTimeMillis() + 24 * 3_600_000L,
                scopes = listOf("friends", "email"),
            ),
        )
    }

    /** Reads the tokens as the app would before calling the network's API; says what it got, never the token. */
    fun useAccount(account: LinkedAccount): String {
        val id = account.accountId ?: throw PrivacyException.CorruptRecord()
        val tokens = services.vault().tokens(account.provider, id)
        val length = tokens.accessToken.expose().length
        return "Signed in to ${account.provider.uppercase()}: access token available ($length characters), scopes ${tokens.scopes.joinToString()}."
    }

    fun unlink(account: LinkedAccount): Boolean =
        account.accountId?.let { services.vault().unlinkAccount(account.provider, it) } ?: false

    private fun token(): String = ByteArray(24).also(random::nextBytes).joinToString("") { "%02x".format(it) }

    companion object {
        const val PROVIDER = "vk"
        private val random = SecureRandom()
    }
}

/** The advertising identifier, as the app gets it: only through the guard. */
class AdvertisingFeature(private val services: PrivacyServices) {
    /** Reads what the OS says (blocking), then asks PrivacyKit for the id. */
    fun refresh(): String {
        val tracking = services.advertising.refresh()
        val answer = services.kit.advertisingId()
        val id = answer.advertisingId
        return when {
            id != null -> "Advertising ID given to ad partners: $id"
            tracking == null -> "No advertising ID on this device. ${answer.decision.explanation()}"
            else -> "No advertising ID: ${answer.decision.explanation()}"
        }
    }
}

/** Words for an erasure receipt. */
fun ErasureReceipt.describe(): String = buildString {
    append("Erased on ${DateFormat.getDateTimeInstance().format(Date(erasedAtMs))}: ")
    append(erased.joinToString("; ") { "${it.data.label()} (${it.records} records)" })
    append(if (keysDestroyed) ". Encryption keys destroyed." else ".")
}

fun PersonalData.label(): String = when (this) {
    PersonalData.CONSENT_LEDGER -> "your choices and declarations"
    PersonalData.PERMISSION_HISTORY -> "permission history"
    PersonalData.ACCESS_REPORT -> "access report"
    PersonalData.LINKED_ACCOUNTS -> "linked accounts"
    PersonalData.INSTALL_ID -> "install id"
    PersonalData.DISCOVERY_CACHE -> "contact discovery cache"
    PersonalData.RETENTION_EVENTS -> "account events kept for deletion deadlines"
}

/** What the screen says for a failed call: never the exception's message, which is not for users. */
fun Throwable.userMessage(): String = when (this) {
    is PrivacyException.NotPermitted -> reason.explanation()
    is PrivacyException.AccountNotLinked -> "That account is no longer linked."
    is PrivacyException.VaultLocked -> "The device's keystore is not available right now; try again."
    is PrivacyException.VaultKeyLost -> "The linked accounts cannot be read on this device any more; link them again."
    is PrivacyException.DiscoveryTransport -> "Could not reach the CallsApp server."
    is PrivacyException.DiscoveryBudgetExceeded -> "Too many lookups for now; try again later."
    is PrivacyException.DiscoveryBadResponse, is PrivacyException.DiscoveryServerKeyMismatch ->
        "The server's answer could not be trusted; nothing was recorded."
    is PrivacyException.InvalidArgument -> "That value is not valid."
    is PrivacyException.CorruptRecord -> "That record is damaged; the others are fine."
    is SecurityException -> "The system did not give the permission."
    else -> "Something went wrong (${javaClass.simpleName})."
}
