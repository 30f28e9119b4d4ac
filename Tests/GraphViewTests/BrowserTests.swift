import Foundation
import GraphView
import IR
import Passes
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The viewer page of the attention example, loaded in headless Chromium.
///
/// A script appended to the page acts as a user would (types into the search box, clicks a
/// result and a node, switches to the input graph) and writes what it saw into the DOM, which
/// `--dump-dom` returns. Chromium and Graphviz are installed by scripts/install-system-packages;
/// when either is missing the test fails saying so.
@Suite struct BrowserTests {
  static let weights = [
    "embed", "layers.0.wq", "layers.0.wk", "layers.0.wv", "layers.0.wo", "layers.1.wq",
    "layers.1.wk", "layers.1.wv", "layers.1.wo", "head",
  ]

  static func history() throws -> PassHistory {
    let module = try Parser.parseFile(repositoryPath("examples/attention/attention.ir"))
    let graph = try #require(module.graphs.first)
    let manager = try PassManager(
      pipeline:
        "sink-divergence{lambda=300 sink=0},grad{of=loss wrt=\(weights.joined(separator: ","))},dce"
    )
    return try PassHistory.run(manager, on: graph).history
  }

  /// What the page reports after the scripted actions.
  struct Observed: Decodable {
    var error: String?
    var ops: Int
    var surgery: [String]
    var grad: Int
    var found: [String]
    var selectedAfterSearch: String?
    var selected: String?
    var fields: [String: String]
    var inputOps: Int
    var inputAdded: Int
  }

  static let actions = """
    <script>
    (function () {
      const out = {};
      try {
        const names = q => [...document.querySelectorAll(q)].map(e => e.dataset.name);
        out.ops = document.querySelectorAll("[data-op]").length;
        out.surgery = names('[data-op][data-pass-added="sink-divergence"]');
        out.grad = document.querySelectorAll('[data-op][data-pass-added="grad"]').length;
        const search = document.getElementById("search");
        search.value = "l1_prob";
        search.dispatchEvent(new Event("input", {bubbles: true}));
        out.found = [...document.querySelectorAll("#search-results li[data-result]")]
          .map(e => e.dataset.result);
        document.querySelector('#search-results li[data-result="l1_probs"]').click();
        out.selectedAfterSearch = document.getElementById("details").dataset.selected;
        const node = document.querySelector('[data-op][data-name="clones.l0_probs"]');
        node.dispatchEvent(new MouseEvent("click", {bubbles: true}));
        out.selected = document.getElementById("details").dataset.selected;
        out.fields = {};
        for (const dd of document.querySelectorAll("#details dd[data-field]"))
          out.fields[dd.dataset.field] = dd.textContent;
        document.querySelector('#timeline button[data-pass="input"]').click();
        out.inputOps = document.querySelectorAll("[data-op]").length;
        out.inputAdded = document.querySelectorAll("[data-pass-added]").length;
      } catch (e) { out.error = String(e && e.stack || e); }
      const pre = document.createElement("pre");
      pre.id = "test-output";
      pre.textContent = JSON.stringify(out);
      document.body.appendChild(pre);
    })();
    </script>
    """

  @Test func surgeryDiffSearchAndDetailsInChromium() throws {
    let history = try Self.history()
    let input = try #require(history.snapshots.first?.graph)
    let afterSurgery = try #require(history.snapshots.dropFirst().first?.graph)
    let final = try #require(history.snapshots.last?.graph)
    #expect(history.snapshots.map(\.pass) == ["input", "sink-divergence", "grad", "dce"])

    let page = try GraphViewer.html(history)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "scalpel-viewer-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("attention.html")
    let scripted = try #require(page.range(of: "</body>", options: .backwards))
    try Data(page.replacingCharacters(in: scripted, with: Self.actions + "</body>").utf8)
      .write(to: file)

    let dom = try HeadlessChromium.dumpDOM(of: file)
    let observed = try Self.observed(in: dom)
    #expect(observed.error == nil)

    // One element per op of the shown (final) graph.
    #expect(observed.ops == final.nodes.count)
    // Surgery's nodes: those new after sink-divergence that are still in the final graph.
    let inputKeys = Set(input.nodes.map { "\($0.name)@\($0.location)" })
    let finalKeys = Set(final.nodes.map { "\($0.name)@\($0.location)" })
    let inserted = afterSurgery.nodes.filter {
      let key = "\($0.name)@\($0.location)"
      return !inputKeys.contains(key) && finalKeys.contains(key)
    }.map(\.name)
    #expect(!inserted.isEmpty)
    #expect(Set(observed.surgery) == Set(inserted))
    #expect(observed.surgery.count == inserted.count)
    #expect(observed.surgery.contains("clones.l0_probs"))
    #expect(observed.surgery.contains("clones.l1_probs"))
    #expect(observed.grad > 0)

    // Search finds the value, clicking the result selects it.
    #expect(observed.found.first == "l1_probs")
    #expect(observed.found.contains("clones.l1_probs"))
    #expect(observed.selectedAfterSearch == "l1_probs")

    // Clicking a node shows its details.
    let clone = try #require(final.nodes.first { $0.name == "clones.l0_probs" })
    let names = final.valueNames()
    #expect(observed.selected == "clones.l0_probs")
    #expect(observed.fields["op"] == "softmax")
    #expect(observed.fields["type"] == clone.type.description)
    #expect(
      observed.fields["shape"] == "[\(clone.type.shape.map(String.init).joined(separator: ","))]")
    #expect(observed.fields["attributes"] == "axis = -1")
    #expect(observed.fields["location"] == clone.location.description)
    #expect(observed.fields["added by"] == "sink-divergence")
    let operands = try #require(observed.fields["operands"])
    for o in clone.operands { #expect(operands.contains("%" + (names[o] ?? "?"))) }
    let users = final.nodes.filter { $0.operands.contains(clone.result) }.map(\.name)
    #expect(!users.isEmpty)
    let shownUsers = try #require(observed.fields["users"])
    for u in users { #expect(shownUsers.contains("%" + u)) }

    // The input graph: its own op count, nothing marked as added.
    #expect(observed.inputOps == input.nodes.count)
    #expect(observed.inputAdded == 0)
  }

  static func observed(in dom: String) throws -> Observed {
    let start = try #require(dom.range(of: "<pre id=\"test-output\">"), "no test output in the DOM")
    let end = try #require(dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex))
    let text = String(dom[start.upperBound..<end.lowerBound])
      .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
      .replacingOccurrences(of: "&nbsp;", with: " ").replacingOccurrences(of: "&amp;", with: "&")
    return try JSONDecoder().decode(Observed.self, from: Data(text.utf8))
  }
}

/// The repository root, from this file's path.
func repositoryPath(_ relative: String) -> String {
  URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent(relative).path
}

/// Debian's `chromium` in headless mode.
enum HeadlessChromium {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  static func executable() throws -> String {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
      for name in ["chromium", "chromium-browser", "google-chrome"] {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      }
    }
    throw Failure(
      description:
        "chromium was not found on PATH (\(path)): install the Debian package chromium "
        + "(scripts/install-system-packages does; scripts/test runs it)")
  }

  /// The DOM after the page's scripts ran (`--dump-dom`), within `timeout` seconds.
  static func dumpDOM(of file: URL, timeout: Double = 90) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try executable())
    var arguments = ["--headless", "--disable-gpu", "--no-first-run", "--dump-dom"]
    if getuid() == 0 { arguments.append("--no-sandbox") }  // Chromium refuses root otherwise.
    let output = file.deletingLastPathComponent().appendingPathComponent("dom.html")
    let errors = file.deletingLastPathComponent().appendingPathComponent("chromium.log")
    try Data().write(to: output)
    try Data().write(to: errors)
    process.arguments = arguments + [file.absoluteString]
    process.standardOutput = try FileHandle(forWritingTo: output)
    process.standardError = try FileHandle(forWritingTo: errors)
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(50_000) }
    if process.isRunning {
      process.terminate()
      throw Failure(description: "chromium did not finish within \(Int(timeout)) s")
    }
    let dom = try String(contentsOf: output, encoding: .utf8)
    guard process.terminationStatus == 0, !dom.isEmpty else {
      let log = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
      throw Failure(
        description: "chromium failed (exit \(process.terminationStatus)): \(log.suffix(2000))")
    }
    return dom
  }
}
