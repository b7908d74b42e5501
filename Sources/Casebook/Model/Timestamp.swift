import Foundation

/// ISO 8601 parsing and formatting for the JSON forms (CLI flags, JSONL, responses).
public enum Timestamp {
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

    /// `2026-01-18T10:00:00.000Z`.
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
