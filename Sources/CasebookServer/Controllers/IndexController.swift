import Casebook
import Hummingbird

/// `/v1/collections/{name}/index`: describe the index, and train it (IVF; a flat collection
/// trained becomes IVF). Training blocks writes to the collection, not searches.
struct IndexController {
    let casebook: Casebook
    let limit: Int

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/collections/:name/index") { _, context in
            let name = context.parameters.get("name") ?? ""
            let info = try Blocking.run { [casebook] () throws(CasebookError) in try casebook.collection(name).indexInfo }
            return try JSONResponse.make(info)
        }
        router.post("/v1/collections/:name/index/train") { request, context in
            let name = context.parameters.get("name") ?? ""
            var request = request
            let body = try await JSONBody(&request, limit: limit, allowed: ["nlist", "sample"])
            let nlist = try body.int("nlist"), sample = try body.int("sample")
            let report = try await Blocking.write { [casebook] () throws(CasebookError) in
                try casebook.collection(name).trainIndex(nlist: nlist, sampleRows: sample)
            }
            return try JSONResponse.make(report)
        }
    }
}
