import Foundation
import Testing

@testable import CasebookServer

/// What `casebook serve` refuses to bind to (besides `SocketAPITests`' 0600 mode under umask 0,
/// a live socket, a stale one replaced and a regular file kept): a symlink, a directory, a path
/// too long for a socket address, and every non-loopback TCP host.
@Suite struct SocketSecurityTests {
    static func serve(_ database: TemporaryDatabase, socket: String, _ extra: [String] = []) throws -> CasebookProcess.Outcome {
        try CasebookProcess.run(["serve", "--db", database.path, "--socket", socket] + extra)
    }

    @Test func aSymlinkOrDirectoryIsNeverReplaced() throws {
        let database = TemporaryDatabase()
        let target = database.directory.appendingPathComponent("precious.txt").path
        try "keep me".write(toFile: target, atomically: true, encoding: .utf8)
        let link = database.directory.appendingPathComponent("link.sock").path
        #expect(symlink(target, link) == 0)
        let viaLink = try Self.serve(database, socket: link)
        #expect(viaLink.status != 0 && viaLink.stderr.contains("not a socket"), "\(viaLink.stderr)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me")
        var status = stat()
        #expect(lstat(link, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK)

        let directory = database.directory.appendingPathComponent("dir.sock").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let onDirectory = try Self.serve(database, socket: directory)
        #expect(onDirectory.status != 0 && onDirectory.stderr.contains("not a socket"), "\(onDirectory.stderr)")
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    @Test func aSocketPathTooLongIsRefusedClearly() throws {
        let database = TemporaryDatabase()
        let long = database.directory.appendingPathComponent(String(repeating: "s", count: 120) + ".sock").path
        let outcome = try Self.serve(database, socket: long)
        #expect(outcome.status != 0 && outcome.stderr.contains("too long"), "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: long))
    }

    @Test(arguments: [
        ("127.0.0.1:8080", true), ("127.1.2.3:1", true), ("[::1]:8080", true), ("localhost:65535", true),
        ("0.0.0.0:8080", false), ("[::]:8080", false), (":8080", false), ("10.1.2.3:8080", false),
        ("192.168.0.1:80", false), ("127.0.0.1.example.com:80", false), ("0x7f.0.0.1:80", false),
        ("localhost.example.com:80", false), ("127.0.0.1:0", false), ("127.0.0.1:65536", false), ("127.0.0.1", false),
        ("[::ffff:10.0.0.1]:80", false),
    ])
    func tcpListensOnLoopbackOnly(address: String, allowed: Bool) {
        let parsed = try? ServerConfiguration.TCPAddress(address)
        #expect((parsed != nil) == allowed, "\(address)")
    }
}
