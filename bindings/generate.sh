#!/usr/bin/env bash
# Regenerates the committed Kotlin and Swift bindings from the SDK library's UniFFI metadata,
# with tools/uniffi-bindgen, built from the workspace's uniffi (so generator and runtime are
# one version).
#
#   bash bindings/generate.sh          rewrite bindings/kotlin and bindings/swift
#   bash bindings/generate.sh --check  fail if the committed files are stale
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet -p privacykit --lib
case "$(uname -s)" in
  Darwin) lib=target/debug/libprivacykit.dylib ;;
  *) lib=target/debug/libprivacykit.so ;;
esac

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bindgen() {
  cargo run --quiet -p uniffi-bindgen --bin uniffi-bindgen -- \
    generate --library "$lib" --no-format --language "$1" --out-dir "$out/$1"
}
bindgen kotlin
bindgen swift

# Where each generated file lives in the repository.
mkdir -p "$out/tree/kotlin/src/main/kotlin/io/privacykit" \
         "$out/tree/swift/Sources/PrivacyKitSDK" "$out/tree/swift/Sources/PrivacyKitFFI/include"
cp "$out/kotlin/io/privacykit/privacykit.kt" "$out/tree/kotlin/src/main/kotlin/io/privacykit/privacykit.kt"
cp "$out/swift/PrivacyKitSDK.swift" "$out/tree/swift/Sources/PrivacyKitSDK/PrivacyKitSDK.swift"
cp "$out/swift/PrivacyKitFFI.h" "$out/tree/swift/Sources/PrivacyKitFFI/include/PrivacyKitFFI.h"
cp "$out/swift/PrivacyKitFFI.modulemap" "$out/tree/swift/Sources/PrivacyKitFFI/include/module.modulemap"

stale=0
while IFS= read -r -d '' generated; do
  committed="bindings/${generated#"$out/tree/"}"
  if [ "${1:-}" = "--check" ]; then
    if ! cmp -s "$generated" "$committed"; then
      echo "stale generated binding: $committed (run: bash bindings/generate.sh)" >&2
      stale=1
    fi
  else
    mkdir -p "$(dirname "$committed")"
    cp "$generated" "$committed"
    echo "wrote $committed"
  fi
done < <(find "$out/tree" -type f -print0)
exit "$stale"
