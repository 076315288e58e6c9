package io.privacykit.testing

import android.content.ContentProvider
import android.content.ContentValues
import android.database.Cursor
import android.database.MatrixCursor
import android.net.Uri
import android.provider.ContactsContract
import android.provider.ContactsContract.CommonDataKinds.Email
import android.provider.ContactsContract.CommonDataKinds.Phone
import org.robolectric.Robolectric
import java.util.concurrent.CopyOnWriteArrayList

/**
 * The device's contacts provider, as far as ContactsReader sees it: phone and email data rows,
 * each with every column a real row has that matters here (including the display name, so a
 * reader that asked for names would get them). Records every projection it is asked for.
 */
class FakeContactsProvider : ContentProvider() {
    class Person(val lookupKey: String, val name: String, val phones: List<String>, val emails: List<String>)

    val people = CopyOnWriteArrayList<Person>()
    val projections = CopyOnWriteArrayList<List<String>>()

    override fun onCreate() = true

    override fun query(uri: Uri, projection: Array<out String>?, selection: String?, args: Array<out String>?, sort: String?): Cursor {
        val columns = projection?.toList() ?: ALL_COLUMNS
        projections += columns
        val rows: List<Map<String, String>> = when (uri) {
            Phone.CONTENT_URI -> people.flatMap { p -> p.phones.map { row(p, it) } }
            Email.CONTENT_URI -> people.flatMap { p -> p.emails.map { row(p, it) } }
            else -> throw IllegalArgumentException("not served by this provider: ${uri.path}")
        }
        return MatrixCursor(columns.toTypedArray()).apply {
            rows.forEach { values -> addRow(columns.map { values[it] }) }
        }
    }

    private fun row(person: Person, value: String) = mapOf(
        ContactsContract.Data.LOOKUP_KEY to person.lookupKey,
        ContactsContract.Data.DISPLAY_NAME to person.name,
        ContactsContract.Data.DATA1 to value,
    )

    override fun getType(uri: Uri): String? = null
    override fun insert(uri: Uri, values: ContentValues?): Uri? = throw UnsupportedOperationException()
    override fun delete(uri: Uri, selection: String?, args: Array<out String>?): Int = throw UnsupportedOperationException()
    override fun update(uri: Uri, values: ContentValues?, selection: String?, args: Array<out String>?): Int =
        throw UnsupportedOperationException()

    companion object {
        private val ALL_COLUMNS = listOf(ContactsContract.Data.LOOKUP_KEY, ContactsContract.Data.DISPLAY_NAME, ContactsContract.Data.DATA1)

        /** Registers a provider for the contacts authority in the current Robolectric sandbox. */
        fun install(vararg people: Person): FakeContactsProvider =
            Robolectric.setupContentProvider(FakeContactsProvider::class.java, ContactsContract.AUTHORITY).also {
                it.people.addAll(people)
            }
    }
}
