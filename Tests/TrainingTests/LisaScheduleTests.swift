import Testing
import Training

@Suite struct LisaScheduleTests {
  @Test func alternatesOneAlignmentStepAndNineFineTuningSteps() {
    let s = LisaSchedule(alignmentSteps: 1, fineTuneSteps: 9, rho: 1)
    let phases = (1...21).map { s.phase(ofStep: $0) }
    #expect(phases[0] == .alignment && phases[10] == .alignment && phases[20] == .alignment)
    #expect(phases.filter { $0 == .alignment }.count == 3)
    #expect(phases[1...9].allSatisfy { $0 == .fineTuning })
    // Anchors change at 1 (start), 2 (to fine-tuning), 11 (to alignment), 12, 21.
    #expect((1...21).filter(s.startsPhase) == [1, 2, 11, 12, 21])
  }

  @Test func totalStepsHoldEveryFineTuningStep() {
    let s = LisaSchedule(alignmentSteps: 1, fineTuneSteps: 9, rho: 1)
    #expect(s.totalSteps(fineTuning: 12) == 14)  // 2 cycles: 1 + 9, 1 + 3
    #expect(s.totalSteps(fineTuning: 9) == 10)
    #expect(s.totalSteps(fineTuning: 0) == 0)
    // The count of fine-tuning steps among them is exactly the requested one.
    let total = s.totalSteps(fineTuning: 12)
    #expect((1...total).filter { s.phase(ofStep: $0) == .fineTuning }.count == 12)
    #expect(LisaSchedule(alignmentSteps: 0, fineTuneSteps: 9, rho: 1).problems().count == 1)
  }
}
