#pragma once
// The LLVM C API of Debian's llvm-dev (LLVM 14). include/llvm-c and include/llvm are
// links to /usr/lib/llvm-14/include, so no unsafe compiler flags are needed.
#include "llvm-c/Core.h"
#include "llvm-c/Analysis.h"
#include "llvm-c/Error.h"
#include "llvm-c/IRReader.h"
#include "llvm-c/LLJIT.h"
#include "llvm-c/Orc.h"
#include "llvm-c/Support.h"
#include "llvm-c/Target.h"
#include "llvm-c/TargetMachine.h"
#include "llvm-c/Transforms/PassBuilder.h"
