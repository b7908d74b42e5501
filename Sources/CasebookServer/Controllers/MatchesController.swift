import Casebook
import Foundation
import Hummingbird

/// The match log: `/v1/matches/{queryId}/uses`, `/v1/decisions/{decisionId}/outcome`, `/v1/stats`.
struct MatchesController {
    let casebook: Casebook
    let limit: Int

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/matches/:queryId/uses") { request, context in
            var request = request
            let body = try await JSONBody(
                &request, limit: limit, allowed: ["tenant", "precedentId", "type", "actor", "decisionId", "eventId"])
            let typeName = try body.require("type")
            guard let type = UseType(rawValue: typeName) else {
                throw APIError(.unprocessableContent, "invalid_value", "type must be viewed, cited, applied or rejected")
            }
            let event = UseEvent(
                tenant: try body.tenant(), queryId: context.parameters.get("queryId") ?? "",
                precedentId: PrecedentID(try body.require("precedentId")), type: type, actor: try body.string("actor"),
                decisionId: try body.string("decisionId"), eventId: try body.string("eventId"))
            let receipt = try await Blocking.write { [casebook] () throws(CasebookError) in try casebook.recordUse(event) }
            return try JSONResponse.make(receipt, status: receipt.recorded ? .created : .ok)
        }
        router.post("/v1/decisions/:decisionId/outcome") { request, context in
            var request = request
            let body = try await JSONBody(
                &request, limit: limit, allowed: ["tenant", "outcome", "wasSuccessful", "collection"])
            guard body.fields.keys.contains("wasSuccessful") else {
                throw APIError.malformed("missing field \"wasSuccessful\" (true, false or null for unknown)")
            }
            let outcome = DecisionOutcome(
                tenant: try body.tenant(), decisionId: context.parameters.get("decisionId") ?? "",
                outcome: try body.string("outcome"), wasSuccessful: try body.bool("wasSuccessful"),
                precedentCollection: try body.string("collection"))
            let receipt = try await Blocking.write { [casebook] () throws(CasebookError) in try casebook.recordOutcome(outcome) }
            return try JSONResponse.make(receipt)
        }
        router.get("/v1/stats") { request, _ in
            let parameters = request.uri.queryParameters
            guard let tenant = parameters.get("tenant"), !tenant.isEmpty else { throw APIError(.missingTenant) }
            guard let collection = parameters.get("collection") else {
                throw APIError.malformed("missing query parameter \"collection\"")
            }
            func time(_ key: String) throws(APIError) -> Date? { try JSONBody.date(parameters.get(key), key) }
            var statistics = MatchStatisticsRequest(
                tenant: TenantID(tenant), collection: collection, since: try time("since"), until: try time("until"))
            if let top = parameters.get("top") {
                guard let value = Int(top), value >= 0 else { throw JSONBody.type("top", "a non-negative integer") }
                statistics.topPrecedents = value
            }
            let result = try await Blocking.write { [casebook, statistics] () throws(CasebookError) in
                try casebook.statistics(statistics)
            }
            return try JSONResponse.make(result)
        }
    }
}
