import Foundation

/// Where Scalpel keeps what it downloads or compiles: models, JIT objects, judge heads.
///
/// The command-line convention is `$SCALPEL_CACHE`, else `~/.cache/scalpel`. The library never
/// reads the environment by itself: callers pass it (the tools pass the process environment).
public enum CacheLocation {
  /// The cache root for `environment`.
  public static func root(
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> String {
    if let root = environment["SCALPEL_CACHE"], !root.isEmpty { return root }
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return home + "/.cache/scalpel"
  }
}
