import Foundation
import IR
import Runtime

/// Where one tensor lives in a safetensors file.
public struct SafetensorsTensorInfo: Sendable, Hashable {
  /// The tensor's name (`encoder.layer.0.attention.self.query.weight`).
  public let name: String
  /// The stored dtype as the header spells it (`F32`, `F16`, `BF16`, …).
  public let dtype: String
  /// The row-major shape.
  public let shape: [Int]
  /// Byte offset of the data from the start of the file.
  public let fileOffset: Int
  /// Number of bytes of data.
  public let byteCount: Int
}

/// A safetensors file: an 8-byte little-endian header length, a JSON header, then the data.
///
/// The file is memory-mapped; opening it parses and checks the header only. `tensor(_:)` reads one
/// tensor: F32, F16 and BF16 as f32, F64 as f64, I32, I64, BOOL as themselves. Every offset and
/// size is checked against the file and the dtype and shape; a malformed file is a thrown
/// `ModelError` naming the file and the tensor.
public struct SafetensorsFile: Sendable {
  /// The path the file was opened with.
  public let path: String
  /// The `__metadata__` string map (empty if absent).
  public let metadata: [String: String]
  /// The tensor infos in data order (then by name).
  public let tensors: [SafetensorsTensorInfo]

  private let file: MappedFile
  private let tensorIndex: [String: Int]

  /// The largest header accepted (as the reference implementation: 100 MB).
  static let maxHeaderBytes = 100_000_000

  /// Bytes per element of each dtype the format defines.
  static let elementBytes: [String: Int] = [
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2,
    "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
  ]

  /// Opens the file at `path` and checks its header.
  public init(path: String) throws(ModelError) {
    let file = try MappedFile(path: path)
    self.file = file
    self.path = path
    var reader = ByteReader(file)
    let length = try reader.u64("the header length")
    guard length <= UInt64(Self.maxHeaderBytes), length <= UInt64(reader.remaining) else {
      throw ModelError(
        "header length \(length) is larger than the \(reader.remaining) bytes after it "
          + "(or the \(Self.maxHeaderBytes)-byte limit)", file: path)
    }
    let headerBytes = try reader.bytes(Int(length), "the header")
    let dataStart = reader.offset
    let dataSize = file.count - dataStart
    guard headerBytes.first == UInt8(ascii: "{") else {
      throw ModelError("the header does not start with '{'", file: path)
    }
    let header: Header
    do {
      header = try JSONDecoder().decode(Header.self, from: Data(headerBytes))
    } catch let error as DecodingError {
      throw Self.describe(error, path: path)
    } catch {
      throw ModelError("the header is not valid JSON: \(error)", file: path)
    }
    self.metadata = header.metadata

    var infos: [SafetensorsTensorInfo] = []
    for (name, entry) in header.entries {
      guard let size = Self.elementBytes[entry.dtype] else {
        throw ModelError(
          "unknown dtype '\(entry.dtype)', expected one of "
            + Self.elementBytes.keys.sorted().joined(separator: ", "), file: path, tensor: name)
      }
      var count = 1
      for d in entry.shape {
        guard d >= 0 else {
          throw ModelError("negative dimension in shape \(entry.shape)", file: path, tensor: name)
        }
        let (product, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow, product <= 1 << 40 else {
          throw ModelError("element count of \(entry.shape) overflows", file: path, tensor: name)
        }
        count = product
      }
      guard entry.dataOffsets.count == 2 else {
        throw ModelError(
          "data_offsets has \(entry.dataOffsets.count) entries, expected [begin, end]",
          file: path, tensor: name)
      }
      let (begin, end) = (entry.dataOffsets[0], entry.dataOffsets[1])
      guard begin >= 0, begin <= end, end <= dataSize else {
        throw ModelError(
          "data_offsets [\(begin), \(end)] are outside the \(dataSize) bytes of data",
          file: path, tensor: name)
      }
      guard end - begin == count * size else {
        throw ModelError(
          "data_offsets [\(begin), \(end)] hold \(end - begin) bytes, but \(entry.dtype) "
            + "\(entry.shape) needs \(count * size)", file: path, tensor: name)
      }
      infos.append(
        SafetensorsTensorInfo(
          name: name, dtype: entry.dtype, shape: entry.shape, fileOffset: dataStart + begin,
          byteCount: end - begin))
    }
    infos.sort { ($0.fileOffset, $0.name) < ($1.fileOffset, $1.name) }
    self.tensors = infos
    self.tensorIndex = Dictionary(
      infos.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
  }

  /// The info of the tensor named `name`, or nil.
  public func info(_ name: String) -> SafetensorsTensorInfo? {
    tensorIndex[name].map { tensors[$0] }
  }

  /// The tensor named `name` (F32/F16/BF16 as f32, F64 as f64, I32, I64, BOOL as themselves).
  public func tensor(_ name: String) throws(ModelError) -> HostTensor {
    guard let info = info(name) else {
      throw ModelError("no such tensor in the file", file: path, tensor: name)
    }
    try MemoryLimit.processDefault.check(
      floats: checkedElementCount(info.shape), file: path, tensor: name)
    let bytes = UnsafeRawBufferPointer(
      rebasing: file.bytes[info.fileOffset..<(info.fileOffset + info.byteCount)])
    let storage: TensorStorage
    switch info.dtype {
    case "F32":
      storage = .f32(
        Self.load(bytes, count: info.byteCount / 4) { (bits: UInt32) in
          Float(bitPattern: bits)
        })
    case "F16":
      storage = .f32(
        Self.load(bytes, count: info.byteCount / 2) { (bits: UInt16) in
          HalfFloat.float(fromHalf: bits)
        })
    case "BF16":
      storage = .f32(
        Self.load(bytes, count: info.byteCount / 2) { (bits: UInt16) in
          HalfFloat.float(fromBFloat16: bits)
        })
    case "F64":
      storage = .f64(
        Self.load(bytes, count: info.byteCount / 8) { (bits: UInt64) in
          Double(bitPattern: bits)
        })
    case "I32":
      storage = .i32(
        Self.load(bytes, count: info.byteCount / 4) { (bits: UInt32) in
          Int32(bitPattern: bits)
        })
    case "I64":
      storage = .i64(
        Self.load(bytes, count: info.byteCount / 8) { (bits: UInt64) in
          Int64(bitPattern: bits)
        })
    case "BOOL":
      storage = .i1(bytes.map { $0 != 0 })
    default:
      throw ModelError(
        "dtype \(info.dtype) cannot be read (supported: F32, F16, BF16, F64, I32, I64, BOOL)",
        file: path, tensor: name)
    }
    do {
      return try HostTensor(TensorType(storage.dtype, info.shape), storage: storage)
    } catch {
      throw ModelError(error.message, file: path, tensor: name)
    }
  }

  /// Every tensor in the file, by name.
  public func allTensors() throws(ModelError) -> [String: HostTensor] {
    var result: [String: HostTensor] = [:]
    for info in tensors { result[info.name] = try tensor(info.name) }
    return result
  }

  private static func load<Bits: FixedWidthInteger, T>(
    _ bytes: UnsafeRawBufferPointer, count: Int, _ convert: (Bits) -> T
  ) -> [T] {
    let size = MemoryLayout<Bits>.size
    return (0..<count).map { i in
      convert(Bits(littleEndian: bytes.loadUnaligned(fromByteOffset: i * size, as: Bits.self)))
    }
  }

  private static func describe(_ error: DecodingError, path: String) -> ModelError {
    let (context, what): (DecodingError.Context, String)
    switch error {
    case .typeMismatch(let type, let c): (context, what) = (c, "expected \(type)")
    case .valueNotFound(let type, let c): (context, what) = (c, "missing \(type) value")
    case .keyNotFound(let key, let c): (context, what) = (c, "missing key '\(key.stringValue)'")
    case .dataCorrupted(let c): (context, what) = (c, "invalid JSON")
    @unknown default: return ModelError("the header cannot be decoded: \(error)", file: path)
    }
    let keys = context.codingPath.map(\.stringValue)
    let tensor = keys.first.flatMap { $0 == "__metadata__" ? nil : $0 }
    let detail = context.debugDescription.isEmpty ? "" : " (\(context.debugDescription))"
    return ModelError(
      "header: \(what) at \(keys.isEmpty ? "the top level" : keys.joined(separator: "."))"
        + detail, file: path, tensor: tensor, key: keys.last)
  }

  /// The header: one entry per tensor, plus the optional `__metadata__` map.
  struct Header: Decodable {
    var entries: [(String, Entry)] = []
    var metadata: [String: String] = [:]

    struct Key: CodingKey {
      var stringValue: String
      var intValue: Int? { nil }
      init(stringValue: String) { self.stringValue = stringValue }
      init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Key.self)
      for key in container.allKeys {
        if key.stringValue == "__metadata__" {
          metadata = try container.decode([String: String].self, forKey: key)
        } else {
          entries.append((key.stringValue, try container.decode(Entry.self, forKey: key)))
        }
      }
    }
  }

  struct Entry: Decodable {
    var dtype: String
    var shape: [Int]
    var dataOffsets: [Int]

    enum CodingKeys: String, CodingKey {
      case dtype, shape
      case dataOffsets = "data_offsets"
    }
  }
}
