import Foundation

/// The Beta(α, β) distribution: the posterior of a success rate after a Beta prior and weighted
/// successes and failures. Suggestions take their estimate (the mean) and interval (quantiles)
/// from it. Computed in Double; the CDF is the regularized incomplete beta function, evaluated by
/// its continued fraction (modified Lentz), which converges fast on the side of the mode it is used.
public struct BetaDistribution: Sendable, Hashable {
    public let alpha: Double
    public let beta: Double

    /// Both parameters must be positive and finite.
    public init(alpha: Double, beta: Double) {
        precondition(alpha > 0 && beta > 0 && alpha.isFinite && beta.isFinite, "Beta parameters must be positive")
        self.alpha = alpha
        self.beta = beta
    }

    public var mean: Double { alpha / (alpha + beta) }

    /// P(X ≤ x), the regularized incomplete beta function I_x(α, β).
    public func cdf(_ x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(alpha + beta) - lgamma(alpha) - lgamma(beta) + alpha * log(x) + beta * log1p(-x)
        // The fraction converges quickly for x below the mean-ish point; above it, use the symmetry
        // I_x(a, b) = 1 − I_{1−x}(b, a).
        if x < (alpha + 1) / (alpha + beta + 2) {
            return exp(logFront) * Self.fraction(x, alpha, beta) / alpha
        }
        return 1 - exp(logFront) * Self.fraction(1 - x, beta, alpha) / beta
    }

    /// The x with P(X ≤ x) = p, by bisection (the CDF is monotone; 64 halvings reach Double's
    /// resolution on [0, 1]).
    public func quantile(_ p: Double) -> Double {
        if p <= 0 { return 0 }
        if p >= 1 { return 1 }
        var low = 0.0
        var high = 1.0
        for _ in 0..<64 {
            let middle = (low + high) / 2
            if cdf(middle) < p { low = middle } else { high = middle }
            if high - low < 1e-12 { break }
        }
        return (low + high) / 2
    }

    /// The continued fraction of I_x(a, b) (without its front factor).
    private static func fraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        func guarded(_ value: Double) -> Double { abs(value) < tiny ? tiny : value }
        var c = 1.0
        var d = 1 / guarded(1 - (a + b) * x / (a + 1))
        var h = d
        for m in 1...500 {
            let m = Double(m)
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 / guarded(1 + even * d)
            c = guarded(1 + even / c)
            h *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 / guarded(1 + odd * d)
            c = guarded(1 + odd / c)
            let step = d * c
            h *= step
            if abs(step - 1) < 1e-15 { break }
        }
        return h
    }
}
