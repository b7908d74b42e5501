import Testing

@testable import Casebook

/// The shard hash is FNV-1a 64 as published: its reference values, not ones this code produced.
@Suite struct TenantShardTests {
    @Test func hashIsFNV1a64() {
        // From the FNV reference test suite (fnv_test.c, FNV-1a 64-bit).
        #expect(TenantShard.fnv1a("") == 0xcbf2_9ce4_8422_2325)
        #expect(TenantShard.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(TenantShard.fnv1a("foobar") == 0x8594_4171_f739_67e8)
    }

    @Test func shardsSplitTenantsAndParse() throws {
        let shards = try (0..<3).map { try TenantShard("\($0)/3") }
        for n in 0..<300 {
            let tenant = TenantID("t\(n)")
            #expect(shards.filter { $0.holds(tenant) }.count == 1)
            #expect(shards[TenantShard.shard(of: tenant, count: 3)].holds(tenant))
        }
        for bad in ["3/3", "-1/2", "1", "a/b", "0/0", "1/2/3", ""] {
            #expect(throws: CasebookError.self) { try TenantShard(bad) }
        }
    }
}
