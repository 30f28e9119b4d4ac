// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "Scalpel",
  platforms: [.macOS(.v14)],
  products: [
    .library(name: "IR", targets: ["IR"]),
    .library(name: "Passes", targets: ["Passes"]),
    .library(name: "Runtime", targets: ["Runtime"]),
    .library(name: "Models", targets: ["Models"]),
    .executable(name: "scalpel", targets: ["scalpel"]),
    .executable(name: "scalpel-opt", targets: ["scalpel-opt"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
  ],
  targets: [
    // Pure Swift: the typed graph IR and the passes over it. No native dependencies.
    .target(name: "IR", path: "IR"),
    .target(name: "Passes", dependencies: ["IR"], path: "Passes"),

    // Native code lives only behind these two.
    .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
    .target(
      name: "CLLVM", path: "Sources/CLLVM",
      linkerSettings: [.linkedLibrary("LLVM-14")]),

    .target(
      name: "Runtime",
      dependencies: ["IR", "CBLAS", .product(name: "Numerics", package: "swift-numerics")]),
    // Model files (GGUF, safetensors), tokenizers and chat templates.
    .target(name: "Models", dependencies: ["IR", "Runtime"], path: "Sources/Models"),
    // Safety evaluation: refusal and harmfulness judges, benchmark scoring, reports and plots.
    .target(
      name: "Safety", dependencies: ["IR", "Passes", "Runtime", "Models"],
      path: "Sources/Safety"),
    .executableTarget(
      name: "scalpel",
      dependencies: [
        "IR", "Passes", "Runtime", "Models", "Safety",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(
      name: "scalpel-opt",
      dependencies: [
        "IR", "Passes", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .target(name: "TestSupport", dependencies: ["IR"], path: "Tests/TestSupport"),
    .testTarget(name: "IRTests", dependencies: ["IR", "TestSupport"]),
    .testTarget(name: "PassesTests", dependencies: ["IR", "Passes", "Runtime", "Models", "TestSupport"]),
    .testTarget(name: "RuntimeTests", dependencies: ["IR", "Runtime", "TestSupport"]),
    .testTarget(name: "ModelsTests", dependencies: ["Models", "Runtime", "IR", "Passes"]),
    .testTarget(name: "SafetyTests", dependencies: ["Safety", "Models", "Runtime", "IR", "Passes"]),
    .testTarget(name: "ToolTests", dependencies: ["IR", "Runtime", "TestSupport"]),
  ]
)
