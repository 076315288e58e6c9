// io.privacykit:privacykit-android, the Android library (AAR): the Kotlin bindings of the Rust
// core, the Android glue (io.privacykit.android), and libprivacykit.so for each ABI, built by
// cargo-ndk. See README.md beside this file.
import org.jetbrains.kotlin.gradle.dsl.JvmTarget
import javax.inject.Inject

plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
    `maven-publish`
}

group = "io.privacykit"
version = "0.1.0"

android {
    namespace = "io.privacykit.android"
    compileSdk = 36

    defaultConfig {
        minSdk = 24
        // Kept in apps that minify: JNA and the generated classes it reaches by name.
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets {
        getByName("main") {
            // One copy of the bindings: the generated privacykit.kt and the Kotlin layer over it
            // (PrivacyKitExtensions.kt), which the desktop JVM build compiles too.
            kotlin.srcDir("../kotlin/src/main/kotlin")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    lint {
        targetSdk = 36
    }

    publishing {
        singleVariant("release") {
            withSourcesJar()
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    // The generated bindings load libprivacykit.so through JNA; the AAR brings JNA's own
    // native library for each ABI.
    api(libs.jna) { artifact { type = "aar" } }
    // PrivacyKitExtensions.kt: kit.changes() is a Flow.
    api(libs.kotlinx.coroutines.core)
    // OkHttpDiscoveryTransport: only apps that use it need OkHttp, and bring their own.
    compileOnly(libs.okhttp)
}

/**
 * Builds libprivacykit.so for each Android ABI with cargo-ndk, in the release profile, into
 * [outputDir] laid out as jniLibs (`arm64-v8a/libprivacykit.so`, ...). Linked for 16 KB pages by
 * the repository's .cargo/config.toml. Stripped: the bindings are generated from the host
 * build's UniFFI metadata (bash bindings/generate.sh) and committed, so the Android libraries
 * need no symbols beyond those they export.
 */
abstract class CargoNdkBuild @Inject constructor(private val exec: ExecOperations) : DefaultTask() {
    @get:Input
    abstract val abis: ListProperty<String>

    /** The Cargo workspace: the repository root. */
    @get:Internal
    abstract val workspace: DirectoryProperty

    @get:InputFiles
    @get:PathSensitive(PathSensitivity.RELATIVE)
    abstract val rustSources: ConfigurableFileCollection

    @get:OutputDirectory
    abstract val outputDir: DirectoryProperty

    @TaskAction
    fun build() {
        val out = outputDir.get().asFile
        out.deleteRecursively()
        exec.exec {
            workingDir = workspace.get().asFile
            environment("CARGO_PROFILE_RELEASE_STRIP", "symbols")
            commandLine(
                listOf("cargo", "ndk") +
                    abis.get().flatMap { listOf("-t", it) } +
                    listOf("-o", out.path, "build", "-p", "privacykit", "--release"),
            )
        }
    }
}

val cargoNdkBuild = tasks.register<CargoNdkBuild>("cargoNdkBuild") {
    group = "build"
    description = "Builds libprivacykit.so for arm64-v8a, armeabi-v7a and x86_64 with cargo-ndk."
    abis.set(listOf("arm64-v8a", "armeabi-v7a", "x86_64"))
    workspace.set(rootProject.layout.projectDirectory)
    rustSources.from(
        rootProject.files("Cargo.toml", "Cargo.lock", ".cargo/config.toml"),
        rootProject.fileTree("src"),
        rootProject.fileTree("crates") { exclude("**/target/**") },
    )
}

// The native libraries are a generated jniLibs directory of every variant, so AGP runs
// cargoNdkBuild before it merges jniLibs.
androidComponents {
    onVariants { variant ->
        variant.sources.jniLibs?.addGeneratedSourceDirectory(cargoNdkBuild, CargoNdkBuild::outputDir)
    }
}

// The release variant's component exists once AGP has configured the project.
afterEvaluate {
    publishing {
        publications {
            create<MavenPublication>("release") {
                from(components["release"])
                groupId = "io.privacykit"
                artifactId = "privacykit-android"
                version = project.version.toString()
                pom {
                    name.set("PrivacyKit for Android")
                    description.set(
                        "On-device privacy SDK: privacy policy, OS permissions, consent ledger and a fast guard, " +
                            "with the Android Keystore, OkHttp and the contacts provider",
                    )
                    licenses {
                        license {
                            name.set("Apache-2.0")
                            url.set("https://www.apache.org/licenses/LICENSE-2.0")
                        }
                    }
                }
            }
        }
    }
}
