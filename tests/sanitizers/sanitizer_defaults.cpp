//===- sanitizer_defaults.cpp - Sanitizer options built into the tools ----===//
//
// Linked into attnc and attnc-opt when ATTNC_SANITIZE=ON, so that the tools
// run correctly under AddressSanitizer however they are started (by ctest,
// by lit, or by the build itself, which compiles test models with attnc).
// Options in ASAN_OPTIONS / UBSAN_OPTIONS still override these.
//
// allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons the slabs it
// allocates and unpoisons each object it hands out, but only where the LLVM
// headers were compiled with AddressSanitizer. attnc's own (instrumented)
// code and the uninstrumented libMLIR.so/libLLVM.so share allocators: a slab
// poisoned by our inlined copy of AllocateSlow is then carved by libMLIR's
// copy of Allocate, which does not unpoison, and MLIR's first write into it
// is reported as use-after-poison (e.g. in mlir::StringAttr::get). Ignoring
// manual poisoning removes these false reports; every other check
// (heap/stack/global overflows, use-after-free, leaks) stays on.
//
// allocator_may_return_null=1: an allocation that cannot be satisfied returns
// NULL as the C library's does, so that the out-of-memory paths of the
// runtime and of generated code run as in the ordinary build.
//
//===----------------------------------------------------------------------===//

#if defined(__SANITIZE_ADDRESS__)
#define ATTNC_HAS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ATTNC_HAS_ASAN 1
#endif
#endif

#ifdef ATTNC_HAS_ASAN
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0:allocator_may_return_null=1";
}
#endif

// Stacks make UBSan reports actionable (the build stops on the first one:
// -fno-sanitize-recover=undefined).
extern "C" const char *__ubsan_default_options() { return "print_stacktrace=1"; }
