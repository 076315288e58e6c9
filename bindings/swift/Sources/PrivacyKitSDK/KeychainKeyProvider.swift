// Hand-written. Not compiled on this project's build machines (no Swift toolchain there);
// the JVM tests exercise the same wrap/unwrap contract.

import CryptoKit
import Foundation
import Security

/// Wraps PrivacyKit's vault key with a 256-bit AES-GCM key kept in the iOS Keychain,
/// readable after the first unlock, on this device only, never synchronized to iCloud.
///
/// Wrapped format: `[1][CryptoKit AES.GCM combined box: 12-byte nonce, ciphertext, tag]`.
///
/// PrivacyKit calls this while holding its lock: do not call back into PrivacyKit from here.
public final class KeychainKeyProvider: KeyProvider, @unchecked Sendable {
    private let service: String
    private static let format: UInt8 = 1

    /// `service` namespaces the Keychain items; the default suits one PrivacyKit per app.
    public init(service: String = "io.privacykit.vault") {
        self.service = service
    }

    public func wrap(alias: String, key: Data) throws -> Data {
        let platformKey = try existingKey(alias) ?? createKey(alias)
        do {
            let box = try AES.GCM.seal(key, using: platformKey)
            guard let combined = box.combined else { throw KeyProviderError.Failed(reason: "no combined box") }
            return Data([Self.format]) + combined
        } catch let error as KeyProviderError {
            throw error
        } catch {
            throw KeyProviderError.Failed(reason: "seal failed")
        }
    }

    public func unwrap(alias: String, wrapped: Data) throws -> Data {
        guard wrapped.first == Self.format, let platformKey = try existingKey(alias) else {
            throw KeyProviderError.KeyLost
        }
        do {
            let box = try AES.GCM.SealedBox(combined: wrapped.dropFirst())
            return try AES.GCM.open(box, using: platformKey)
        } catch {
            throw KeyProviderError.KeyLost
        }
    }

    public func delete(alias: String) throws {
        let status = SecItemDelete(query(alias) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else { throw mapped(status) }
    }

    private func query(_ alias: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: alias,
            kSecAttrSynchronizable as String: kCFBooleanFalse as Any,
        ]
    }

    private func existingKey(_ alias: String) throws -> SymmetricKey? {
        var q = query(alias)
        q[kSecReturnData as String] = true
        q[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(q as CFDictionary, &item)
        switch status {
        case errSecSuccess:
            guard let data = item as? Data, data.count == 32 else { throw KeyProviderError.KeyLost }
            return SymmetricKey(data: data)
        case errSecItemNotFound:
            return nil
        default:
            throw mapped(status)
        }
    }

    private func createKey(_ alias: String) throws -> SymmetricKey {
        let key = SymmetricKey(size: .bits256)
        var q = query(alias)
        q[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        q[kSecValueData as String] = key.withUnsafeBytes { Data($0) }
        let status = SecItemAdd(q as CFDictionary, nil)
        guard status == errSecSuccess else { throw mapped(status) }
        return key
    }

    /// The device is locked before its first unlock, or the Keychain is busy: retry later.
    private func mapped(_ status: OSStatus) -> KeyProviderError {
        switch status {
        case errSecInteractionNotAllowed, errSecNotAvailable:
            return .Unavailable
        case errSecItemNotFound:
            return .KeyLost
        default:
            return .Failed(reason: "Keychain status \(status)")
        }
    }
}
