/// Arithmetic on values that come from files, packets or the command line: it clamps at the
/// type's bounds instead of trapping. A timestamp near the end of `Int64` (a pcapng packet dated
/// after 2262) plus a timeout must stay a very late time, not crash the process.
extension FixedWidthInteger {
    @inline(__always)
    public func saturatingAdding(_ other: Self) -> Self {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    @inline(__always)
    public func saturatingSubtracting(_ other: Self) -> Self {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other > 0 ? .min : .max
    }

    @inline(__always)
    public func saturatingMultiplying(by other: Self) -> Self {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) != (other < 0) ? .min : .max
    }
}

extension Int64 {
    /// `value` rounded towards zero and clamped to `Int64`'s range; NaN becomes 0. For doubles
    /// read from a store or a file, where `Int64(_:)` would trap on anything out of range.
    public init(clamping value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9_223_372_036_854_775_807.0 {
            self = .max
        } else if value <= -9_223_372_036_854_775_808.0 {
            self = .min
        } else {
            self = Int64(value)
        }
    }
}
