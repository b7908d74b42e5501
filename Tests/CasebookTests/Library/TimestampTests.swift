import Foundation
import Testing

@testable import Casebook

/// `Timestamp.format` writes years 1600-9999 itself (others, and Julian dates, go to Foundation); Foundation's ISO 8601 style is the reference.
@Suite struct TimestampTests {
    static func foundation(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    @Test func equalsFoundationOnRandomDates() {
        var random = SystemRandomNumberGenerator()
        var checked = 0
        for _ in 0..<20_000 {
            // Seconds from year 1500 (Julian dates included) to 9999, with random fractions.
            let seconds = Double.random(in: -14_831_769_600...253_402_300_799.999, using: &random)
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Timestamp.format(date) == Self.foundation(date), "\(seconds)")
            checked += 1
        }
        #expect(checked == 20_000)
    }

    @Test func equalsFoundationOnEdges() {
        let texts = [
            "1970-01-01T00:00:00.000Z", "1969-12-31T23:59:59.999Z", "2000-02-29T12:00:00.500Z", "1900-02-28T23:59:59.000Z",
            "1900-03-01T00:00:00.000Z", "2100-03-01T00:00:00.001Z", "2026-11-27T09:36:10.183Z", "0001-01-01T00:00:00.000Z",
            "9999-12-31T23:59:59.999Z", "1600-02-29T00:00:00.000Z", "1600-01-01T00:00:00.000Z", "0004-02-29T00:00:00.000Z",
            "1582-10-15T00:00:00.000Z",
        ]
        for text in texts {
            // Not always `text` again: Foundation truncates the fraction of a binary double
            // (".183" can print ".182"); the formatter must do exactly as Foundation does.
            let date = Timestamp.parse(text)!
            #expect(Timestamp.format(date) == Self.foundation(date), "\(text)")
        }
        var seconds: [Double] = [0, -0.0001, 0.0009, 0.9999, -1.0001, 1e-9, -1e-9, 1_700_000_000.9995, -62_135_596_800, -11_676_096_000, -11_676_096_000.0005]
        seconds += (0..<2_000).map { Double($0) * 0.000_37 - 0.37 }
        for value in seconds {
            let date = Date(timeIntervalSince1970: value)
            #expect(Timestamp.format(date) == Self.foundation(date), "\(value)")
        }
    }

    @Test func yearsBefore1600AndAfter9999GoToFoundation() {
        for seconds in [-11_676_096_000.001, -12_000_000_000, -62_135_596_800.001, -70_000_000_000, 253_402_300_800, 300_000_000_000] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Timestamp.format(date) == Self.foundation(date), "\(seconds)")
        }
    }
}
