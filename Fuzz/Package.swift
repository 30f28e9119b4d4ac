// swift-tools-version:6.0
import PackageDescription

// libFuzzer harnesses for Scalpel's readers, built only by `scripts/fuzz` (with
// `-sanitize=fuzzer,address` in its own scratch path): the main package's normal build and
// tests never compile them. Each `fuzz-*` target's entry point (`<module>_main`, the name
// SwiftPM links as `main`) hands its input callback to libFuzzer's driver.
let harnesses: [(name: String, dependencies: [Target.Dependency])] = [
  ("fuzz-ir", [.product(name: "IR", package: "Scalpel")]),
  ("fuzz-npy", [.product(name: "Runtime", package: "Scalpel")]),
  ("fuzz-safetensors", [.product(name: "Models", package: "Scalpel")]),
  ("fuzz-gguf", [.product(name: "Models", package: "Scalpel")]),
  ("fuzz-tokenizer", [.product(name: "Models", package: "Scalpel")]),
  ("fuzz-data", [.product(name: "Data", package: "Scalpel")]),
]

let package = Package(
  name: "ScalpelFuzz",
  platforms: [.macOS(.v14)],
  dependencies: [.package(name: "Scalpel", path: "..")],
  targets: [
    .target(name: "CFuzzer"),
    .target(
      name: "FuzzSupport", dependencies: ["CFuzzer", .product(name: "Runtime", package: "Scalpel")]),
  ]
    + harnesses.map { harness in
      .executableTarget(
        name: harness.name, dependencies: ["FuzzSupport"] + harness.dependencies,
        swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    }
)
