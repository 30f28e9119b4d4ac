import Foundation
import IR
import Runtime

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
/// the order given, written atomically (a temporary file in the same directory, then a rename).
public enum SafetensorsWriter {
  /// Writes `tensors` (in order) and `metadata` to `path`, replacing any existing file.
  ///
  /// f32 tensors are stored as `floats`; f64, i32, i64 and i1 tensors as F64, I32, I64, BOOL.
  public static func write(
    _ tensors: [(name: String, tensor: HostTensor)], metadata: [String: String] = [:],
    floats: SafetensorsFloatFormat = .f32, to path: String
  ) throws(ModelError) {
    let bytes = try encode(tensors, metadata: metadata, floats: floats, path: path)
    do {
      // Foundation's atomic write: a temporary file in the same directory, then a rename.
      try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw ModelError("cannot write the file: \(error)", file: path)
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

  /// The bytes of a safetensors file holding `tensors`.
  public static func encode(
    _ tensors: [(name: String, tensor: HostTensor)], metadata: [String: String] = [:],
    floats: SafetensorsFloatFormat = .f32, path: String = "<memory>"
  ) throws(ModelError) -> [UInt8] {
    var entries: [String] = []
    if !metadata.isEmpty {
      let fields = metadata.keys.sorted().map { "\(quoted($0)):\(quoted(metadata[$0] ?? ""))" }
      entries.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
    }
    var data: [UInt8] = []
    var seen: Set<String> = []
    for (name, tensor) in tensors {
      guard name != "__metadata__", seen.insert(name).inserted else {
        throw ModelError("duplicate or reserved tensor name", file: path, tensor: name)
      }
      let begin = data.count
      let dtype: String
      switch tensor.storage {
      case .f32(let values):
        switch floats {
        case .f32:
          dtype = "F32"
          for v in values { append(v.bitPattern, to: &data) }
        case .f16:
          dtype = "F16"
          for v in values { append(HalfFloat.half(from: v), to: &data) }
        case .bf16:
          dtype = "BF16"
          for v in values { append(HalfFloat.bfloat16(from: v), to: &data) }
        }
      case .f64(let values):
        dtype = "F64"
        for v in values { append(v.bitPattern, to: &data) }
      case .i32(let values):
        dtype = "I32"
        for v in values { append(UInt32(bitPattern: v), to: &data) }
      case .i64(let values):
        dtype = "I64"
        for v in values { append(UInt64(bitPattern: v), to: &data) }
      case .i1(let values):
        dtype = "BOOL"
        data.append(contentsOf: values.map { $0 ? 1 : 0 })
      }
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      entries.append(
        "\(quoted(name)):{\"dtype\":\"\(dtype)\",\"shape\":[\(shape)],"
          + "\"data_offsets\":[\(begin),\(data.count)]}")
    }
    var header = Array("{\(entries.joined(separator: ","))}".utf8)
    while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(8 + header.count + data.count)
    append(UInt64(header.count), to: &bytes)
    bytes.append(contentsOf: header)
    bytes.append(contentsOf: data)
    return bytes
  }

  private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
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
