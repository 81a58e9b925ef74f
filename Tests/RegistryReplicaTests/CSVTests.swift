import Foundation
@testable import RegistryReplica
import Testing

@Suite("CSV")
struct CSVTests {
    @Test("a large file parsed in pieces on several cores gives the records, fields and line numbers of one pass")
    func piecesAgreeWithOnePass() throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("piecesAgreeWithOnePass seed \(seed)")
        var state = seed
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        // Quoted fields with commas, doubled quotes and line breaks all through the file, CRLF and LF.
        let cells = ["Olena", "\"Kovalenko, Iryna\"", "\"multi\nline\"", "\"say \"\"hi\"\"\"", "Шевченко", "", "\"\"\"\n\"\"\""]
        var text = "a,b,c\n"
        while text.utf8.count < 3 << 20 {
            text += (0..<3).map { _ in cells[Int(next() % UInt64(cells.count))] }.joined(separator: ",") + (next() % 5 == 0 ? "\r\n" : "\n")
        }
        let whole = try CSV.parse(text)
        for parts in [2, 3, 7] {
            let pieces = try CSV.parse(text, parts: parts)
            #expect(pieces.count == whole.count, "seed \(seed), \(parts) parts")
            #expect(pieces.map(\.line) == whole.map(\.line), "seed \(seed), \(parts) parts")
            #expect(pieces.map(\.fields) == whole.map(\.fields), "seed \(seed), \(parts) parts")
        }
        #expect(whole.count > 50_000 && whole.allSatisfy { $0.fields.count == 3 })
    }

    @Test("a malformed record in a later piece is reported at its line")
    func errorInLaterPiece() {
        let row = "Olena,Kovalenko,1984\n"
        let good = String(repeating: row, count: (2 << 20) / row.utf8.count)
        let badLine = good.split(separator: "\n").count + 1
        #expect(throws: CSV.ParseError.self) { try CSV.parse(good + "Taras,Bo\"ndar,1990\n" + good, parts: 2) }
        do {
            _ = try CSV.parse(good + "Taras,Bo\"ndar,1990\n" + good, parts: 2)
        } catch {
            #expect(error.line == badLine)
        }
    }
}
