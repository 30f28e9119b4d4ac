import Foundation
import IR
import Runtime

#if canImport(Glibc)
  import Glibc
#endif

/// How `SafetensorsWriter` stores f32 tensors.
public enum SafetensorsFloatFormat: Sendable, Hashable {
  /// As `F32` (exact).
  case f32
  /// As `F16` (rounded to nearest, ties to even).
  case f16
  /// As `BF16` (rounded to nearest, ties to even).
  case bf16
}

/// Writes safetensors files: the header padded with spaces to a multiple of 8 bytes, tensors in
/// the order given, written atomically (a temporary file in the same directory, then a rename)
/// and streamed: a file of any size takes a few megabytes of memory beyond its tensors.
public enum SafetensorsWriter {
  /// Writes `tensors` (in order) and `metadata` to `path`, replacing any existing file.
  ///
  /// f32 tensors are stored as `floats`; f64, i32, i64 and i1 tensors as F64, I32, I64, BOOL.
  public static func write(
    _ tensors: [(name: String, tensor: HostTensor)], metadata: [String: String] = [:],
    floats: SafetensorsFloatFormat = .f32, to path: String
  ) throws(ModelError) {
    let header = try header(tensors, metadata: metadata, floats: floats, path: path)
    let url = URL(fileURLWithPath: path)
    let temporary =
      url.deletingLastPathComponent().path + "/.\(url.lastPathComponent).\(UUID().uuidString).tmp"
    guard FileManager.default.createFile(atPath: temporary, contents: nil),
      let handle = FileHandle(forWritingAtPath: temporary)
    else {
      throw ModelError("cannot create a temporary file beside it", file: path)
    }
    do {
      var sink = ChunkedSink(handle: handle)
      try sink.append(UInt64(header.count))
      try sink.append(bytes: header)
      for (_, tensor) in tensors { try sink.append(tensor, floats: floats) }
      try sink.flush()
      try handle.synchronize()
      try handle.close()
    } catch {
      try? handle.close()
      unlink(temporary)
      throw ModelError("cannot write the file: \(error)", file: path)
    }
    if rename(temporary, path) != 0 {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw ModelError("cannot move the written file into place: \(reason)", file: path)
    }
  }

  /// Writes the tensors of a dictionary, sorted by name.
  public static func write(
    _ tensors: [String: HostTensor], metadata: [String: String] = [:],
    floats: SafetensorsFloatFormat = .f32, to path: String
  ) throws(ModelError) {
    let ordered = tensors.keys.sorted().compactMap { name in tensors[name].map { (name, $0) } }
    try write(ordered, metadata: metadata, floats: floats, to: path)
  }

  /// The bytes of a safetensors file holding `tensors` (for tests and small files).
  public static func encode(
    _ tensors: [(name: String, tensor: HostTensor)], metadata: [String: String] = [:],
    floats: SafetensorsFloatFormat = .f32, path: String = "<memory>"
  ) throws(ModelError) -> [UInt8] {
    let header = try header(tensors, metadata: metadata, floats: floats, path: path)
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: header)
    for (_, tensor) in tensors {
      encodeElements(tensor, floats: floats) { bytes.append(contentsOf: $0) }
    }
    return bytes
  }

  /// The header's JSON, padded with spaces to a multiple of 8 bytes, with each tensor's offsets
  /// from its size (overflow-checked).
  static func header(
    _ tensors: [(name: String, tensor: HostTensor)], metadata: [String: String],
    floats: SafetensorsFloatFormat, path: String
  ) throws(ModelError) -> [UInt8] {
    var entries: [String] = []
    if !metadata.isEmpty {
      let fields = metadata.keys.sorted().map { "\(quoted($0)):\(quoted(metadata[$0] ?? ""))" }
      entries.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
    }
    var offset = 0
    var seen: Set<String> = []
    for (name, tensor) in tensors {
      guard name != "__metadata__", seen.insert(name).inserted else {
        throw ModelError("duplicate or reserved tensor name", file: path, tensor: name)
      }
      let (dtype, width) = format(tensor, floats: floats)
      let (size, o1) = tensor.count.multipliedReportingOverflow(by: width)
      let (end, o2) = offset.addingReportingOverflow(size)
      guard !o1, !o2 else {
        throw ModelError("the tensors' sizes overflow", file: path, tensor: name)
      }
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      entries.append(
        "\(quoted(name)):{\"dtype\":\"\(dtype)\",\"shape\":[\(shape)],"
          + "\"data_offsets\":[\(offset),\(end)]}")
      offset = end
    }
    var header = Array("{\(entries.joined(separator: ","))}".utf8)
    while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
    return header
  }

  /// A tensor's stored dtype and bytes per element.
  static func format(_ tensor: HostTensor, floats: SafetensorsFloatFormat) -> (String, Int) {
    switch tensor.storage {
    case .f32:
      switch floats {
      case .f32: ("F32", 4)
      case .f16: ("F16", 2)
      case .bf16: ("BF16", 2)
      }
    case .f64: ("F64", 8)
    case .i32: ("I32", 4)
    case .i64: ("I64", 8)
    case .i1: ("BOOL", 1)
    }
  }

  /// A tensor's elements as little-endian bytes, handed to `emit` in pieces of at most 1 Mi
  /// elements.
  static func encodeElements(
    _ tensor: HostTensor, floats: SafetensorsFloatFormat, _ emit: ([UInt8]) throws -> Void
  ) rethrows {
    func pieces<T>(
      _ values: [T], _ width: Int, _ emit: ([UInt8]) throws -> Void,
      _ bits: (T, inout [UInt8]) -> Void
    ) rethrows {
      var start = 0
      var piece: [UInt8] = []
      while start < values.count {
        let end = min(values.count, start + (1 << 20))
        piece.removeAll(keepingCapacity: true)
        piece.reserveCapacity((end - start) * width)
        for i in start..<end { bits(values[i], &piece) }
        try emit(piece)
        start = end
      }
    }
    func le<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
      withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }
    switch tensor.storage {
    case .f32(let values):
      switch floats {
      case .f32: try pieces(values, 4, emit) { le($0.bitPattern, &$1) }
      case .f16: try pieces(values, 2, emit) { le(HalfFloat.half(from: $0), &$1) }
      case .bf16: try pieces(values, 2, emit) { le(HalfFloat.bfloat16(from: $0), &$1) }
      }
    case .f64(let values): try pieces(values, 8, emit) { le($0.bitPattern, &$1) }
    case .i32(let values): try pieces(values, 4, emit) { le(UInt32(bitPattern: $0), &$1) }
    case .i64(let values): try pieces(values, 8, emit) { le(UInt64(bitPattern: $0), &$1) }
    case .i1(let values): try pieces(values, 1, emit) { $1.append($0 ? 1 : 0) }
    }
  }

  /// Buffers writes to a file handle in 4 MiB blocks.
  struct ChunkedSink {
    let handle: FileHandle
    var buffer: [UInt8] = []

    init(handle: FileHandle) {
      self.handle = handle
      buffer.reserveCapacity(1 << 22)
    }

    mutating func append<T: FixedWidthInteger>(_ value: T) throws {
      try append(bytes: withUnsafeBytes(of: value.littleEndian) { Array($0) })
    }

    mutating func append(bytes: [UInt8]) throws {
      buffer.append(contentsOf: bytes)
      if buffer.count >= 1 << 22 { try flush() }
    }

    mutating func append(_ tensor: HostTensor, floats: SafetensorsFloatFormat) throws {
      try SafetensorsWriter.encodeElements(tensor, floats: floats) { try append(bytes: $0) }
    }

    mutating func flush() throws {
      guard !buffer.isEmpty else { return }
      try handle.write(contentsOf: buffer)
      buffer.removeAll(keepingCapacity: true)
    }
  }

  /// A JSON string literal.
  static func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        out +=
          "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
          + String(scalar.value, radix: 16)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
