// Empty: makes SwiftPM treat CFuzzer as a C target (the declaration is in include/).
