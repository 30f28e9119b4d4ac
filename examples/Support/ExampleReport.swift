import Foundation
import Training

/// The examples' printed tables.
enum ExampleReport {
  /// Each run's objective, and Surgery's task loss and penalty, at about 20 evenly spaced steps
  /// (every step is in each run's `log.jsonl`).
  static func lossCurves(_ runs: [(String, [StepRecord])]) -> String {
    var header = ["step"]
    for (defense, _) in runs {
      header.append("\(defense) loss")
      if defense == "surgery" { header += ["surgery task loss", "surgery penalty"] }
    }
    var rows = [header]
    let steps = runs.map(\.1.count).max() ?? 0
    let every = max(1, steps / 20)
    for i in 0..<steps where (i + 1) % every == 0 || i == 0 || i == steps - 1 {
      var row = ["\(i + 1)"]
      for (defense, records) in runs {
        let r = i < records.count ? records[i] : nil
        row.append(r.map { format($0.loss) } ?? "")
        if defense == "surgery" {
          row += [r.map { format($0.taskLoss) } ?? "", r?.sinkPenalty.map(format) ?? ""]
        }
      }
      rows.append(row)
    }
    return "loss curve\n" + table(rows)
  }

  /// dₕ per layer and head for each set of weights, then the penalty and positive heads.
  static func sinkTable(_ columns: [(String, SinkTables)]) -> String {
    guard let first = columns.first?.1 else { return "" }
    var rows = [["layer", "head"] + columns.map { "d_h \($0.0)" }]
    for layer in 0..<first.layers {
      for head in 0..<first.heads {
        rows.append(
          ["\(layer)", "\(head)"]
            + columns.map { String(format: "%+.4f", $0.1.divergence[layer][head]) })
      }
    }
    rows.append(["penalty", ""] + columns.map { String(format: "%.4f", $0.1.penalty) })
    rows.append(["heads d_h > 0", ""] + columns.map { "\($0.1.positiveHeads)" })
    return "sink table: d_h = alpha_h(harmful) - alpha_h(safe) at key \(first.sink), "
      + "\(first.samples) harmful and \(first.samples) safe held-out pairs\n" + table(rows)
  }

  /// Right-aligned columns separated by two spaces.
  static func table(_ rows: [[String]]) -> String {
    let widths = (0..<(rows.first?.count ?? 0)).map { c in rows.map { $0[c].count }.max() ?? 0 }
    return rows.map { row in
      zip(row, widths).map { String(repeating: " ", count: $1 - $0.count) + $0 }
        .joined(separator: "  ")
    }.joined(separator: "\n")
  }
}
