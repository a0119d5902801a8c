//===- RuntimeLocation.cpp - Where the runtime library and header are -----===//

#include "RuntimeLocation.h"

#include "Driver.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace attnc::driver {

int printRuntimeLocation(RuntimeFile what, const char *argv0) {
  // Installed: PREFIX/bin/attnc beside PREFIX/lib and PREFIX/include. Then
  // the build tree this driver was built in.
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable(argv0, &anchor);
  llvm::SmallString<256> prefix(llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
  bool library = what == RuntimeFile::Library;
  std::vector<std::string> candidates;
  llvm::SmallString<256> installed(prefix);
  llvm::sys::path::append(installed, library ? "lib/libattnc_runtime.a" : "include");
  candidates.push_back(std::string(installed));
  candidates.push_back(library ? ATTNC_BUILD_RUNTIME_LIBRARY : ATTNC_SOURCE_INCLUDE_DIR);

  for (const std::string &c : candidates) {
    std::string probe = library ? c : c + "/attnc/runtime.h";
    if (llvm::sys::fs::exists(probe)) {
      llvm::outs() << c << "\n";
      return 0;
    }
  }
  std::string looked;
  for (const std::string &c : candidates)
    looked += (looked.empty() ? "" : ", ") + c;
  return error(kUserError, std::string("cannot find ") +
                               (library ? "libattnc_runtime.a" : "the runtime's header attnc/runtime.h") +
                               " (looked at " + looked + ")");
}

} // namespace attnc::driver
