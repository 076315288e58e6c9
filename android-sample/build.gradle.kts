// The sample app: CallsApp's privacy policy on PrivacyKit. Its Kotlin (src/main/kotlin) is also
// compiled and tested on the JVM under Robolectric by bindings/android-tests/pom.xml.
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
}

android {
    namespace = "io.privacykit.sample"
    compileSdk = 36

    defaultConfig {
        applicationId = "io.privacykit.sample"
        minSdk = 24
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
    }

    buildTypes {
        release {
            // Minified, so the library's consumer rules are exercised; signed with the debug
            // key so QA can install it (a real app signs with its own).
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
            signingConfig = signingConfigs.getByName("debug")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    implementation(project(":privacykit-android"))
    // OkHttpDiscoveryTransport is compileOnly in the library: the app brings OkHttp.
    implementation(libs.okhttp)
    // Read by PlayServicesAdvertisingIdSource at run time (Google's Maven repository only).
    runtimeOnly(libs.play.services.ads.identifier)
}
