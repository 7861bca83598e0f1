#if canImport(Glibc)
import Glibc
#endif

/// ISO 8601 timestamps in UTC ("2023-11-14T22:13:20.123Z"): sortable as text, unambiguous across
/// time zones, and parsed by every spreadsheet, `jq`'s `fromdate` family and log shippers.
public enum ISO8601 {
    /// - Parameter fractionDigits: 0 (seconds), 3 (milliseconds, the default), 6 or 9.
    public static func string(nanosecondsSinceEpoch nanoseconds: Int64, fractionDigits: Int = 3) -> String {
        precondition([0, 3, 6, 9].contains(fractionDigits), "fractionDigits is 0, 3, 6 or 9")
        // Floor division, so times before 1970 still get a fraction in 0..<1 s.
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 { seconds -= 1; fraction += 1_000_000_000 }
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return String(seconds) }
        var text = padded(Int(parts.tm_year) + 1900, 4) + "-" + padded(Int(parts.tm_mon) + 1, 2) + "-" + padded(Int(parts.tm_mday), 2)
        text += "T" + padded(Int(parts.tm_hour), 2) + ":" + padded(Int(parts.tm_min), 2) + ":" + padded(Int(parts.tm_sec), 2)
        if fractionDigits > 0 {
            var divisor: Int64 = 1
            for _ in fractionDigits..<9 { divisor *= 10 }
            text += "." + padded(Int(fraction / divisor), fractionDigits)
        }
        return text + "Z"
    }

    /// Now, from the realtime clock, in nanoseconds since the epoch.
    public static func nowNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
