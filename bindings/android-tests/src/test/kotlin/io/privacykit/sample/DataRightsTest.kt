package io.privacykit.sample

import android.app.AlertDialog
import android.content.Intent
import io.privacykit.PersonalData
import io.privacykit.testing.JvmKeyProvider
import io.privacykit.testing.PrivacyKitTestRunner
import org.json.JSONObject
import org.junit.After
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Shadows.shadowOf
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/** The user's rights on the device: the export shared as JSON, and erasure with its receipt. */
@RunWith(PrivacyKitTestRunner::class)
class DataRightsTest {
    private val driver = SampleDriver()

    @After
    fun close() = driver.close()

    private fun onboardedWithAccount(): MainActivity {
        val main = driver.launchMain()
        driver.type(main, "sheet-age", "30")
        driver.tap(main, "accept-all")
        driver.tap(main, "link-account")
        assertEquals("Linked: VK", driver.text(main, "account-linked"))
        return main
    }

    @Test
    fun `the export is shared as JSON through the share sheet`() {
        val main = onboardedWithAccount()
        driver.tap(main, "export")

        val chooser = shadowOf(main).nextStartedActivity
        assertEquals(Intent.ACTION_CHOOSER, chooser.action)
        @Suppress("DEPRECATION")
        val send = chooser.getParcelableExtra<Intent>(Intent.EXTRA_INTENT)!!
        assertEquals(Intent.ACTION_SEND, send.action)
        assertEquals("application/json", send.type)
        val json = JSONObject(send.getStringExtra(Intent.EXTRA_TEXT)!!)
        assertEquals("privacykit-export", json.getString("format"))
        assertEquals("com.callsapp.android", json.getJSONObject("policy").getString("policy_id"))
        assertEquals(1, json.getJSONArray("linked_accounts").length())
        assertTrue(json.getJSONArray("consent_receipts").length() >= 7, "the acceptance, the age and six consents")
    }

    @Test
    fun `erase all deletes everything, shows the receipt, and the app starts afresh`() {
        val main = onboardedWithAccount()
        val keys = JvmKeyProvider(File(driver.app.noBackupFilesDir, "keystore.p12"))
        // The vault's keys; the ledger's seal key stays, sealing the emptied ledger.
        val platformKeys = keys.aliases() - LEDGER_SEAL_ALIAS
        assertTrue(platformKeys.isNotEmpty())
        assertTrue(LEDGER_SEAL_ALIAS in keys.aliases())

        driver.tap(main, "erase")
        assertTrue(driver.dialogMessage().startsWith("Your choices, permission history, linked accounts"))
        driver.answerDialog(AlertDialog.BUTTON_POSITIVE)

        val receipt = driver.text(main, "erase-receipt")
        assertTrue(receipt.startsWith("Erased on "), receipt)
        assertTrue(receipt.contains("linked accounts (1 records)"), receipt)
        assertTrue(receipt.endsWith("Encryption keys destroyed."), receipt)
        assertNotNull(driver.find(main, "consent-sheet"), "back to the first launch")
        assertEquals(0uL, driver.kit.consentState().ledgerLength)
        assertTrue(platformKeys.none { it in keys.aliases() }, "the vault's platform keys are deleted too")
        assertTrue(driver.app.privacy.vault().linkedAccounts().isEmpty())

        driver.killProcess()
        val again = driver.launchMain()
        assertNotNull(driver.find(again, "consent-sheet"))
        assertFalse(driver.kit.exportPersonalData().contains("\"provider\":\"vk\""))
        assertEquals(0uL, driver.kit.eraseData(PersonalData.LINKED_ACCOUNTS).erased.sumOf { it.records })
    }

    private companion object {
        const val LEDGER_SEAL_ALIAS = "privacykit.ledger-seal"
    }
}
