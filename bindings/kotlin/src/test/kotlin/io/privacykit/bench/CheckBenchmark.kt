// A benchmark program, not a test: it prints timings and asserts nothing about them.
//
//   cargo build --release --lib
//   mvn -q -f bindings/kotlin/pom.xml test-compile exec:java \
//       -Dexec.mainClass=io.privacykit.bench.CheckBenchmarkKt -Dexec.classpathScope=test \
//       -Dprivacykit.libdir=$PWD/target/release
//
// Optional: -Dbench.rounds=10 -Dbench.calls=200000

package io.privacykit.bench

import io.privacykit.Platform
import io.privacykit.PrivacyKit
import io.privacykit.PrivacyKitConfig
import io.privacykit.isAllowed
import java.io.File

private const val CATEGORIES = 20
private const val PURPOSES = 10

/** 20 app-defined categories x 10 purposes, every pair declared; a few need consent. */
private fun generatedPolicy(): String {
    val categories = (0 until CATEGORIES).joinToString(",\n") { c ->
        """{ "id": "category_$c", "description": "Benchmark category $c" }"""
    }
    val purposes = (0 until PURPOSES).joinToString(",\n") { p ->
        """{ "id": "purpose_$p", "description": "Benchmark purpose $p" }"""
    }
    val processing = (0 until CATEGORIES).flatMap { c ->
        (0 until PURPOSES).map { p ->
            val basis = if (isConsentPair(c, p)) "consent" else "contract"
            """{ "category": "category_$c", "purpose": "purpose_$p", "legal_basis": "$basis" }"""
        }
    }.joinToString(",\n")
    return """
        {
          "format": 1, "policy_id": "io.privacykit.bench", "version": 1,
          "effective_date": "2024-01-01", "controller": { "name": "Bench Ltd" },
          "minimum_age": 13, "digital_consent_age": 16,
          "categories": [ $categories ],
          "purposes": [ $purposes ],
          "processing": [ $processing ]
        }
    """.trimIndent()
}

private fun isConsentPair(c: Int, p: Int) = p == PURPOSES - 1 && c % 5 == 0 // 4 of 200 pairs

private class Result(val name: String, val nsPerCall: List<Double>, val allowed: Long) {
    val median: Double get() = nsPerCall.sorted().let { s -> if (s.size % 2 == 1) s[s.size / 2] else (s[s.size / 2 - 1] + s[s.size / 2]) / 2 }
    override fun toString(): String {
        val sorted = nsPerCall.sorted()
        return "%-44s median %8.1f ns/call (%6.3f us)   min %8.1f   max %8.1f   [allowed %d]".format(
            name, median, median / 1000.0, sorted.first(), sorted.last(), allowed,
        )
    }
}

/**
 * Runs [calls] calls per round over the (category, purpose) pairs, [rounds] times. Between rounds
 * (outside the timed part) it asks for a GC: every call through the generated bindings allocates
 * JNA structures whose native memory is only freed once the GC has found them, and without this
 * the process grows by gigabytes over a long run.
 */
private inline fun measure(
    name: String,
    rounds: Int,
    calls: Int,
    categories: Array<String>,
    purposes: Array<String>,
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
    return Result("$name x$calls", perCall, allowed)
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
    val rounds = System.getProperty("bench.rounds")?.toInt() ?: 10
    val calls = System.getProperty("bench.calls")?.toInt() ?: 200_000

    val libDir = File(System.getProperty("jna.library.path"))
    println("PrivacyKit check() benchmark through JNA")
    println("  native library: ${File(libDir, System.mapLibraryName("privacykit")).canonicalPath}")
    println("  JVM: ${System.getProperty("java.vm.name")} ${System.getProperty("java.version")}, " +
        "${Runtime.getRuntime().availableProcessors()} CPUs")
    println("  policy: $CATEGORIES categories x $PURPOSES purposes, ${CATEGORIES * PURPOSES} pairs; " +
        "$rounds rounds x $calls calls")

    // Every (category, purpose) pair in a shuffled but fixed order, so lookups vary.
    val pairs = (0 until CATEGORIES).flatMap { c -> (0 until PURPOSES).map { p -> c to p } }
        .shuffled(java.util.Random(42))
    val categories = pairs.map { "category_${it.first}" }.toTypedArray()
    val purposes = pairs.map { "purpose_${it.second}" }.toTypedArray()
    val denied = pairs.filter { isConsentPair(it.first, it.second) }
    val deniedCategories = denied.map { "category_${it.first}" }.toTypedArray()
    val deniedPurposes = denied.map { "purpose_${it.second}" }.toTypedArray()

    val config = PrivacyKitConfig(
        databasePath = null,
        policyJson = generatedPolicy(),
        platform = Platform.ANDROID,
        utcOffsetMinutes = 0,
    )
    PrivacyKit.open(config).use { kit ->
        kit.acceptPolicy()

        // Warm-up: let the JIT compile the binding's marshalling code paths.
        measure("warm-up", 3, calls, categories, purposes) { c, p -> kit.check(c, p).allowed }
        measure("warm-up", 2, calls / 2, categories, purposes) { c, p -> kit.explain(c, p).allowed }

        val uses = categories.indices.map { kit.dataUse(categories[it], purposes[it]) }.toTypedArray()
        var next = 0
        measure("warm-up", 2, calls / 2, categories, purposes) { _, _ -> uses[next++ % uses.size].isAllowed() }

        val results = listOf(
            measure("check, all pairs (98% allowed)", rounds, calls, categories, purposes) { c, p ->
                kit.check(c, p).allowed
            },
            measure("explain, all pairs", rounds, calls, categories, purposes) { c, p ->
                kit.explain(c, p).allowed
            },
            measure("check, needs consent (denied)", rounds, calls / 4, deniedCategories, deniedPurposes) { c, p ->
                kit.check(c, p).allowed
            },
            measure("check, unknown ids", rounds, calls / 4, arrayOf("no_such_category"), arrayOf("purpose_0")) { c, p ->
                kit.check(c, p).allowed
            },
            // The Kotlin layer's isAllowed(category, purpose): a cached DataUse per pair.
            measure("kit.isAllowed(c, p), Kotlin layer", rounds, calls, categories, purposes) { c, p ->
                kit.isAllowed(c, p)
            },
            // Prepared uses: no strings cross the boundary; isAllowed() is one native call.
            measure("dataUse.isAllowed(), prepared", rounds, calls, categories, purposes) { _, _ ->
                uses[next++ % uses.size].isAllowed()
            },
            measure("dataUse.check(), prepared", rounds, calls, categories, purposes) { _, _ ->
                uses[next++ % uses.size].check().allowed
            },
            // The floor of any call through the bindings: no strings in, a bool out.
            measure("removeListener(0), no strings", rounds, calls / 4, arrayOf(""), arrayOf("")) { _, _ ->
                kit.removeListener(0uL)
            },
        )
        println()
        results.forEach { println("  $it") }

        kit.flush()
        val counted = kit.accessReport("2000-01-01", "2100-12-31").sumOf { it.count.toLong() }
        println()
        println("  uses counted in the access report: $counted")
        kit.closeStore()
    }
}
