package io.privacykit.testing

import io.privacykit.PrivacyKit
import org.junit.runners.model.FrameworkMethod
import org.robolectric.RobolectricTestRunner
import org.robolectric.internal.bytecode.InstrumentationConfiguration
import java.io.File
import java.util.zip.ZipFile

/**
 * Robolectric's runner, with the generated bindings kept out of its sandbox.
 *
 * Robolectric loads the classes a test touches in a class loader of its own for each Android
 * SDK level (its sandbox). The native library is loaded once per process, and its callbacks
 * (listeners, key providers, transports) are registered with Rust once, so the classes of the
 * bindings, package `io.privacykit` exactly, and JNA are loaded once, by the test class path's
 * loader, and shared by every sandbox. The Android glue (`io.privacykit.android`) and the
 * sample (`io.privacykit.sample`) use the framework, so they stay in the sandbox. kotlinx
 * coroutines is shared too, because the bindings' `changes()` returns its `Flow`.
 */
class PrivacyKitTestRunner(testClass: Class<*>) : RobolectricTestRunner(testClass) {
    override fun createClassLoaderConfig(method: FrameworkMethod): InstrumentationConfiguration {
        val builder = InstrumentationConfiguration.Builder(super.createClassLoaderConfig(method))
            .doNotAcquirePackage("com.sun.jna")
            .doNotAcquirePackage("kotlinx.coroutines")
        bindingsClasses.forEach { builder.doNotAcquireClass(it) }
        return builder.build()
    }

    private companion object {
        /** Every class of package `io.privacykit` (not its subpackages), wherever it was compiled to. */
        val bindingsClasses: List<String> by lazy {
            val location = File(PrivacyKit::class.java.protectionDomain.codeSource.location.toURI())
            val entries = if (location.isDirectory) {
                File(location, "io/privacykit").listFiles()!!.filter { it.isFile }.map { "io/privacykit/" + it.name }
            } else {
                ZipFile(location).use { zip -> zip.entries().asSequence().map { it.name }.toList() }
            }
            val names = entries
                .filter { it.startsWith("io/privacykit/") && it.endsWith(".class") && it.count { c -> c == '/' } == 2 }
                .map { it.removeSuffix(".class").replace('/', '.') }
            check(names.contains(PrivacyKit::class.java.name)) { "the bindings' classes were not found at $location" }
            names
        }
    }
}
