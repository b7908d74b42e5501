/// Logarithms computed with IEEE-exact operations only (+, -, *, /, and the exact exponent and
/// significand split), in a fixed order. Platform `log`/`log2` may differ in the last bit between
/// C libraries; these give the same bits everywhere, which `hashed-v1`'s golden vectors require.
enum PortableMath {
    /// log2(x) for finite x > 0, accurate to about 1e-16 relative.
    static func log2(_ x: Double) -> Double {
        precondition(x > 0 && x.isFinite, "log2 of a non-positive or non-finite value")
        // x = s * 2^e with s in [1, 2); move s into [sqrt(1/2), sqrt(2)) so the series below
        // converges fast on both sides of 1.
        var exponent = Double(x.exponent)
        var s = x.significand
        if s > 1.4142135623730951 {
            s /= 2
            exponent += 1
        }
        // ln(s) = 2 atanh(t), t = (s - 1) / (s + 1), |t| < 0.172: 2 (t + t^3/3 + t^5/5 + ...).
        let t = (s - 1) / (s + 1)
        let t2 = t * t
        var power = t
        var sum = 0.0
        var denominator = 1.0
        for _ in 0..<12 {
            sum += power / denominator
            power *= t2
            denominator += 2
        }
        return exponent + 2 * sum * log2e
    }

    /// Natural logarithm, through `log2`.
    static func ln(_ x: Double) -> Double { log2(x) * ln2 }

    static let log2e = 1.4426950408889634
    static let ln2 = 0.6931471805599453
}
