/// Lisa's alternation of an alignment phase and a fine-tuning phase: `alignmentSteps` optimizer
/// steps on alignment data, then `fineTuneSteps` on the task data, repeated until the
/// fine-tuning data has run its epochs. Both phases use the step graph rewritten by the
/// `proximal` pass; at every phase change the anchors (`anchor.P`) become the weights at the
/// end of the phase just finished, so each phase is pulled towards the other's last weights.
public struct LisaSchedule: Sendable, Hashable, Codable {
  public var alignmentSteps: Int
  public var fineTuneSteps: Int
  /// ρ of the proximal term ρ/2·‖w − w_anchor‖².
  public var rho: Double

  public init(alignmentSteps: Int, fineTuneSteps: Int, rho: Double) {
    self.alignmentSteps = alignmentSteps
    self.fineTuneSteps = fineTuneSteps
    self.rho = rho
  }

  /// The phase of an optimizer step.
  public enum Phase: String, Sendable, Hashable, Codable {
    case alignment
    case fineTuning = "fine_tuning"
  }

  /// Problems that make the schedule unusable, as sentences.
  public func problems() -> [String] {
    var out: [String] = []
    if alignmentSteps < 1 || fineTuneSteps < 1 {
      out.append("Lisa needs at least one step of each phase")
    }
    if !(rho >= 0 && rho.isFinite) { out.append("Lisa's rho must be non-negative, got \(rho)") }
    return out
  }

  /// The phase of step `step` (1-based): each cycle opens with its alignment steps.
  public func phase(ofStep step: Int) -> Phase {
    let cycle = alignmentSteps + fineTuneSteps
    return (step - 1) % cycle < alignmentSteps ? .alignment : .fineTuning
  }

  /// Whether step `step` (1-based) starts a new phase: the anchors must be set from the
  /// weights before it. Step 1 starts the first phase with the starting weights as anchors.
  public func startsPhase(_ step: Int) -> Bool {
    step == 1 || phase(ofStep: step) != phase(ofStep: step - 1)
  }

  /// Optimizer steps of a run whose fine-tuning phase takes `fineTuneSteps` steps in all: the
  /// cycles needed to hold them, each with its alignment steps (the last cycle may be short).
  public func totalSteps(fineTuning total: Int) -> Int {
    guard total > 0 else { return 0 }
    let cycles = (total + fineTuneSteps - 1) / fineTuneSteps
    return total + cycles * alignmentSteps
  }
}
