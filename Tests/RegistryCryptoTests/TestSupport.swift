// Helpers shared by the RegistryCrypto tests: hex, and loading vector files from Protocol/.

import Foundation
import Testing

/// Decodes lowercase or uppercase hex; whitespace is ignored. Traps on bad input (test data).
func hex(_ string: String) -> [UInt8] {
    let digits = Array(string.utf8.filter { !($0 == 32 || $0 == 10 || $0 == 9) })
    precondition(digits.count % 2 == 0, "odd-length hex")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: preconditionFailure("not a hex digit: \(c)")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

/// Lowercase hex of `bytes`.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let table = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes {
        out.append(table[Int(b >> 4)])
        out.append(table[Int(b & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// The package root, found from this file's path (Tests/RegistryCryptoTests/TestSupport.swift).
let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // RegistryCryptoTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // package root

/// Loads and decodes `Protocol/vectors/crypto/<name>`.
func loadVectors<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
    let url = packageRoot.appendingPathComponent("Protocol/vectors/crypto").appendingPathComponent(name)
    let data = try Data(contentsOf: url)
    return try JSONDecoder().decode(T.self, from: data)
}
