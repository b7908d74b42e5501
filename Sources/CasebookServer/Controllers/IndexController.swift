import Casebook
import Hummingbird

/// `/v1/collections/{name}/index`: describe the index, and train it (IVF; a flat collection
/// trained becomes IVF). Searches and writes go on while k-means runs; only the switch holds
/// writes.
struct IndexController {
    let casebook: Casebook
    let limit: Int

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("collections/:name/index") { _, context in
            let name = context.parameters.get("name") ?? ""
            let info = try LibraryCall.inTask { [casebook] () throws(CasebookError) in try casebook.collection(name).indexInfo }
            return try JSONResponse.make(info)
        }
        routes.post("collections/:name/index/train") { request, context in
            let name = context.parameters.get("name") ?? ""
            var request = request
            // The body is optional: without one, the stored parameters train.
            let body = try await RequestBody.decode(TrainBody.self, &request, limit: limit, orWhenEmpty: TrainBody())
            let report = try await LibraryCall.onWriteQueue { [casebook] () throws(CasebookError) in
                try casebook.collection(name).trainIndex(
                    nlist: body.nlist, sampleRows: body.sample, targetRecall: body.targetRecall)
            }
            return try JSONResponse.make(report)
        }
        return routes
    }
}
