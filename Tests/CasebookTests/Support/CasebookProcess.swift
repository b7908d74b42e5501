import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The `casebook` executable run as a separate process, the way a user runs it: the harness of
/// the CLI, crash-safety, kill, fuzz and socket tests.
enum CasebookProcess {
    static var executable: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("casebook")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return Repository.path(".build/debug/casebook")
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    @discardableResult
    static func run(_ arguments: [String], stdin: String? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Starts `casebook` with `arguments` (output discarded), SIGKILLs it after `delay` seconds
    /// and returns the finished process (it may have exited on its own before).
    static func killed(_ arguments: [String], after delay: TimeInterval) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: delay)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return process
    }

    /// Starts `casebook` with `arguments`, reads its standard error line by line and SIGKILLs it
    /// as soon as `lines` lines have been written (or lets it finish). Returns the process and
    /// the lines it wrote.
    static func killed(_ arguments: [String], afterErrorLines lines: Int) throws -> (process: Process, stderr: [String]) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        process.standardError = err
        try process.run()
        var seen: [String] = []
        var pending = Data()
        let reader = err.fileHandleForReading
        while seen.count < lines {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: 0x0A) {
                seen.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
        if seen.count >= lines { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (process, seen)
    }
}
