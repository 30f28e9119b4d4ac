/// A bounds-checked little-endian cursor over a mapped file: every read checks the bytes left
/// and throws a `ModelError` naming the file and what was being read.
struct ByteReader {
  let file: MappedFile
  /// The next byte to read.
  var offset: Int

  init(_ file: MappedFile, offset: Int = 0) {
    self.file = file
    self.offset = offset
  }

  var remaining: Int { file.count - offset }

  /// Checks that `count` bytes remain; `what` names the item for the error.
  func require(_ count: Int, _ what: @autoclosure () -> String) throws(ModelError) {
    guard count >= 0, count <= remaining else {
      throw ModelError(
        "file truncated: \(what()) needs \(count) bytes at offset \(offset), "
          + "only \(Swift.max(remaining, 0)) remain", file: file.path)
    }
  }

  mutating func load<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String)
    throws(ModelError) -> T
  {
    try require(MemoryLayout<T>.size, what())
    let value = file.bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
    offset += MemoryLayout<T>.size
    return T(littleEndian: value)
  }

  mutating func u8(_ what: @autoclosure () -> String) throws(ModelError) -> UInt8 {
    try load(UInt8.self, what())
  }
  mutating func u32(_ what: @autoclosure () -> String) throws(ModelError) -> UInt32 {
    try load(UInt32.self, what())
  }
  mutating func u64(_ what: @autoclosure () -> String) throws(ModelError) -> UInt64 {
    try load(UInt64.self, what())
  }

  /// Reads `count` raw bytes.
  mutating func bytes(_ count: Int, _ what: @autoclosure () -> String) throws(ModelError)
    -> UnsafeRawBufferPointer
  {
    try require(count, what())
    let slice = UnsafeRawBufferPointer(rebasing: file.bytes[offset..<(offset + count)])
    offset += count
    return slice
  }
}
