import Foundation
import Testing

/// The repository root (three levels above this file).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

func fixture(_ path: String) -> String {
  repositoryRoot.appendingPathComponent("Tests/Fixtures/" + path).path
}
func example(_ path: String) -> String {
  repositoryRoot.appendingPathComponent("examples/" + path).path
}

/// The directory holding the built products: beside the test bundle when `swift test` runs.
func productsDirectory() -> URL {
  let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
  var dir = runner.deletingLastPathComponent()
  // The runner may sit inside `X.xctest/` (a directory); the products are beside that.
  while dir.path != "/"
    && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("scalpel").path)
  {
    dir = dir.deletingLastPathComponent()
  }
  return dir.path == "/" ? repositoryRoot.appendingPathComponent(".build/debug") : dir
}

struct ToolResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// Runs one of the package's executables and captures its output.
/// `environment` entries are added to (or replace) this process's environment.
func runTool(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws
  -> ToolResult
{
  try runProgram(
    productsDirectory().appendingPathComponent(name).path, arguments, environment: environment)
}

/// Runs the program at `path` with `arguments` (environment: this process's plus `environment`)
/// and captures its output.
func runProgram(_ path: String, _ arguments: [String], environment: [String: String] = [:]) throws
  -> ToolResult
{
  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
  process.arguments = arguments
  if !environment.isEmpty {
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  }
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  let errData = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return ToolResult(
    status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errData, as: UTF8.self))
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "scalpel-tests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  return dir
}
