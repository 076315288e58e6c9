// Hand-written. Not compiled on this project's build machines (no Swift toolchain there);
// Foundation only, so it builds on Linux too. The Kotlin tests exercise the same contract.

import Foundation

/// Keeps the IAB consent signals (`IABTCF_*`, `IABGPP_*`) where ad SDKs read them:
/// `UserDefaults.standard`. Register it with `kit.setConsentSignalStore(store:)`.
///
/// Numbers are stored as `Int` and the '0'/'1' strings as `String`, exactly as given, as the
/// TCF and GPP in-app specifications type them. UserDefaults has no transaction: the keys are
/// set one after another within one call, which PrivacyKit never runs twice at once.
public final class UserDefaultsConsentSignalStore: ConsentSignalStore, @unchecked Sendable {
    private let defaults: UserDefaults

    /// `defaults` is `.standard` in an app: the domain ad SDKs read.
    public init(defaults: UserDefaults = .standard) {
        self.defaults = defaults
    }

    public func write(values: [String: ConsentSignalValue], removedKeys: [String]) throws {
        // Checked before anything is written, so a refused set leaves the previous one whole.
        var converted: [String: Any] = [:]
        for (key, value) in values {
            switch value {
            case .int(let number):
                guard let small = Int(exactly: number) else { throw ConsentSignalStoreError.Failed }
                converted[key] = small
            case .text(let text):
                converted[key] = text
            }
        }
        for key in removedKeys {
            defaults.removeObject(forKey: key)
        }
        for (key, value) in converted {
            defaults.set(value, forKey: key)
        }
    }
}
