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
    static func parse(_ text: String) throws(ParseError) -> [Record] {
        var text = text
        text.makeContiguousUTF8()
        let result: Result<[Record], ParseError> = text.utf8.withContiguousStorageIfAvailable { bytes in
            do throws(ParseError) { return .success(try parse(bytes)) } catch { return .failure(error) }
        } ?? .failure(ParseError(line: 1, reason: "text is not contiguous"))
        return try result.get()
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> [Record] {
        let (comma, quote, newline, carriageReturn) = (UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "\n"), UInt8(ascii: "\r"))
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
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
