/// Appends compact binary encodings: LEB128 varints, length-prefixed bytes and strings.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    public mutating func byte(_ value: UInt8) { bytes.append(value) }

    public mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    public mutating func fixed64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    public mutating func raw(_ data: some Collection<UInt8>) { bytes.append(contentsOf: data) }

    public mutating func lengthPrefixed(_ data: some Collection<UInt8>) {
        varint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    public mutating func string(_ text: String) { lengthPrefixed(Array(text.utf8)) }

    public mutating func identifier(_ id: Identifier128) {
        fixed64(id.high)
        fixed64(id.low)
    }
}

/// Reads what ``ByteWriter`` wrote; every read checks bounds and throws ``CoreError`` on truncation.
public struct ByteReader: Sendable {
    private let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var isAtEnd: Bool { offset == bytes.count }
    public var remaining: Int { bytes.count - offset }

    public mutating func byte() throws(CoreError) -> UInt8 {
        guard offset < bytes.count else { throw truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func varint() throws(CoreError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64, !(shift == 63 && next > 1) else { throw CoreError(.malformedEncoding, "varint overflows 64 bits") }
            result |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A varint that must fit `limit`; used for counts so a hostile length cannot allocate gigabytes.
    public mutating func count(limit: Int) throws(CoreError) -> Int {
        let value = try varint()
        guard value <= UInt64(max(limit, 0)) else {
            throw CoreError(.malformedEncoding, "count \(value) exceeds what remains")
        }
        return Int(value)
    }

    public mutating func fixed64() throws(CoreError) -> UInt64 {
        let slice = try raw(8)
        return slice.reduce(0) { $0 << 8 | UInt64($1) }
    }

    public mutating func raw(_ count: Int) throws(CoreError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw truncated }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    public mutating func lengthPrefixed() throws(CoreError) -> ArraySlice<UInt8> {
        let length = try varint()
        guard length <= UInt64(remaining) else { throw truncated }
        return try raw(Int(length))
    }

    public mutating func string() throws(CoreError) -> String {
        let data = try lengthPrefixed()
        guard let text = String(validating: data, as: UTF8.self) else {
            throw CoreError(.malformedEncoding, "invalid UTF-8")
        }
        return text
    }

    public mutating func identifier() throws(CoreError) -> Identifier128 {
        Identifier128(high: try fixed64(), low: try fixed64())
    }

    private var truncated: CoreError { CoreError(.malformedEncoding, "truncated at byte \(offset)") }
}

/// Binary encoding of ``Value``: a tag byte, then the content.
public enum ValueCodec {
    public static func encode(_ value: Value) -> [UInt8] {
        var writer = ByteWriter()
        write(value, to: &writer)
        return writer.bytes
    }

    public static func write(_ value: Value, to writer: inout ByteWriter) {
        switch value {
        case .text(let text):
            writer.byte(1)
            writer.string(text)
        case .int(let number):
            writer.byte(2)
            writer.varint(UInt64(bitPattern: (number << 1) ^ (number >> 63)))
        case .bool(let flag):
            writer.byte(flag ? 4 : 3)
        case .object(let object):
            writer.byte(5)
            writer.varint(UInt64(object.count))
            for key in object.keys.sorted() {
                writer.string(key)
                writer.string(object[key]!)
            }
        }
    }

    public static func read(from reader: inout ByteReader) throws(CoreError) -> Value {
        switch try reader.byte() {
        case 1: return .text(try reader.string())
        case 2:
            let raw = try reader.varint()
            return .int(Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1))
        case 3: return .bool(false)
        case 4: return .bool(true)
        case 5:
            let count = try reader.count(limit: reader.remaining / 2)
            var object: [String: String] = [:]
            for _ in 0..<count {
                let key = try reader.string()
                object[key] = try reader.string()
            }
            return .object(object)
        case let tag: throw CoreError(.malformedEncoding, "unknown value tag \(tag)")
        }
    }
}

/// Binary encoding of change sets (normative layout: `Protocol/record-format.md`).
///
/// The *header* (origin, first seq, clock, entity, record) is what storage keeps in plain columns and
/// the wire sends in the clear inside a sealed envelope; the *body* (what the changes do, with every
/// value) is what gets sealed at rest.
public enum ChangeSetCodec {
    public static func encodeBody(_ content: ChangeSet.Content, origin: ReplicaID) -> [UInt8] {
        var writer = ByteWriter(capacity: 128)
        writeBody(content, origin: origin, to: &writer)
        return writer.bytes
    }

    public static func writeBody(_ content: ChangeSet.Content, origin: ReplicaID, to writer: inout ByteWriter) {
        switch content {
        case .fields(let changes):
            writer.byte(0)
            writer.varint(UInt64(changes.count))
            for change in changes {
                writer.varint(UInt64(change.field.rawValue))
                switch change.operation {
                case .assign(let value, let supersedes):
                    if let value {
                        writer.byte(1)
                        ValueCodec.write(value, to: &writer)
                    } else {
                        writer.byte(2)
                    }
                    writeDots(supersedes, origin: origin, to: &writer)
                case .add(let value):
                    writer.byte(3)
                    ValueCodec.write(value, to: &writer)
                case .remove(let observed):
                    writer.byte(4)
                    writeDots(observed, origin: origin, to: &writer)
                case .append(let value):
                    writer.byte(5)
                    ValueCodec.write(value, to: &writer)
                }
            }
        case .erase:
            writer.byte(1)
        case .redacted(let count):
            writer.byte(2)
            writer.varint(UInt64(count))
        }
    }

    public static func decodeBody(_ bytes: [UInt8], origin: ReplicaID) throws(CoreError) -> ChangeSet.Content {
        var reader = ByteReader(bytes)
        let content = try readBody(from: &reader, origin: origin)
        guard reader.isAtEnd else { throw CoreError(.malformedEncoding, "trailing bytes after body") }
        return content
    }

    public static func readBody(from reader: inout ByteReader, origin: ReplicaID) throws(CoreError) -> ChangeSet.Content {
        switch try reader.byte() {
        case 0:
            let count = try reader.count(limit: reader.remaining / 2)
            var changes: [FieldChange] = []
            changes.reserveCapacity(count)
            for _ in 0..<count {
                let raw = try reader.varint()
                guard raw <= UInt64(UInt16.max) else { throw CoreError(.malformedEncoding, "field number out of range") }
                let field = FieldID(rawValue: UInt16(raw))
                let operation: Operation
                switch try reader.byte() {
                case 1:
                    let value = try ValueCodec.read(from: &reader)
                    operation = .assign(value, supersedes: try readDots(from: &reader, origin: origin))
                case 2: operation = .assign(nil, supersedes: try readDots(from: &reader, origin: origin))
                case 3: operation = .add(try ValueCodec.read(from: &reader))
                case 4: operation = .remove(observed: try readDots(from: &reader, origin: origin))
                case 5: operation = .append(try ValueCodec.read(from: &reader))
                case let tag: throw CoreError(.malformedEncoding, "unknown operation tag \(tag)")
                }
                changes.append(FieldChange(field, operation))
            }
            return .fields(changes)
        case 1: return .erase
        case 2:
            let count = try reader.varint()
            guard (1...1_000_000).contains(count) else { throw CoreError(.malformedEncoding, "redacted count out of range") }
            return .redacted(count: Int(count))
        case let tag: throw CoreError(.malformedEncoding, "unknown content tag \(tag)")
        }
    }

    /// Whole change set: header then body.
    public static func encode(_ changeSet: ChangeSet) -> [UInt8] {
        var writer = ByteWriter(capacity: 160)
        write(changeSet, to: &writer)
        return writer.bytes
    }

    public static func write(_ changeSet: ChangeSet, to writer: inout ByteWriter) {
        writer.identifier(changeSet.origin)
        writer.varint(changeSet.firstSeq)
        writer.fixed64(changeSet.hlc.rawValue)
        writer.byte(changeSet.entity.rawValue)
        writer.identifier(changeSet.record)
        writeBody(changeSet.content, origin: changeSet.origin, to: &writer)
    }

    public static func read(from reader: inout ByteReader) throws(CoreError) -> ChangeSet {
        let origin = try reader.identifier()
        let firstSeq = try reader.varint()
        guard firstSeq >= 1 else { throw CoreError(.malformedEncoding, "sequence numbers start at 1") }
        let hlc = HLCTimestamp(rawValue: try reader.fixed64())
        let rawEntity = try reader.byte()
        guard let entity = EntityKind(rawValue: rawEntity) else {
            throw CoreError(.malformedEncoding, "unknown entity \(rawEntity)")
        }
        let record = try reader.identifier()
        let content = try readBody(from: &reader, origin: origin)
        return ChangeSet(origin: origin, firstSeq: firstSeq, hlc: hlc, entity: entity, record: record, content: content)
    }

    public static func decode(_ bytes: [UInt8]) throws(CoreError) -> ChangeSet {
        var reader = ByteReader(bytes)
        let changeSet = try read(from: &reader)
        guard reader.isAtEnd else { throw CoreError(.malformedEncoding, "trailing bytes after change set") }
        return changeSet
    }

    /// Dots of the change set's own origin (the common case) cost a flag byte and a varint.
    private static func writeDots(_ dots: [Dot], origin: ReplicaID, to writer: inout ByteWriter) {
        writer.varint(UInt64(dots.count))
        for dot in dots {
            if dot.origin == origin {
                writer.byte(0)
            } else {
                writer.byte(1)
                writer.identifier(dot.origin)
            }
            writer.varint(dot.seq)
        }
    }

    private static func readDots(from reader: inout ByteReader, origin: ReplicaID) throws(CoreError) -> [Dot] {
        let count = try reader.count(limit: reader.remaining / 2)
        var dots: [Dot] = []
        dots.reserveCapacity(count)
        for _ in 0..<count {
            let dotOrigin: ReplicaID
            switch try reader.byte() {
            case 0: dotOrigin = origin
            case 1: dotOrigin = try reader.identifier()
            case let flag: throw CoreError(.malformedEncoding, "unknown dot flag \(flag)")
            }
            dots.append(Dot(origin: dotOrigin, seq: try reader.varint()))
        }
        return dots
    }
}
