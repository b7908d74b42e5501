import ArgumentParser
import Casebook
import CommandLineSupport

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe the database's collections.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Count only this tenant's precedents.")
    var tenant: String?

    @Flag(help: "Print JSON.")
    var json = false

    struct CollectionInfo: Encodable {
        var name: String
        var dim: Int
        var metric: String
        var embedder: EmbedderConfig
        var index: IndexConfig
        var count: Int
        var tenant: String?
        /// Tenants with precedents; omitted when one tenant was asked for, so a tenant-scoped
        /// answer says nothing about others.
        var tenants: Int?
        /// hashed-v2: tenants new or doubled since their fit (`casebook reembed --stale`);
        /// omitted for one tenant and for other kinds.
        var staleTenants: Int?
    }

    struct Report: Encodable {
        var database: String
        var collections: [CollectionInfo]
    }

    func run() throws {
        let casebook = try database.open()
        let collections = casebook.collections.map { collection in
            CollectionInfo(
                name: collection.name, dim: collection.spec.dimension,
                metric: collection.spec.metric.rawValue, embedder: collection.spec.embedder,
                index: collection.spec.index,
                count: tenant.map { collection.count(tenant: TenantID($0)) } ?? collection.count,
                tenant: tenant, tenants: tenant == nil ? collection.tenants.count : nil,
                staleTenants: tenant == nil && collection.spec.embedder.kind == EmbedderConfig.hashedV2Kind
                    ? collection.staleTenants().count : nil)
        }
        if json {
            try JSONOutput.print(Report(database: casebook.path, collections: collections))
            return
        }
        print("database \(casebook.path): \(collections.count) collection(s)")
        for c in collections {
            let scope = tenant.map { " for tenant \($0)" } ?? " over \(c.tenants ?? 0) tenant(s)"
            let stale = c.staleTenants.map { $0 > 0 ? "  (\($0) stale: casebook reembed --stale)" : "" } ?? ""
            print("  \(c.name)  dim \(c.dim)  \(c.metric)  embedder \(c.embedder.kind)  index \(c.index.kind)  \(c.count) precedents\(scope)\(stale)")
        }
    }
}
