import Logging
import Synchronization
import Testing

@testable import CasebookServer

/// The `Server-Timing: handler;dur=` value search responses carry: milliseconds, three decimals.
@Suite struct ServerTimingTests {
    @Test func durationsAreMillisecondsWithThreeDecimals() {
        let cases: [(Duration, String)] = [
            (.microseconds(1234), "1.234"), (.milliseconds(12), "12.000"), (.microseconds(5), "0.005"),
            (.nanoseconds(999), "0.000"), (.seconds(2) + .microseconds(50), "2000.050"), (.microseconds(-3), "0.000"),
        ]
        for (elapsed, milliseconds) in cases {
            #expect(SearchController.handlerDuration(elapsed) == "handler;dur=\(milliseconds)")
        }
    }
}

/// The server's log handler: warnings and up only, metadata written with the line.
@Suite struct ServerLogHandlerTests {
    @Test func writesWarningsWithTheirMetadataAndNothingBelow() {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "casebook.test") { label in
            ServerLogHandler(label: label) { line in lines.withLock { $0.append(line) } }
        }
        logger[metadataKey: "hb.request.id"] = "abc"
        logger.info("not written")
        logger.warning("disk nearly full", metadata: ["free": "3%"])
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        #expect(written.first?.hasSuffix(" warning casebook.test: free=3% hb.request.id=abc disk nearly full\n") == true,
                "\(written)")
    }
}
