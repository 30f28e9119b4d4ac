import Data
import Foundation
import Testing

/// `data/SHA256SUMS` lists every data file with its SHA-256; the digests come from the system's
/// `sha256sum` (coreutils; `shasum -a 256` where it is missing), not from a Swift copy of
/// SHA-256 and not from a crypto package every build would have to compile.
@Suite struct DataChecksumTests {
  @Test func everyListedFileMatchesAndEveryFileIsListed() throws {
    let problems = try checksumProblems(root: try testData().root)
    #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
  }

  @Test func reportsTamperedMissingAndUnlistedFiles() throws {
    let root = try temporaryDirectory()
    try FileManager.default.createDirectory(
      atPath: root + "/set", withIntermediateDirectories: true)
    try Foundation.Data("abc".utf8).write(to: URL(fileURLWithPath: root + "/set/a.txt"))
    try Foundation.Data("xyz".utf8).write(to: URL(fileURLWithPath: root + "/b.txt"))
    try Foundation.Data("new".utf8).write(to: URL(fileURLWithPath: root + "/set/c.txt"))
    try Foundation.Data("docs".utf8).write(to: URL(fileURLWithPath: root + "/README.md"))
    // SHA-256("abc") is the FIPS 180-2 example; b.txt's line is deliberately wrong.
    let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    let sums = """
      \(abc)  ./set/a.txt
      \(String(repeating: "0", count: 64))  ./b.txt
      \(abc)  ./gone.txt

      """
    try Foundation.Data(sums.utf8).write(to: URL(fileURLWithPath: root + "/SHA256SUMS"))
    let problems = try checksumProblems(root: root)
    #expect(
      problems == [
        "b.txt: SHA-256 is 3608bca1e44ea6c4d268eb6db02260269892c0b42b86bbf1e77a6fa16c3c9282, SHA256SUMS says 0000000000000000000000000000000000000000000000000000000000000000",
        "gone.txt: listed in SHA256SUMS but missing",
        "set/c.txt: not listed in SHA256SUMS",
      ])
  }

  @Test func malformedSumsLinesNameTheirLine() throws {
    let root = try temporaryDirectory()
    try Foundation.Data("abc  ./x\n".utf8).write(to: URL(fileURLWithPath: root + "/SHA256SUMS"))
    #expect(
      throws: DataError(
        "expected '<64 hex digits>  ./<path>'", path: root + "/SHA256SUMS", line: 1)
    ) { try checksumProblems(root: root) }
  }
}

/// Everything wrong with `root` against its `SHA256SUMS`: digests that differ, listed files that
/// are missing, and files (other than README.md and SHA256SUMS) that are not listed; sorted.
func checksumProblems(root: String) throws -> [String] {
  let sumsPath = root + "/SHA256SUMS"
  var expected: [String: String] = [:]
  for (index, line) in textLines(try readTextFile(sumsPath)).enumerated() where !line.isEmpty {
    let parts = line.split(separator: " ", maxSplits: 1)
    guard parts.count == 2, parts[0].count == 64, parts[0].allSatisfy(\.isHexDigit),
      parts[1].hasPrefix(" ./") || parts[1].hasPrefix("*./")
    else {
      throw DataError("expected '<64 hex digits>  ./<path>'", path: sumsPath, line: index + 1)
    }
    expected[String(parts[1].dropFirst(3))] = parts[0].lowercased()
  }
  var problems: [String] = []
  let present = expected.keys.filter { FileManager.default.fileExists(atPath: root + "/" + $0) }
  for name in expected.keys where !present.contains(name) {
    problems.append("\(name): listed in SHA256SUMS but missing")
  }
  let actual = try sha256(of: present.sorted(), in: root)
  for name in present where actual[name] != expected[name] {
    problems.append(
      "\(name): SHA-256 is \(actual[name] ?? "unknown"), SHA256SUMS says \(expected[name] ?? "")")
  }
  let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
  for name in files where !["README.md", "SHA256SUMS"].contains(name) {
    var isDirectory: ObjCBool = false
    _ = FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isDirectory)
    if !isDirectory.boolValue && expected[name] == nil {
      problems.append("\(name): not listed in SHA256SUMS")
    }
  }
  return problems.sorted()
}

/// SHA-256 digests of `names` (relative to `directory`) from `sha256sum`, or `shasum -a 256`.
func sha256(of names: [String], in directory: String) throws -> [String: String] {
  guard !names.isEmpty else { return [:] }
  let searchPath = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    .split(separator: ":")
  func tool(_ name: String) -> String? {
    searchPath.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }
  let process = Process()
  if let sum = tool("sha256sum") {
    process.executableURL = URL(fileURLWithPath: sum)
    process.arguments = ["--"] + names
  } else if let shasum = tool("shasum") {
    process.executableURL = URL(fileURLWithPath: shasum)
    process.arguments = ["-a", "256", "--"] + names
  } else {
    throw DataError("neither sha256sum nor shasum is on PATH", path: directory)
  }
  process.currentDirectoryURL = URL(fileURLWithPath: directory)
  let output = Pipe()
  process.standardOutput = output
  try process.run()
  let bytes = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    throw DataError(
      "the digest tool failed with status \(process.terminationStatus)", path: directory)
  }
  var digests: [String: String] = [:]
  for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
    let parts = line.split(separator: " ", maxSplits: 1)
    guard parts.count == 2 else { continue }
    let name = parts[1].drop { $0 == " " || $0 == "*" }
    digests[String(name)] = String(parts[0])
  }
  return digests
}
