import ArgumentParser
import Casebook
import CasebookBench

@main
struct CasebookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "casebook",
        abstract: "Precedent similarity search: store past decisions, find the ones most like a new one.",
        subcommands: [
            Init.self, Add.self, Search.self, Suggest.self, MCPCommand.self, Use.self, Outcome.self, Stats.self, Matches.self, Serve.self, Info.self,
            IndexCommand.self, Reembed.self, Embed.self, Demo.self, Bench.self,
        ])
}

/// `--db PATH`, shared by every command.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Database: a SQLite file (created if missing), or PostgreSQL as postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?sslmode=disable|require].",
            valueName: "path-or-url"))
    var db: String = "casebook.sqlite"

    /// The database with every collection loaded, or only `collections` (commands that work on one
    /// collection, or on the match log alone, need not read every vector of the file).
    func open(only collections: Set<String>? = nil, shard: TenantShard? = nil) throws -> Casebook {
        try Casebook(path: db, collections: collections, shard: shard)
    }
}
