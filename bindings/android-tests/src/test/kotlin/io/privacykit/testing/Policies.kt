package io.privacykit.testing

import io.privacykit.Platform
import io.privacykit.PrivacyKit
import io.privacykit.PrivacyKitConfig
import java.io.File

/** The policies the tests open PrivacyKit with. */
object Policies {
    /** The sample app's policy, the copy of examples/policies/callsapp.json it ships in its assets. */
    val sample: String by lazy { File(property("privacykit.samplePolicy")).readText() }

    /** examples/policies/callsapp.json, the original. */
    val callsApp: String by lazy { File(property("privacykit.examples"), "callsapp.json").readText() }

    /** examples/policies/callsapp_tcf.json: CallsApp's policy with a `tcf` section. */
    val callsAppTcf: String by lazy { File(property("privacykit.examples"), "callsapp_tcf.json").readText() }

    /**
     * A small policy for the glue's tests; its users count as adults until they declare an age.
     *
     * | category       | OS permission | purpose     | basis     |
     * |----------------|---------------|-------------|-----------|
     * | contacts       | contacts      | service     | contract  |
     * | location       | location      | service     | contract, precise |
     * | advertising_id | tracking      | advertising | consent   |
     */
    val test: String = """
        {
          "format": 1,
          "policy_id": "io.privacykit.android.test",
          "version": 1,
          "effective_date": "2026-01-01",
          "controller": { "name": "Test Ltd" },
          "requires_acceptance": true,
          "minimum_age": 13,
          "digital_consent_age": 16,
          "unknown_age": "adult",
          "categories": [ { "id": "contacts" }, { "id": "location" }, { "id": "advertising_id" } ],
          "purposes": [ { "id": "service" }, { "id": "advertising" } ],
          "processing": [
            { "category": "contacts", "purpose": "service", "legal_basis": "contract" },
            { "category": "location", "purpose": "service", "legal_basis": "contract", "location_accuracy": "precise" },
            { "category": "advertising_id", "purpose": "advertising", "legal_basis": "consent" }
          ]
        }
    """.trimIndent()

    fun openTestPolicy(): PrivacyKit = PrivacyKit.open(PrivacyKitConfig(null, test, Platform.ANDROID, 0))

    private fun property(name: String): String =
        System.getProperty(name) ?: error("system property $name is not set (run through Maven)")
}
