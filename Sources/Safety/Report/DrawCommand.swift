/// Horizontal text alignment relative to the anchor point.
public enum TextAnchor: String, Sendable, Hashable {
  case start, middle, end
}

/// A device-independent drawing primitive in pixel coordinates (origin top left, y down).
///
/// Text is positioned by its anchor and the vertical centre of the line; `size` is a scale:
/// monospace at 10·size pixels, about 6·size pixels per character.
public enum DrawCommand: Sendable, Hashable {
  case rect(x: Double, y: Double, width: Double, height: Double, fill: RGB?, stroke: RGB?)
  case line(x1: Double, y1: Double, x2: Double, y2: Double, color: RGB, width: Double)
  case polyline([ChartPoint], color: RGB, width: Double)
  case circle(x: Double, y: Double, radius: Double, fill: RGB)
  case text(String, x: Double, y: Double, size: Int, anchor: TextAnchor, color: RGB, vertical: Bool)
  /// A clickable area (SVG only: a link over the area; nothing in a PNG).
  case link(String, x: Double, y: Double, width: Double, height: Double)
}
