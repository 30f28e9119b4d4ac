import CScalpelHeader
import IR

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A failed C call: the `scalpel_status` it returns and the message `scalpel_last_error` gives.
struct APIError: Error {
  var status: scalpel_status
  var message: String

  init(_ status: scalpel_status, _ message: String) {
    self.status = status
    self.message = message
  }

  static func invalid(_ message: String) -> APIError {
    APIError(SCALPEL_ERROR_INVALID_ARGUMENT, message)
  }
}

/// Runs one C call's body: 0 on success, else the error's status, its message kept as this
/// thread's last error. No Swift error crosses the C boundary.
func boundary(_ body: () throws(APIError) -> Void) -> Int32 {
  do {
    try body()
    return Int32(SCALPEL_OK.rawValue)
  } catch {
    setLastError(error.message)
    return Int32(error.status.rawValue)
  }
}

/// The thread-specific slot holding this thread's last error (a `strdup`ed string, freed when
/// replaced or when the thread exits).
private let lastErrorKey: pthread_key_t = {
  var key = pthread_key_t()
  pthread_key_create(&key) { free($0) }
  return key
}()

private func setLastError(_ message: String) {
  free(pthread_getspecific(lastErrorKey))
  pthread_setspecific(lastErrorKey, strdup(message))
}

/// This thread's last error message, or "" if no call on this thread has failed.
func lastError() -> UnsafePointer<CChar> {
  if let message = pthread_getspecific(lastErrorKey) {
    return UnsafePointer(message.assumingMemoryBound(to: CChar.self))
  }
  return permanent.empty
}

/// The C strings handed out without ownership: made once, kept for the life of the process.
private struct PermanentStrings: @unchecked Sendable {
  let empty = permanentCopy("")
  let version = permanentCopy(SCALPEL_VERSION)
  let dtypes = Dictionary(
    uniqueKeysWithValues: DType.allCases.map { ($0, permanentCopy($0.rawValue)) })
}

private let permanent = PermanentStrings()

private func permanentCopy(_ text: String) -> UnsafePointer<CChar> {
  let bytes = Array(text.utf8CString)
  let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
  copy.initialize(from: bytes, count: bytes.count)
  return UnsafePointer(copy)
}

/// The version string of `scalpel_version` (the header's `SCALPEL_VERSION`).
var versionCString: UnsafePointer<CChar> { permanent.version }

/// The IR name of a dtype as a permanent C string.
func cString(_ dtype: DType) -> UnsafePointer<CChar> { permanent.dtypes[dtype] ?? permanent.empty }

/// The Swift string at a C argument: NULL and invalid UTF-8 are errors naming the argument.
func string(_ pointer: UnsafePointer<CChar>?, _ argument: String) throws(APIError) -> String {
  guard let pointer else { throw .invalid("\(argument) is NULL") }
  guard let text = String(validatingCString: pointer) else {
    throw .invalid("\(argument) is not valid UTF-8")
  }
  return text
}

/// The non-NULL pointer `pointer`, else an error naming the argument.
func required<P>(_ pointer: P?, _ argument: String) throws(APIError) -> P {
  guard let pointer else { throw .invalid("\(argument) is NULL") }
  return pointer
}

/// A `malloc`ed C copy of `text`, for the caller to free (`scalpel_string_free`).
func ownedCString(_ text: String) throws(APIError) -> UnsafeMutablePointer<CChar> {
  guard let copy = strdup(text) else { throw .invalid("out of memory copying a string") }
  return copy
}
