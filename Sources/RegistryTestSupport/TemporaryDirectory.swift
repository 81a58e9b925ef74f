import Foundation

/// A fresh directory under the system temp folder, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "regsync") {
        path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Every byte of every file in the directory (database, WAL, journal): what an attacker with the disk sees.
    public func allBytes() -> [UInt8] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.flatMap { name in (FileManager.default.contents(atPath: file(name)).map { [UInt8]($0) }) ?? [] }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

extension Array where Element == UInt8 {
    /// True when `needle` occurs as a contiguous run.
    public func contains(bytes needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        let first = needle[0]
        var index = 0
        while index <= count - needle.count {
            if self[index] == first, self[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }
}
