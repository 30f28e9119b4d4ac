#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

#if _endian(big)
  #error("the checkpoint readers load little-endian values directly and need a little-endian host")
#endif

/// A whole file mapped read-only into memory; pages are loaded by the OS only when touched.
///
/// Immutable after creation, so it can be shared between threads. The mapping lives as long as
/// the object.
final class MappedFile: @unchecked Sendable {
  /// The path the file was opened with (for error messages).
  let path: String
  private let base: UnsafeMutableRawPointer?
  /// The file size in bytes.
  let count: Int

  /// Maps the file at `path`; throws if it cannot be opened, inspected or mapped.
  init(path: String) throws(ModelError) {
    self.path = path
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
      throw ModelError("cannot open the file: \(String(cString: strerror(errno)))", file: path)
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw ModelError("cannot inspect the file: \(String(cString: strerror(errno)))", file: path)
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw ModelError("not a regular file", file: path)
    }
    let size = Int(info.st_size)
    count = size
    if size == 0 {
      base = nil
      return
    }
    let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
    guard let mapped, mapped != MAP_FAILED else {
      throw ModelError("cannot map the file: \(String(cString: strerror(errno)))", file: path)
    }
    base = mapped
  }

  deinit {
    if let base { munmap(base, count) }
  }

  /// The file's bytes (valid while this object is alive).
  var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
