import ArgumentParser
import Casebook
import CommandLineSupport
import Foundation

/// `casebook index train | retrain | info`: the collection's IVF index.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", abstract: "Train, retrain or describe a collection's IVF index.",
        subcommands: [Train.self, Retrain.self, Show.self])

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train the IVF index on every precedent of the collection (a flat collection becomes IVF).")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TrainingOutput

        @Option(help: "Collection name.")
        var collection: String

        @Option(help: "Lists (k-means centroids); default: the stored value, or 4·√rows as a power of two.")
        var nlist: Int?

        @Option(help: "Rows k-means trains on (default 128 per list).")
        var sample: Int?

        @Option(help: ArgumentHelp(
            "Store as the default nprobe the fewest lists that reach this recall@10 (0-1) on the training's own rows.",
            discussion: "Without it the stored nprobe stays (8 unless set). Hashed collections often need 32-64 lists for 0.9."))
        var targetRecall: Double?

        func run() throws {
            let target = try database.open(only: [collection]).collection(collection)
            let report = try target.trainIndex(
                nlist: nlist, sampleRows: sample, targetRecall: targetRecall, progress: output.progress)
            try output.finish(report, collection: collection, nprobe: target.spec.index.ivf?.nprobe)
        }
    }

    struct Retrain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train the IVF index again with its stored parameters (after drift).")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: TrainingOutput

        @Option(help: "Collection name.")
        var collection: String

        func run() throws {
            let target = try database.open(only: [collection]).collection(collection)
            let report = try target.retrainIndex(progress: output.progress)
            try output.finish(report, collection: collection, nprobe: target.spec.index.ivf?.nprobe)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "info", abstract: "Kind, lists, list sizes and drift of a collection's index.")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Collection name.")
        var collection: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let info = try database.open(only: [collection]).collection(collection).indexInfo
            if json {
                try JSONOutput.print(info)
                return
            }
            print("collection \(collection): \(info.kind) index, \(info.rows) precedents")
            guard let parameters = info.parameters else { return }
            print("  nprobe \(parameters.nprobe) by default; tenants under \(parameters.flatThreshold) rows are searched flat")
            guard info.trained, let nlist = info.nlist else {
                print("  not trained: searched flat (run `casebook index train --collection \(collection)`)")
                return
            }
            print("  \(nlist) lists; rows per list \(info.smallestList ?? 0) / \(info.medianList ?? 0) / \(info.largestList ?? 0) (min / median / max), \(info.emptyLists ?? 0) empty")
            print("  imbalance (largest ÷ mean) \(String(format: "%.2f", info.listImbalance ?? 0)); tenants listed \(info.listedTenants ?? 0), flat \(info.flatTenants ?? 0)")
            if let training = info.training {
                let added = info.addedSinceTraining ?? 0
                let share = training.rows > 0 ? 100 * Double(added) / Double(training.rows) : 0
                print("  trained on \(training.sampleRows) of \(training.rows) rows, \(training.iterations) iterations, seed \(training.seed)\(training.pcaDimension.map { ", PCA to \($0) dims" } ?? "")")
                print("  drift: \(added) rows added since training (\(String(format: "%.1f", share))% of the rows it saw)")
                if let recall = training.recall { print("  " + TrainingOutput.describe(recall, nprobe: parameters.nprobe)) }
            }
        }
    }
}

/// Progress and the final report of a training, shared by `train` and `retrain`.
struct TrainingOutput: ParsableArguments {
    @Flag(help: "Print JSON (the training report).")
    var json = false

    @Flag(help: "Print one progress line per k-means iteration on standard error even when it is not a terminal.")
    var progressLines = false

    var progress: (IndexTrainingProgress) -> Void {
        let terminal = isatty(STDERR_FILENO) != 0
        let lines = progressLines
        return { step in
            guard terminal || lines else { return }
            let text = "k-means iteration \(step.iteration)/\(step.iterations): mean squared distance \(String(format: "%.5f", step.meanSquaredDistance))"
            let end = lines ? "\n" : (step.iteration == step.iterations ? "\n" : "")
            FileHandle.standardError.write(Data(((lines ? "" : "\r") + text + end).utf8))
        }
    }

    func finish(_ report: IndexTrainingReport, collection: String, nprobe: Int?) throws {
        if json {
            try JSONOutput.print(report)
            return
        }
        print("trained \(report.nlist) lists for \(collection) on \(report.sampleRows) of \(report.rows) rows: k-means \(String(format: "%.2f", report.trainSeconds)) s, filing \(String(format: "%.2f", report.fileSeconds)) s, storing \(String(format: "%.2f", report.storeSeconds ?? 0)) s")
        print("mean squared distance \(String(format: "%.5f", report.initialObjective)) -> \(String(format: "%.5f", report.finalObjective))\(report.pcaExplainedVariance.map { String(format: "; PCA keeps %.1f%% of the variance", 100 * $0) } ?? "")")
        if let recall = report.recall, let nprobe = nprobe { print(Self.describe(recall, nprobe: nprobe)) }
    }

    /// One line: recall@k by nprobe, at the default, and the lists 0.9 needs.
    static func describe(_ recall: RecallEstimate, nprobe: Int) -> String {
        let ladder = recall.points.map { "\($0.nprobe) \(String(format: "%.2f", $0.recall))" }.joined(separator: ", ")
        let atDefault = recall.recall(at: nprobe).map { String(format: "%.2f", $0) } ?? "?"
        let enough = recall.nprobe(reaching: 0.9).map { "nprobe \($0)" } ?? "more lists than were measured"
        return "recall@\(recall.k) on \(recall.sampleRows) of its own rows (\(String(format: "%.2f", recall.seconds)) s) by nprobe: \(ladder); "
            + "\(atDefault) at the default \(nprobe); 0.9 takes \(enough)"
    }
}
