import Foundation

/// ISO 8601 parsing and formatting for the JSON forms (CLI flags, JSONL, responses).
public enum Timestamp {
    /// How every JSON form Casebook writes encodes a time (``format(_:)``): the CLI's `--json`,
    /// the socket API's responses, the MCP tools' structured content.
    public static let encodingStrategy = JSONEncoder.DateEncodingStrategy.custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(format(date))
    }

    /// Accepts `2026-01-18T10:00:00Z`, with fractional seconds, with an offset, or a bare date
    /// `2026-01-18` (midnight UTC).
    public static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let date = try? Date(trimmed, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        if let date = try? Date(trimmed, strategy: Date.ISO8601FormatStyle()) {
            return date
        }
        if let date = try? Date(
            trimmed, strategy: Date.ISO8601FormatStyle().year().month().day())
        {
            return date
        }
        return nil
    }

    /// `2026-01-18T10:00:00.000Z`, as `Date.ISO8601FormatStyle(includingFractionalSeconds: true)`
    /// writes it. Years 1600-9999 are written here (every search response carries one per precedent,
    /// and Foundation's formatter cost ~0.6 µs each in `casebook serve`); others go to Foundation,
    /// which writes dates before 1582-10-15 in the Julian calendar.
    public static func format(_ date: Date) -> String {
        // Foundation's way: whole seconds since 2001 and the fraction's milliseconds, truncated.
        let sinceReference = date.timeIntervalSinceReferenceDate
        let wholeSeconds = sinceReference.rounded(.down)
        guard wholeSeconds >= Self.firstFastSecond, wholeSeconds < Self.endFastSecond else {
            return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        let fraction = Int64((sinceReference - wholeSeconds) * 1000)
        let (day, secondOfDay) = dayAndSecond(Int64(wholeSeconds) + 978_307_200)
        let remainder = secondOfDay * 1000 + fraction
        let (year, month, dayOfMonth) = civil(daysSince1970: day)
        var out = [UInt8](repeating: UInt8(ascii: "0"), count: 24)
        func put(_ value: Int64, _ at: Int, _ width: Int) {
            var value = value
            for i in stride(from: at + width - 1, through: at, by: -1) {
                out[i] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(year, 0, 4)
        out[4] = UInt8(ascii: "-")
        put(month, 5, 2)
        out[7] = UInt8(ascii: "-")
        put(dayOfMonth, 8, 2)
        out[10] = UInt8(ascii: "T")
        put(remainder / 3_600_000, 11, 2)
        out[13] = UInt8(ascii: ":")
        put(remainder / 60_000 % 60, 14, 2)
        out[16] = UInt8(ascii: ":")
        put(remainder / 1000 % 60, 17, 2)
        out[19] = UInt8(ascii: ".")
        put(remainder % 1000, 20, 3)
        out[23] = UInt8(ascii: "Z")
        return String(decoding: out, as: UTF8.self)
    }

    /// 1600-01-01T00:00:00Z and 10000-01-01T00:00:00Z in seconds since 2001-01-01.
    private static let firstFastSecond = -11_676_096_000.0 - 978_307_200
    private static let endFastSecond = 253_402_300_800.0 - 978_307_200

    /// Seconds since 1970 as the day (counted from 1970-01-01, floored for times before it) and
    /// the second within that day.
    private static func dayAndSecond(_ seconds: Int64) -> (day: Int64, second: Int64) {
        let (days, second) = seconds.quotientAndRemainder(dividingBy: 86_400)
        return second < 0 ? (days - 1, second + 86_400) : (days, second)
    }

    /// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
    /// `civil_from_days`: eras of 400 years, months counted from March).
    static func civil(daysSince1970: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSince1970 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
