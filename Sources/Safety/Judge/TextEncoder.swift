/// What the judge's heads read: a fixed-length vector per text, from some encoder.
///
/// `SentenceEmbedder` (a BERT sentence encoder) and `VerdictEncoder` (a small causal language
/// model asked for a verdict) conform. Vectors are cached on disk under `identity`.
public protocol TextEncoder: AnyObject {
  /// Identifies the model and settings in cache keys and in the judge card.
  var identity: String { get }
  /// The length of every vector `encode` returns (the cached length).
  var dimension: Int { get }
  /// The leading coordinates of each vector that the heads read.
  var featureCount: Int { get }
  /// The coordinate holding a zero-shot verdict (log-odds of "harmful"), if the encoder gives
  /// one; it is reported on the card, never fed to the heads.
  var verdictIndex: Int? { get }
  /// One vector per text, in order; `progress` receives the number done so far.
  func encode(_ texts: [String], progress: ((Int) -> Void)?) throws(SafetyError) -> [[Float]]
}
