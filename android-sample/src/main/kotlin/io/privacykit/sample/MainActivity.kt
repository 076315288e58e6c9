package io.privacykit.sample

import android.app.Activity
import android.app.AlertDialog
import android.content.Intent
import android.os.Bundle
import android.widget.EditText
import android.widget.Switch
import io.privacykit.ConsentSource
import io.privacykit.OsPermission
import io.privacykit.PermissionState
import io.privacykit.UserFacts
import io.privacykit.android.PermissionReporter

/**
 * The app's one main screen: the consent sheet until the policy is accepted, then the
 * features built on PrivacyKit. A thin view over [ConsentSheet], [PermissionFlow] and the
 * feature classes; every write runs off the main thread through [PrivacyServices.background].
 */
class MainActivity : Activity() {
    private val services: PrivacyServices get() = (application as SampleApplication).privacy
    private lateinit var column: Column

    // What each section last said; kept while the activity lives.
    private var contactsMessage: String? = null
    private var locationMessage: String? = null
    private var accountMessage: String? = null
    private var adMessage: String? = null
    private var ageMessage: String? = null
    private var receiptMessage: String? = null
    private var sheetMessage: String? = null
    private var blockedPermission: OsPermission? = null
    private var afterGrant: (() -> Unit)? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        takeDiscoveryEndpoint(intent)
        column = Column(this)
        setContentView(column.scrolling())
        render()
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        takeDiscoveryEndpoint(intent)
    }

    override fun onResume() {
        super.onResume()
        // What the OS says now: the user may have changed a permission or the ad ID in Settings.
        services.background({
            services.permissions.reportAll(this)
            services.advertising.refresh()
        }) { render() }
    }

    override fun onPause() {
        super.onPause()
        services.background({ services.kit.flush() }) {}
    }

    private fun takeDiscoveryEndpoint(intent: Intent?) {
        val endpoint = DiscoveryEndpoint.parse(
            intent?.getStringExtra(DiscoveryEndpoint.EXTRA_URL),
            intent?.getStringExtra(DiscoveryEndpoint.EXTRA_KEY),
        ) ?: return
        services.saveDiscoveryEndpoint(endpoint)
    }

    fun render() {
        column.clear()
        if (ConsentSheet.needed(services.kit)) renderConsentSheet() else renderHome()
    }

    private fun renderConsentSheet() {
        val sheet = ConsentSheet(services.kit)
        receiptMessage?.let { column.note(it, "erase-receipt") }
        column.title("Your privacy at CallsApp", "consent-sheet")
        column.text(sheet.summary, "policy-summary")
        val age = column.numberField("Your age (optional; until you say, the rules for under-16s apply)", "sheet-age")
        sheetMessage?.let { column.text(it, "sheet-message") }
        val switches = mutableMapOf<UseScope, Switch>()
        for (section in sheet.sections) {
            column.heading(section.purpose.id.replace('_', ' ').replaceFirstChar { it.uppercase() })
            section.purpose.description?.let { column.note(it) }
            for (row in section.rows) {
                val what = row.categories.joinToString { it.replace('_', ' ') }
                if (row.control == Control.CONSENT) {
                    switches[row.scope] = column.switch("$what: ${row.basis.label()}", "sheet:${row.scope.key}", checked = false) {}
                } else {
                    column.text("$what: ${row.basis.label()}", "sheet-basis:${row.scope.key}")
                }
            }
        }
        column.note(
            "Continuing accepts the privacy policy, which the service needs. Consent is optional and off until you " +
                "switch it on; uses based on legitimate interest run until you object in Privacy settings.",
        )
        fun years(): Int? = age.text.toString().toIntOrNull()
        column.equalButtons(
            "Reject all" to ("reject-all" to { decide { sheet.rejectAll(years()) } }),
            "Save choices" to ("save-choices" to {
                val granted = switches.filterValues { it.isChecked }.keys
                decide { sheet.choose(years(), granted) }
            }),
            "Accept all" to ("accept-all" to { decide { sheet.acceptAll(years()) } }),
        )
    }

    private fun decide(record: () -> Unit) {
        services.background(record) { result ->
            sheetMessage = result.exceptionOrNull()?.userMessage()
            if (result.isSuccess) receiptMessage = null
            render()
        }
    }

    private fun renderHome() {
        val kit = services.kit
        val policy = kit.policy()
        val age = kit.ageStatus()
        column.title("CallsApp", "home")
        column.note("Privacy policy version ${policy.version} accepted. Age: ${age.group.label()}.", "home-status")
        column.button("Privacy settings", "open-settings") { startActivity(Intent(this, PrivacySettingsActivity::class.java)) }

        column.heading("Contacts on CallsApp")
        column.button("Which of my contacts use CallsApp?", "find-contacts") { findContacts() }
        contactsMessage?.let { column.text(it, "contacts-result") }
        blockedPermission?.let { permission ->
            column.button("Open Settings to allow ${permission.label()}", "open-system-settings") {
                startActivity(PermissionReporter.settingsIntent(this))
            }
        }

        column.heading("Location")
        column.text(kit.permissionState(OsPermission.LOCATION).describe(), "location-state")
        column.button("Allow location", "allow-location") {
            withPermission(OsPermission.LOCATION) { locationMessage = null }
        }
        locationMessage?.let { column.text(it, "location-message") }

        column.heading("Linked account")
        val accounts = LinkedAccountFeature(services)
        val linked = runCatching { accounts.accounts() }.getOrDefault(emptyList())
        column.text(
            if (linked.isEmpty()) "No account linked." else "Linked: ${linked.joinToString { it.provider.uppercase() }}",
            "account-linked",
        )
        if (linked.isEmpty()) {
            column.button("Sign in with VK (demo)", "link-account") {
                services.background({ accounts.signInDemo() }) { result ->
                    accountMessage = result.fold({ "Linked." }, { it.userMessage() })
                    render()
                }
            }
        } else {
            column.button("Use my VK account", "use-account") {
                services.background({ accounts.useAccount(linked.first()) }) { result ->
                    accountMessage = result.fold({ it }, { it.userMessage() })
                    render()
                }
            }
            column.button("Unlink", "unlink-account") {
                services.background({ accounts.unlink(linked.first()) }) { accountMessage = "Unlinked."; render() }
            }
        }
        accountMessage?.let { column.text(it, "account-message") }

        column.heading("Advertising")
        column.button("Refresh the advertising ID", "ad-refresh") {
            services.background({ AdvertisingFeature(services).refresh() }) { result ->
                adMessage = result.fold({ it }, { it.userMessage() })
                render()
            }
        }
        adMessage?.let { column.text(it, "ad-state") }

        column.heading("Your age")
        column.text(
            "Declared: ${age.group.label()}" + (age.declaredBy?.let { " (by ${if (it == ConsentSource.GUARDIAN) "a parent or guardian" else "you"})" } ?: "") +
                ". Age of digital consent here: ${age.digitalConsentAge}.",
            "age-state",
        )
        val ageField = column.numberField("Age in years", "age-field")
        column.button("Declare my age", "declare-age") { declareAge(ageField, ConsentSource.USER) }
        column.button("A parent or guardian declares the age", "guardian-declare-age") { declareAge(ageField, ConsentSource.GUARDIAN) }
        ageMessage?.let { column.text(it, "age-message") }

        column.heading("Your data")
        column.button("Export my data", "export") { exportData() }
        column.button("Erase everything", "erase") { confirmErase() }
    }

    private fun declareAge(field: EditText, source: ConsentSource) {
        val years = field.text.toString().toIntOrNull() ?: run {
            ageMessage = "Enter an age in years."
            render()
            return
        }
        services.background({
            services.kit.declareUserFacts(UserFacts(birthDate = null, ageYears = years.coerceIn(0, 255).toUByte(), jurisdiction = null), source)
        }) { result ->
            ageMessage = result.fold({ "Saved." }, { it.userMessage() })
            render()
        }
    }

    private fun findContacts() {
        val endpoint = services.discoveryEndpoint()
        if (endpoint == null) {
            contactsMessage = "No discovery server is set: start the sample with its address and key (see docs/qa.md)."
            render()
            return
        }
        withPermission(OsPermission.CONTACTS) {
            contactsMessage = "Looking…"
            render()
            services.background({ ContactDiscoveryFeature(services).findMembers(endpoint) }) { result ->
                contactsMessage = result.fold({ it.describe() }, { it.userMessage() })
                render()
            }
        }
    }

    /** Runs [then] once [permission] is there, explaining first and asking the OS only when it would ask. */
    private fun withPermission(permission: OsPermission, then: () -> Unit) {
        blockedPermission = null
        val state = services.kit.permissionState(permission)
        when (val step = PermissionFlow.next(state)) {
            PermissionFlow.Step.Proceed -> then()
            PermissionFlow.Step.Unavailable -> message(permission, "The ${permission.label()} permission is restricted on this device.")
            PermissionFlow.Step.OpenSettings -> blocked(permission)
            is PermissionFlow.Step.ExplainThenAsk -> AlertDialog.Builder(this)
                .setTitle("Allow ${permission.label()}?")
                .setMessage(PermissionFlow.rationale(permission, step.afterDenial))
                .setPositiveButton("Continue") { _, _ ->
                    afterGrant = then
                    services.permissions.requestPermissions(this, permission, requestCode(permission))
                }
                .setNegativeButton("Not now", null)
                .show()
        }
    }

    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray) {
        val permission = OsPermission.entries.firstOrNull { requestCode(it) == requestCode } ?: return
        val then = afterGrant
        afterGrant = null
        services.background({
            services.permissions.recordRequestResult(this, permission, permissions, grantResults)
        }) { result ->
            val state = result.getOrNull()
            when {
                state == null -> message(permission, result.exceptionOrNull()!!.userMessage())
                PermissionFlow.next(state) == PermissionFlow.Step.Proceed -> {
                    then?.invoke()
                    render()
                }
                state.blockedInSettings -> blocked(permission)
                else -> message(permission, answer(state))
            }
        }
    }

    private fun answer(state: PermissionState) = "${state.permission.label().replaceFirstChar { it.uppercase() }}: ${state.describe()}."

    private fun blocked(permission: OsPermission) {
        blockedPermission = permission
        message(permission, "The ${permission.label()} permission is blocked in Settings: Android will not ask again.")
    }

    private fun message(permission: OsPermission, text: String) {
        if (permission == OsPermission.LOCATION) locationMessage = text else contactsMessage = text
        render()
    }

    private fun exportData() {
        services.background({ services.kit.exportPersonalData() }) { result ->
            result.onSuccess { json ->
                val send = Intent(Intent.ACTION_SEND)
                    .setType("application/json")
                    .putExtra(Intent.EXTRA_SUBJECT, "My data from CallsApp")
                    .putExtra(Intent.EXTRA_TEXT, json)
                startActivity(Intent.createChooser(send, "Share your data"))
            }.onFailure {
                receiptMessage = it.userMessage()
                render()
            }
        }
    }

    private fun confirmErase() {
        AlertDialog.Builder(this)
            .setTitle("Erase everything?")
            .setMessage("Your choices, permission history, linked accounts and every other record PrivacyKit keeps are deleted from this phone, with their keys.")
            .setPositiveButton("Erase") { _, _ ->
                services.background({ services.kit.eraseAll() }) { result ->
                    receiptMessage = result.fold({ it.describe() }, { it.userMessage() })
                    contactsMessage = null
                    accountMessage = null
                    adMessage = null
                    ageMessage = null
                    render()
                }
            }
            .setNegativeButton("Cancel", null)
            .show()
    }

    private fun requestCode(permission: OsPermission): Int = 100 + permission.ordinal
}
