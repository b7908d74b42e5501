import Casebook
import Foundation
import MCP

/// Casebook's tools for an LLM agent, bound to one tenant (and optionally one collection) by the
/// server's configuration. A model cannot reach another tenant: no tool takes a tenant, and an
/// argument naming one is refused. Every failure is a tool result with `isError` and a message the
/// model can act on; nothing a model sends makes the server fail.
public struct CasebookTools: Sendable {
    public let casebook: Casebook
    public let tenant: TenantID
    /// The collection every tool reads and writes; nil: each call names one.
    public let collection: String?
    /// Recorded as the actor of searches, suggestions and uses.
    public let actor: String?

    public init(casebook: Casebook, tenant: TenantID, collection: String? = nil, actor: String? = nil) throws(CasebookError) {
        try tenant.check()
        if let collection { _ = try casebook.collection(collection) }
        self.casebook = casebook
        self.tenant = tenant
        self.collection = collection
        self.actor = actor
    }

    public var tools: [Tool] { ToolCatalog.tools(collectionArgument: collection == nil) }

    /// Answers one `tools/call`.
    public func call(_ name: String, arguments: [String: Value]?) async -> CallTool.Result {
        do throws(ToolError) {
            let arguments = arguments ?? [:]
            if arguments["tenant"] != nil {
                throw ToolError(
                    "tools take no tenant: this server answers for the tenant its configuration names; remove \"tenant\"")
            }
            let (structured, text) = try await answer(name, arguments)
            // Typed as optional, so the SDK's non-generic initializer takes it as it is.
            let content: Value? = structured
            return CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: content, isError: false)
        } catch {
            return CallTool.Result(content: [.text(text: "error: \(error.message)", annotations: nil, _meta: nil)], isError: true)
        }
    }

    private func answer(_ name: String, _ arguments: [String: Value]) async throws(ToolError) -> (Value, String) {
        switch name {
        case ToolCatalog.searchPrecedents: return try await search(MCPValues.decode(ToolArguments.Query.self, from: arguments))
        case ToolCatalog.suggestDecision: return try await suggest(MCPValues.decode(ToolArguments.Suggest.self, from: arguments).query)
        case ToolCatalog.recordPrecedent: return try await record(MCPValues.decode(ToolArguments.Record.self, from: arguments))
        case ToolCatalog.recordUse: return try await use(MCPValues.decode(ToolArguments.Use.self, from: arguments))
        case ToolCatalog.recordOutcome: return try await outcome(MCPValues.decode(ToolArguments.Outcome.self, from: arguments))
        case ToolCatalog.precedentStats: return try await stats(MCPValues.decode(ToolArguments.Stats.self, from: arguments))
        default:
            throw ToolError("no tool named \"\(name)\"; the tools are \(tools.map(\.name).joined(separator: ", "))")
        }
    }

    // MARK: Tools

    private func search(_ query: ToolArguments.Query) async throws(ToolError) -> (Value, String) {
        try query.checkSomethingToAsk()
        try Self.checkK(query.k, max: ToolCatalog.maxSearchK)
        let name = try collectionName(query.collection)
        let response = try await library { [tenant, actor] () throws(CasebookError) in
            let collection = try casebook.collection(name)
            // Why each matched, where the collection featurizes text (a vector query has no words).
            let explain = collection.spec.embedder.isHashed && query.vector == nil
            return try collection.search(SearchRequest(
                tenant: tenant, k: query.k ?? 5, vector: query.vector, text: query.text, context: query.context,
                filter: query.filter, explain: explain, actor: actor, decisionId: query.decisionId))
        }
        let found = FoundPrecedents(response)
        return (try MCPValues.value(found), ToolText.search(found))
    }

    private func suggest(_ query: ToolArguments.Query) async throws(ToolError) -> (Value, String) {
        try query.checkSomethingToAsk()
        try Self.checkK(query.k, max: ToolCatalog.maxSuggestK)
        let name = try collectionName(query.collection)
        let suggestion = try await library { [tenant, actor] () throws(CasebookError) in
            try casebook.collection(name).suggest(SuggestRequest(
                tenant: tenant, k: query.k ?? SuggestRequest.defaultK, vector: query.vector, text: query.text,
                context: query.context, filter: query.filter, actor: actor, decisionId: query.decisionId))
        }
        return (try MCPValues.value(suggestion), ToolText.suggestion(suggestion, decisionId: query.decisionId))
    }

    private func record(_ record: ToolArguments.Record) async throws(ToolError) -> (Value, String) {
        let name = try collectionName(record.collection)
        let precedent = record.precedent(tenant: tenant)
        let id = try await library { () throws(CasebookError) in
            try casebook.collection(name).add([precedent]).first ?? PrecedentID("")
        }
        let receipt = RecordReceipt(id: id, collection: name)
        return (try MCPValues.value(receipt), "recorded precedent \(id) in \(name)")
    }

    private func use(_ use: ToolArguments.Use) async throws(ToolError) -> (Value, String) {
        guard let type = UseType(rawValue: use.type) else {
            throw ToolError("type must be viewed, cited, applied or rejected, not \"\(use.type)\"")
        }
        let receipt = try await library { [tenant, actor] () throws(CasebookError) in
            try casebook.recordUse(UseEvent(
                tenant: tenant, queryId: use.queryId, precedentId: PrecedentID(use.precedentId), type: type, actor: actor,
                decisionId: use.decisionId, eventId: use.eventId))
        }
        let text = receipt.recorded
            ? "recorded: \(type.rawValue) \(use.precedentId) (rank \(receipt.rank) of query \(use.queryId))"
            : "already recorded (eventId \(use.eventId ?? "")): \(type.rawValue) \(use.precedentId)"
        return (try MCPValues.value(receipt), text)
    }

    private func outcome(_ outcome: ToolArguments.Outcome) async throws(ToolError) -> (Value, String) {
        let name = try collectionName(outcome.collection)
        let receipt = try await library { [tenant] () throws(CasebookError) in
            try casebook.recordOutcome(DecisionOutcome(
                tenant: tenant, decisionId: outcome.decisionId, outcome: outcome.outcome,
                wasSuccessful: outcome.wasSuccessful, action: outcome.action, precedentCollection: name))
        }
        let result = outcome.wasSuccessful.map { $0 ? "worked" : "failed" } ?? "not known yet"
        return (try MCPValues.value(receipt),
                "recorded outcome of \(outcome.decisionId): \(result); \(receipt.precedentsUpdated) precedent(s) updated")
    }

    private func stats(_ stats: ToolArguments.Stats) async throws(ToolError) -> (Value, String) {
        let name = try collectionName(stats.collection)
        func time(_ text: String?, _ field: String) throws(ToolError) -> Date? {
            guard let text else { return nil }
            guard let date = Timestamp.parse(text) else { throw ToolError("\(field) must be an ISO 8601 time") }
            return date
        }
        let top = stats.top ?? 10
        guard (0...100).contains(top) else { throw ToolError("top must be between 0 and 100") }
        let request = MatchStatisticsRequest(
            tenant: tenant, collection: name, since: try time(stats.since, "since"), until: try time(stats.until, "until"),
            topPrecedents: top)
        let figures = try await library { () throws(CasebookError) in try casebook.statistics(request) }
        return (try MCPValues.value(figures), ToolText.statistics(figures))
    }

    // MARK: Helpers

    /// The schema's bound on k (a model's context is no place for a thousand precedents).
    private static func checkK(_ k: Int?, max: Int) throws(ToolError) {
        guard let k else { return }
        guard (1...max).contains(k) else { throw ToolError("k must be between 1 and \(max), got \(k)") }
    }

    /// The configured collection, or the one named (required then).
    private func collectionName(_ named: String?) throws(ToolError) -> String {
        if let collection {
            guard named == nil || named == collection else {
                throw ToolError("this server serves the collection \"\(collection)\" only; omit \"collection\"")
            }
            return collection
        }
        guard let named else {
            let names = casebook.collections.map(\.name).sorted()
            throw ToolError("name a collection: one of \(names.joined(separator: ", "))")
        }
        return named
    }

    /// A library call, off Swift's cooperative pool (``Offloaded``).
    private func library<T: Sendable>(_ body: @escaping @Sendable () throws(CasebookError) -> T) async throws(ToolError) -> T {
        do throws(CasebookError) {
            return try await Offloaded.run(body)
        } catch .item(_, _, let problem) {
            throw ToolError(String(describing: problem))
        } catch {
            throw ToolError(String(describing: error))
        }
    }
}

/// record_precedent's answer.
struct RecordReceipt: Encodable {
    var id: PrecedentID
    var collection: String
}
