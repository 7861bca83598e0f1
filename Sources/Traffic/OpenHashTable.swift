import Packets

/// A key with a cheap, well-mixed 64-bit hash. The traffic tables are on the per-packet hot path,
/// where SipHash-based `Hasher` costs more than the rest of the aggregation put together.
public protocol TableKey: Equatable {
    var tableHash: UInt64 { get }
}

/// Open addressing with linear probing and backward-shift deletion (no tombstones), so lookups
/// stay short after the expiry sweeps that remove thousands of idle flows.
///
/// A byte per slot holds 7 bits of the hash (high bit set = occupied); probing compares that
/// byte before touching the key. Slots are manually managed memory: the table is a class and is
/// owned by exactly one thread (the consumer of the capture ring).
///
/// Its stored properties opt out of Swift's dynamic exclusivity checks: the table is touched for
/// every packet, and the checks (a thread-local access set per property access) cost a quarter of
/// the aggregation time in the benchmark. Single ownership is the design, not an accident.
public final class OpenHashTable<Key: TableKey, Value> {
    @exclusivity(unchecked) private var tags: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var keys: UnsafeMutablePointer<Key>
    @exclusivity(unchecked) private var values: UnsafeMutablePointer<Value>
    @exclusivity(unchecked) private var mask: Int
    @exclusivity(unchecked) public private(set) var count = 0
    public var capacity: Int { mask + 1 }

    public init(minimumCapacity: Int = 1024) {
        var size = 16
        while size < minimumCapacity * 4 / 3 + 1 { size <<= 1 }
        mask = size - 1
        tags = .allocate(capacity: size)
        tags.initialize(repeating: 0, count: size)
        keys = .allocate(capacity: size)
        values = .allocate(capacity: size)
    }

    deinit {
        for slot in 0...mask where tags[slot] != 0 {
            (keys + slot).deinitialize(count: 1)
            (values + slot).deinitialize(count: 1)
        }
        tags.deallocate()
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always) private static func tag(_ hash: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: hash >> 57) | 0x80 }

    /// The slot holding `key`, or nil.
    @inline(__always)
    public func slot(of key: Key) -> Int? {
        let hash = key.tableHash
        let tag = Self.tag(hash)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let current = tags[slot]
            if current == 0 { return nil }
            if current == tag && keys[slot] == key { return slot }
            slot = (slot &+ 1) & mask
        }
    }

    /// The slot holding `key`, inserting `makeValue()` first when it is absent.
    @inline(__always)
    public func slot(forInserting key: Key, makeValue: () -> Value) -> (slot: Int, inserted: Bool) {
        if count >= capacity - capacity / 4 { grow() }
        let hash = key.tableHash
        let tag = Self.tag(hash)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let current = tags[slot]
            if current == 0 {
                tags[slot] = tag
                (keys + slot).initialize(to: key)
                (values + slot).initialize(to: makeValue())
                count += 1
                return (slot, true)
            }
            if current == tag && keys[slot] == key { return (slot, false) }
            slot = (slot &+ 1) & mask
        }
    }

    /// Direct access to the value in an occupied slot (from `slot(of:)` / `slot(forInserting:)`).
    @inline(__always)
    public subscript(slot slot: Int) -> Value {
        _read { yield values[slot] }
        _modify { yield &values[slot] }
    }

    @inline(__always) public func key(atSlot slot: Int) -> Key { keys[slot] }

    public subscript(key: Key) -> Value? {
        guard let slot = slot(of: key) else { return nil }
        return values[slot]
    }

    /// Calls `body` for every entry, in slot order.
    public func forEach(_ body: (Key, Value) throws -> Void) rethrows {
        for slot in 0...mask where tags[slot] != 0 { try body(keys[slot], values[slot]) }
    }

    public var allValues: [Value] {
        var result: [Value] = []
        result.reserveCapacity(count)
        forEach { result.append($1) }
        return result
    }

    /// Removes every entry for which `shouldRemove` is true; returns how many were removed.
    @discardableResult
    public func removeAll(where shouldRemove: (Key, Value) -> Bool) -> Int {
        var removed = 0
        var slot = 0
        // Backward-shift deletion may move a later entry into the freed slot, so the slot is
        // examined again before moving on. An entry that wrapped around from the start can be
        // examined twice, which is harmless because the predicate gives the same answer.
        while slot <= mask {
            if tags[slot] != 0 && shouldRemove(keys[slot], values[slot]) {
                delete(at: slot)
                removed += 1
            } else {
                slot += 1
            }
        }
        return removed
    }

    /// `removeAll(where:)` that hands each removed value to `removing` (moved out, not copied
    /// twice) before its slot is reused.
    @discardableResult
    public func removeAll(where shouldRemove: (Key, Value) -> Bool, removing: (inout Value) -> Void) -> Int {
        var removed = 0
        var slot = 0
        while slot <= mask {
            if tags[slot] != 0 && shouldRemove(keys[slot], values[slot]) {
                removing(&values[slot])
                delete(at: slot)
                removed += 1
            } else {
                slot += 1
            }
        }
        return removed
    }

    public func removeAll() {
        for slot in 0...mask where tags[slot] != 0 {
            (keys + slot).deinitialize(count: 1)
            (values + slot).deinitialize(count: 1)
            tags[slot] = 0
        }
        count = 0
    }

    private func delete(at start: Int) {
        (keys + start).deinitialize(count: 1)
        (values + start).deinitialize(count: 1)
        tags[start] = 0
        count -= 1
        var hole = start
        var probe = start
        while true {
            probe = (probe &+ 1) & mask
            if tags[probe] == 0 { return }
            let home = Int(truncatingIfNeeded: keys[probe].tableHash) & mask
            // Leave the entry where it is if its home lies cyclically in (hole, probe].
            let stays = hole <= probe ? (hole < home && home <= probe) : (hole < home || home <= probe)
            if stays { continue }
            tags[hole] = tags[probe]
            (keys + hole).moveInitialize(from: keys + probe, count: 1)
            (values + hole).moveInitialize(from: values + probe, count: 1)
            tags[probe] = 0
            hole = probe
        }
    }

    private func grow() {
        let oldTags = tags, oldKeys = keys, oldValues = values, oldSize = mask + 1
        let newSize = oldSize * 2
        tags = .allocate(capacity: newSize)
        tags.initialize(repeating: 0, count: newSize)
        keys = .allocate(capacity: newSize)
        values = .allocate(capacity: newSize)
        mask = newSize - 1
        for old in 0..<oldSize where oldTags[old] != 0 {
            var slot = Int(truncatingIfNeeded: oldKeys[old].tableHash) & mask
            while tags[slot] != 0 { slot = (slot &+ 1) & mask }
            tags[slot] = oldTags[old]
            (keys + slot).moveInitialize(from: oldKeys + old, count: 1)
            (values + slot).moveInitialize(from: oldValues + old, count: 1)
        }
        oldTags.deallocate()
        oldKeys.deallocate()
        oldValues.deallocate()
    }
}

extension IPAddress: TableKey {
    @inline(__always) public var tableHash: UInt64 { mixedHash }
}
