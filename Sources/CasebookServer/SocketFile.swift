import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The socket file's life: a stale one (nobody listening) is replaced, a live one or any other kind
/// of file is refused; the new socket is made owner-only (0600) whatever the umask; it is removed
/// on shutdown.
enum SocketFile {
    static func prepare(_ path: String) throws(ServerError) {
        let limit = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        guard path.utf8.count < limit else {
            throw ServerError("socket path is too long (\(path.utf8.count) bytes; a Unix socket path must be under \(limit))")
        }
        var status = stat()
        guard lstat(path, &status) == 0 else { return }  // nothing there
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw ServerError("\(path) exists and is not a socket; refusing to replace it")
        }
        guard !isListening(path) else { throw ServerError("another server is listening on \(path)") }
        guard unlink(path) == 0 else { throw ServerError("cannot remove the stale socket \(path): \(String(cString: strerror(errno)))") }
    }

    /// Owner read/write only: clients of other users cannot connect.
    static func restrict(_ path: String) {
        chmod(path, 0o600)
    }

    static func remove(_ path: String) {
        var status = stat()
        if lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK { unlink(path) }
    }

    private static func isListening(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }
}
