import Foundation

/// Lays a `Chart` out as `DrawCommand`s: the one place that decides geometry.
public enum ChartLayout {
  /// Text scale of titles and of axis labels / ticks.
  static let titleSize = 2
  static let labelSize = 2
  static let tickSize = 1

  /// The width in pixels of `text` at `size` (6 px advance per character at scale 1).
  public static func textWidth(_ text: String, size: Int) -> Double {
    Double(text.count * 6 * size)
  }

  /// About `count` round tick values covering [low, high] (steps of 1, 2 or 5 × 10^k).
  public static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
    guard high > low, low.isFinite, high.isFinite else { return [low] }
    let raw = (high - low) / Double(max(count, 1))
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
    var out: [Double] = []
    var v = ceil(low / step - 1e-9) * step
    while v <= high + step * 1e-9 {
      out.append(abs(v) < step * 1e-9 ? 0 : v)
      v += step
    }
    return out
  }

  /// A short label for a tick value.
  public static func format(_ v: Double) -> String {
    if v == v.rounded(), abs(v) < 1e9 { return String(Int(v)) }
    return String(format: "%.3g", v)
  }

  /// The drawing of `chart`.
  public static func commands(_ chart: Chart) -> [DrawCommand] {
    let w = Double(chart.width)
    let h = Double(chart.height)
    var out: [DrawCommand] = [.rect(x: 0, y: 0, width: w, height: h, fill: .white, stroke: nil)]
    out.append(
      .text(
        chart.title, x: w / 2, y: 18, size: titleSize, anchor: .middle, color: .black,
        vertical: false))
    let rightMargin: Double
    switch chart.kind {
    case .line(let s), .scatter(let s):
      let longest = s.map { textWidth($0.name, size: tickSize) }.max() ?? 0
      rightMargin = longest + 48
    case .heatMap: rightMargin = 110
    }
    let plot = (
      x: 76.0, y: 40.0, width: max(w - 76 - rightMargin, 40), height: max(h - 40 - 56, 40)
    )
    out.append(
      .text(
        chart.xLabel, x: plot.x + plot.width / 2, y: h - 14, size: labelSize, anchor: .middle,
        color: .black, vertical: false))
    out.append(
      .text(
        chart.yLabel, x: 14, y: plot.y + plot.height / 2, size: labelSize, anchor: .middle,
        color: .black, vertical: true))
    switch chart.kind {
    case .line(let series): out += xyPlot(series, connect: true, plot: plot)
    case .scatter(let series): out += xyPlot(series, connect: false, plot: plot)
    case .heatMap(let data): out += heatMap(data, plot: plot)
    }
    return out
  }

  typealias Box = (x: Double, y: Double, width: Double, height: Double)

  static func xyPlot(_ series: [ChartSeries], connect: Bool, plot: Box) -> [DrawCommand] {
    var out: [DrawCommand] = []
    let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
    var (x0, x1) = (points.map(\.x).min() ?? 0, points.map(\.x).max() ?? 1)
    var (y0, y1) = (min(points.map(\.y).min() ?? 0, 0), points.map(\.y).max() ?? 1)
    if x1 <= x0 { (x0, x1) = (x0 - 1, x1 + 1) }
    if y1 <= y0 { y1 = y0 + 1 }
    let xPad = (x1 - x0) * 0.05
    (x0, x1) = (x0 - xPad, x1 + xPad)
    y1 += (y1 - y0) * 0.08
    func px(_ x: Double) -> Double { plot.x + (x - x0) / (x1 - x0) * plot.width }
    func py(_ y: Double) -> Double { plot.y + plot.height - (y - y0) / (y1 - y0) * plot.height }
    for t in ticks(y0, y1) {
      out.append(
        .line(
          x1: plot.x, y1: py(t), x2: plot.x + plot.width, y2: py(t), color: .lightGray, width: 1))
      out.append(
        .text(
          format(t), x: plot.x - 6, y: py(t), size: tickSize, anchor: .end, color: .black,
          vertical: false))
    }
    for t in ticks(x0, x1) {
      out.append(
        .line(
          x1: px(t), y1: plot.y + plot.height, x2: px(t), y2: plot.y + plot.height + 4,
          color: .black, width: 1))
      out.append(
        .text(
          format(t), x: px(t), y: plot.y + plot.height + 12, size: tickSize, anchor: .middle,
          color: .black, vertical: false))
    }
    out.append(
      .rect(x: plot.x, y: plot.y, width: plot.width, height: plot.height, fill: nil, stroke: .black)
    )
    for (i, s) in series.enumerated() {
      let color = s.color ?? RGB.palette[i % RGB.palette.count]
      let visible = s.points.filter { $0.x.isFinite && $0.y.isFinite }
      if connect, visible.count > 1 {
        out.append(
          .polyline(visible.map { ChartPoint(px($0.x), py($0.y)) }, color: color, width: 2))
      }
      for p in visible {
        out.append(.circle(x: px(p.x), y: py(p.y), radius: connect ? 3 : 4, fill: color))
        if let label = p.label {
          out.append(
            .text(
              label, x: px(p.x) + 6, y: py(p.y) - 6, size: tickSize, anchor: .start, color: .black,
              vertical: false))
        }
      }
      // Legend entry.
      let ly = plot.y + 8 + Double(i) * 16
      let lx = plot.x + plot.width + 12
      out.append(.line(x1: lx, y1: ly, x2: lx + 18, y2: ly, color: color, width: connect ? 2 : 0))
      out.append(.circle(x: lx + 9, y: ly, radius: 3, fill: color))
      out.append(
        .text(
          s.name, x: lx + 24, y: ly, size: tickSize, anchor: .start, color: .black, vertical: false)
      )
    }
    return out
  }

  static func heatMap(_ data: HeatMapData, plot: Box) -> [DrawCommand] {
    var out: [DrawCommand] = []
    let rows = data.values.count
    let columns = data.values.map(\.count).max() ?? 0
    guard rows > 0, columns > 0 else { return out }
    let finite = data.values.flatMap { $0 }.filter(\.isFinite)
    let limit = data.limit ?? max(finite.map(abs).max() ?? 1, 1e-12)
    let cw = plot.width / Double(columns)
    let ch = plot.height / Double(rows)
    for (r, row) in data.values.enumerated() {
      for (c, v) in row.enumerated() {
        out.append(
          .rect(
            x: plot.x + Double(c) * cw, y: plot.y + Double(r) * ch, width: cw, height: ch,
            fill: RGB.diverging(v.isFinite ? max(-1, min(1, v / limit)) : .nan), stroke: nil))
        if let link = data.cellLink {
          out.append(
            .link(
              link.replacingOccurrences(of: "{row}", with: String(r))
                .replacingOccurrences(of: "{column}", with: String(c)),
              x: plot.x + Double(c) * cw, y: plot.y + Double(r) * ch, width: cw, height: ch))
        }
      }
    }
    out.append(
      .rect(x: plot.x, y: plot.y, width: plot.width, height: plot.height, fill: nil, stroke: .black)
    )
    let every = max(1, Int((12 / cw).rounded(.up)))
    for c in stride(from: 0, to: columns, by: every) {
      out.append(
        .text(
          String(c), x: plot.x + (Double(c) + 0.5) * cw, y: plot.y + plot.height + 12,
          size: tickSize, anchor: .middle, color: .black, vertical: false))
    }
    let everyRow = max(1, Int((10 / ch).rounded(.up)))
    for r in stride(from: 0, to: rows, by: everyRow) {
      out.append(
        .text(
          String(r), x: plot.x - 6, y: plot.y + (Double(r) + 0.5) * ch, size: tickSize,
          anchor: .end, color: .black, vertical: false))
    }
    // Colour bar: top = +limit, bottom = -limit.
    let bx = plot.x + plot.width + 24
    let steps = 64
    let sh = plot.height / Double(steps)
    for i in 0..<steps {
      let t = 1 - 2 * (Double(i) + 0.5) / Double(steps)
      out.append(
        .rect(
          x: bx, y: plot.y + Double(i) * sh, width: 16, height: sh + 0.5, fill: RGB.diverging(t),
          stroke: nil))
    }
    out.append(.rect(x: bx, y: plot.y, width: 16, height: plot.height, fill: nil, stroke: .black))
    for (t, y) in [(limit, plot.y), (0, plot.y + plot.height / 2), (-limit, plot.y + plot.height)] {
      out.append(.line(x1: bx + 16, y1: y, x2: bx + 20, y2: y, color: .black, width: 1))
      out.append(
        .text(
          format(t), x: bx + 23, y: y, size: tickSize, anchor: .start, color: .black,
          vertical: false))
    }
    return out
  }
}
