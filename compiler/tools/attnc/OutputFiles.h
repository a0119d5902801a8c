//===- OutputFiles.h - Writing attnc's outputs without data loss -*- C++ -*-===//
//
// Outputs are produced in memory and written only once they are complete. A
// regular file is written to a temporary file beside it, then renamed into
// place, so a failed command never leaves a truncated file, and an existing
// one is replaced only by a complete one. Devices, FIFOs and stdout ("-")
// cannot be renamed over; they are written directly.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TOOLS_ATTNC_OUTPUTFILES_H
#define ATTNC_TOOLS_ATTNC_OUTPUTFILES_H

#include "llvm/ADT/ArrayRef.h"

#include <string>

namespace attnc::driver {

/// A file the command writes: its path ("-" is stdout) and what it is, for
/// messages ("the header").
struct OutputFile {
  std::string path;
  std::string what;
};

/// Stdout ("-"), devices, FIFOs and the like, which a rename would replace
/// rather than write to. Paths under /dev and /proc count as such even when
/// they lead to a regular file: `-o /dev/stdout` writes to stdout, whatever
/// it is.
bool writtenInPlace(const std::string &path);

/// Reports an error (exit status 2) and returns false if an output is the
/// input file, or two outputs are one file, however their paths are spelt.
bool checkOutputsDistinct(const std::string &inputPath, llvm::ArrayRef<OutputFile> outputs,
                          int &exitCode);

/// An output ready to be written.
struct OutputContents {
  std::string path;
  std::string contents;
};

/// Writes every output, or reports `cannot write 'PATH': REASON` (exit
/// status 1) for the first that fails and replaces no regular file at all.
bool writeOutputs(llvm::ArrayRef<OutputContents> outputs, int &exitCode);

} // namespace attnc::driver

#endif
