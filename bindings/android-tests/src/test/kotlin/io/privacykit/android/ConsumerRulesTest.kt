package io.privacykit.android

import com.sun.jna.Native
import io.privacykit.PrivacyKit
import io.privacykit.minified.MinifiedApp
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder
import proguard.Configuration
import proguard.ConfigurationParser
import proguard.ProGuard
import java.io.File
import java.util.concurrent.TimeUnit
import java.util.jar.JarEntry
import java.util.jar.JarFile
import java.util.jar.JarOutputStream
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotEquals
import kotlin.test.assertTrue

/**
 * The AAR's consumer-rules.pro, applied the way a minifying app applies it. R8 is on Google's
 * Maven repository only; ProGuard, whose rule language R8 reads, is on Maven Central. A small
 * program using the bindings (MinifiedApp) and JNA are shrunk, optimized and obfuscated
 * together, as in an app, then run in their own JVM against the real native library.
 */
class ConsumerRulesTest {
    @get:Rule
    val dir = TemporaryFolder()

    private val consumerRules = File(System.getProperty("privacykit.consumerRules") ?: error("run through Maven"))

    @Test
    fun `with the consumer rules a minified app works`() {
        val minified = minify(Rules.ALL)
        val (exit, output) = run(minified)
        assertEquals(0, exit, output)
        assertTrue(output.contains("minified app: every call worked"), output)
        JarFile(minified).use { jar ->
            val names = jar.entries().asSequence().map { it.name }.toSet()
            assertTrue("io/privacykit/UniffiLib.class" in names, "what JNA reaches by name is kept")
            assertFalse("io/privacykit/AgeStatus.class" in names, "the rest was still shrunk or renamed")
        }
    }

    @Test
    fun `without them the same app breaks, so the rules are what keeps it working`() {
        val (exit, output) = run(minify(Rules.NONE))
        assertNotEquals(0, exit, output)
        assertFalse(output.contains("every call worked"))
    }

    @Test
    fun `keeping JNA alone is not enough, the generated bindings need their rules`() {
        val (exit, output) = run(minify(Rules.JNA_ONLY))
        assertNotEquals(0, exit, output)
        assertFalse(output.contains("every call worked"))
    }

    private enum class Rules { ALL, JNA_ONLY, NONE }

    /** The consumer rules, or their JNA part only (the text before the bindings' section). */
    private fun rulesText(rules: Rules): String {
        val text = consumerRules.readText()
        val bindings = text.indexOf("# The UniFFI-generated bindings")
        check(bindings > 0) { "consumer-rules.pro has no bindings section" }
        return when (rules) {
            Rules.ALL -> text
            Rules.JNA_ONLY -> text.substring(0, bindings)
            Rules.NONE -> ""
        }
    }

    /** MinifiedApp, the bindings (package io.privacykit) and JNA, through ProGuard. */
    private fun minify(rules: Rules): File {
        val input = dir.newFile("in-$rules.jar")
        JarOutputStream(input.outputStream()).use { jar ->
            addClasses(jar, codeSource(PrivacyKit::class.java), "io/privacykit/", subpackages = false)
            addClasses(jar, codeSource(MinifiedApp::class.java), "io/privacykit/minified/", subpackages = false)
        }
        val output = File(dir.root, "out-$rules.jar")
        val configFile = dir.newFile("config-$rules.pro")
        configFile.writeText(
            buildString {
                appendLine("-injars '${input.path}'")
                appendLine("-injars '${codeSource(Native::class.java).path}'")
                appendLine("-outjars '${output.path}'")
                for (module in listOf("java.base", "java.logging", "java.desktop")) {
                    appendLine("-libraryjars '${System.getProperty("java.home")}/jmods/$module.jmod'(!**.jar;!module-info.class)")
                }
                appendLine("-libraryjars '${codeSource(KotlinVersion::class.java).path}'")
                appendLine("-libraryjars '${codeSource(kotlinx.coroutines.flow.Flow::class.java).path}'")
                appendLine("-keep class io.privacykit.minified.MinifiedApp { public static void main(java.lang.String[]); }")
                // Kotlin's nullability annotations: class-file metadata, never loaded.
                appendLine("-dontwarn org.jetbrains.annotations.**")
                appendLine("-dontnote")
                append(rulesText(rules))
            },
        )
        val configuration = Configuration()
        ConfigurationParser(configFile, System.getProperties()).use { it.parse(configuration) }
        ProGuard(configuration).execute()
        return output
    }

    private fun run(jar: File): Pair<Int, String> {
        val classpath = listOf(jar, codeSource(KotlinVersion::class.java), codeSource(kotlinx.coroutines.flow.Flow::class.java))
            .joinToString(File.pathSeparator) { it.path }
        val process = ProcessBuilder(
            File(System.getProperty("java.home"), "bin/java").path,
            "-Djna.library.path=${System.getProperty("jna.library.path")}",
            "-cp", classpath,
            MinifiedApp::class.java.name,
            System.getProperty("privacykit.samplePolicy"),
        ).redirectErrorStream(true).start()
        val output = process.inputStream.bufferedReader().readText()
        check(process.waitFor(2, TimeUnit.MINUTES)) { "the minified app did not finish" }
        return process.exitValue() to output
    }

    private fun codeSource(type: Class<*>) = File(type.protectionDomain.codeSource.location.toURI())

    private fun addClasses(jar: JarOutputStream, root: File, prefix: String, subpackages: Boolean) {
        val files = File(root, prefix).listFiles()!!.filter { it.isFile && it.name.endsWith(".class") }
        check(files.isNotEmpty()) { "no classes under $prefix in $root" }
        check(!subpackages)
        for (file in files) {
            jar.putNextEntry(JarEntry(prefix + file.name))
            file.inputStream().use { it.copyTo(jar) }
            jar.closeEntry()
        }
    }
}
