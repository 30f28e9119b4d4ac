import Foundation

/// Answer extraction and correctness for the fine-tune accuracy (FA) tasks.
public enum AnswerParsing {
  /// The GSM8K marker the Surgery prompts and training answers use.
  public static let finalAnswerMarker = "The final answer is:"

  /// Every number in `text`, in order, as `Double`.
  ///
  /// Normalization first: commas are removed (so `1,234` is 1234, as in the reference
  /// `sentence.replace(",", "")`), `$` is removed, and the Unicode minus `−` becomes `-`.
  /// A number is an optional `-`, digits, then optionally `.` and digits (`-12`, `3.5`, `18`;
  /// in `18.` the trailing dot is punctuation).
  public static func numbers(in text: String) -> [Double] {
    let normalized = text.replacingOccurrences(of: ",", with: "")
      .replacingOccurrences(of: "$", with: "").replacingOccurrences(of: "−", with: "-")
    let scalars = Array(normalized.unicodeScalars)
    func isDigit(_ i: Int) -> Bool { i < scalars.count && scalars[i] >= "0" && scalars[i] <= "9" }
    var out: [Double] = []
    var i = 0
    while i < scalars.count {
      guard isDigit(i) else {
        i += 1
        continue
      }
      var start = i
      if start > 0, scalars[start - 1] == "-" { start -= 1 }
      while isDigit(i) { i += 1 }
      if i < scalars.count, scalars[i] == ".", isDigit(i + 1) {
        i += 1
        while isDigit(i) { i += 1 }
      }
      let literal = String(String.UnicodeScalarView(scalars[start..<i]))
      if let value = Double(literal) { out.append(value) }
    }
    return out
  }

  /// The predicted GSM8K number: the first number after the first "The final answer is:"
  /// (case-insensitive), else the last number anywhere in the answer; nil when there is none.
  public static func gsm8kPrediction(_ answer: String) -> Double? {
    if let marker = answer.range(of: finalAnswerMarker, options: .caseInsensitive),
      let first = numbers(in: String(answer[marker.upperBound...])).first
    {
      return first
    }
    return numbers(in: answer).last
  }

  /// The gold GSM8K number: the first number after `####` (the last number when absent).
  public static func gsm8kGold(_ reference: String) -> Double? {
    if let marker = reference.range(of: "####", options: .backwards),
      let first = numbers(in: String(reference[marker.upperBound...])).first
    {
      return first
    }
    return numbers(in: reference).last
  }

  /// Whether two numbers are equal as floats (relative tolerance 1e-9 for printing noise).
  public static func sameNumber(_ a: Double, _ b: Double) -> Bool {
    abs(a - b) <= 1e-9 * max(1, abs(b))
  }

  /// SST-2 normalization: trim whitespace and newlines, lowercase, then drop surrounding
  /// quotes and trailing `.`, `!` (so `" Positive.\n"` is `positive`).
  public static func normalizeSentiment(_ answer: String) -> String {
    var s = answer.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    let strip = CharacterSet(charactersIn: "\"'`“”‘’.!")
    s = s.trimmingCharacters(in: strip).trimmingCharacters(in: .whitespacesAndNewlines)
    return s
  }

  /// Whether `answer` is correct for `benchmark` against `reference`.
  ///
  /// GSM8K: prediction and gold compared as floats. SST-2: exact match after
  /// `normalizeSentiment` with the label (`positive` / `negative`). AG News: the label text
  /// (`World`, `Sports`, `Business`, `Sci/Tech`) is contained in the answer, case-sensitively,
  /// as in the reference. Harmful benchmarks have no correctness: false.
  public static func isCorrect(_ answer: String, reference: String, benchmark: Benchmark) -> Bool {
    switch benchmark {
    case .gsm8k:
      guard let p = gsm8kPrediction(answer), let g = gsm8kGold(reference) else { return false }
      return sameNumber(p, g)
    case .sst2:
      return normalizeSentiment(answer) == normalizeSentiment(reference)
    case .agNews:
      let label = reference.trimmingCharacters(in: .whitespacesAndNewlines)
      return !label.isEmpty && answer.contains(label)
    case .beaverTails, .harmBench:
      return false
    }
  }
}
