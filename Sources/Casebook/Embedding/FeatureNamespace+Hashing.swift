/// How each namespace's tokens are hashed: `"<prefix><token>"` through MurmurHash3, with the
/// prefix's first block mixed once per process.
extension FeatureNamespace {
    /// What each token is prefixed with before hashing.
    var prefix: StaticString {
        switch self {
        case .context: return "ctx:"
        case .word: return "word:"
        case .char: return "char:"
        case .tag: return "tag:"
        case .category: return "cat:"
        }
    }

    /// The MurmurHash3 state after the prefix's first four bytes (seed 0).
    var prefixState: UInt32 {
        switch self {
        case .context: return Self.prefixStates.0
        case .word: return Self.prefixStates.1
        case .char: return Self.prefixStates.2
        case .tag: return Self.prefixStates.3
        case .category: return Self.prefixStates.4
        }
    }

    private static let prefixStates: (UInt32, UInt32, UInt32, UInt32, UInt32) = {
        func state(_ namespace: FeatureNamespace) -> UInt32 {
            let prefix = namespace.prefix
            return MurmurHash3.mixBlock(0, UnsafeRawPointer(prefix.utf8Start).loadUnaligned(as: UInt32.self).littleEndian)
        }
        return (state(.context), state(.word), state(.char), state(.tag), state(.category))
    }()
}
