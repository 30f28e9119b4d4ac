import Foundation
import IR
import Runtime
import Testing

/// A fresh temporary directory for one test.
func temporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "scalpel-npy-" + UUID().uuidString
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// The NumPy-made fixtures committed under Tests/Fixtures/npy (see scripts/fixtures/).
func fixture(_ name: String) -> String {
  URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/npy/\(name).npy").path
}

/// The bytes of a `.npy` file with a given header dict text, version and data.
func npyBytes(_ dict: String, version: (UInt8, UInt8) = (1, 0), data: [UInt8] = []) -> [UInt8] {
  var header = Array(dict.utf8) + [UInt8(ascii: "\n")]
  var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version.0, version.1]
  if version.0 == 1 {
    out += [UInt8(header.count & 0xFF), UInt8(header.count >> 8)]
  } else {
    out += [UInt8(header.count & 0xFF), UInt8((header.count >> 8) & 0xFF), 0, 0]
  }
  header += data
  return out + header
}

let roundTripTensors: [HostTensor] = {
  do {
    return [
      try HostTensor(shape: [2, 3], [Float(1.5), -2, .infinity, 0, .leastNonzeroMagnitude, 7]),
      try HostTensor(shape: [3], [1.0, -0.0, Double.greatestFiniteMagnitude]),
      try HostTensor(shape: [2, 2], [Int32.min, -1, 0, Int32.max]),
      try HostTensor(shape: [1, 2], [Int64.min, Int64.max]),
      try HostTensor(shape: [4], [true, false, false, true]),
      HostTensor(scalar: Float(3.25)),
      HostTensor(scalar: 2.5),
      HostTensor(scalar: Int32(-7)),
      HostTensor(scalar: Int64(1) << 40),
      HostTensor(scalar: true),
      try HostTensor.zeros(TensorType(.f32, [0])),
      try HostTensor.zeros(TensorType(.f64, [2, 0, 3])),
      try HostTensor.zeros(TensorType(.i32, [0, 5])),
      try HostTensor.zeros(TensorType(.i64, [0])),
      try HostTensor.zeros(TensorType(.i1, [3, 0])),
    ]
  } catch {
    return []
  }
}()

@Test(arguments: roundTripTensors)
func npyRoundTrip(_ tensor: HostTensor) throws {
  let dir = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: dir) }
  let path = dir + "/t.npy"
  try Npy.write(tensor, to: path)
  let back = try Npy.read(path, expecting: tensor.type)
  #expect(back == tensor)
  let bytes = Npy.encode(tensor)
  #expect(bytes[6] == 1 && bytes[7] == 0)
  let headerEnd = 10 + Int(bytes[8]) + Int(bytes[9]) << 8
  #expect(headerEnd % 64 == 0)
  #expect(bytes[headerEnd - 1] == UInt8(ascii: "\n"))
  // Only the final file is left behind (the temporary file was renamed).
  #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["t.npy"])
}

@Test func roundTripTableCoversEveryDType() {
  #expect(Set(roundTripTensors.map(\.dtype)) == Set(DType.allCases))
  #expect(roundTripTensors.count == 15)
}

@Test func writeReplacesAnExistingFile() throws {
  let dir = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: dir) }
  let path = dir + "/t.npy"
  try Npy.write(HostTensor(scalar: 1.0), to: path)
  try Npy.write(try HostTensor(shape: [2], [Int32(4), 5]), to: path)
  #expect(try Npy.read(path).array(of: Int32.self) == [4, 5])
}

@Test func longHeaderIsWrittenAsVersion2() throws {
  let tensor = try HostTensor(shape: Array(repeating: 1, count: 30_000), [Float(2)])
  let bytes = Npy.encode(tensor)
  #expect(bytes[6] == 2)
  let back = try Npy.decode(bytes)
  #expect(back == tensor)
}

@Test func readsFilesWrittenByNumPy() throws {
  let f4 = try Npy.read(fixture("format_v1_f4"))
  #expect(f4.type == TensorType(.f32, [2, 3]))
  #expect(f4.array(of: Float.self) == [0, 0.25, 0.5, 0.75, 1, 1.25])
  let f8 = try Npy.read(fixture("format_v2_f8"))
  #expect(f8.array(of: Double.self) == [1.5, -2.25, 3, 1e300])
  let i4 = try Npy.read(fixture("format_v3_i4"))
  #expect(i4.array(of: Int32.self) == [1, -2, Int32.max])
  let i8 = try Npy.read(fixture("format_v1_i8_scalar"))
  #expect(i8.type == .scalar(.i64) && i8.scalar(of: Int64.self) == -(1 << 40))
  let b1 = try Npy.read(fixture("format_v1_b1"))
  #expect(b1.type == TensorType(.i1, [1, 3]) && b1.array(of: Bool.self) == [true, false, true])
  let empty = try Npy.read(fixture("format_v1_f4_empty"))
  #expect(empty.type == TensorType(.f32, [0, 3]))
}

@Test func acceptsUnambiguousByteOrderCharacters() throws {
  let native = try Npy.decode(
    npyBytes("{'descr': '=i4', 'fortran_order': False, 'shape': (1,), }", data: [5, 0, 0, 0]))
  #expect(native.array(of: Int32.self) == [5])
  let bools = try Npy.decode(
    npyBytes("{\"descr\": \"<b1\", \"fortran_order\": False, \"shape\": (2,)}", data: [1, 0]))
  #expect(bools.array(of: Bool.self) == [true, false])
}

/// One malformed file: its bytes and a phrase the error must contain.
struct BadNpy: Sendable, CustomTestStringConvertible {
  var name: String
  var bytes: [UInt8]
  var phrase: String
  var testDescription: String { name }
}

let f4Header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"

let badNpyFiles: [BadNpy] = [
  BadNpy(name: "empty file", bytes: [], phrase: "truncated header"),
  BadNpy(
    name: "bad magic", bytes: Array("PK\u{3}\u{4} not numpy at all".utf8), phrase: "bad magic"),
  BadNpy(name: "short magic", bytes: [0x93, 0x4E, 0x55], phrase: "truncated header"),
  BadNpy(
    name: "header shorter than declared",
    bytes: Array(npyBytes(f4Header, data: Array(repeating: 0, count: 8)).prefix(30)),
    phrase: "truncated header"),
  BadNpy(
    name: "unsupported version", bytes: npyBytes(f4Header, version: (4, 0), data: []),
    phrase: "unsupported format version 4.0"),
  BadNpy(
    name: "unsupported dtype",
    bytes: npyBytes(
      "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", data: [0, 0, 0, 0]),
    phrase: "unsupported dtype '<f2'"),
  BadNpy(
    name: "structured dtype",
    bytes: npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }"),
    phrase: "malformed header"),
  BadNpy(
    name: "big-endian",
    bytes: npyBytes(
      "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
      data: Array(repeating: 0, count: 8)),
    phrase: "big-endian"),
  BadNpy(
    name: "no byte order on a 4-byte type",
    bytes: npyBytes(
      "{'descr': '|i4', 'fortran_order': False, 'shape': (2,), }",
      data: Array(repeating: 0, count: 8)),
    phrase: "no byte order"),
  BadNpy(
    name: "fortran order",
    bytes: npyBytes(
      "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
      data: Array(repeating: 0, count: 8)),
    phrase: "fortran_order True"),
  BadNpy(
    name: "missing key",
    bytes: npyBytes("{'descr': '<f4', 'shape': (2,), }", data: Array(repeating: 0, count: 8)),
    phrase: "malformed header dict"),
  BadNpy(
    name: "extra key",
    bytes: npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}"),
    phrase: "malformed header dict"),
  BadNpy(name: "not a dict", bytes: npyBytes("descr = <f4"), phrase: "malformed header dict"),
  BadNpy(
    name: "negative dimension",
    bytes: npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }"),
    phrase: "malformed header dict"),
  BadNpy(
    name: "trailing garbage after dict",
    bytes: npyBytes(f4Header + " oops", data: Array(repeating: 0, count: 8)),
    phrase: "malformed header dict"),
  BadNpy(
    name: "truncated data", bytes: npyBytes(f4Header, data: [0, 0, 0, 0, 0]),
    phrase: "truncated data"),
  BadNpy(
    name: "extra data", bytes: npyBytes(f4Header, data: Array(repeating: 0, count: 12)),
    phrase: "shape/data size mismatch"),
  BadNpy(
    name: "absurd shape",
    bytes: npyBytes(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", data: [0]),
    phrase: "too many elements"),
  BadNpy(
    name: "huge but countable shape",
    bytes: npyBytes(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", data: [0]),
    phrase: "truncated data"),
]

@Test(arguments: badNpyFiles)
func badNpyIsAnErrorNamingTheFile(_ bad: BadNpy) throws {
  let dir = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: dir) }
  let path = dir + "/bad.npy"
  #expect(FileManager.default.createFile(atPath: path, contents: Data(bad.bytes)))
  do {
    let t = try Npy.read(path)
    Issue.record("\(bad.name): read \(t) instead of failing")
  } catch {
    #expect(error.file == path)
    #expect(error.description.contains(path))
    #expect(error.message.contains(bad.phrase), "\(bad.name): \(error.message)")
  }
}

@Test func wrongExpectedDTypeAndMissingFile() throws {
  do {
    _ = try Npy.read(fixture("format_v1_f4"), expecting: TensorType(.f64, [2, 3]))
    Issue.record("expected a dtype error")
  } catch {
    #expect(error.message.contains("wrong dtype: the file holds f32[2,3], expected f64[2,3]"))
    #expect(error.description.contains("format_v1_f4.npy"))
  }
  do {
    _ = try Npy.read("/nonexistent/dir/x.npy")
    Issue.record("expected a missing-file error")
  } catch {
    #expect(error.description.contains("/nonexistent/dir/x.npy"))
  }
}

@Test func writeIntoMissingDirectoryIsAnError() {
  do {
    try Npy.write(HostTensor(scalar: 1.0), to: "/nonexistent/dir/x.npy")
    Issue.record("expected an error")
  } catch {
    #expect(error.file == "/nonexistent/dir/x.npy")
  }
}
