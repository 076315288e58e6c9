package io.privacykit.android

import android.Manifest
import android.app.Application
import android.provider.ContactsContract
import io.privacykit.Contact
import io.privacykit.testing.FakeContactsProvider
import io.privacykit.testing.FakeContactsProvider.Person
import io.privacykit.testing.PrivacyKitTestRunner
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue

@RunWith(PrivacyKitTestRunner::class)
class ContactsReaderTest {
    private val app: Application = RuntimeEnvironment.getApplication()

    @Test
    fun `reads lookup keys, numbers and emails, and asks for no other column`() {
        val provider = FakeContactsProvider.install(
            Person("key-a", "Alice Example", listOf("+1 201-555-0101", "+12015550109"), emptyList()),
            Person("key-b", "Bob Example", listOf("+12015550102"), listOf("bob@example.com")),
            Person("key-c", "Carol Example", emptyList(), listOf("carol@example.com", "carol@example.com")),
        )
        shadowOf(app).grantPermissions(Manifest.permission.READ_CONTACTS)

        val contacts = ContactsReader(app).read()

        assertEquals(
            listOf(
                Contact("key-a", listOf("+1 201-555-0101", "+12015550109"), emptyList()),
                Contact("key-b", listOf("+12015550102"), listOf("bob@example.com")),
                Contact("key-c", emptyList(), listOf("carol@example.com")),
            ),
            contacts,
        )
        assertEquals(2, provider.projections.size, "one query for phones, one for emails")
        provider.projections.forEach { projection ->
            assertEquals(listOf(ContactsContract.Data.LOOKUP_KEY, ContactsContract.Data.DATA1), projection)
            assertFalse(ContactsContract.Data.DISPLAY_NAME in projection)
        }
        assertTrue(contacts.none { c -> c.toString().contains("Example") }, "no name reaches a Contact")
    }

    @Test
    fun `without READ_CONTACTS nothing is read`() {
        val provider = FakeContactsProvider.install(Person("key-a", "Alice Example", listOf("+12015550101"), emptyList()))
        shadowOf(app).denyPermissions(Manifest.permission.READ_CONTACTS)

        val refused = assertFailsWith<SecurityException> { ContactsReader(app).read() }
        assertEquals("READ_CONTACTS is not granted", refused.message)
        assertTrue(provider.projections.isEmpty())
    }

    @Test
    fun `blank values and rows without a lookup key are skipped`() {
        FakeContactsProvider.install(
            Person("key-a", "Alice Example", listOf("  ", "+12015550101"), listOf("")),
            Person("", "Nobody", listOf("+12015550104"), emptyList()),
        )
        shadowOf(app).grantPermissions(Manifest.permission.READ_CONTACTS)

        assertEquals(listOf(Contact("key-a", listOf("+12015550101"), emptyList())), ContactsReader(app).read())
    }
}
