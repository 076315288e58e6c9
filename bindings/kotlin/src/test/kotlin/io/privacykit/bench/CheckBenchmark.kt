// A benchmark program, not a test: it prints timings and asserts nothing about them (it only
// stops if the access report does not hold exactly the uses the counting calls allowed).
//
//   cargo build --release --lib
//   mvn -q -f bindings/kotlin/pom.xml test-compile exec:java \
//       -Dexec.mainClass=io.privacykit.bench.CheckBenchmarkKt -Dexec.classpathScope=test \
//       -Dprivacykit.libdir=$PWD/target/release
//
// Optional: -Dbench.rounds=7 -Dbench.calls=20000 (generated calls per round)
//           -Dbench.fastCalls=2000000 (fast-guard calls per round)

package io.privacykit.bench

import com.sun.jna.Pointer
import io.privacykit.Platform
import io.privacykit.PrivacyKit
import io.privacykit.PrivacyKitConfig
import io.privacykit.guard
import io.privacykit.isAllowed
import java.io.File

private const val CATEGORIES = 20
private const val PURPOSES = 10

/**
 * 20 app-defined categories x 10 purposes, every pair declared. The user's age counts as adult
 * (`unknown_age`), so what decides is the legal basis: every pair of the last purpose needs
 * consent, which is never given, so 20 of the 200 pairs (10 %) are refused and 180 (90 %)
 * allowed.
 */
private fun generatedPolicy(): String {
    val categories = (0 until CATEGORIES).joinToString(",\n") { c ->
        """{ "id": "category_$c", "description": "Benchmark category $c" }"""
    }
    val purposes = (0 until PURPOSES).joinToString(",\n") { p ->
        """{ "id": "purpose_$p", "description": "Benchmark purpose $p" }"""
    }
    val processing = (0 until CATEGORIES).flatMap { c ->
        (0 until PURPOSES).map { p ->
            val basis = if (isConsentPair(p)) "consent" else "contract"
            """{ "category": "category_$c", "purpose": "purpose_$p", "legal_basis": "$basis" }"""
        }
    }.joinToString(",\n")
    return """
        {
          "format": 1, "policy_id": "io.privacykit.bench", "version": 1,
          "effective_date": "2024-01-01", "controller": { "name": "Bench Ltd" },
          "minimum_age": 13, "digital_consent_age": 16, "unknown_age": "adult",
          "categories": [ $categories ],
          "purposes": [ $purposes ],
          "processing": [ $processing ]
        }
    """.trimIndent()
}

private fun isConsentPair(p: Int) = p == PURPOSES - 1 // 20 of 200 pairs

private class Result(val name: String, val calls: Int, val nsPerCall: List<Double>, val allowed: Long) {
    val median: Double get() = nsPerCall.sorted().let { s -> if (s.size % 2 == 1) s[s.size / 2] else (s[s.size / 2 - 1] + s[s.size / 2]) / 2 }
    override fun toString(): String {
        val sorted = nsPerCall.sorted()
        val total = calls.toLong() * nsPerCall.size
        return "%-46s median %9.1f ns/call (%7.3f us)   min %9.1f   max %9.1f   [allowed %d of %d]".format(
            "$name x$calls", median, median / 1000.0, sorted.first(), sorted.last(), allowed, total,
        )
    }
}

/** Uses the counting calls allowed, to compare with the access report at the end. */
private var expectedCounted = 0L

/**
 * Runs [calls] calls per round over the (category, purpose) pairs, [rounds] times. Between rounds
 * (outside the timed part) it asks for a GC: every call through the generated bindings allocates
 * JNA structures whose native memory is only freed once the GC has found them, and without this
 * the process grows by gigabytes over a long run. [counts]: the call counts allowed uses.
 */
private inline fun measure(
    name: String,
    rounds: Int,
    calls: Int,
    categories: Array<String>,
    purposes: Array<String>,
    counts: Boolean,
    call: (String, String) -> Boolean,
): Result {
    val perCall = ArrayList<Double>(rounds)
    var allowed = 0L
    repeat(rounds) {
        settle()
        val n = categories.size
        val t0 = System.nanoTime()
        for (i in 0 until calls) {
            val k = i % n
            if (call(categories[k], purposes[k])) allowed++
        }
        val elapsed = System.nanoTime() - t0
        perCall += elapsed.toDouble() / calls
    }
    if (counts) expectedCounted += allowed
    return Result(name, calls, perCall, allowed)
}

private fun settle() {
    System.gc()
    Thread.sleep(200) // lets JNA's cleaner thread free what the GC found
}

fun main() {
    // exec:java sets jna.library.path from the pom; fall back to privacykit.libdir or the debug build.
    if (System.getProperty("jna.library.path").isNullOrEmpty()) {
        val dir = System.getProperty("privacykit.libdir") ?: "target/debug"
        System.setProperty("jna.library.path", File(dir).absolutePath)
    }
    val rounds = System.getProperty("bench.rounds")?.toInt() ?: 7
    val calls = System.getProperty("bench.calls")?.toInt() ?: 20_000
    val fastCalls = System.getProperty("bench.fastCalls")?.toInt() ?: 2_000_000

    val libDir = File(System.getProperty("jna.library.path"))
    println("PrivacyKit check() benchmark: generated bindings (JNA) and the Kotlin fast guard")
    println("  native library: ${File(libDir, System.mapLibraryName("privacykit")).canonicalPath}")
    println("  JVM: ${System.getProperty("java.vm.name")} ${System.getProperty("java.version")}, " +
        "${Runtime.getRuntime().availableProcessors()} CPUs")
    println("  policy: $CATEGORIES categories x $PURPOSES purposes, ${CATEGORIES * PURPOSES} pairs, " +
        "180 allowed (contract) and 20 refused (consent never given), adult user")
    println("  $rounds rounds (median shown) x $calls generated calls or $fastCalls fast-guard calls")

    // Every (category, purpose) pair in a shuffled but fixed order, so lookups vary.
    val pairs = (0 until CATEGORIES).flatMap { c -> (0 until PURPOSES).map { p -> c to p } }
        .shuffled(java.util.Random(42))
    val categories = pairs.map { "category_${it.first}" }.toTypedArray()
    val purposes = pairs.map { "purpose_${it.second}" }.toTypedArray()
    val refused = pairs.filter { isConsentPair(it.second) }
    val refusedCategories = refused.map { "category_${it.first}" }.toTypedArray()
    val refusedPurposes = refused.map { "purpose_${it.second}" }.toTypedArray()

    val config = PrivacyKitConfig(
        databasePath = null,
        policyJson = generatedPolicy(),
        platform = Platform.ANDROID,
        utcOffsetMinutes = 0,
    )
    PrivacyKit.open(config).use { kit ->
        kit.acceptPolicy()
        val guard = kit.guard()
        val uses = categories.indices.map { kit.dataUse(categories[it], purposes[it]) }.toTypedArray()
        var next = 0
        val epoch = Pointer(kit.decisionEpochAddress().toLong())
        var sink = 0L

        // Warm-up: let the JIT compile the binding's marshalling code paths and the fast guard.
        measure("warm-up", 3, calls, categories, purposes, counts = true) { c, p -> kit.check(c, p).allowed }
        measure("warm-up", 2, calls / 2, categories, purposes, counts = false) { c, p -> kit.explain(c, p).allowed }
        measure("warm-up", 2, calls / 2, categories, purposes, counts = true) { _, _ -> uses[next++ % uses.size].isAllowed() }
        measure("warm-up", 3, fastCalls, categories, purposes, counts = true) { c, p -> guard.check(c, p).allowed }
        measure("warm-up", 3, fastCalls, categories, purposes, counts = true) { c, p -> guard.isAllowed(c, p) }
        measure("warm-up", 3, fastCalls, categories, purposes, counts = false) { c, p -> guard.explain(c, p).allowed }
        measure("warm-up", 3, fastCalls, categories, purposes, counts = true) { c, p -> kit.isAllowed(c, p) }

        val generated = listOf(
            measure("check, all pairs", rounds, calls, categories, purposes, counts = true) { c, p ->
                kit.check(c, p).allowed
            },
            measure("explain, all pairs", rounds, calls, categories, purposes, counts = false) { c, p ->
                kit.explain(c, p).allowed
            },
            measure("check, refused pairs", rounds, calls / 4, refusedCategories, refusedPurposes, counts = true) { c, p ->
                kit.check(c, p).allowed
            },
            measure("check, unknown ids", rounds, calls / 4, arrayOf("no_such_category"), arrayOf("purpose_0"), counts = true) { c, p ->
                kit.check(c, p).allowed
            },
            // Prepared uses: no strings cross the boundary; isAllowed() is one native call.
            measure("dataUse.isAllowed(), prepared", rounds, calls, categories, purposes, counts = true) { _, _ ->
                uses[next++ % uses.size].isAllowed()
            },
            measure("dataUse.check(), prepared", rounds, calls, categories, purposes, counts = true) { _, _ ->
                uses[next++ % uses.size].check().allowed
            },
            // The floor of any call through the bindings: no strings in, a bool out.
            measure("removeListener(0), no strings", rounds, calls / 4, arrayOf(""), arrayOf(""), counts = false) { _, _ ->
                kit.removeListener(0uL)
            },
        )
        val fast = listOf(
            measure("guard.check, all pairs", rounds, fastCalls, categories, purposes, counts = true) { c, p ->
                guard.check(c, p).allowed
            },
            measure("guard.isAllowed, all pairs", rounds, fastCalls, categories, purposes, counts = true) { c, p ->
                guard.isAllowed(c, p)
            },
            measure("guard.explain, all pairs", rounds, fastCalls, categories, purposes, counts = false) { c, p ->
                guard.explain(c, p).allowed
            },
            measure("kit.isAllowed(c, p) (extension)", rounds, fastCalls, categories, purposes, counts = true) { c, p ->
                kit.isAllowed(c, p)
            },
            measure("guard.check, refused pairs", rounds, fastCalls, refusedCategories, refusedPurposes, counts = true) { c, p ->
                guard.check(c, p).allowed
            },
            measure("guard.check, unknown ids", rounds, fastCalls, arrayOf("no_such_category"), arrayOf("purpose_0"), counts = true) { c, p ->
                guard.check(c, p).allowed
            },
            // What every fast answer reads besides its table: the epoch (one JNI call) and the time.
            measure("epoch read (JNA Pointer.getLong)", rounds, fastCalls, arrayOf(""), arrayOf(""), counts = false) { _, _ ->
                sink += epoch.getLong(0)
                sink == 0L
            },
            measure("System.currentTimeMillis()", rounds, fastCalls, arrayOf(""), arrayOf(""), counts = false) { _, _ ->
                sink += System.currentTimeMillis()
                sink == 0L
            },
        )
        println()
        println("  generated bindings (a native call each):")
        generated.forEach { println("    $it") }
        println()
        println("  Kotlin fast guard (answers from the decision snapshot, counting on):")
        fast.forEach { println("    $it") }

        guard.flush()
        val counted = kit.accessReport("2000-01-01", "2100-12-31").sumOf { it.count.toLong() }
        println()
        println("  uses the counting calls allowed (warm-up included): $expectedCounted")
        println("  uses counted in the access report after a flush:    $counted")
        kit.closeStore()
        check(counted == expectedCounted) { "the access report does not hold the uses that were allowed" }
    }
}
