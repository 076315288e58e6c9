package io.privacykit.android

import android.Manifest
import android.content.ContentResolver
import android.content.Context
import android.content.pm.PackageManager
import android.net.Uri
import android.provider.ContactsContract.CommonDataKinds.Email
import android.provider.ContactsContract.CommonDataKinds.Phone
import io.privacykit.Contact

/**
 * Reads the address book as PrivacyKit's [Contact] list, for contact discovery: for each
 * contact its lookup key (the id the app keeps for it, stable across syncs), its phone numbers
 * and its email addresses.
 *
 * It asks the contacts provider for exactly three columns, the lookup key and the value of
 * each phone ([Phone.CONTENT_URI]) and email ([Email.CONTENT_URI]) row: never names, photos,
 * notes or any other column. A name is not needed to find someone, and what is never read
 * cannot leak.
 *
 * Needs `READ_CONTACTS`. Call it off the main thread (a large address book takes a while), and
 * only once PrivacyKit allows `contacts` for the use (`kit.check("contacts", "service")`);
 * `ContactDiscovery.discover` checks again.
 */
class ContactsReader(private val context: Context) {
    private val resolver: ContentResolver get() = context.contentResolver

    /**
     * Every contact with at least one phone number or email, in the provider's order; numbers
     * and emails as the user typed them (PrivacyKit normalizes them) without duplicates.
     *
     * @throws SecurityException when `READ_CONTACTS` is not granted.
     */
    fun read(): List<Contact> {
        if (context.checkSelfPermission(Manifest.permission.READ_CONTACTS) != PackageManager.PERMISSION_GRANTED) {
            throw SecurityException("READ_CONTACTS is not granted")
        }
        val byKey = LinkedHashMap<String, Pair<LinkedHashSet<String>, LinkedHashSet<String>>>()
        fun entry(key: String) = byKey.getOrPut(key) { LinkedHashSet<String>() to LinkedHashSet() }
        readColumn(Phone.CONTENT_URI, Phone.LOOKUP_KEY, Phone.NUMBER) { key, number -> entry(key).first += number }
        readColumn(Email.CONTENT_URI, Email.LOOKUP_KEY, Email.ADDRESS) { key, email -> entry(key).second += email }
        return byKey.map { (key, values) -> Contact(key, values.first.toList(), values.second.toList()) }
    }

    private inline fun readColumn(uri: Uri, keyColumn: String, valueColumn: String, add: (String, String) -> Unit) {
        val projection = arrayOf(keyColumn, valueColumn)
        resolver.query(uri, projection, null, null, null)?.use { cursor ->
            val key = cursor.getColumnIndexOrThrow(keyColumn)
            val value = cursor.getColumnIndexOrThrow(valueColumn)
            while (cursor.moveToNext()) {
                val lookupKey = cursor.getString(key)
                val text = cursor.getString(value)?.trim()
                if (!lookupKey.isNullOrEmpty() && !text.isNullOrEmpty()) add(lookupKey, text)
            }
        }
    }

    companion object {
        /** The only columns [read] asks for, per data kind: for apps that document their queries. */
        val PHONE_PROJECTION: List<String> = listOf(Phone.LOOKUP_KEY, Phone.NUMBER)
        val EMAIL_PROJECTION: List<String> = listOf(Email.LOOKUP_KEY, Email.ADDRESS)
    }
}
