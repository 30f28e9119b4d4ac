/// A minimal PNG writer: 8-bit RGB, filter 0 on every scanline, and a zlib stream made of
/// stored (uncompressed) deflate blocks. CRC-32 and Adler-32 are computed here.
public enum PNGEncoder {
  /// The eight-byte PNG signature.
  public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) of `bytes`.
  public static func crc32<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
  }

  static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  /// Adler-32 of `bytes` (zlib's trailer).
  public static func adler32(_ bytes: [UInt8]) -> UInt32 {
    var a: UInt32 = 1
    var b: UInt32 = 0
    var i = 0
    while i < bytes.count {
      // 5552 bytes keep the sums below 2^32 before the modulo.
      let end = min(i + 5552, bytes.count)
      while i < end {
        a += UInt32(bytes[i])
        b += a
        i += 1
      }
      a %= 65521
      b %= 65521
    }
    return b << 16 | a
  }

  /// A zlib stream of stored deflate blocks (at most 65,535 bytes each) holding `data`.
  public static func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]  // deflate, 32 KiB window; header check: 0x7801 % 31 == 0
    var offset = 0
    repeat {
      let length = min(65535, data.count - offset)
      let final = offset + length == data.count
      out.append(final ? 1 : 0)  // BFINAL, BTYPE = 00 (stored)
      out += [UInt8(length & 0xFF), UInt8(length >> 8)]
      out += [UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
      out += data[offset..<(offset + length)]
      offset += length
    } while offset < data.count
    let adler = adler32(data)
    out += bigEndian(adler)
    return out
  }

  static func bigEndian(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
  }

  static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typeBytes = Array(type.utf8)
    return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(crc32(typeBytes + data))
  }

  /// The PNG file of an RGB image (`pixels` row-major, 3 bytes per pixel).
  public static func encode(width: Int, height: Int, rgb pixels: [UInt8]) throws(SafetyError)
    -> [UInt8]
  {
    guard width > 0, height > 0, pixels.count == width * height * 3 else {
      throw SafetyError("PNG: \(pixels.count) bytes do not make a \(width)×\(height) RGB image")
    }
    var raw: [UInt8] = []
    raw.reserveCapacity((width * 3 + 1) * height)
    for y in 0..<height {
      raw.append(0)  // filter type None
      raw += pixels[(y * width * 3)..<((y + 1) * width * 3)]
    }
    var header = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
    header += [8, 2, 0, 0, 0]  // bit depth 8, colour type 2 (RGB), deflate, filter 0, no interlace
    return signature + chunk("IHDR", header) + chunk("IDAT", zlibStored(raw)) + chunk("IEND", [])
  }
}
