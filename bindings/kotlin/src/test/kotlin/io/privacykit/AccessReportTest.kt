package io.privacykit

import io.privacykit.Fixtures.config
import io.privacykit.Fixtures.testPolicy
import java.time.LocalDate
import java.time.ZoneOffset
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/** The access report: allowed uses per day, counted by check() only. */
class AccessReportTest {

    /** Runs [block] and returns the UTC days it started and ended on (equal unless it crossed midnight). */
    private fun <T> overDays(offsetMinutes: Int = 0, block: () -> T): Triple<T, String, String> {
        val zone = ZoneOffset.ofTotalSeconds(offsetMinutes * 60)
        val before = LocalDate.now(zone).toString()
        val result = block()
        val after = LocalDate.now(zone).toString()
        return Triple(result, before, after)
    }

    @Test
    fun `check counts allowed uses only, explain counts nothing`() {
        PrivacyKit.open(config(utcOffsetMinutes = 0)).use { kit ->
            val (rows, from, to) = overDays {
                kit.check("diagnostics", "legal_compliance") // allowed before acceptance: counted
                kit.acceptPolicy()
                repeat(5) { assertTrue(kit.check("diagnostics", "service").allowed) }
                repeat(3) { assertTrue(!kit.check("diagnostics", "analytics").allowed) } // needs consent
                repeat(4) { kit.explain("diagnostics", "service") }
                repeat(2) { kit.explain("diagnostics", "legal_compliance") }
                kit.check("no_such_category", "service")
                kit.check("contacts", "service") // permission not requested
                kit.check("diagnostics", "legal_compliance")
                kit.accessReport(Fixtures.todayUtc(), Fixtures.todayUtc())
            }
            if (from == to) {
                assertEquals(
                    listOf(
                        AccessReportRow(from, "diagnostics", "legal_compliance", 2uL),
                        AccessReportRow(from, "diagnostics", "service", 5uL),
                    ),
                    rows,
                )
            }

            // Counts add up across reports and written batches.
            val (later, from2, to2) = overDays {
                kit.grantConsent("analytics")
                repeat(3) { kit.check("diagnostics", "analytics") }
                repeat(2) { kit.check("diagnostics", "service") }
                kit.accessReport(from, to)
            }
            val totals = kit.accessReport(from, to2).groupBy { it.purpose }.mapValues { (_, r) -> r.sumOf { it.count } }
            assertEquals(mapOf("legal_compliance" to 2uL, "service" to 7uL, "analytics" to 3uL), totals)
            assertTrue(later.all { it.day == from || it.day == to2 || it.day == from2 })

            assertEquals(emptyList(), kit.accessReport("2000-01-01", "2000-12-31"))
        }
    }

    @Test
    fun `the report for today uses the UTC date when the offset is zero`() {
        PrivacyKit.open(config(utcOffsetMinutes = 0)).use { kit ->
            kit.acceptPolicy()
            val (_, before, after) = overDays { kit.check("diagnostics", "service") }
            val today = LocalDate.now(ZoneOffset.UTC).toString()
            assertTrue(Regex("""\d{4}-\d{2}-\d{2}""").matches(today))
            val rows = kit.accessReport(before, after)
            assertEquals(1, rows.size, "$rows")
            assertTrue(rows[0].day == before || rows[0].day == after)
            if (before == after) {
                assertEquals(listOf(AccessReportRow(today, "diagnostics", "service", 1uL)), kit.accessReport(today, today))
            }
        }
    }

    @Test
    fun `days follow the configured UTC offset`() {
        PrivacyKit.open(config(utcOffsetMinutes = 0)).use { kit ->
            kit.acceptPolicy()
            for (offset in listOf(840, -720)) {
                kit.setUtcOffsetMinutes(offset)
                val (_, before, after) = overDays(offset) { kit.check("diagnostics", "service") }
                val rows = kit.accessReport(Fixtures.dayUtc(-2), Fixtures.dayUtc(2))
                assertTrue(rows.any { it.day == before || it.day == after }, "offset $offset: $rows (expected $before)")
            }
            // UTC+14 and UTC-12 are 26 hours apart: the two uses fall on two different local days.
            val days = kit.accessReport(Fixtures.dayUtc(-2), Fixtures.dayUtc(2)).map { it.day }
            assertEquals(2, days.toSet().size, "$days")
        }
    }

    @Test
    fun `counts survive a policy update`() {
        PrivacyKit.open(config(utcOffsetMinutes = 0)).use { kit ->
            kit.acceptPolicy()
            repeat(3) { kit.check("diagnostics", "service") }
            kit.updatePolicy(testPolicy(version = 2))
            kit.acceptPolicy()
            repeat(2) { kit.check("diagnostics", "service") }
            val total = kit.accessReport(Fixtures.dayUtc(-1), Fixtures.dayUtc(1))
                .filter { it.category == "diagnostics" && it.purpose == "service" }
                .sumOf { it.count }
            assertEquals(5uL, total)
        }
    }
}
