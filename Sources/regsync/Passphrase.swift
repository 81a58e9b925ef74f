import Foundation
import RegistryCrypto
import RegistryReplica

/// Where a passphrase comes from: a file, `REGSYNC_PASSPHRASE`, or a prompt on a terminal.
enum Passphrase {
    static func read(file: String?, confirm: Bool) throws -> SecureBytes {
        if let file {
            guard var data = FileManager.default.contents(atPath: file) else {
                throw ReplicaError(.passphraseRequired, "cannot read the passphrase file")
            }
            while let last = data.last, last == 0x0A || last == 0x0D { data.removeLast() }
            defer { data.resetBytes(in: 0..<data.count) }
            return SecureBytes(data)
        }
        if let value = ProcessInfo.processInfo.environment["REGSYNC_PASSPHRASE"], !value.isEmpty {
            return SecureBytes(Array(value.utf8))
        }
        guard isatty(STDIN_FILENO) == 1 else {
            throw ReplicaError(.passphraseRequired, "no passphrase: use --passphrase-file, REGSYNC_PASSPHRASE, or run on a terminal")
        }
        let first = prompt("Passphrase: ")
        if confirm, prompt("Passphrase again: ") != first {
            throw ReplicaError(.invalidInput, "the two passphrases differ")
        }
        return first
    }

    private static func prompt(_ text: String) -> SecureBytes {
        guard let raw = getpass(text) else { return SecureBytes([]) }
        let bytes = SecureBytes(UnsafeRawBufferPointer(start: raw, count: strlen(raw)))
        memset(raw, 0, strlen(raw))
        return bytes
    }
}
