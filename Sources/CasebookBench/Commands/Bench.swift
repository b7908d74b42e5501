import Casebook
import ArgumentParser

public struct Bench: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        abstract: "Release-mode benchmarks (build with -c release).",
        subcommands: [
            BenchAnn.self, BenchTenants.self, BenchGenerate.self, BenchFlat.self, BenchOpen.self, BenchEmbed.self,
            BenchQuality.self, BenchHybrid.self, BenchSearch.self, BenchSuggest.self, BenchKMeans.self, BenchMatchLog.self, BenchSocket.self, BenchPostgres.self,
        ])
}
