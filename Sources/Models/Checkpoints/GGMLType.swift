/// A ggml tensor data type as stored in GGUF tensor infos: its block size and bytes per block.
///
/// Quantized types store blocks of `blockSize` elements in `blockBytes` bytes; plain types have
/// a block size of 1. Only some types can be dequantized (`isDequantizable`); the others are still
/// recognized so their sizes can be checked.
public struct GGMLType: Sendable, Hashable, CustomStringConvertible {
  /// The type code in the file.
  public let rawValue: UInt32
  /// The name llama.cpp uses (`Q4_1`).
  public let name: String
  /// Elements per block.
  public let blockSize: Int
  /// Bytes per block.
  public let blockBytes: Int

  public static let f32 = GGMLType(rawValue: 0, name: "F32", blockSize: 1, blockBytes: 4)
  public static let f16 = GGMLType(rawValue: 1, name: "F16", blockSize: 1, blockBytes: 2)
  public static let q4_0 = GGMLType(rawValue: 2, name: "Q4_0", blockSize: 32, blockBytes: 18)
  public static let q4_1 = GGMLType(rawValue: 3, name: "Q4_1", blockSize: 32, blockBytes: 20)
  public static let q8_0 = GGMLType(rawValue: 8, name: "Q8_0", blockSize: 32, blockBytes: 34)
  public static let bf16 = GGMLType(rawValue: 30, name: "BF16", blockSize: 1, blockBytes: 2)

  /// Every type code this reader knows, dequantizable or not.
  public static let known: [GGMLType] = [
    .f32, .f16, .q4_0, .q4_1,
    GGMLType(rawValue: 6, name: "Q5_0", blockSize: 32, blockBytes: 22),
    GGMLType(rawValue: 7, name: "Q5_1", blockSize: 32, blockBytes: 24),
    .q8_0,
    GGMLType(rawValue: 9, name: "Q8_1", blockSize: 32, blockBytes: 36),
    GGMLType(rawValue: 10, name: "Q2_K", blockSize: 256, blockBytes: 84),
    GGMLType(rawValue: 11, name: "Q3_K", blockSize: 256, blockBytes: 110),
    GGMLType(rawValue: 12, name: "Q4_K", blockSize: 256, blockBytes: 144),
    GGMLType(rawValue: 13, name: "Q5_K", blockSize: 256, blockBytes: 176),
    GGMLType(rawValue: 14, name: "Q6_K", blockSize: 256, blockBytes: 210),
    GGMLType(rawValue: 15, name: "Q8_K", blockSize: 256, blockBytes: 292),
    GGMLType(rawValue: 24, name: "I8", blockSize: 1, blockBytes: 1),
    GGMLType(rawValue: 25, name: "I16", blockSize: 1, blockBytes: 2),
    GGMLType(rawValue: 26, name: "I32", blockSize: 1, blockBytes: 4),
    GGMLType(rawValue: 27, name: "I64", blockSize: 1, blockBytes: 8),
    GGMLType(rawValue: 28, name: "F64", blockSize: 1, blockBytes: 8),
    .bf16,
  ]

  /// The known type with this code, or nil.
  public static func from(rawValue: UInt32) -> GGMLType? {
    known.first { $0.rawValue == rawValue }
  }

  /// Whether `dequantize` supports this type (F32, F16, BF16, Q8_0, Q4_0, Q4_1).
  public var isDequantizable: Bool {
    [0, 1, 2, 3, 8, 30].contains(rawValue)
  }

  public var description: String { name }

  /// Dequantizes `blocks` consecutive blocks starting at `source` into `destination`, which must
  /// hold `blocks * blockSize` floats. The caller has checked the bytes are in bounds.
  func dequantize(
    _ source: UnsafeRawBufferPointer, blocks: Int,
    into destination: UnsafeMutableBufferPointer<Float>
  ) {
    switch rawValue {
    case 0:
      for i in 0..<blocks {
        destination[i] = Float(
          bitPattern: UInt32(
            littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
      }
    case 1:
      for i in 0..<blocks {
        let h = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        destination[i] = HalfFloat.float(fromHalf: h)
      }
    case 30:
      for i in 0..<blocks {
        let b = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        destination[i] = HalfFloat.float(fromBFloat16: b)
      }
    case 8:
      // Q8_0: f16 scale d, then 32 int8 q; x = q·d.
      for block in 0..<blocks {
        let at = block * 34
        let d = half(source, at)
        for j in 0..<32 {
          destination[block * 32 + j] = Float(Int8(bitPattern: source[at + 2 + j])) * d
        }
      }
    case 2:
      // Q4_0: f16 d, 16 bytes of nibbles; x_j = (lo_j − 8)·d, x_{j+16} = (hi_j − 8)·d.
      for block in 0..<blocks {
        let at = block * 18
        let d = half(source, at)
        for j in 0..<16 {
          let byte = source[at + 2 + j]
          destination[block * 32 + j] = Float(Int(byte & 15) - 8) * d
          destination[block * 32 + j + 16] = Float(Int(byte >> 4) - 8) * d
        }
      }
    case 3:
      // Q4_1: f16 d, f16 m, 16 bytes of nibbles; x_j = lo_j·d + m, x_{j+16} = hi_j·d + m.
      for block in 0..<blocks {
        let at = block * 20
        let d = half(source, at)
        let m = half(source, at + 2)
        for j in 0..<16 {
          let byte = source[at + 4 + j]
          destination[block * 32 + j] = Float(byte & 15) * d + m
          destination[block * 32 + j + 16] = Float(byte >> 4) * d + m
        }
      }
    default:
      break
    }
  }

  private func half(_ source: UnsafeRawBufferPointer, _ at: Int) -> Float {
    HalfFloat.float(
      fromHalf: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
  }
}
