//===- CIdentifiers.cpp - Model names as C and C++ identifiers ------------===//

#include "attnc/Target/CIdentifiers.h"

#include <algorithm>
#include <string>
#include <unordered_set>

namespace attnc {

namespace {

/// Keywords of C11 to C23, C++17 to C++26 and the technical specifications
/// compilers implement, GNU C's (asm, typeof), and C++'s
/// alternative tokens. Reserved spellings (_Bool, __int128) are left to
/// isReservedForImplementation.
const char *const kKeywords[] = {
    "alignas", "alignof", "and", "and_eq", "asm", "atomic_cancel", "atomic_commit",
    "atomic_noexcept", "auto", "bitand", "bitor", "bool", "break", "case", "catch", "char",
    "char8_t", "char16_t", "char32_t", "class", "co_await", "co_return", "co_yield", "compl",
    "concept", "const", "const_cast", "consteval", "constexpr", "constinit", "continue",
    "contract_assert", "decltype", "default", "delete", "do", "double", "dynamic_cast", "else",
    "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if",
    "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
    "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "reflexpr",
    "register", "reinterpret_cast", "requires", "restrict", "return", "short", "signed",
    "sizeof", "static", "static_assert", "static_cast", "struct", "switch", "synchronized",
    "template", "this", "thread_local", "throw", "transaction_safe", "transaction_safe_dynamic",
    "true", "try", "typedef", "typeid", "typename", "typeof", "typeof_unqual", "union",
    "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq"};

/// Macros and type names of the C standard library's headers (C17 and C23),
/// which a program including the header may well have, and the macros that
/// compilers predefine without a leading underscore on some target. Families
/// are completed by addMacroFamilies and isStdintName.
const char *const kLibraryNames[] = {
    // <assert.h>, <stddef.h>, <stdbool.h>, <stdalign.h>, <stdnoreturn.h>
    "assert", "NULL", "offsetof", "unreachable", "noreturn", "size_t", "ptrdiff_t",
    "max_align_t", "nullptr_t",
    // <errno.h>
    "errno", "EDOM", "EILSEQ", "ERANGE",
    // <stdio.h>, <stdlib.h>, <stdarg.h>, <setjmp.h>, <wchar.h>
    "FILE", "fpos_t", "div_t", "ldiv_t", "lldiv_t", "va_list", "jmp_buf", "wint_t", "mbstate_t",
    "BUFSIZ", "EOF", "FILENAME_MAX", "FOPEN_MAX", "L_tmpnam", "SEEK_CUR", "SEEK_END",
    "SEEK_SET", "TMP_MAX", "stderr", "stdin", "stdout", "EXIT_FAILURE", "EXIT_SUCCESS",
    "MB_CUR_MAX", "RAND_MAX", "va_arg", "va_copy", "va_end", "va_start", "setjmp", "WEOF",
    // <stdint.h>, beyond the INT and UINT patterns of isStdintName
    "PTRDIFF_MIN", "PTRDIFF_MAX", "PTRDIFF_WIDTH", "SIG_ATOMIC_MIN", "SIG_ATOMIC_MAX",
    "SIG_ATOMIC_WIDTH", "SIZE_MAX", "SIZE_WIDTH", "WCHAR_MIN", "WCHAR_MAX", "WCHAR_WIDTH",
    "WINT_MIN", "WINT_MAX", "WINT_WIDTH",
    // <limits.h>
    "BITINT_MAXWIDTH", "BOOL_MAX", "BOOL_WIDTH", "CHAR_BIT", "CHAR_MAX", "CHAR_MIN",
    "CHAR_WIDTH", "LLONG_MAX", "LLONG_MIN", "LLONG_WIDTH", "LONG_MAX", "LONG_MIN", "LONG_WIDTH",
    "MB_LEN_MAX", "SCHAR_MAX", "SCHAR_MIN", "SCHAR_WIDTH", "SHRT_MAX", "SHRT_MIN", "SHRT_WIDTH",
    "UCHAR_MAX", "UCHAR_WIDTH", "ULLONG_MAX", "ULLONG_WIDTH", "ULONG_MAX", "ULONG_WIDTH",
    "USHRT_MAX", "USHRT_WIDTH",
    // <float.h>, beyond the FLT_, DBL_ and LDBL_ family
    "DECIMAL_DIG", "FLT_EVAL_METHOD", "FLT_RADIX", "FLT_ROUNDS",
    // <math.h>, <fenv.h>, <complex.h>
    "HUGE_VAL", "HUGE_VALF", "HUGE_VALL", "INFINITY", "NAN", "FP_FAST_FMA", "FP_FAST_FMAF",
    "FP_FAST_FMAL", "FP_ILOGB0", "FP_ILOGBNAN", "FP_INFINITE", "FP_NAN", "FP_NORMAL",
    "FP_SUBNORMAL", "FP_ZERO", "MATH_ERREXCEPT", "MATH_ERRNO", "math_errhandling",
    "fpclassify", "isfinite", "isgreater", "isgreaterequal", "isinf", "isless",
    "islessequal", "islessgreater", "isnan", "isnormal", "isunordered", "signbit",
    "FE_ALL_EXCEPT", "FE_DFL_ENV", "FE_DIVBYZERO", "FE_DOWNWARD", "FE_INEXACT", "FE_INVALID",
    "FE_OVERFLOW", "FE_TONEAREST", "FE_TOWARDZERO", "FE_UNDERFLOW", "FE_UPWARD", "complex",
    "imaginary", "I", "CMPLX", "CMPLXF", "CMPLXL",
    // <signal.h>, <locale.h>, <time.h>, <threads.h>, <stdatomic.h>
    "SIG_DFL", "SIG_ERR", "SIG_IGN", "SIGABRT", "SIGFPE", "SIGILL", "SIGINT", "SIGSEGV",
    "SIGTERM", "LC_ALL", "LC_COLLATE", "LC_CTYPE", "LC_MONETARY", "LC_NUMERIC", "LC_TIME",
    "CLOCKS_PER_SEC", "TIME_UTC", "ONCE_FLAG_INIT", "TSS_DTOR_ITERATIONS", "ATOMIC_FLAG_INIT",
    "ATOMIC_VAR_INIT", "ATOMIC_BOOL_LOCK_FREE", "ATOMIC_CHAR_LOCK_FREE",
    "ATOMIC_CHAR8_T_LOCK_FREE", "ATOMIC_CHAR16_T_LOCK_FREE", "ATOMIC_CHAR32_T_LOCK_FREE",
    "ATOMIC_WCHAR_T_LOCK_FREE", "ATOMIC_SHORT_LOCK_FREE", "ATOMIC_INT_LOCK_FREE",
    "ATOMIC_LONG_LOCK_FREE", "ATOMIC_LLONG_LOCK_FREE", "ATOMIC_POINTER_LOCK_FREE",
    "kill_dependency",
    // Predefined by GCC or Clang on some target, in their GNU modes.
    "i386", "linux", "mips", "sparc", "sun", "unix", "MIPSEB", "MIPSEL", "WIN32", "WIN64",
    "WINNT", "TARGET_IPHONE_SIMULATOR", "TARGET_OS_DRIVERKIT", "TARGET_OS_EMBEDDED",
    "TARGET_OS_IOS", "TARGET_OS_IPHONE", "TARGET_OS_LINUX", "TARGET_OS_MAC",
    "TARGET_OS_MACCATALYST", "TARGET_OS_NANO", "TARGET_OS_OSX", "TARGET_OS_SIMULATOR",
    "TARGET_OS_TV", "TARGET_OS_UIKITFORMAC", "TARGET_OS_UNIX", "TARGET_OS_VISION",
    "TARGET_OS_WATCH", "TARGET_OS_WIN32", "TARGET_OS_WINDOWS",
    // <attnc/runtime.h> (its include guard is its only macro)
    "ATTNC_RUNTIME_H"};

/// The macro families of <float.h> (FLT_MAX, DBL_EPSILON ...) and
/// <inttypes.h> (PRId64, SCNxPTR ...).
void addMacroFamilies(std::unordered_set<std::string> &out) {
  for (const char *type : {"FLT_", "DBL_", "LDBL_"})
    for (const char *what :
         {"DECIMAL_DIG", "DIG", "EPSILON", "HAS_SUBNORM", "IS_IEC_60559", "MANT_DIG", "MAX",
          "MAX_10_EXP", "MAX_EXP", "MIN", "MIN_10_EXP", "MIN_EXP", "NORM_MAX", "SNAN",
          "TRUE_MIN"})
      out.insert(std::string(type) + what);
  for (const char *width : {"8", "16", "32", "64"})
    for (const char *kind : {"", "LEAST", "FAST"})
      for (const char *conversion : {"d", "i", "o", "u", "x", "X"}) {
        std::string suffix = std::string(conversion) + kind + width;
        out.insert("PRI" + suffix);
        if (*conversion != 'X')
          out.insert("SCN" + suffix);
      }
  for (const char *conversion : {"d", "i", "o", "u", "x", "X"})
    for (const char *width : {"MAX", "PTR"}) {
      out.insert(std::string("PRI") + conversion + width);
      if (*conversion != 'X')
        out.insert(std::string("SCN") + conversion + width);
    }
}

bool startsWith(const std::string &s, const char *prefix) { return s.rfind(prefix, 0) == 0; }
bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::char_traits<char>::length(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

/// <stdint.h> by the patterns C reserves for it: types int..._t and
/// uint..._t (the structs' own member types among them), macros INT... and
/// UINT... ending in _MIN, _MAX, _WIDTH or _C.
bool isStdintName(const std::string &s) {
  if ((startsWith(s, "int") || startsWith(s, "uint")) && endsWith(s, "_t"))
    return true;
  if (startsWith(s, "INT") || startsWith(s, "UINT"))
    for (const char *suffix : {"_MIN", "_MAX", "_WIDTH", "_C"})
      if (endsWith(s, suffix))
        return true;
  return false;
}

/// C and C++ reserve names that begin with '_' and a capital or a second
/// '_'; C++ also those with "__" anywhere. Compilers' own macros live there.
bool isReservedForImplementation(const std::string &s) {
  if (s.size() >= 2 && s[0] == '_' && (s[1] == '_' || (s[1] >= 'A' && s[1] <= 'Z')))
    return true;
  return s.find("__") != std::string::npos;
}

/// Whether C or C++ (or the preprocessor of either) could read `name`, as a
/// struct member of a header that includes <attnc/runtime.h>, as something
/// else, or reserve it for the implementation. `alsoTaken` lists the header's
/// own macros (its include guard).
bool isUnsafeMember(const std::string &name, const std::set<std::string> &alsoTaken) {
  static const std::unordered_set<std::string> words = [] {
    std::unordered_set<std::string> all(std::begin(kKeywords), std::end(kKeywords));
    all.insert(std::begin(kLibraryNames), std::end(kLibraryNames));
    addMacroFamilies(all);
    return all;
  }();
  return words.count(name) || alsoTaken.count(name) || isStdintName(name) ||
         isReservedForImplementation(name);
}

/// The name with each run of '_' made one, without a trailing '_', nor a
/// leading one unless a digit follows: appending "_" or "_N" to it makes no
/// reserved name, no keyword and no macro.
std::string stem(const std::string &name) {
  std::string out;
  for (char c : name)
    if (c != '_' || out.empty() || out.back() != '_')
      out += c;
  if (!out.empty() && out.back() == '_')
    out.pop_back();
  if (!out.empty() && out[0] == '_' && !(out.size() > 1 && out[1] >= '0' && out[1] <= '9'))
    out.erase(0, 1);
  return out;
}

} // namespace

std::vector<std::string> memberSpellings(const std::vector<std::string> &names,
                                         const std::set<std::string> &alsoTaken) {
  std::set<std::string> used(names.begin(), names.end());
  std::vector<std::string> out;
  for (const std::string &written : names) {
    bool quoted = written.find('.') != std::string::npos;
    if (!quoted && !isUnsafeMember(written, alsoTaken)) {
      out.push_back(written);
      continue;
    }
    // A quoted name's dots (`encoder.layer.0.weight`) become '_', unless
    // that spelling is unsafe or another member's.
    std::string name = written;
    std::replace(name.begin(), name.end(), '.', '_');
    if (quoted && !used.count(name) && !isUnsafeMember(name, alsoTaken)) {
      used.insert(name);
      out.push_back(name);
      continue;
    }
    std::string base = stem(name) + "_", candidate = base;
    for (int n = 2; used.count(candidate) || isUnsafeMember(candidate, alsoTaken); ++n)
      candidate = base + std::to_string(n);
    used.insert(candidate);
    out.push_back(candidate);
  }
  return out;
}

} // namespace attnc
