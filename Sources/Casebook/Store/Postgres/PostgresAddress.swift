import Foundation

/// Where a PostgreSQL database is, parsed from a URL as libpq writes them:
/// `postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?sslmode=disable|require]` (also
/// `postgres://`). User, password and database name may be percent-encoded; a host written in
/// brackets is an IPv6 address. A URL without a user or a database name is refused rather than
/// guessed.
struct PostgresAddress: Sendable, Equatable {
    enum TLSMode: String, Sendable {
        /// No TLS (libpq's `disable`; also the default here, for a server on loopback).
        case disable
        /// TLS required, the certificate not verified (libpq's `require`).
        case require
    }

    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String
    var tls: TLSMode

    /// The URL without its password, for logs and messages.
    var redacted: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgresql://\(user)@\(shownHost):\(port)/\(database)"
    }
}

extension PostgresAddress {
    /// Whether `location` names a PostgreSQL database rather than a file.
    static func isURL(_ location: String) -> Bool {
        location.hasPrefix("postgresql://") || location.hasPrefix("postgres://")
    }

    init(url text: String) throws(CasebookError) {
        func refuse(_ why: String) -> CasebookError {
            // The URL may hold a password: the message never repeats it.
            .invalidParameter(
                "PostgreSQL URL: \(why) (expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?sslmode=disable|require])")
        }
        guard Self.isURL(text), let components = URLComponents(string: text) else { throw refuse("cannot be parsed") }
        guard let user = components.percentEncodedUser.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw refuse("no user")
        }
        guard var host = components.host, !host.isEmpty else { throw refuse("no host") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let path = components.percentEncodedPath
        guard path.hasPrefix("/"), let database = String(path.dropFirst()).removingPercentEncoding, !database.isEmpty,
            !database.contains("/")
        else { throw refuse("no database name") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw refuse("port out of range") }
        var tls = TLSMode.disable
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw refuse("sslmode must be disable or require")
                }
                tls = mode
            default:
                throw refuse("unknown parameter \"\(item.name)\"")
            }
        }
        self.host = host
        self.port = port
        self.user = user
        self.password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        self.database = database
        self.tls = tls
    }
}
