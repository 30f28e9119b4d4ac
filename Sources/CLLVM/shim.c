// Empty: makes SwiftPM treat CLLVM as a C target whose headers are the LLVM C API.
