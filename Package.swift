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
    .library(name: "Codegen", targets: ["Codegen"]),
    .library(name: "Training", targets: ["Training"]),
    .library(name: "Data", targets: ["Data"]),
    .library(name: "GraphView", targets: ["GraphView"]),
    .library(name: "Distributed", targets: ["Distributed"]),
    .executable(name: "scalpel", targets: ["scalpel"]),
    .executable(name: "scalpel-opt", targets: ["scalpel-opt"]),
    // The C API of include/scalpel.h: libscalpelc.so.
    .library(name: "scalpelc", type: .dynamic, targets: ["CScalpel"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
  ],
  targets: [
    // Pure Swift: the typed graph IR and the passes over it. No native dependencies.
    .target(name: "IR", path: "IR"),
    .target(name: "Passes", dependencies: ["IR"], path: "Passes"),
    // The IR viewer: HTML pages of a graph after every pass, DOT export (Graphviz lays out).
    .target(name: "GraphView", dependencies: ["IR", "Passes"]),

    // Native code lives only behind these two.
    .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
    .target(
      name: "CLLVM", path: "Sources/CLLVM",
      linkerSettings: [.linkedLibrary("LLVM-14")]),
    // Open MPI (pkg-config `ompi-c`), and functions for what its header declares as macros.
    .systemLibrary(
      name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
      providers: [.apt(["libopenmpi-dev"])]),
    .target(name: "CMPIShim", dependencies: ["CMPI"], path: "Sources/CMPIShim"),

    .target(
      name: "Runtime",
      dependencies: ["IR", "CBLAS", .product(name: "Numerics", package: "swift-numerics")]),
    // Model files (GGUF, safetensors), tokenizers and chat templates.
    .target(name: "Models", dependencies: ["IR", "Runtime"], path: "Sources/Models"),
    // Lowering to LLVM IR, ORC LLJIT, compiled executables (matmuls through Runtime's driver).
    .target(name: "Codegen", dependencies: ["IR", "Passes", "Runtime", "CLLVM"]),
    // The data files: JSONL, JSON, CSV and TSV readers, the typed datasets and the data
    // directory's resolution. Pure Swift, no native dependencies.
    .target(name: "Data", path: "Sources/Data"),
    // Optimizer steps, schedules, the data pipeline, the trainer and checkpoints.
    .target(name: "Training", dependencies: ["IR", "Passes", "Runtime", "Models", "Data"]),
    // Communicators over real communication engines (MPI). Only what asks for it links MPI.
    .target(name: "Distributed", dependencies: ["IR", "Runtime", "CMPIShim"]),
    // Safety evaluation: refusal and harmfulness judges, benchmark scoring, reports and plots,
    // and the harmful fine-tuning experiment.
    .target(
      name: "Safety", dependencies: ["IR", "Passes", "Runtime", "Models", "Training", "Data"],
      path: "Sources/Safety"),
    .executableTarget(
      name: "scalpel",
      dependencies: [
        "IR", "Passes", "Runtime", "Codegen", "Models", "Training", "Safety", "Data", "GraphView",
        "Distributed", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // The C API: include/scalpel.h (imported through CScalpelHeader) implemented with `@c`.
    .systemLibrary(name: "CScalpelHeader", path: "Sources/CScalpelHeader"),
    .target(
      name: "CScalpel", dependencies: ["IR", "Passes", "Runtime", "Codegen", "CScalpelHeader"]),
    .executableTarget(
      name: "scalpel-opt",
      dependencies: [
        "IR", "Passes", "GraphView",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // The example architectures of examples/ (GPT-2-style, ALiBi), built on the layers API.
    .target(
      name: "ExampleArchitectures", dependencies: ["IR", "Models"], path: "examples/Architectures"),
    // What the example trainers share: options, data, the training runs, the printed tables.
    .target(
      name: "ExampleSupport",
      dependencies: [
        "IR", "Models", "Runtime", "Training", "Data", "Codegen",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ], path: "examples/Support"),
    .executableTarget(
      name: "example-gpt2",
      dependencies: [
        "ExampleArchitectures", "ExampleSupport", "Models",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ], path: "examples/gpt2"),
    .executableTarget(
      name: "example-alibi",
      dependencies: [
        "ExampleArchitectures", "ExampleSupport", "Models",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ], path: "examples/alibi"),

    .target(name: "TestSupport", dependencies: ["IR", "Runtime"], path: "Tests/TestSupport"),
    .testTarget(name: "IRTests", dependencies: ["IR", "TestSupport"]),
    .testTarget(name: "PassesTests", dependencies: ["IR", "Passes", "Runtime", "Models", "TestSupport"]),
    .testTarget(name: "RuntimeTests", dependencies: ["IR", "Runtime", "TestSupport"]),
    .testTarget(name: "ModelsTests", dependencies: ["Models", "Runtime", "IR", "Passes"]),
    .testTarget(
      name: "CodegenTests",
      dependencies: ["IR", "Passes", "Runtime", "Codegen", "Models", "TestSupport"]),
    .testTarget(
      name: "TrainingTests",
      dependencies: ["Training", "Models", "Passes", "Runtime", "IR", "Data", "TestSupport"]),
    .testTarget(name: "SafetyTests", dependencies: ["Safety", "Models", "Runtime", "IR", "Passes", "Data"]),
    .testTarget(name: "DataTests", dependencies: ["Data"]),
    .testTarget(name: "GraphViewTests", dependencies: ["GraphView", "IR", "Passes"]),
    .testTarget(
      name: "ExamplesTests",
      dependencies: [
        "ExampleArchitectures", "IR", "Passes", "Runtime", "Models", "Codegen", "Training",
        "TestSupport",
      ]),
    .testTarget(name: "ToolTests", dependencies: ["IR", "Runtime", "Models", "TestSupport"]),
  ]
)
