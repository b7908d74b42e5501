import Casebook
import Foundation
import Hummingbird

/// The match log: `/v1/matches/{queryId}/uses`, `/v1/decisions/{decisionId}/outcome`, `/v1/stats`.
struct MatchesController {
    let casebook: Casebook
    let limit: Int

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.post("matches/:queryId/uses") { request, context in
            var request = request
            let event = try await RequestBody.decode(UseBody.self, &request, limit: limit)
                .event(queryId: context.parameters.get("queryId") ?? "")
            let receipt = try await LibraryCall.onWriteQueue { [casebook] () throws(CasebookError) in try casebook.recordUse(event) }
            return try JSONResponse.make(receipt, status: receipt.recorded ? .created : .ok)
        }
        routes.post("decisions/:decisionId/outcome") { request, context in
            var request = request
            let outcome = try await RequestBody.decode(OutcomeBody.self, &request, limit: limit)
                .outcome(decisionId: context.parameters.get("decisionId") ?? "")
            let receipt = try await LibraryCall.onWriteQueue { [casebook] () throws(CasebookError) in try casebook.recordOutcome(outcome) }
            return try JSONResponse.make(receipt)
        }
        routes.get("stats") { request, _ in
            let parameters = request.uri.queryParameters
            guard let tenant = parameters.get("tenant"), !tenant.isEmpty else { throw APIError.missingTenant(in: "the query parameter") }
            guard let collection = parameters.get("collection") else {
                throw APIError.malformed("missing query parameter \"collection\"")
            }
            func time(_ key: String) throws(APIError) -> Date? {
                guard let text = parameters.get(key) else { return nil }
                guard let date = Timestamp.parse(text) else { throw RequestBody.type(key, "an ISO 8601 date or time") }
                return date
            }
            var statistics = MatchStatisticsRequest(
                tenant: TenantID(tenant), collection: collection, since: try time("since"), until: try time("until"))
            if let top = parameters.get("top") {
                guard let value = Int(top), value >= 0 else { throw RequestBody.type("top", "a non-negative integer") }
                statistics.topPrecedents = value
            }
            let result = try await LibraryCall.onWriteQueue { [casebook, statistics] () throws(CasebookError) in
                try casebook.statistics(statistics)
            }
            return try JSONResponse.make(result)
        }
        return routes
    }
}
