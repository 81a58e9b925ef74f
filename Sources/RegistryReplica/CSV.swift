import RegistryCore

/// RFC 4180 CSV with line numbers kept for every record, so errors can say where a bad row starts.
///
/// Hand-written on purpose: the packages at hand parse whole files without positions, and an import
/// report must point a clerk to the line of each bad row.
enum CSV {
    struct Record {
        let line: Int
        let fields: [String]
    }

    struct ParseError: Error {
        let line: Int
        let reason: String
    }

    /// Parses `text` into records. Quotes may span lines; `""` is a quote; CRLF and LF both end records.
    /// Works on UTF-8 bytes: every delimiter is ASCII, and a UTF-8 multi-byte sequence never contains
    /// an ASCII byte, so names in any script pass through untouched.
    ///
    /// A large text is cut at record boundaries into `parts` pieces parsed on their own cores: a line
    /// end is a record boundary when an even number of quotes precede it (every quote opens or
    /// closes a quoted field, `""` included).
    static func parse(_ text: String, parts: Int = 1) throws(ParseError) -> [Record] {
        var text = text
        text.makeContiguousUTF8()
        let result: Result<[Record], ParseError> = text.utf8.withContiguousStorageIfAvailable { bytes in
            nonisolated(unsafe) let bytes = bytes
            let pieces = cut(bytes, parts: bytes.count < 1 << 20 ? 1 : parts)
            let parsed = parallelMap(pieces.count, chunkSize: 1) { index -> Result<[Record], ParseError> in
                let piece = pieces[index]
                do throws(ParseError) {
                    return .success(try parse(UnsafeBufferPointer(rebasing: bytes[piece.range]), firstLine: piece.firstLine))
                } catch { return .failure(error) }
            }
            var records: [Record] = []
            for part in parsed {
                switch part {
                case .success(let some): records += some
                case .failure(let error): return .failure(error)
                }
            }
            return .success(records)
        } ?? .failure(ParseError(line: 1, reason: "text is not contiguous"))
        return try result.get()
    }

    /// Byte ranges that each begin a record, with the line each begins on.
    private static func cut(_ bytes: UnsafeBufferPointer<UInt8>, parts: Int) -> [(range: Range<Int>, firstLine: Int)] {
        guard parts > 1 else { return [(0..<bytes.count, 1)] }
        var pieces: [(range: Range<Int>, firstLine: Int)] = []
        var start = 0, startLine = 1, quotes = 0, lines = 1
        var index = 0
        for part in 1..<parts {
            let target = bytes.count * part / parts
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") { quotes += 1 }
                if byte == UInt8(ascii: "\n") {
                    lines += 1
                    if index >= target && quotes % 2 == 0 { break }
                }
            }
            guard index > start, index < bytes.count else { break }
            pieces.append((start..<index, startLine))
            (start, startLine) = (index, lines)
        }
        pieces.append((start..<bytes.count, startLine))
        return pieces
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, firstLine: Int = 1) throws(ParseError) -> [Record] {
        let (comma, quote, newline, carriageReturn) = (UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "\n"), UInt8(ascii: "\r"))
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = firstLine
        var recordLine = firstLine
        var inQuotes = false
        var afterQuote = false

        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            afterQuote = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(line: recordLine, fields: fields)) }
            fields = []
        }

        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inQuotes {
                if byte == quote {
                    if index < bytes.count, bytes[index] == quote {
                        field.append(quote)
                        index += 1
                    } else {
                        inQuotes = false
                        afterQuote = true
                    }
                } else {
                    if byte == newline { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case comma:
                endField()
            case carriageReturn:
                continue
            case newline:
                endRecord()
                line += 1
                recordLine = line
            case quote:
                guard field.isEmpty, !afterQuote else { throw ParseError(line: line, reason: "quote inside an unquoted field") }
                inQuotes = true
            default:
                guard !afterQuote else { throw ParseError(line: line, reason: "text after a closing quote") }
                field.append(byte)
            }
        }
        guard !inQuotes else { throw ParseError(line: recordLine, reason: "quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return records
    }

    /// One CSV line for `fields`, quoting only what needs it.
    static func line(_ fields: [String]) -> String {
        fields.map { field in
            field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                : field
        }.joined(separator: ",") + "\n"
    }
}

import Foundation
