package io.privacykit.sample

import android.app.Activity
import android.os.Bundle
import io.privacykit.PrivacyChange
import io.privacykit.PrivacyListener
import io.privacykit.android.PermissionReporter

/**
 * Privacy settings: one row per purpose (per category where the policy scopes consent), a
 * switch for each consent and each legitimate interest, the guard's explanation under every
 * row, and the OS permissions with a way to Settings when Android no longer asks. A listener
 * redraws the screen the moment anything changes, wherever the change was made.
 */
class PrivacySettingsActivity : Activity() {
    private val services: PrivacyServices get() = (application as SampleApplication).privacy
    private lateinit var column: Column
    private var listenerId: ULong? = null
    private var error: String? = null

    private val listener = object : PrivacyListener {
        // Called on the thread that made the change, after it is stored.
        override fun onChange(change: PrivacyChange) = services.onMain { render() }
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        column = Column(this)
        setContentView(column.scrolling())
        render()
    }

    override fun onStart() {
        super.onStart()
        listenerId = services.kit.addListener(listener)
        render()
    }

    override fun onStop() {
        listenerId?.let { services.kit.removeListener(it) }
        listenerId = null
        super.onStop()
    }

    fun render() {
        if (isDestroyed) return
        val settings = PrivacySettings(services.kit)
        val state = services.kit.consentState()
        column.clear()
        column.title("Privacy settings", "settings")
        error?.let { column.text(it, "settings-error") }
        if (services.choicesSetAside) {
            column.text(
                "Your earlier privacy choices could not be verified on this phone, so they are no longer used. Please choose again.",
                "choices-set-aside",
            )
        }
        for (section in settings.sections) {
            column.heading(section.purpose.id.replace('_', ' ').replaceFirstChar { it.uppercase() })
            section.purpose.description?.let { column.note(it) }
            for (row in section.rows) {
                val what = row.categories.joinToString { it.replace('_', ' ') }
                val on = settings.isOn(row, state)
                when (row.control) {
                    Control.CONSENT -> column.switch("$what (${row.basis.label()})", "consent:${row.scope.key}", on) { checked ->
                        write { settings.setConsent(row.scope, checked) }
                    }
                    Control.OBJECTION -> column.switch("$what (${row.basis.label()})", "object:${row.scope.key}", on) { checked ->
                        write { settings.setObjection(row.scope, objected = !checked) }
                    }
                    Control.NONE -> column.text("$what (${row.basis.label()})", "fixed:${row.scope.key}")
                }
                val explanations = settings.decisions(row).joinToString("\n") { (category, decision) ->
                    if (row.categories.size == 1) decision.explanation() else "${category.replace('_', ' ')}: ${decision.explanation()}"
                }
                column.note(explanations, "explain:${row.scope.key}")
                if (row.control == Control.CONSENT && settings.needsGuardian(row)) {
                    column.button("A parent or guardian allows this", "guardian:${row.scope.key}") {
                        write { settings.guardianAllows(row.scope) }
                    }
                }
            }
        }
        column.heading("Permissions on this phone")
        for (permission in settings.permissions()) {
            column.text("${permission.permission.label().replaceFirstChar { it.uppercase() }}: ${permission.describe()}", "permission:${permission.permission}")
            if (permission.blockedInSettings) {
                column.button("Open Settings", "permission-settings:${permission.permission}") {
                    startActivity(PermissionReporter.settingsIntent(this))
                }
            }
        }
    }

    /** The listener redraws once the change is stored; a refusal is shown instead. */
    private fun write(change: () -> Unit) {
        services.background(change) { result ->
            error = result.exceptionOrNull()?.userMessage()
            render()
        }
    }
}
