import IR
import Runtime

/// A GGUF (v2/v3) file: header, metadata, tensor infos, and tensor data read on demand.
///
/// The file is memory-mapped; opening it reads only the header, the metadata and the tensor
/// infos. `tensor(_:)` dequantizes one tensor to f32 when asked (F32, F16, BF16, Q8_0, Q4_0,
/// Q4_1). Every size and offset is checked against the file before use: a malformed file is a
/// thrown `ModelError` naming the file and the key or tensor, never a trap or a huge allocation.
public struct GGUFFile: Sendable {
  /// The path the file was opened with.
  public let path: String
  /// The format version (2 or 3).
  public let version: Int
  /// Every metadata entry by key.
  public let metadata: [String: GGUFValue]
  /// The metadata keys in file order.
  public let metadataKeys: [String]
  /// The tensor infos in file order.
  public let tensors: [GGUFTensorInfo]
  /// The data alignment (`general.alignment`, default 32).
  public let alignment: Int
  /// Byte offset of the tensor data section.
  public let dataOffset: Int

  private let file: MappedFile
  private let tensorIndex: [String: Int]

  static let magic: UInt32 = 0x4655_4747  // "GGUF" read as a little-endian u32
  static let maxDimensions = 4
  static let maxNesting = 8

  /// Opens and parses the file at `path` (header, metadata and tensor infos).
  public init(path: String) throws(ModelError) {
    let file = try MappedFile(path: path)
    self.file = file
    self.path = path
    var reader = ByteReader(file)
    let magic = try reader.u32("the magic number")
    guard magic == Self.magic else {
      throw ModelError(
        "not a GGUF file: bad magic 0x\(String(magic, radix: 16)), expected \"GGUF\"", file: path)
    }
    let version = try reader.u32("the version")
    guard version == 2 || version == 3 else {
      throw ModelError("unsupported GGUF version \(version), expected 2 or 3", file: path)
    }
    self.version = Int(version)
    let tensorCount = try reader.u64("the tensor count")
    let keyCount = try reader.u64("the metadata count")
    // A metadata entry takes at least 13 bytes (key length, value type, one byte of value).
    guard keyCount <= UInt64(reader.remaining / 13) else {
      throw ModelError(
        "metadata count \(keyCount) cannot fit in the \(reader.remaining) bytes left", file: path)
    }
    var metadata: [String: GGUFValue] = [:]
    var keys: [String] = []
    for index in 0..<Int(keyCount) {
      let key = try Self.readString(&reader, "metadata key #\(index)", path: path)
      let rawType = try reader.u32("the value type of '\(key)'")
      let value = try Self.readValue(&reader, type: rawType, key: key, depth: 0, path: path)
      guard metadata.updateValue(value, forKey: key) == nil else {
        throw ModelError("duplicate metadata key", file: path, key: key)
      }
      keys.append(key)
    }
    self.metadata = metadata
    self.metadataKeys = keys

    var alignment = 32
    if let value = metadata["general.alignment"] {
      guard let a = value.int, a > 0, a <= 1 << 20, a & (a - 1) == 0 else {
        throw ModelError(
          "alignment \(value) is not a power of two between 1 and 2^20", file: path,
          key: "general.alignment")
      }
      alignment = a
    }
    self.alignment = alignment

    // A tensor info takes at least 24 bytes (name length, n_dims, type, offset).
    guard tensorCount <= UInt64(reader.remaining / 24) else {
      throw ModelError(
        "tensor count \(tensorCount) cannot fit in the \(reader.remaining) bytes left", file: path)
    }
    var raw: [(name: String, dims: [Int], type: GGMLType, offset: UInt64)] = []
    for index in 0..<Int(tensorCount) {
      let name = try Self.readString(&reader, "the name of tensor #\(index)", path: path)
      let rank = try reader.u32("the rank of tensor '\(name)'")
      guard rank <= Self.maxDimensions else {
        throw ModelError(
          "\(rank) dimensions, expected at most \(Self.maxDimensions)", file: path, tensor: name)
      }
      var dims: [Int] = []
      for axis in 0..<Int(rank) {
        let d = try reader.u64("dimension \(axis) of tensor '\(name)'")
        guard d <= UInt64(Int32.max) * 1024 else {
          throw ModelError("dimension \(axis) is \(d), which is absurd", file: path, tensor: name)
        }
        dims.append(Int(d))
      }
      let typeCode = try reader.u32("the type of tensor '\(name)'")
      guard let type = GGMLType.from(rawValue: typeCode) else {
        throw ModelError("unknown tensor type \(typeCode)", file: path, tensor: name)
      }
      let offset = try reader.u64("the data offset of tensor '\(name)'")
      raw.append((name, dims, type, offset))
    }

    let (padded, overflow) = reader.offset.addingReportingOverflow(alignment - 1)
    guard !overflow else { throw ModelError("header too large", file: path) }
    let dataOffset = padded / alignment * alignment
    self.dataOffset = dataOffset

    var infos: [GGUFTensorInfo] = []
    var index: [String: Int] = [:]
    for (name, dims, type, offset) in raw {
      var count = 1
      for d in dims {
        let (product, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow, product <= 1 << 40 else {
          throw ModelError("element count of \(dims) overflows", file: path, tensor: name)
        }
        count = product
      }
      let rowLength = dims.first ?? 1
      guard rowLength % type.blockSize == 0 else {
        throw ModelError(
          "first dimension \(rowLength) is not a multiple of the \(type) block size "
            + "\(type.blockSize)", file: path, tensor: name)
      }
      let byteCount = count / type.blockSize * type.blockBytes
      guard offset % UInt64(alignment) == 0 else {
        throw ModelError(
          "data offset \(offset) is not a multiple of the alignment \(alignment)", file: path,
          tensor: name)
      }
      guard offset <= UInt64(file.count), dataOffset + Int(offset) + byteCount <= file.count else {
        throw ModelError(
          "data (\(byteCount) bytes at offset \(offset) after the data start \(dataOffset)) "
            + "extends past the end of the file (\(file.count) bytes)", file: path, tensor: name)
      }
      guard index.updateValue(infos.count, forKey: name) == nil else {
        throw ModelError("duplicate tensor name", file: path, tensor: name)
      }
      infos.append(
        GGUFTensorInfo(
          name: name, dimensions: dims, type: type, fileOffset: dataOffset + Int(offset),
          elementCount: count, byteCount: byteCount))
    }
    self.tensors = infos
    self.tensorIndex = index
  }

  // MARK: Metadata

  /// The metadata value for `key`, or nil.
  public func value(_ key: String) -> GGUFValue? { metadata[key] }

  private func required(_ key: String) throws(ModelError) -> GGUFValue {
    guard let value = metadata[key] else {
      throw ModelError("missing metadata key", file: path, key: key)
    }
    return value
  }

  private func mismatch(_ key: String, _ value: GGUFValue, _ expected: String) -> ModelError {
    ModelError("holds a \(value.typeName), expected \(expected)", file: path, key: key)
  }

  /// The string at `key`; throws if missing or not a string.
  public func string(_ key: String) throws(ModelError) -> String {
    let value = try required(key)
    guard let s = value.string else { throw mismatch(key, value, "a string") }
    return s
  }

  /// The integer (of any width) at `key`; throws if missing, not an integer or out of range.
  public func int(_ key: String) throws(ModelError) -> Int {
    let value = try required(key)
    guard let i = value.int else { throw mismatch(key, value, "an integer") }
    return i
  }

  /// The number (float or integer) at `key` as a `Double`; throws if missing or not a number.
  public func float(_ key: String) throws(ModelError) -> Double {
    let value = try required(key)
    guard let d = value.double else { throw mismatch(key, value, "a number") }
    return d
  }

  /// The bool at `key`; throws if missing or not a bool.
  public func bool(_ key: String) throws(ModelError) -> Bool {
    let value = try required(key)
    guard let b = value.bool else { throw mismatch(key, value, "a bool") }
    return b
  }

  /// The array at `key`; throws if missing or not an array.
  public func array(_ key: String) throws(ModelError) -> [GGUFValue] {
    let value = try required(key)
    guard let a = value.array else { throw mismatch(key, value, "an array") }
    return a
  }

  /// The array of strings at `key`; throws if missing or any element is not a string.
  public func strings(_ key: String) throws(ModelError) -> [String] {
    var result: [String] = []
    for element in try array(key) {
      guard let s = element.string else { throw mismatch(key, element, "an array of strings") }
      result.append(s)
    }
    return result
  }

  /// The array of integers at `key`; throws if missing or any element is not an integer.
  public func ints(_ key: String) throws(ModelError) -> [Int] {
    var result: [Int] = []
    for element in try array(key) {
      guard let i = element.int else { throw mismatch(key, element, "an array of integers") }
      result.append(i)
    }
    return result
  }

  /// The array of numbers at `key` as `Double`s; throws if missing or any element is not a number.
  public func floats(_ key: String) throws(ModelError) -> [Double] {
    var result: [Double] = []
    for element in try array(key) {
      guard let d = element.double else { throw mismatch(key, element, "an array of numbers") }
      result.append(d)
    }
    return result
  }

  /// `general.architecture` (`llama`), or nil.
  public var architecture: String? { metadata["general.architecture"]?.string }

  // MARK: Tensors

  /// The info of the tensor named `name`, or nil.
  public func info(_ name: String) -> GGUFTensorInfo? {
    tensorIndex[name].map { tensors[$0] }
  }

  /// The tensor named `name` dequantized to f32, in PyTorch shape (GGUF dimensions reversed).
  public func tensor(_ name: String) throws(ModelError) -> HostTensor {
    let info = try dequantizable(name)
    try MemoryLimit.processDefault.check(floats: info.elementCount, file: path, tensor: name)
    let values = dequantize(info, firstBlock: 0, blocks: info.elementCount / info.type.blockSize)
    return try hostTensor(info.shape, values, name)
  }

  /// Rows `range` of the outermost PyTorch dimension of tensor `name` (rank 2 or more),
  /// dequantized to f32: an embedding lookup without dequantizing the whole table.
  public func rows(_ name: String, _ range: Range<Int>) throws(ModelError) -> HostTensor {
    let info = try dequantizable(name)
    var shape = info.shape
    guard shape.count >= 2 else {
      throw ModelError(
        "rows need a tensor of rank 2 or more, not \(shape)", file: path, tensor: name)
    }
    guard range.lowerBound >= 0, range.upperBound <= shape[0] else {
      throw ModelError("rows \(range) out of range 0..<\(shape[0])", file: path, tensor: name)
    }
    // Rows hold whole blocks: the first GGUF dimension is a multiple of the block size.
    let blocksPerRow = shape.dropFirst().reduce(1, *) / info.type.blockSize
    let values = dequantize(
      info, firstBlock: range.lowerBound * blocksPerRow, blocks: range.count * blocksPerRow)
    shape[0] = range.count
    return try hostTensor(shape, values, name)
  }

  private func dequantizable(_ name: String) throws(ModelError) -> GGUFTensorInfo {
    let info = try requireInfo(name)
    guard info.type.isDequantizable else {
      throw ModelError(
        "type \(info.type) cannot be dequantized (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1)",
        file: path, tensor: name)
    }
    return info
  }

  /// Blocks `firstBlock..<firstBlock + blocks` of a tensor whose data was checked in bounds.
  private func dequantize(_ info: GGUFTensorInfo, firstBlock: Int, blocks: Int) -> [Float] {
    let type = info.type
    let start = info.fileOffset + firstBlock * type.blockBytes
    let source = UnsafeRawBufferPointer(
      rebasing: file.bytes[start..<(start + blocks * type.blockBytes)])
    return [Float](unsafeUninitializedCapacity: blocks * type.blockSize) { buffer, count in
      type.dequantize(source, blocks: blocks, into: buffer)
      count = blocks * type.blockSize
    }
  }

  private func hostTensor(_ shape: [Int], _ values: [Float], _ name: String) throws(ModelError)
    -> HostTensor
  {
    do {
      return try HostTensor(shape: shape, values)
    } catch {
      throw ModelError(error.message, file: path, tensor: name)
    }
  }

  private func requireInfo(_ name: String) throws(ModelError) -> GGUFTensorInfo {
    guard let info = info(name) else {
      throw ModelError("no such tensor in the file", file: path, tensor: name)
    }
    return info
  }

  // MARK: Parsing

  static func readString(_ reader: inout ByteReader, _ what: String, path: String)
    throws(ModelError) -> String
  {
    let length = try reader.u64("the length of \(what)")
    guard length <= UInt64(reader.remaining) else {
      throw ModelError(
        "\(what) declares \(length) bytes but only \(reader.remaining) remain in the file",
        file: path)
    }
    let bytes = try reader.bytes(Int(length), what)
    // Decoding repairs invalid UTF-8; the round trip detects it (portable `String(validating:)`).
    let string = String(decoding: bytes, as: UTF8.self)
    guard string.utf8.elementsEqual(bytes) else {
      throw ModelError("\(what) is not valid UTF-8", file: path)
    }
    return string
  }

  /// The smallest encoding of a value of each type, to bound array counts before allocating.
  static func minimumSize(of type: UInt32) -> Int? {
    switch type {
    case 0, 1, 7: 1
    case 2, 3: 2
    case 4, 5, 6: 4
    case 10, 11, 12, 8: 8
    case 9: 12
    default: nil
    }
  }

  static func readValue(
    _ reader: inout ByteReader, type: UInt32, key: String, depth: Int, path: String
  ) throws(ModelError) -> GGUFValue {
    let what = "the value of '\(key)'"
    switch type {
    case 0: return .uint8(try reader.load(UInt8.self, what))
    case 1: return .int8(try reader.load(Int8.self, what))
    case 2: return .uint16(try reader.load(UInt16.self, what))
    case 3: return .int16(try reader.load(Int16.self, what))
    case 4: return .uint32(try reader.load(UInt32.self, what))
    case 5: return .int32(try reader.load(Int32.self, what))
    case 6: return .float32(Float(bitPattern: try reader.load(UInt32.self, what)))
    case 7:
      let byte = try reader.u8(what)
      guard byte <= 1 else {
        throw ModelError("bool byte is \(byte), expected 0 or 1", file: path, key: key)
      }
      return .bool(byte == 1)
    case 8:
      do {
        return .string(try readString(&reader, "the string value", path: path))
      } catch {
        throw ModelError(error.message, file: path, key: key)
      }
    case 9:
      guard depth < maxNesting else {
        throw ModelError("arrays nested deeper than \(maxNesting) levels", file: path, key: key)
      }
      let elementType = try reader.u32("the element type of '\(key)'")
      let count = try reader.u64("the element count of '\(key)'")
      guard let size = minimumSize(of: elementType) else {
        throw ModelError("unknown array element type \(elementType)", file: path, key: key)
      }
      guard count <= UInt64(reader.remaining / size) else {
        throw ModelError(
          "array declares \(count) elements but only \(reader.remaining) bytes remain",
          file: path, key: key)
      }
      var elements: [GGUFValue] = []
      elements.reserveCapacity(Int(count))
      for _ in 0..<Int(count) {
        elements.append(
          try readValue(&reader, type: elementType, key: key, depth: depth + 1, path: path))
      }
      return .array(elements)
    case 10: return .uint64(try reader.load(UInt64.self, what))
    case 11: return .int64(try reader.load(Int64.self, what))
    case 12: return .float64(Double(bitPattern: try reader.load(UInt64.self, what)))
    default:
      throw ModelError("unknown value type \(type), expected 0 to 12", file: path, key: key)
    }
  }
}
