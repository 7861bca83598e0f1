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
