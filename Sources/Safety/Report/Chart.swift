/// An sRGB colour.
public struct RGB: Sendable, Hashable, Codable {
  public var r: UInt8
  public var g: UInt8
  public var b: UInt8

  public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
    self.r = r
    self.g = g
    self.b = b
  }

  /// `#rrggbb`.
  public var hex: String {
    let digits = Array("0123456789abcdef")
    return "#" + [r, g, b].map { "\(digits[Int($0 >> 4)])\(digits[Int($0 & 15)])" }.joined()
  }

  public static let black = RGB(0, 0, 0)
  public static let white = RGB(255, 255, 255)
  public static let gray = RGB(128, 128, 128)
  public static let lightGray = RGB(225, 225, 225)

  /// Ten distinguishable series colours (the Tableau palette).
  public static let palette: [RGB] = [
    RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40),
    RGB(148, 103, 189), RGB(140, 86, 75), RGB(227, 119, 194), RGB(127, 127, 127),
    RGB(188, 189, 34), RGB(23, 190, 207),
  ]

  /// Linear interpolation from `a` (t = 0) to `b` (t = 1).
  public static func mix(_ a: RGB, _ b: RGB, _ t: Double) -> RGB {
    let t = min(max(t, 0), 1)
    func c(_ x: UInt8, _ y: UInt8) -> UInt8 {
      UInt8((Double(x) + (Double(y) - Double(x)) * t).rounded())
    }
    return RGB(c(a.r, b.r), c(a.g, b.g), c(a.b, b.b))
  }

  /// The diverging blue–white–red map: t in [-1, 1], 0 is white.
  public static func diverging(_ t: Double) -> RGB {
    let blue = RGB(33, 102, 172)
    let red = RGB(178, 24, 43)
    if t.isNaN { return .lightGray }
    return t < 0 ? mix(.white, blue, -t) : mix(.white, red, t)
  }
}

/// A named series of (x, y) points.
public struct ChartSeries: Sendable, Hashable, Codable {
  public var name: String
  public var points: [ChartPoint]
  /// The colour; nil picks the palette colour of the series' index.
  public var color: RGB?

  public init(name: String, points: [ChartPoint], color: RGB? = nil) {
    self.name = name
    self.points = points
    self.color = color
  }
}

/// One point; `label` is drawn beside it in scatter plots when set.
public struct ChartPoint: Sendable, Hashable, Codable {
  public var x: Double
  public var y: Double
  public var label: String?

  public init(_ x: Double, _ y: Double, label: String? = nil) {
    self.x = x
    self.y = y
    self.label = label
  }
}

/// A matrix of values drawn as coloured cells (rows top to bottom).
public struct HeatMapData: Sendable, Hashable, Codable {
  /// `values[row][column]`; rows may not differ in length.
  public var values: [[Double]]
  /// The colour scale's half-range (values are clamped to [-limit, limit]); nil = max |value|.
  public var limit: Double?
  /// Where a cell links to (SVG): a URL with `{row}` and `{column}` replaced by its indices.
  public var cellLink: String?

  public init(values: [[Double]], limit: Double? = nil, cellLink: String? = nil) {
    self.values = values
    self.limit = limit
    self.cellLink = cellLink
  }
}

/// What a chart shows.
public enum ChartKind: Sendable, Hashable, Codable {
  /// Series drawn as lines with point markers, and a legend.
  case line([ChartSeries])
  /// Series drawn as unconnected markers, and a legend.
  case scatter([ChartSeries])
  /// A matrix with a diverging colour map and a colour bar.
  case heatMap(HeatMapData)
}

/// A chart description, rendered to SVG (and through it to PNG).
public struct Chart: Sendable, Hashable, Codable {
  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var kind: ChartKind
  public var width: Int
  public var height: Int

  public init(
    title: String, xLabel: String, yLabel: String, kind: ChartKind, width: Int = 720,
    height: Int = 440
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.kind = kind
    self.width = width
    self.height = height
  }
}
