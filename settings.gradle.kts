// The Gradle build of the Android library and the sample app. The repository root is also the
// Cargo workspace; Gradle builds the native library through cargo-ndk (bindings/android).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "privacykit"

// io.privacykit:privacykit-android, the AAR.
include(":privacykit-android")
project(":privacykit-android").projectDir = file("bindings/android")

// The sample app, on the library project.
include(":android-sample")
