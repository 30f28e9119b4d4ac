import IR
import Runtime
import Testing

// Every tensor a kernel makes is checked against the memory limit before it is allocated.

@Suite struct MemoryLimitTests {
  /// A graph whose one node makes a tensor of `type` with `make`.
  func creating(_ type: TensorType, _ make: (GraphBuilder) -> Value) throws -> Graph {
    let b = GraphBuilder(name: "g")
    return try b.build(results: [("y", make(b))])
  }

  @Test func creationOpsLargerThanTheLimitAreErrorsNamingTheNode() throws {
    let big = TensorType(.f32, [1000, 1000])  // 4 MB
    let graphs: [(String, Graph)] = [
      ("iota", try creating(big) { $0.iota(axis: 1, big) }),
      ("constant", try creating(big) { $0.constant(1, big) }),
      (
        "broadcast",
        try creating(big) { b in
          b.broadcast(b.constant(2, TensorType(.f32, [1000])), to: [1000, 1000])
        }
      ),
    ]
    let limit = MemoryLimit(bytes: 1_000_000)
    for (op, graph) in graphs {
      do {
        _ = try Interpreter(memoryLimit: limit).run(graph, inputs: [:])
        Issue.record("\(op): ran without error")
      } catch {
        #expect(error.op == op, "\(error)")
        #expect(error.location?.file.hasSuffix("MemoryLimitTests.swift") == true, "\(error)")
        #expect(error.message.contains("3.8 MiB, more than the memory limit of 976.6 KiB"))
      }
      let out = try Interpreter(memoryLimit: MemoryLimit(bytes: 4_000_000)).run(graph, inputs: [:])
      #expect(out["y"]?.type == big)
    }
  }

  @Test func theLargestTypeIsRefusedWithoutCounting() throws {
    let huge = TensorType(.i1, [Int.max])  // fits in 63 bits, not in any machine
    let graph = try creating(huge) { $0.constant(1, huge) }
    do {
      _ = try Interpreter().run(graph, inputs: [:])
      Issue.record("ran without error")
    } catch {
      #expect(error.message.contains("more than the memory limit"), "\(error)")
    }
  }

  @Test(arguments: [
    ("100", 100), ("512M", 512 << 20), ("1.5G", 3 << 29), ("8GiB", 8 << 30), ("2kb", 2048),
    ("1T", 1 << 40),
  ])
  func sizesParse(text: String, bytes: Int) {
    #expect(MemoryLimit(parsing: text)?.bytes == bytes)
  }

  @Test(arguments: ["", "x", "-1", "0", "1e30", "12Q", "G", "nan", "inf"])
  func malformedSizesAreRejected(text: String) {
    #expect(MemoryLimit(parsing: text) == nil)
  }

  @Test func physicalMemoryIsKnown() {
    #expect(MemoryLimit.physicalMemory.bytes > 1 << 26)
  }
}
