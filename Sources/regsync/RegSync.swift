import ArgumentParser
import Foundation
import RegistryReplica

/// `regsync`: the operator's command line. Thin: parsing, passphrase, output; logic is in the libraries.
@main
struct RegSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regsync",
        abstract: "Offline-first registration replicas for temporary protection, CRDT-merged and sealed.",
        subcommands: [
            Init.self, Register.self, Import.self, Export.self, Show.self, Search.self, Edit.self, Event.self,
            Erase.self, Status.self, Dedupe.self, Review.self, Enroll.self, Revoke.self, Sync.self, BundleCommand.self, Quarantine.self, MatchIndexCommand.self, Demo.self,
        ])

    /// `register --json '{…}'` takes a JSON object, while `--json` alone asks for JSON output everywhere;
    /// the two are told apart here, before parsing.
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "register", let index = arguments.firstIndex(of: "--json"), index + 1 < arguments.count,
           arguments[index + 1].trimmingCharacters(in: .whitespaces).hasPrefix("{") {
            arguments[index] = "--input-json"
            arguments.append("--json")
        }
        await main(arguments)
    }
}

/// Options every command shares.
struct NodeOptions: ParsableArguments {
    @Option(help: "The node directory (default: $REGSYNC_DIR).")
    var dir: String?

    @Option(help: "Read the passphrase from this file (else $REGSYNC_PASSPHRASE, else a prompt on a terminal).")
    var passphraseFile: String?

    @Flag(help: "Machine-readable output.")
    var json = false

    var directory: NodeDirectory {
        get throws { NodeDirectory(try resolvedDir()) }
    }

    func resolvedDir() throws -> String {
        guard let dir = dir ?? ProcessInfo.processInfo.environment["REGSYNC_DIR"], !dir.isEmpty else {
            throw ValidationError("--dir is required (or set REGSYNC_DIR)")
        }
        return dir
    }

    func open() throws -> Registry {
        try Output(json: json).guarding { try Registry.open(directory: try directory, passphrase: try Passphrase.read(file: passphraseFile, confirm: false)) }
    }
}

/// The columns of a registration as flags.
struct RegistrationFlags: ParsableArguments {
    @Option(help: "External reference kept in every export.") var recordId: String?
    @Option var siteId: String?
    @Option(help: "ISO 3166 alpha-2 of the registering state.") var country: String?
    @Option var givenName: String?
    @Option var familyName: String?
    @Option var patronymic: String?
    @Option(help: "F, M or X.") var sex: String?
    @Option(help: "YYYY-MM-DD, YYYY-MM or YYYY.") var birthDate: String?
    @Option var birthPlace: String?
    @Option(help: "PASSPORT, ID_CARD, INTERNAL_PASSPORT, BIRTH_CERTIFICATE or OTHER.") var documentType: String?
    @Option var documentNumber: String?
    @Option(help: "ISO 3166 alpha-2 or alpha-3.") var nationality: String?
    @Option(help: "ISO 8601 date-time (default: now).") var registeredAt: String?

    var values: [String: String] {
        var values: [String: String] = [:]
        values["record_id"] = recordId
        values["site_id"] = siteId
        values["country"] = country
        values["given_name"] = givenName
        values["family_name"] = familyName
        values["patronymic"] = patronymic
        values["sex"] = sex
        values["birth_date"] = birthDate
        values["birth_place"] = birthPlace
        values["document_type"] = documentType
        values["document_number"] = documentNumber
        values["nationality"] = nationality
        values["registered_at"] = registeredAt
        return values
    }
}
