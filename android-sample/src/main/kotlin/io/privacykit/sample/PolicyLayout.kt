package io.privacykit.sample

import io.privacykit.ConsentAction
import io.privacykit.ConsentChange
import io.privacykit.ConsentChoice
import io.privacykit.ConsentSource
import io.privacykit.ConsentState
import io.privacykit.Decision
import io.privacykit.DecisionReason
import io.privacykit.LegalBasis
import io.privacykit.PermissionState
import io.privacykit.PolicyInfo
import io.privacykit.PrivacyKit
import io.privacykit.Purpose
import io.privacykit.UserFacts

/** A purpose, for every category the policy declares for it (category null) or for one. */
data class UseScope(val purpose: String, val category: String?) {
    /** How the screens tag this scope's views: `purpose/category`, `purpose/` then `*` for every category. */
    val key: String get() = "$purpose/${category ?: "*"}"
}

/** What the user can do about a use. */
enum class Control {
    /** Allow or not: consent, off until given. */
    CONSENT,

    /** Object or not: legitimate interest, on until the user objects. */
    OBJECTION,

    /** Nothing: the service needs it or the law requires it. Shown, not switchable. */
    NONE,
}

/** One row of the consent sheet and of the settings screen. */
data class UseRow(
    val scope: UseScope,
    val control: Control,
    val basis: LegalBasis,
    val categories: List<String>,
    val descriptions: List<String>,
)

data class PurposeSection(val purpose: Purpose, val rows: List<UseRow>)

/**
 * The policy as the screens show it: one section per purpose, and in it one row per thing the
 * user controls. A purpose whose every use rests on consent (or every use on legitimate
 * interest) is one switch for all its categories; where the policy mixes bases within a
 * purpose, as CallsApp's does (the service needs your contacts, but read receipts are up to
 * you), each category with its own basis gets its own switch.
 */
object PolicyLayout {
    fun sections(policy: PolicyInfo): List<PurposeSection> = policy.purposes.mapNotNull { purpose ->
        val uses = policy.processing.filter { it.purpose == purpose.id }
        if (uses.isEmpty()) return@mapNotNull null
        val rows = mutableListOf<UseRow>()
        for ((basis, control) in listOf(LegalBasis.CONSENT to Control.CONSENT, LegalBasis.LEGITIMATE_INTEREST to Control.OBJECTION)) {
            val scoped = uses.filter { it.legalBasis == basis }
            if (scoped.isEmpty()) continue
            if (scoped.size == uses.size) {
                rows += UseRow(
                    UseScope(purpose.id, null), control, basis,
                    scoped.map { it.category }, scoped.mapNotNull { it.description },
                )
            } else {
                scoped.forEach {
                    rows += UseRow(UseScope(purpose.id, it.category), control, basis, listOf(it.category), listOfNotNull(it.description))
                }
            }
        }
        uses.filter { it.legalBasis != LegalBasis.CONSENT && it.legalBasis != LegalBasis.LEGITIMATE_INTEREST }.forEach {
            rows += UseRow(UseScope(purpose.id, it.category), Control.NONE, it.legalBasis, listOf(it.category), listOfNotNull(it.description))
        }
        PurposeSection(purpose, rows)
    }
}

/**
 * The first-launch sheet: the policy's summary and its purposes with their legal bases. Every
 * consent switch starts off, and accepting all, choosing, and rejecting all are one tap each.
 * All three accept the policy itself (the service cannot run without it); they differ only in
 * the consents given.
 */
class ConsentSheet(private val kit: PrivacyKit) {
    val policy: PolicyInfo = kit.policy()
    val sections: List<PurposeSection> = PolicyLayout.sections(policy)
    val consentScopes: List<UseScope> = sections.flatMap { s -> s.rows.filter { it.control == Control.CONSENT }.map { it.scope } }

    val summary: String
        get() = buildString {
            append("${policy.controllerName}'s privacy policy, version ${policy.version}, in force since ${policy.effectiveDate}. ")
            append("It covers ${policy.categories.size} kinds of data used for ${policy.purposes.size} purposes. ")
            append("You must be at least ${policy.minimumAge} to use the app; under ${policy.digitalConsentAge}, a parent or guardian decides on consent.")
            policy.controllerContact?.let { append(" Contact: $it.") }
        }

    fun acceptAll(ageYears: Int?) = record(ageYears, consentScopes.toSet())

    fun rejectAll(ageYears: Int?) = record(ageYears, emptySet())

    /** Grants [granted] and declines every other consent. */
    fun choose(ageYears: Int?, granted: Set<UseScope>) = record(ageYears, granted)

    private fun record(ageYears: Int?, granted: Set<UseScope>) {
        if (ageYears != null) {
            kit.declareUserFacts(UserFacts(birthDate = null, ageYears = ageYears.toUByte(), jurisdiction = null), ConsentSource.USER)
        }
        kit.acceptPolicy()
        for (scope in consentScopes) {
            if (scope in granted) kit.grantConsent(scope.purpose, scope.category) else kit.denyConsent(scope.purpose, scope.category)
        }
    }

    companion object {
        /** The sheet is shown until the policy in force is accepted (again after an erasure). */
        fun needed(kit: PrivacyKit): Boolean =
            kit.policy().requiresAcceptance && kit.consentState().acceptedPolicyVersion == null
    }
}

/** The privacy settings screen's logic: what each switch shows and what flipping it records. */
class PrivacySettings(private val kit: PrivacyKit) {
    val sections: List<PurposeSection> = PolicyLayout.sections(kit.policy())

    /** Consent given, or no objection made, for every category of [row]. */
    fun isOn(row: UseRow, state: ConsentState = kit.consentState()): Boolean = when (row.control) {
        Control.CONSENT -> row.categories.all { choice(state, row.scope.purpose, it) == ConsentChoice.GRANTED }
        Control.OBJECTION -> row.categories.none { objected(state, row.scope.purpose, it) }
        Control.NONE -> row.categories.all { kit.explain(it, row.scope.purpose).allowed }
    }

    /** The guard's answer now for each category of [row] (explain: not counted as a use). */
    fun decisions(row: UseRow): List<Pair<String, Decision>> = row.categories.map { it to kit.explain(it, row.scope.purpose) }

    fun needsGuardian(row: UseRow): Boolean =
        decisions(row).any { it.second.reason == DecisionReason.NeedsGuardianConsent }

    fun setConsent(scope: UseScope, on: Boolean) {
        val granted = kit.consentState().choices.any {
            it.purpose == scope.purpose && it.category == scope.category && it.choice == ConsentChoice.GRANTED
        }
        when {
            on -> kit.grantConsent(scope.purpose, scope.category)
            granted -> kit.withdrawConsent(scope.purpose, scope.category)
            else -> kit.denyConsent(scope.purpose, scope.category)
        }
    }

    fun setObjection(scope: UseScope, objected: Boolean) {
        if (objected) kit.objectTo(scope.purpose, scope.category) else kit.withdrawObjection(scope.purpose, scope.category)
    }

    /** A parent or guardian allows a use for a child's account. */
    fun guardianAllows(scope: UseScope) {
        kit.recordConsent(ConsentChange(ConsentAction.GRANT, scope.purpose, scope.category, ConsentSource.GUARDIAN))
    }

    /** The OS permissions behind the policy's categories, in a stable order. */
    fun permissions(): List<PermissionState> =
        kit.policy().categories.mapNotNull { it.osPermission }.distinct().sortedBy { it.ordinal }.map { kit.permissionState(it) }

    private fun choice(state: ConsentState, purpose: String, category: String): ConsentChoice? =
        state.choices.filter { it.purpose == purpose && (it.category == category || it.category == null) }
            .maxByOrNull { it.seq }?.choice

    private fun objected(state: ConsentState, purpose: String, category: String): Boolean =
        state.objections.any { it.purpose == purpose && (it.category == category || it.category == null) }

}
