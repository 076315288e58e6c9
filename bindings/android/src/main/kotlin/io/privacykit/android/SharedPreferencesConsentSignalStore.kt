package io.privacykit.android

import android.content.Context
import android.content.SharedPreferences
import io.privacykit.ConsentSignalStore
import io.privacykit.ConsentSignalStoreException
import io.privacykit.ConsentSignalValue

/**
 * Keeps the IAB consent signals (`IABTCF_*`, `IABGPP_*`) where ad SDKs read them: the app's
 * default SharedPreferences. Register it with `kit.setConsentSignalStore(...)`.
 *
 * Each call is one `Editor.commit()`, so a vendor reading the preferences sees one decision
 * whole, never half of it. Numbers are written with `putInt`, as the TCF and GPP in-app
 * specifications type them and ad SDKs read them (`getInt("IABTCF_gdprApplies", …)`); the
 * '0'/'1' strings with `putString`, exactly as given.
 */
class SharedPreferencesConsentSignalStore(private val preferences: SharedPreferences) : ConsentSignalStore {

    /**
     * The default SharedPreferences, named as `PreferenceManager.getDefaultSharedPreferences`
     * names them; opened directly so this library needs no androidx dependency.
     */
    constructor(context: Context) : this(
        context.getSharedPreferences(context.packageName + "_preferences", Context.MODE_PRIVATE),
    )

    override fun write(values: Map<String, ConsentSignalValue>, removedKeys: List<String>) {
        val editor = preferences.edit()
        removedKeys.forEach { editor.remove(it) }
        for ((key, value) in values) {
            when (value) {
                is ConsentSignalValue.Int -> {
                    // Every value the specifications define fits an Int (ids, versions, flags).
                    if (value.value < Int.MIN_VALUE || value.value > Int.MAX_VALUE) {
                        throw ConsentSignalStoreException.Failed()
                    }
                    editor.putInt(key, value.value.toInt())
                }
                is ConsentSignalValue.Text -> editor.putString(key, value.value)
            }
        }
        if (!editor.commit()) throw ConsentSignalStoreException.Failed()
    }
}
