import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A one-line progress bar on standard error: count, bar, rate, ETA and custom fields.
/// Redrawn at most ten times a second; plain lines instead when stderr is not a terminal.
struct ProgressBar {
  let total: Int
  let label: String
  let start = Date()
  var lastDraw = Date.distantPast
  let isTerminal = isatty(2) != 0

  init(total: Int, label: String) {
    self.total = max(total, 1)
    self.label = label
  }

  mutating func update(_ done: Int, fields: String = "") {
    let now = Date()
    let finished = done >= total
    let interval = isTerminal ? 0.1 : 5.0
    guard finished || now.timeIntervalSince(lastDraw) >= interval else { return }
    lastDraw = now
    let elapsed = now.timeIntervalSince(start)
    let rate = elapsed > 0 ? Double(done) / elapsed : 0
    let eta = rate > 0 ? Double(total - done) / rate : 0
    let width = 24
    let filled = Int(Double(width) * Double(done) / Double(total))
    let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
    let line =
      "\(label) \(bar) \(done)/\(total) \(String(format: "%.1f", rate))/s ETA \(formatDuration(eta)) \(fields)"
    if isTerminal {
      FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line + (finished ? "\n" : "")).utf8))
    } else {
      FileHandle.standardError.write(Data((line + "\n").utf8))
    }
  }
}

func formatDuration(_ seconds: Double) -> String {
  let s = Int(seconds.rounded())
  return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
}
