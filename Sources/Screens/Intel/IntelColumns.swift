import Export
import Intel
import Packets
import Traffic
import UI

/// The Country, AS and Consensus columns for any table whose rows have a remote address (flows,
/// hosts, connections, scan results), declared once.
///
/// Text, sort order and export value read only the `AddressEnricher` (thread-safe, so an
/// export worker may call them); the colour reads the model's threshold on the UI thread. Pass
/// `decorator` as the `DataTable.build` cell closure: it asks for a lookup of every address in
/// view (what the user is looking at goes first), shows the consensus explanation on hover and
/// records the consensus cell for tests (role `.cell(address, "Consensus")`, value "2/3").
public enum IntelColumns {
    public static let consensusTitle = "Consensus"
    public static let countryTitle = "Country"
    public static let asTitle = "AS"
    /// The titles of `standard`'s columns.
    public static let titles = [consensusTitle, countryTitle, asTitle]

    /// Consensus, Country and AS, in that order.
    public static func standard<Row>(_ intel: IntelModel, address: @escaping (Row) -> IPAddress?) -> [DataColumn<Row>] {
        [consensus(intel, address: address), country(intel.enricher, address: address), autonomousSystem(intel.enricher, address: address)]
    }

    /// "2/3" (flagged of three) when all three answered; "1/3 (2 answered)" when some gave no
    /// answer (no key, an error); "no answer" when none did — never shown as clean; "—" before
    /// any lookup.
    public static func consensusText(_ consensus: Consensus?) -> String {
        guard let consensus else { return "—" }
        if consensus.answered == 0 { return "no answer" }
        if consensus.answered >= consensus.total { return consensus.text }
        return "\(consensus.text) (\(consensus.answered) answered)"
    }

    /// Flagged ≥ threshold: danger; flagged by some: warning; partly answered: muted.
    public static func consensusColor(_ consensus: Consensus?, intel: IntelModel, theme: Theme) -> Color? {
        guard let consensus else { return theme.mutedText }
        if intel.isFlagged(consensus) { return theme.danger }
        if consensus.flagged > 0 { return theme.warning }
        if consensus.answered < consensus.total { return theme.mutedText }
        return nil
    }

    public static func consensus<Row>(_ intel: IntelModel, address: @escaping (Row) -> IPAddress?) -> DataColumn<Row> {
        let enricher = intel.enricher
        let value: (Row) -> Consensus? = { row in address(row).flatMap { enricher.consensus($0) } }
        // Flagged first, then how many answered; not looked up below all. A sort reads every
        // row's verdict under one lock.
        let key: (Consensus?) -> Int = { consensus in consensus.map { $0.flagged * 1024 + $0.answered } ?? -1 }
        return DataColumn(consensusTitle, width: 120, text: { consensusText(value($0)) }, sortKey: { key(value($0)) },
                          sortKeys: { rows in enricher.consensus(rows.map(address)).map(key) },
                          export: { .string(consensusText(value($0))) },
                          color: { [weak intel] row, theme in intel.flatMap { consensusColor(value(row), intel: $0, theme: theme) } })
    }

    public static func country<Row>(_ enricher: AddressEnricher, address: @escaping (Row) -> IPAddress?) -> DataColumn<Row> {
        let text: (Row) -> String = { row in address(row).map { AddressEnrichment(location: enricher.locationInfo($0)).countryText } ?? "—" }
        let texts: ([Row]) -> [String] = { rows in
            let addresses = rows.map(address)
            return zip(addresses, enricher.locationInfo(addresses)).map { $0 == nil ? "—" : AddressEnrichment(location: $1).countryText }
        }
        return DataColumn(countryTitle, width: 64, text: text, sortKey: text, sortKeys: texts)
    }

    /// "AS15169 GOOGLE"; sorted by AS number.
    public static func autonomousSystem<Row>(_ enricher: AddressEnricher, address: @escaping (Row) -> IPAddress?) -> DataColumn<Row> {
        let text: (Row) -> String = { row in address(row).map { AddressEnrichment(location: enricher.locationInfo($0)).asText } ?? "—" }
        let number: (Row) -> UInt32 = { row in address(row).flatMap { enricher.locationInfo($0)?.asn } ?? 0 }
        let keys: ([Row]) -> [ASSortKey] = { rows in
            let addresses = rows.map(address)
            return zip(addresses, enricher.locationInfo(addresses)).map { address, location in
                address == nil ? ASSortKey(number: 0, text: "—") : ASSortKey(number: location?.asn ?? 0, text: AddressEnrichment(location: location).asText)
            }
        }
        return DataColumn(asTitle, width: 150, text: text, sortKey: { ASSortKey(number: number($0), text: text($0)) }, sortKeys: keys)
    }

    /// "AS15169"; sorted by number.
    public static func asNumber<Row>(_ enricher: AddressEnricher, address: @escaping (Row) -> IPAddress?) -> DataColumn<Row> {
        let number: (Row) -> UInt32? = { row in address(row).flatMap { enricher.locationInfo($0)?.asn } }
        return DataColumn("AS", width: 90, alignment: .right, text: { number($0).map { "AS\($0)" } ?? "—" }, sortKey: { number($0) ?? 0 },
                          export: { number($0).map { .number($0) } ?? .null })
    }

    /// The AS's registered name (offline data; sanitised by the Intel layer).
    public static func asName<Row>(_ enricher: AddressEnricher, address: @escaping (Row) -> IPAddress?) -> DataColumn<Row> {
        let name: (Row) -> String = { row in address(row).flatMap { enricher.locationInfo($0)?.asName } ?? "—" }
        return DataColumn("AS name", width: 150, text: name, sortKey: name)
    }

    /// The cell closure for `DataTable.build`: lookups for rows in view, hover explanation, test
    /// record. `columns` are the table's columns as drawn.
    public static func decorator<Row>(_ ui: UIContext, columns: [DataColumn<Row>], intel: IntelModel,
                                      address: @escaping (Row) -> IPAddress?) -> (TableRow, Row) -> Void {
        let index = columns.firstIndex { $0.title == consensusTitle }
        return { tableRow, row in
            guard let address = address(row) else { return }
            intel.lookUpVisible(address)
            guard let index, let rect = tableRow.cellRect(index) else { return }
            let consensus = intel.consensus(address)
            if ui.recordsItems {
                ui.itemAdd(rect, id: 0, label: "consensus:\(address)", kind: "cell", role: .cell(address.description, consensusTitle),
                           value: consensusText(consensus))
            }
            if ui.mouseOver(rect) {
                ui.showTooltip(consensus?.explanation ?? (intel.isPending(address) ? "Looking up \(address)…" : "\(address) has not been looked up."))
            }
        }
    }

    /// The flow's party on the internet: the global end (a private or local end is this side);
    /// when both ends are global, the responder (the side that was contacted).
    public static func remoteAddress(_ flow: FlowStats) -> IPAddress? {
        let responder = AddressScope.of(flow.responder).isGlobal
        if AddressScope.of(flow.initiator).isGlobal && !responder { return flow.initiator }
        return responder ? flow.responder : nil
    }
}

/// The AS column's order: by number, then the shown text.
struct ASSortKey: Comparable {
    let number: UInt32
    let text: String
    static func < (a: ASSortKey, b: ASSortKey) -> Bool { (a.number, a.text) < (b.number, b.text) }
}
