import Foundation

/// Renders charts to SVG text from `ChartLayout`'s commands, and to PNG through that SVG, and
/// writes them atomically.
public enum ChartRenderer {
  /// The chart as a standalone SVG document.
  public static func svg(_ chart: Chart) -> String {
    var out = [
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(chart.width)\" height=\"\(chart.height)\" "
        + "viewBox=\"0 0 \(chart.width) \(chart.height)\" font-family=\"monospace\">",
      "<title>\(escape(chart.title))</title>",
    ]
    for command in ChartLayout.commands(chart) { out.append(svgElement(command)) }
    out.append("</svg>")
    return out.joined(separator: "\n") + "\n"
  }

  /// The chart as PNG bytes: its SVG rasterized by librsvg (`SVGRasterizer`).
  public static func png(_ chart: Chart) throws(SafetyError) -> [UInt8] {
    try SVGRasterizer.png(svg: svg(chart))
  }

  /// Writes `base.svg` and `base.png` atomically; returns their paths.
  @discardableResult
  public static func write(_ chart: Chart, to base: String) throws(SafetyError) -> [String] {
    try AtomicFile.write(text: svg(chart), to: base + ".svg")
    try AtomicFile.write(try png(chart), to: base + ".png")
    return [base + ".svg", base + ".png"]
  }

  /// XML text escaping for element content and attribute values.
  public static func escape(_ s: String) -> String {
    var out = ""
    for c in s.unicodeScalars {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if c.value < 0x20 && c != "\t" && c != "\n" {
          out += " "
        } else {
          out.unicodeScalars.append(c)
        }
      }
    }
    return out
  }

  static func n(_ v: Double) -> String {
    v == v.rounded() ? String(Int(v)) : String(format: "%.2f", v)
  }

  static func svgElement(_ command: DrawCommand) -> String {
    switch command {
    case .rect(let x, let y, let w, let h, let fill, let stroke):
      return "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(w))\" height=\"\(n(h))\" "
        + "fill=\"\(fill?.hex ?? "none")\" stroke=\"\(stroke?.hex ?? "none")\"/>"
    case .line(let x1, let y1, let x2, let y2, let color, let width):
      return "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" "
        + "stroke=\"\(color.hex)\" stroke-width=\"\(n(width))\"/>"
    case .polyline(let points, let color, let width):
      let list = points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
      return
        "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(color.hex)\" stroke-width=\"\(n(width))\"/>"
    case .circle(let x, let y, let r, let fill):
      return "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(r))\" fill=\"\(fill.hex)\"/>"
    case .text(let s, let x, let y, let size, let anchor, let color, let vertical):
      // 10 px of monospace per scale unit advances about 6 px per character (0.6 em).
      let rotate = vertical ? " transform=\"rotate(-90 \(n(x)) \(n(y)))\"" : ""
      return
        "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(10 * size)\" text-anchor=\"\(anchor.rawValue)\" "
        + "dominant-baseline=\"central\" fill=\"\(color.hex)\"\(rotate)>\(escape(s))</text>"
    case .link(let href, let x, let y, let w, let h):
      return "<a href=\"\(escape(href))\"><rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(w))\" "
        + "height=\"\(n(h))\" fill=\"transparent\"/></a>"
    }
  }
}
