import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Release-mode benchmarks (build with -c release).",
        subcommands: [
            BenchAnn.self, BenchTenants.self, BenchGenerate.self, BenchFlat.self, BenchOpen.self, BenchEmbed.self,
            BenchQuality.self, BenchKMeans.self, BenchMatchLog.self, BenchSocket.self,
        ])
}
