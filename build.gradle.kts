// Root of the Gradle build (see settings.gradle.kts): the plugins' versions, from the catalog.
plugins {
    alias(libs.plugins.android.library) apply false
    alias(libs.plugins.android.application) apply false
    alias(libs.plugins.kotlin.android) apply false
}
