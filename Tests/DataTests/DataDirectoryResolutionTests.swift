import Data
import Foundation
import Testing

/// `--data`, then `$SCALPEL_DATA`, then the checkout's `data/`; explicit environments only
/// (tests run in parallel, so none changes the process environment).
@Suite struct DataDirectoryResolutionTests {
  @Test func optionThenEnvironmentThenCheckout() throws {
    let option = try temporaryDirectory()
    let environment = try temporaryDirectory()
    let checkout = try temporaryDirectory()
    let variables = ["SCALPEL_DATA": environment]
    #expect(
      try DataDirectory.resolve(option: option, environment: variables, checkout: checkout).root
        == option)
    #expect(
      try DataDirectory.resolve(option: nil, environment: variables, checkout: checkout).root
        == environment)
    #expect(
      try DataDirectory.resolve(option: nil, environment: [:], checkout: checkout).root
        == checkout)
    // Empty values count as not given.
    #expect(
      try DataDirectory.resolve(option: "", environment: ["SCALPEL_DATA": ""], checkout: checkout)
        .root == checkout)
  }

  @Test func theFirstGivenMustExist() throws {
    let checkout = try temporaryDirectory()
    let missing = checkout + "/missing"
    #expect(throws: DataError("no such directory (from --data)", path: missing)) {
      try DataDirectory.resolve(
        option: missing, environment: ["SCALPEL_DATA": checkout], checkout: checkout)
    }
    #expect(throws: DataError("no such directory (from $SCALPEL_DATA)", path: missing)) {
      try DataDirectory.resolve(
        option: nil, environment: ["SCALPEL_DATA": missing], checkout: checkout)
    }
    let file = try writeTemporary("x", name: "file")
    #expect(
      throws: DataError(
        "no such directory (from the checkout's data directory); pass --data DIR or set SCALPEL_DATA",
        path: file)
    ) { try DataDirectory.resolve(option: nil, environment: [:], checkout: file) }
  }

  @Test func theCheckoutsDataIsThisRepositorys() throws {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    #expect(DataDirectory.checkoutRoot == repository.appendingPathComponent("data").path)
    #expect(FileManager.default.fileExists(atPath: DataDirectory.checkoutRoot + "/SHA256SUMS"))
  }
}
