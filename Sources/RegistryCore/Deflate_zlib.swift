// Raw deflate (RFC 1951) through the system zlib: the only file of the package that calls zlib.

import CZlib

/// Raw deflate for sealed data (envelope payloads, change-log blocks at rest): no header or checksum,
/// the AEAD tag already protects integrity. Inflating is **bounded**, so a few kilobytes that expand
/// to gigabytes (a "zip bomb") are refused with ``CoreError/Code/oversize`` instead of exhausting memory.
public enum Deflate {
    /// zlib level 6, the default: the benchmark compares against `gzip -6`.
    public static let defaultLevel: Int32 = 6

    /// Raw-deflates `input`. Never fails on valid input (zlib only fails on memory exhaustion,
    /// which traps here).
    public static func compress(_ input: [UInt8], level: Int32 = defaultLevel) -> [UInt8] {
        var stream = z_stream()
        var status = czlib_deflate_init_raw(&stream, level)
        precondition(status == Z_OK, "deflateInit2 failed")
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        var output = [UInt8](repeating: 0, count: bound)
        var input = input
        let produced: Int = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                status = deflate(&stream, Z_FINISH)
                return target.count - Int(stream.avail_out)
            }
        }
        precondition(status == Z_STREAM_END, "deflate did not finish within deflateBound")
        output.removeSubrange(produced...)
        return output
    }

    /// Inflates raw-deflate `input`, refusing output longer than `limit` bytes.
    /// - Throws: ``CoreError/Code/oversize`` past `limit`; ``CoreError/Code/malformedEncoding`` for data that is
    ///   not a complete raw-deflate stream or is followed by trailing bytes.
    public static func decompress(_ input: [UInt8], limit: Int) throws(CoreError) -> [UInt8] {
        var stream = z_stream()
        guard czlib_inflate_init_raw(&stream) == Z_OK else { throw CoreError(.malformedEncoding, "inflateInit2 failed") }
        defer { inflateEnd(&stream) }
        var input = input
        var output: [UInt8] = []
        output.reserveCapacity(min(max(input.count * 4, 1024), limit + 1))
        let chunkSize = 64 * 1024
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var outcome: CoreError?
        input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            while true {
                let (status, produced): (Int32, Int) = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(chunkSize)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, chunkSize - Int(stream.avail_out))
                }
                if output.count + produced > limit {
                    outcome = CoreError(.oversize, "payload inflates past \(limit) bytes")
                    return
                }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    if stream.avail_in != 0 { outcome = CoreError(.malformedEncoding, "bytes after the deflate stream") }
                    return
                case Z_OK:
                    continue
                case Z_BUF_ERROR where produced == 0:
                    outcome = CoreError(.malformedEncoding, "deflate stream ends early")
                    return
                case Z_BUF_ERROR:
                    continue
                default:
                    outcome = CoreError(.malformedEncoding, "deflate stream is corrupt")
                    return
                }
            }
        }
        if let outcome { throw outcome }
        return output
    }
}
