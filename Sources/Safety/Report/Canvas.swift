/// An RGB raster with the few primitives charts need: filled and outlined rectangles, thick
/// lines, filled circles and bitmap-font text (horizontal or rotated a quarter turn left).
public struct Canvas: Sendable {
  public let width: Int
  public let height: Int
  /// Row-major RGB bytes.
  public private(set) var pixels: [UInt8]

  public init(width: Int, height: Int, background: RGB = .white) {
    self.width = max(width, 1)
    self.height = max(height, 1)
    pixels = [UInt8](repeating: 0, count: self.width * self.height * 3)
    for i in 0..<(self.width * self.height) {
      pixels[3 * i] = background.r
      pixels[3 * i + 1] = background.g
      pixels[3 * i + 2] = background.b
    }
  }

  /// The colour at (x, y), or nil outside.
  public func pixel(_ x: Int, _ y: Int) -> RGB? {
    guard x >= 0, y >= 0, x < width, y < height else { return nil }
    let i = 3 * (y * width + x)
    return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
  }

  /// Sets one pixel (ignored outside the canvas).
  public mutating func set(_ x: Int, _ y: Int, _ c: RGB) {
    guard x >= 0, y >= 0, x < width, y < height else { return }
    let i = 3 * (y * width + x)
    pixels[i] = c.r
    pixels[i + 1] = c.g
    pixels[i + 2] = c.b
  }

  /// Fills the pixels whose centres lie in the rectangle.
  public mutating func fill(x: Double, y: Double, width w: Double, height h: Double, _ c: RGB) {
    let x0 = max(0, Int((x).rounded()))
    let x1 = min(width, Int((x + w).rounded()))
    let y0 = max(0, Int((y).rounded()))
    let y1 = min(height, Int((y + h).rounded()))
    guard x0 < x1, y0 < y1 else { return }
    for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, c) } }
  }

  /// A line of `thickness` pixels: endpoints rounded down to pixels, then exact integer
  /// interpolation along the longer axis (no gaps), stamped with a square brush.
  public mutating func line(
    _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ c: RGB, thickness: Double = 1
  ) {
    guard x1.isFinite, y1.isFinite, x2.isFinite, y2.isFinite else { return }
    let (ax, ay) = (Int(x1.rounded(.down)), Int(y1.rounded(.down)))
    let (bx, by) = (Int(x2.rounded(.down)), Int(y2.rounded(.down)))
    let steps = max(abs(bx - ax), abs(by - ay), 1)
    let t = max(Int(thickness.rounded()), 1)
    let lo = -(t - 1) / 2
    for s in 0...steps {
      // Round-half-away interpolation in integers: ax + (bx − ax)·s / steps.
      let x = ax + ((bx - ax) * s * 2 + (bx >= ax ? steps : -steps)) / (2 * steps)
      let y = ay + ((by - ay) * s * 2 + (by >= ay ? steps : -steps)) / (2 * steps)
      for dy in lo..<(lo + t) { for dx in lo..<(lo + t) { set(x + dx, y + dy, c) } }
    }
  }

  /// A filled disc.
  public mutating func circle(_ cx: Double, _ cy: Double, radius r: Double, _ c: RGB) {
    let x0 = Int((cx - r).rounded(.down))
    let x1 = Int((cx + r).rounded(.up))
    let y0 = Int((cy - r).rounded(.down))
    let y1 = Int((cy + r).rounded(.up))
    for y in y0...y1 {
      for x in x0...x1 {
        let dx = Double(x) + 0.5 - cx
        let dy = Double(y) + 0.5 - cy
        if dx * dx + dy * dy <= r * r { set(x, y, c) }
      }
    }
  }

  /// Text in the bitmap font at `scale`, anchored at (x, y) (vertical centre of the glyphs);
  /// `vertical` draws it rotated a quarter turn counter-clockwise, reading bottom to top.
  public mutating func text(
    _ s: String, x: Double, y: Double, scale: Int, anchor: TextAnchor, _ c: RGB,
    vertical: Bool = false
  ) {
    let scale = max(scale, 1)
    let length = s.count * BitmapFont.advance * scale
    let shift: Int
    switch anchor {
    case .start: shift = 0
    case .middle: shift = -length / 2
    case .end: shift = -length
    }
    let glyphHeight = 7 * scale
    for (k, ch) in s.enumerated() {
      let rows = BitmapFont.glyph(ch)
      for (row, bits) in rows.enumerated() {
        for col in 0..<5 where bits & (0x10 >> UInt8(col)) != 0 {
          for sy in 0..<scale {
            for sx in 0..<scale {
              // Position along the text (u) and across it (v), in pixels from the anchor.
              let u = shift + k * BitmapFont.advance * scale + col * scale + sx
              let v = -glyphHeight / 2 + row * scale + sy
              if vertical {
                set(Int(x) + v, Int(y) - u, c)
              } else {
                set(Int(x) + u, Int(y) + v, c)
              }
            }
          }
        }
      }
    }
  }

  /// Draws one command.
  public mutating func draw(_ command: DrawCommand) {
    switch command {
    case .rect(let x, let y, let w, let h, let fill, let stroke):
      if let fill { self.fill(x: x, y: y, width: w, height: h, fill) }
      if let stroke {
        line(x, y, x + w, y, stroke)
        line(x, y + h, x + w, y + h, stroke)
        line(x, y, x, y + h, stroke)
        line(x + w, y, x + w, y + h, stroke)
      }
    case .line(let x1, let y1, let x2, let y2, let color, let width):
      if width > 0 { line(x1, y1, x2, y2, color, thickness: width) }
    case .polyline(let points, let color, let width):
      for (a, b) in zip(points, points.dropFirst()) {
        line(a.x, a.y, b.x, b.y, color, thickness: width)
      }
    case .circle(let x, let y, let r, let fill):
      circle(x, y, radius: r, fill)
    case .text(let s, let x, let y, let size, let anchor, let color, let vertical):
      text(s, x: x, y: y, scale: size, anchor: anchor, color, vertical: vertical)
    case .link: break
    }
  }
}
