import Foundation
@testable import RegistryReplica
import Testing

@Suite("Timestamps")
struct TimestampTests {
    @Test("the fast UTC parser and formatter agree with Foundation's ISO 8601 formatter")
    func agreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        var state: UInt64 = 12345
        for _ in 0..<2_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let seconds = Int64(state % 4_102_444_800)  // 1970 … 2100
            let date = Date(timeIntervalSince1970: Double(seconds))
            let text = formatter.string(from: date)
            #expect(RegistrationInput.formatTimestamp(milliseconds: seconds * 1000) == text)
            #expect(RegistrationInput.parseUTCTimestamp(text) == date)
        }
        #expect(RegistrationInput.parseUTCTimestamp("2022-02-30T10:00:00Z") == nil)
        #expect(RegistrationInput.parseTimestamp("2022-03-04T10:00:00+01:00") == Date(timeIntervalSince1970: 1_646_384_400))
        #expect(RegistrationInput.parseTimestamp("2022-03-04") == Date(timeIntervalSince1970: 1_646_352_000))
        #expect(RegistrationInput.parseTimestamp("04/03/2022") == nil)
    }
}
