/// One program run exactly as a backend would run it: an argument array (never a shell line)
/// and, for batched updates, a script on standard input. Dry runs print these.
public struct FirewallCommand: Equatable, Sendable, CustomStringConvertible {
    /// The program name (`nft`, `ipset`, `netsh`, `pfctl`), looked up in the system folders.
    public var program: String
    public var arguments: [String]
    /// Fed to the program's standard input (`nft -f -`, `ipset restore`), if any.
    public var standardInput: String?

    public init(_ program: String, _ arguments: [String], standardInput: String? = nil) {
        self.program = program
        self.arguments = arguments
        self.standardInput = standardInput
    }

    /// The argument array with the program first.
    public var argv: [String] { [program] + arguments }

    /// For dry runs and error messages: arguments quoted where needed, the input after it.
    public var description: String {
        let line = argv.map(Self.quoted).joined(separator: " ")
        guard let standardInput else { return line }
        return line + " <<'EOF'\n" + standardInput + (standardInput.hasSuffix("\n") ? "" : "\n") + "EOF"
    }

    static func quoted(_ argument: String) -> String {
        let plain = argument.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || scalar.properties.numericType != nil || "-_./:=,@+%".unicodeScalars.contains(scalar))
        }
        return plain && !argument.isEmpty ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// What a finished command printed.
public struct CommandResult: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String

    public init(status: Int32, standardOutput: String, standardError: String) {
        self.status = status
        self.standardOutput = standardOutput
        self.standardError = standardError
    }
}

/// Runs firewall commands. The real one starts processes; a namespaced one prefixes
/// `ip netns exec NAME` (tests, benchmarks); every command a backend makes goes through here.
public protocol CommandRunner: Sendable {
    func run(_ command: FirewallCommand) throws -> CommandResult
}

extension CommandRunner {
    /// Runs `command` and throws `commandFailed` (with its stderr) on a non-zero exit.
    @discardableResult
    public func check(_ command: FirewallCommand) throws -> CommandResult {
        let result = try run(command)
        guard result.status == 0 else {
            let shown = command.standardInput == nil ? command.description : command.argv.map(FirewallCommand.quoted).joined(separator: " ")
            throw FirewallError.commandFailed(command: shown, status: result.status,
                                              output: result.standardError.isEmpty ? result.standardOutput : result.standardError)
        }
        return result
    }
}
