#pragma once
#include <cblas.h>

// OpenBLAS's kernel selection, present only in DYNAMIC_ARCH builds (weak: null otherwise).
// quit forgets the chosen kernels; init chooses again, honouring OPENBLAS_CORETYPE.
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));

/// Runs OpenBLAS's kernel selection again; returns 0 (and does nothing) without DYNAMIC_ARCH.
static inline int scalpel_openblas_select_kernel(void) {
  if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit) return 0;
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  return 1;
}
