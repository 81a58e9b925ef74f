import ArgumentParser
import Foundation
import RegistryReplica

/// Prints results as text or JSON, and turns typed errors into a message and an exit code.
struct Output {
    let json: Bool

    func emit(_ object: [String: Any], text: () -> String) {
        if json {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            let line = text()
            if !line.isEmpty { print(line) }
        }
    }

    /// Runs `body`; a ``ReplicaError`` is printed (issues included) and ends the process with its exit code.
    func guarding<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ReplicaError {
            report(error)
            throw ExitCode(Self.exitCode(error.code))
        }
    }

    func report(_ error: ReplicaError) {
        if json {
            var object: [String: Any] = ["code": error.code.rawValue, "message": error.message]
            if !error.issues.isEmpty {
                object["issues"] = error.issues.map { ["line": $0.line, "column": $0.column, "reason": $0.reason] as [String: Any] }
            }
            emit(["error": object]) { "" }
        } else {
            var text = "error: \(error.message)\n"
            for issue in error.issues.prefix(200) { text += "  \(issue)\n" }
            if error.issues.count > 200 { text += "  … and \(error.issues.count - 200) more\n" }
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    static func exitCode(_ code: ReplicaError.Code) -> Int32 {
        switch code {
        case .invalidInput: 2
        case .wrongPassphrase, .passphraseRequired: 3
        case .notFound, .notInitialized: 4
        case .alreadyInitialized: 5
        case .storage, .io: 1
        }
    }
}

/// A one-line progress bar on the terminal, redrawn at most a few times a second.
final class ProgressBar {
    private let label: String
    private let enabled: Bool
    private var lastDraw = Date.distantPast

    init(_ label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled && isatty(STDOUT_FILENO) == 1
    }

    func update(_ done: Int, _ total: Int) {
        guard enabled, done == total || Date().timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = Date()
        let width = 30
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        FileHandle.standardOutput.write(Data("\r\(label) \(bar) \(done)/\(total)".utf8))
        if done == total { FileHandle.standardOutput.write(Data("\n".utf8)) }
    }
}
