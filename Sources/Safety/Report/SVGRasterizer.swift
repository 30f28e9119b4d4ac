import Foundation

/// Turns SVG documents into PNG images with librsvg's `rsvg-convert` (Debian's `librsvg2-bin`,
/// installed by `scripts/install-system-packages`), so the PNG shows exactly what the SVG does.
public enum SVGRasterizer {
  /// `rsvg-convert` on the `PATH` (or in `/usr/bin`), if installed.
  public static var converter: String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    let directories = path.split(separator: ":").map(String.init) + ["/usr/bin"]
    return directories.map { $0 + "/rsvg-convert" }.first {
      FileManager.default.isExecutableFile(atPath: $0)
    }
  }

  /// The PNG of `svg` at the document's own size.
  public static func png(svg: String) throws(SafetyError) -> [UInt8] {
    guard let converter else {
      throw SafetyError(
        "rsvg-convert is not installed: install Debian's librsvg2-bin "
          + "(scripts/install-system-packages does) to write PNG plots")
    }
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("scalpel-svg-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let input = directory.appendingPathComponent("in.svg")
    let output = directory.appendingPathComponent("out.png")
    let process = Process()
    let errors = Pipe()
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try Data(svg.utf8).write(to: input)
      process.executableURL = URL(fileURLWithPath: converter)
      process.arguments = ["--format", "png", "--output", output.path, input.path]
      process.standardError = errors
      try process.run()
    } catch {
      throw SafetyError("cannot run \(converter): \(error)")
    }
    let message = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, let png = try? Data(contentsOf: output) else {
      let text = String(decoding: message, as: UTF8.self).trimmingCharacters(
        in: .whitespacesAndNewlines)
      throw SafetyError("rsvg-convert failed (status \(process.terminationStatus)): \(text)")
    }
    return [UInt8](png)
  }
}
