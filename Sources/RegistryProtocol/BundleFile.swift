/// A bundle file: envelopes carried by hand (USB stick, courier) when there is no link.
///
/// ```
/// "RSBN" ‖ version u8 (=1) ‖ (length u32 BE ‖ envelope)*
/// ```
/// The envelopes are exactly those HTTP would carry, sealed for the recipient, so a courier learns
/// nothing but sizes, and the recipient checks each one as if it had come over the network. The
/// file format itself has no integrity of its own: a damaged envelope is refused on its own, the
/// others still apply.
public enum BundleFile {
    public static let magic: [UInt8] = Array("RSBN".utf8)
    public static let version: UInt8 = 1

    public static func encode(_ envelopes: [[UInt8]]) -> [UInt8] {
        var bytes = magic + [version]
        for envelope in envelopes {
            let length = UInt32(envelope.count)
            for shift in [24, 16, 8, 0] { bytes.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
            bytes.append(contentsOf: envelope)
        }
        return bytes
    }

    /// Splits a bundle into its envelopes (not opened).
    /// - Throws: `bad_magic`, `unsupported_version`, `truncated` (a length past the end), `oversize`
    ///   (one envelope over 8 MiB).
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> [[UInt8]] {
        guard bytes.count >= 5 else { throw ProtocolError(.truncated, "bundle shorter than its header") }
        guard Array(bytes[0..<4]) == magic else { throw ProtocolError(.badMagic, "bundle does not start with RSBN") }
        guard bytes[4] == version else { throw ProtocolError(.unsupportedVersion, "bundle version \(bytes[4])") }
        var envelopes: [[UInt8]] = []
        var offset = 5
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { throw ProtocolError(.truncated, "bundle length field at \(offset)") }
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            offset += 4
            guard length <= Envelope.maxEnvelopeBytes else { throw ProtocolError(.oversize, "bundle envelope of \(length) bytes") }
            guard bytes.count - offset >= length else { throw ProtocolError(.truncated, "bundle envelope \(envelopes.count) ends early") }
            envelopes.append(Array(bytes[offset..<offset + length]))
            offset += length
        }
        return envelopes
    }
}
