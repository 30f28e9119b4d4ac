import Training

/// A defense against harmful fine-tuning, as composable parts: each part is a graph pass or a
/// training option, and any set of them applies together (`surgery+lisa`). No part is plain
/// SFT. Settings are fixed in the preset before any run; every defense shares its learning
/// rate, epochs and batch.
public struct FineTuneDefense: Sendable, Hashable, Codable {
  /// Surgery: the `sink-divergence` pass, one harmful and one safe sample per step.
  public var surgery: SurgerySettings?
  /// SafeInstr-style mixing: refusal pairs amounting to `share`·n added to the fine-tuning data.
  public var safeInstructionShare: Double?
  /// Lisa: alternating alignment and fine-tuning steps with the `proximal` pass.
  public var lisa: LisaSettings?

  public init(
    surgery: SurgerySettings? = nil, safeInstructionShare: Double? = nil, lisa: LisaSettings? = nil
  ) {
    self.surgery = surgery
    self.safeInstructionShare = safeInstructionShare
    self.lisa = lisa
  }

  /// The Surgery penalty's settings.
  public struct SurgerySettings: Sendable, Hashable, Codable {
    public var lambda: Double
    public var sink: Int
    public init(lambda: Double, sink: Int) {
      self.lambda = lambda
      self.sink = sink
    }
  }

  /// Lisa's settings: the trainer's phase schedule (alignment and fine-tuning steps, ρ).
  public typealias LisaSettings = LisaSchedule

  /// Plain fine-tuning.
  public static let sft = FineTuneDefense()

  /// The defense's name in results and directories: `sft`, or its parts joined by `+` in a
  /// fixed order (`surgery`, `safeinstr`, `lisa`).
  public var name: String {
    var parts: [String] = []
    if surgery != nil { parts.append("surgery") }
    if safeInstructionShare != nil { parts.append("safeinstr") }
    if lisa != nil { parts.append("lisa") }
    return parts.isEmpty ? "sft" : parts.joined(separator: "+")
  }

  /// This defense with `other`'s parts added (a part both set keeps this one's settings).
  public func composed(with other: FineTuneDefense) -> FineTuneDefense {
    FineTuneDefense(
      surgery: surgery ?? other.surgery,
      safeInstructionShare: safeInstructionShare ?? other.safeInstructionShare,
      lisa: lisa ?? other.lisa)
  }

  /// The training graph's objective (the passes before `grad` that change the loss).
  public var objective: Defense {
    surgery.map { .surgery(lambda: $0.lambda, sink: $0.sink) } ?? .sft
  }

  /// Problems that make the settings unusable, as sentences.
  public func problems() -> [String] {
    var out: [String] = []
    if let s = safeInstructionShare, !(s > 0 && s <= 1) {
      out.append("the SafeInstr share must be in (0, 1], got \(s)")
    }
    if let l = lisa {
      if l.alignmentSteps < 1 || l.fineTuneSteps < 1 {
        out.append("Lisa needs at least one step of each phase")
      }
      if !(l.rho >= 0 && l.rho.isFinite) { out.append("Lisa's rho must be non-negative") }
    }
    if let s = surgery, !(s.lambda >= 0 && s.lambda.isFinite) {
      out.append("Surgery's lambda must be non-negative")
    }
    return out
  }

  /// Refusal pairs SafeInstr adds to `samples` fine-tuning samples: round(share·n).
  public func safeInstructionCount(samples: Int) -> Int {
    guard let share = safeInstructionShare else { return 0 }
    return Int((share * Double(samples)).rounded())
  }
}
