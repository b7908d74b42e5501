import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The lines of a file or of standard input ("-"), read in chunks: a file of any size streams
/// through a buffer as large as its longest line. Lines are cut on the newline byte with `memchr`,
/// not by walking Characters (which cost more than the JSON parsing on a file of vectors).
public final class LineStream {
    /// The file's size in bytes; nil for standard input or anything that is not a regular file.
    public let totalBytes: Int?
    /// Bytes of the lines handed out so far, newlines included.
    public private(set) var consumedBytes = 0
    /// The number of the last line handed out (from 1).
    public private(set) var lineNumber = 0

    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    /// Where the search for the next newline resumes (bytes before it hold none).
    private var scanned = 0
    private var atEnd = false

    public init(path: String, chunkBytes: Int = 1 << 20) throws {
        if path == "-" {
            descriptor = STDIN_FILENO
            ownsDescriptor = false
        } else {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw CLIError("cannot read \(path): \(String(cString: strerror(errno)))") }
            ownsDescriptor = true
        }
        var status = stat()
        if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG {
            totalBytes = Int(status.st_size)
        } else {
            totalBytes = nil
        }
        buffer = [UInt8](repeating: 0, count: max(chunkBytes, 4096))
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// The next line without its "\n" or "\r\n"; nil after the last. A last line without a
    /// newline is a line; an empty tail after the last newline is not.
    public func next() throws -> String? {
        while true {
            if let newline = findNewline() {
                return try take(upTo: newline, consumed: newline + 1 - start)
            }
            if atEnd {
                guard start < end else { return nil }
                return try take(upTo: end, consumed: end - start)
            }
            try fill()
        }
    }

    private func findNewline() -> Int? {
        guard scanned < end else { return nil }
        let found = buffer.withUnsafeBytes { raw -> Int? in
            guard let hit = memchr(raw.baseAddress! + scanned, 0x0A, end - scanned) else { return nil }
            return raw.baseAddress!.distance(to: UnsafeRawPointer(hit))
        }
        scanned = found ?? end
        return found
    }

    private func take(upTo lineEnd: Int, consumed: Int) throws -> String {
        lineNumber += 1
        var last = lineEnd
        if last > start, buffer[last - 1] == 0x0D { last -= 1 }
        let text = buffer.withUnsafeBufferPointer {
            String(validating: UnsafeBufferPointer(rebasing: $0[start..<last]), as: UTF8.self)
        }
        start += consumed
        scanned = start
        consumedBytes += consumed
        guard let text else { throw CLIError("line \(lineNumber): not valid UTF-8") }
        return text
    }

    /// Moves the unread bytes to the front, grows the buffer when a line fills it, and reads.
    private func fill() throws {
        if start > 0 {
            let unread = end - start
            buffer.withUnsafeMutableBytes { raw in
                _ = memmove(raw.baseAddress!, raw.baseAddress! + start, unread)
            }
            scanned -= start
            end = unread
            start = 0
        }
        if end == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                read(descriptor, raw.baseAddress! + end, raw.count - end)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw CLIError("cannot read line \(lineNumber + 1): \(String(cString: strerror(errno)))")
            }
            if count == 0 { atEnd = true }
            end += count
            return
        }
    }
}
