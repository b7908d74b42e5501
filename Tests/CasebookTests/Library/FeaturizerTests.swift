import Foundation
import Testing

@testable import Casebook

/// hashed-v1 against independent references: scikit-learn's MurmurHash3 and FeatureHasher
/// (values in Tests/Fixtures/featurizer, written by the committed make_murmur_values.py), Unicode
/// equivalences, and hand-worked tokens and weights.
@Suite struct FeaturizerTests {
    static let fixtures = Repository.path("Tests/Fixtures/featurizer")

    struct MurmurRow {
        let key: String
        let hash: Int32
        let buckets: [Int: (bucket: Int, sign: Float)]
    }

    static func murmurRows() throws -> [MurmurRow] {
        let text = try String(contentsOf: fixtures.appendingPathComponent("murmur_values.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try #require(try JSONParser.parse(String(line)).objectValue)
            guard case .string(let key)? = object["key"], case .number(let hash)? = object["hash"] else {
                throw CLIFixtureError.malformed(String(line))
            }
            var buckets: [Int: (Int, Float)] = [:]
            for dims in [256, 512, 1024, 2048] {
                guard case .number(let bucket)? = object["bucket\(dims)"], case .number(let sign)? = object["sign\(dims)"]
                else { throw CLIFixtureError.malformed(String(line)) }
                buckets[dims] = (Int(bucket), Float(sign))
            }
            return MurmurRow(key: key, hash: Int32(hash), buckets: buckets)
        }
    }

    enum CLIFixtureError: Error { case malformed(String) }

    @Test func murmurHashEqualsScikitLearn() throws {
        let rows = try Self.murmurRows()
        #expect(rows.count >= 50)
        for row in rows {
            let hash = MurmurHash3.x86_32(row.key)
            #expect(Int32(bitPattern: hash) == row.hash, "\(row.key)")
            for (dims, expected) in row.buckets {
                let slot = HashedSlot(hash: hash, dimension: dims)
                #expect(slot.bucket == expected.bucket && slot.sign == expected.sign, "\(row.key) at \(dims)")
            }
        }
    }

    /// The featurizer's own tokens hash to the buckets FeatureHasher gives the same strings.
    @Test func featurizerTokensLandWhereFeatureHasherPutsThem() throws {
        let reference = Dictionary(uniqueKeysWithValues: try Self.murmurRows().map { ($0.key, $0) })
        let embedder = try HashedNGramEmbedder(dimension: 1024)
        let precedent = Precedent(
            tenant: "t", category: "ndr_resolution",
            context: ["reason": "customer_unreachable", "attempts": 3, "orderValue": 1448.1546878700494, "cod": true],
            text: "Customer not available", tags: ["cod", "metro"])
        let features = try #require(embedder.features(of: precedent)).features
        var checked = 0
        for feature in features {
            guard let row = reference["\(feature.namespace.rawValue):\(feature.token)"] else { continue }
            #expect(feature.bucket == row.buckets[1024]!.bucket && feature.sign == row.buckets[1024]!.sign)
            checked += 1
        }
        #expect(checked >= 20)
    }

    @Test func intMinHashUsesTwoToThe31() {
        let slot = HashedSlot(hash: 0x8000_0000, dimension: 1000)
        #expect(slot.bucket == Int((UInt64(1) << 31) % 1000) && slot.sign == -1)
    }

    @Test func portableLog2MatchesTheCLibrary() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<10_000 {
            let x = Double.random(in: -40...40, using: &random)
            let value = Foundation.exp2(x)
            #expect(abs(PortableMath.log2(value) - Foundation.log2(value)) <= 4e-15 * max(1, abs(x)))
        }
        #expect(PortableMath.log2(1) == 0 && PortableMath.log2(1024) == 10 && PortableMath.log2(0.5) == -1)
    }

    // MARK: Normalisation

    @Test func normalisationFoldsUnicodeCaseAndSpace() {
        let nfc = "Caf\u{E9} r\u{E9}sum\u{E9}"
        let nfd = "Cafe\u{301} re\u{301}sume\u{301}"
        #expect(nfc.unicodeScalars.count != nfd.unicodeScalars.count)
        #expect(TextNormalizer.normalized(nfc) == TextNormalizer.normalized(nfd))
        #expect(TextNormalizer.normalized("  Ａｄｄｒｅｓｓ\t\n ﬁx   NOW ") == "address fix now")
        #expect(TextNormalizer.normalized("CUSTOMER\u{00A0}\u{2003}Unavailable") == "customer unavailable")
        for text in ["Straße", "İstanbul", "ǅemal", "ＡＢＣ", "x\u{2126}"] {
            let once = TextNormalizer.normalized(text)
            #expect(TextNormalizer.normalized(once) == once, "\(text)")
        }
    }

    @Test func nfcAndNfdEmbedIdentically() throws {
        let embedder = try HashedNGramEmbedder(dimension: 512)
        let nfc = Precedent(tenant: "t", category: "Livraison", context: ["ville": "Orl\u{E9}ans", "r\u{E9}gion": "Centre"], text: "Client absent, d\u{E9}j\u{E0} rappel\u{E9}", tags: ["\u{E9}t\u{E9}"])
        let nfd = Precedent(tenant: "t", category: "Livraison", context: ["ville": "Orle\u{301}ans", "re\u{301}gion": "Centre"], text: "Client absent, de\u{301}ja\u{300} rappele\u{301}", tags: ["e\u{301}te\u{301}"])
        #expect(Array(nfc.text!.unicodeScalars) != Array(nfd.text!.unicodeScalars))
        #expect(try embedder.documentVector(for: nfc) == embedder.documentVector(for: nfd))
    }

    @Test func contextKeyOrderChangesNothing() throws {
        let embedder = try HashedNGramEmbedder(dimension: 1024)
        let first = try Precedent(jsonText: #"{"tenant":"t","context":{"a":1.5,"b":{"x":"one two","y":[3,"z"]},"c":true,"d":null},"text":"x"}"#)
        let second = try Precedent(jsonText: #"{"tenant":"t","context":{"d":null,"c":true,"b":{"y":[3,"z"],"x":"one two"},"a":1.5},"text":"x"}"#)
        let a = try embedder.documentVector(for: first)
        let b = try embedder.documentVector(for: second)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
    }

    // MARK: Tokens

    @Test func textTokensAreWordGramsAndMarkedCharacterGrams() throws {
        let embedder = try HashedNGramEmbedder(dimension: 256)
        let features = try #require(embedder.features(of: Precedent(tenant: "t", text: "Not  available, 2x"))).features
        let words = Set(features.filter { $0.namespace == .word }.map(\.token))
        #expect(words == ["not", "available", "2x", "not available", "available 2x"])
        let chars = features.filter { $0.namespace == .char }.map(\.token)
        #expect(Set(chars).isSuperset(of: ["<no", "not", "ot>", "<not", "not>", "<not>", "<av", "ble>", "<2x", "2x>", "<2x>"]))
        // "<not>" has 3 + 2 + 1 grams; "<available>" 9 + 8 + 7; "<2x>" 2 + 1.
        #expect(chars.count == 6 + 24 + 3)
        let single = try #require(embedder.features(of: Precedent(tenant: "t", text: "plan B 2"))).features
        #expect(Set(single.filter { $0.namespace == .word }.map(\.token)).isSuperset(of: ["b", "2", "b 2"]))
    }

    @Test func contextTokensFollowTheDesign() throws {
        let embedder = try HashedNGramEmbedder(dimension: 1024)
        let precedent = Precedent(
            tenant: "t",
            context: [
                "Reason": "Customer  Unreachable", "attempts": 3, "cod": false, "skip": nil,
                "address": ["pincode": "110001", "lines": ["Flat 4", "MG Road"]], "orderValue": 1448.1546878700494,
                "refund": -8, "utilisation": 0.75,
            ])
        let tokens = Set(try #require(embedder.features(of: precedent)).features.map { "\($0.namespace.rawValue):\($0.token)" })
        #expect(tokens.isSuperset(of: [
            "ctx:reason=customer unreachable", "ctx:reason~w=customer", "ctx:reason~w=unreachable",
            "ctx:attempts=3", "ctx:cod=false", "ctx:address.pincode=110001", "ctx:address.lines=flat 4",
            "ctx:address.lines~w=4", "ctx:address.lines=mg road", "ctx:refund=-8",
        ]))
        #expect(!tokens.contains { $0.hasPrefix("ctx:skip") })
        // 1448.15... is 2^10.5 within rounding: nearly all weight on the 10.5 bucket.
        let value = try #require(embedder.features(of: Precedent(tenant: "t", context: ["v": 1448.1546878700494])))
        let buckets = Dictionary(uniqueKeysWithValues: value.features.map { ($0.token, $0.namespaceWeight) })
        #expect(buckets.keys.allSatisfy { $0 == "v~2^10.5" || $0 == "v~2^11" })
        #expect(buckets["v~2^10.5"]! > 0.999)
        let small = try #require(embedder.features(of: Precedent(tenant: "t", context: ["u": 0.75, "n": -3000])))
        #expect(Set(small.features.map(\.token)).isSuperset(of: ["u~2^-0.5", "u~2^0", "n~-2^11.5", "n~-2^12"]))
    }

    // MARK: Weights and vectors

    /// Sublinear term frequency and namespace weights, worked by hand: one namespace holding
    /// "a" twice and "b" once gives weights (1 + ln 2, 1) before normalisation.
    @Test func weightsAreSublinearAndNormalisedPerNamespace() throws {
        var parameters = HashedNGramParameters(wordNgrams: [1, 1], charNgrams: [3, 3])
        parameters.weights = NamespaceWeights(context: 0, words: 1, chars: 0, tags: 0, category: 0)
        let embedder = try HashedNGramEmbedder(dimension: 2048, parameters: parameters)
        let result = try #require(embedder.features(of: Precedent(tenant: "t", text: "a b a")))
        let weights = Dictionary(uniqueKeysWithValues: result.features.map { ($0.token, $0.weight) })
        let a = 1 + log(2.0)
        let norm = (a * a + 1).squareRoot()
        #expect(abs(weights["a"]! - a / norm) < 1e-12 && abs(weights["b"]! - 1 / norm) < 1e-12)
        // The vector is the signed sum of the features, bucket by bucket.
        var rebuilt = [Double](repeating: 0, count: 2048)
        for feature in result.features { rebuilt[feature.bucket] += Double(feature.sign) * feature.weight }
        #expect(zip(rebuilt, result.vector).allSatisfy { abs($0 - Double($1)) < 1e-7 })
        let norm2 = result.vector.reduce(0) { $0 + Double($1) * Double($1) }
        #expect(abs(norm2 - 1) < 1e-6)
    }

    @Test func everyNamespaceCountsByItsWeight() throws {
        let embedder = try HashedNGramEmbedder(dimension: 2048)
        let precedent = Precedent(
            tenant: "t", category: "ndr_resolution", context: ["reason": "refused"], text: "customer refused", tags: ["cod"])
        let features = try #require(embedder.features(of: precedent)).features
        var mass: [FeatureNamespace: Double] = [:]
        for feature in features { mass[feature.namespace, default: 0] += feature.weight * feature.weight }
        let weights = NamespaceWeights()
        let total = FeatureNamespace.allCases.reduce(0) { $0 + weights[$1] * weights[$1] }
        for namespace in FeatureNamespace.allCases {
            let expected = weights[namespace] * weights[namespace] / total
            #expect(abs(mass[namespace, default: 0] - expected) < 0.02, "\(namespace)")
        }
    }

    // MARK: Near inputs

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    @Test func nearPhrasesAreNear() throws {
        let embedder = try HashedNGramEmbedder()
        func query(_ text: String) throws -> [Float] { try embedder.queryVector(QueryInput(text: text)) }
        let notAvailable = try query("customer not available")
        let unavailable = try query("customer unavailable")
        let unrelated = try query("address incomplete, landmark missing")
        let near = Self.cosine(notAvailable, unavailable)
        let far = Self.cosine(notAvailable, unrelated)
        #expect(near > 0.4 && far < 0.1 && near > far + 0.3, "near \(near) far \(far)")
        // The same through the context.
        func reason(_ value: String) throws -> [Float] { try embedder.queryVector(QueryInput(context: ["reason": .string(value)])) }
        #expect(Self.cosine(try reason("customer not available"), try reason("customer unavailable"))
            > Self.cosine(try reason("customer not available"), try reason("address incomplete")) + 0.2)
    }

    @Test func nearNumbersAreNear() throws {
        let embedder = try HashedNGramEmbedder()
        func value(_ number: Double) throws -> [Float] { try embedder.queryVector(QueryInput(context: ["orderValue": .number(number)])) }
        let close = Self.cosine(try value(1450), try value(1500))
        let far = Self.cosine(try value(1450), try value(90000))
        #expect(close > 0.9 && far < 0.05 && close > far, "close \(close) far \(far)")
        // Continuity: moving a value a little moves the vector a little.
        #expect(Self.cosine(try value(1000), try value(1010)) > Self.cosine(try value(1000), try value(1200)))
    }

    // MARK: Refusals

    @Test func emptyInputAndVectorsAreRefused() throws {
        let embedder = try HashedNGramEmbedder(dimension: 64)
        #expect(throws: CasebookError.self) { try embedder.documentVector(for: Precedent(tenant: "t", text: " ,.; ")) }
        #expect(throws: CasebookError.self) { try embedder.documentVector(for: Precedent(tenant: "t", text: "x", vector: [1])) }
        #expect(throws: CasebookError.self) { try embedder.queryVector(QueryInput()) }
        #expect(throws: CasebookError.self) { try embedder.queryVector(QueryInput(vector: [1, 0], text: "x")) }
        #expect(throws: CasebookError.self) { try HashedNGramEmbedder(dimension: 0) }
        #expect(throws: CasebookError.self) { try HashedNGramEmbedder(parameters: HashedNGramParameters(charNgrams: [5, 3])) }
        #expect(throws: CasebookError.self) {
            try HashedNGramEmbedder(parameters: HashedNGramParameters(weights: NamespaceWeights(context: 0, words: 0, chars: 0, tags: 0, category: 0)))
        }
    }
}
