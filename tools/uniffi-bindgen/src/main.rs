//! `uniffi-bindgen`: generates the Kotlin and Swift bindings from the SDK library's UniFFI
//! metadata (`bash bindings/generate.sh` runs it). A crate of its own so that uniffi's CLI,
//! and what it pulls in, stay out of the SDK's dependencies.

fn main() {
    uniffi::uniffi_bindgen_main()
}
