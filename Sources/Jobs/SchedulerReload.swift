import Dispatch
import Schedule

extension Scheduler {
    /// Re-reads the jobs every `seconds`, so jobs added, edited or removed by another process
    /// (`netscouter schedule add` while the daemon or the window runs) are picked up without a
    /// restart. Reading a few rows costs nothing next to a scan; cancel the timer to stop.
    public func reloadPeriodically(every seconds: Double) -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        let interval = DispatchTimeInterval.milliseconds(Int(seconds * 1000))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(Int(seconds * 100)))
        timer.setEventHandler { [weak self] in try? self?.reload() }
        timer.resume()
        return timer
    }
}
