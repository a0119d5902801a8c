//===- OutputFiles.cpp - Writing attnc's outputs without data loss --------===//

#include "OutputFiles.h"

#include "Driver.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <vector>

namespace fs = llvm::sys::fs;

namespace attnc::driver {

namespace {

/// A path that may not exist yet, as the file system will resolve it: links
/// in its folder resolved where that folder exists, "." and ".." removed.
std::string resolvedPath(const std::string &path) {
  llvm::SmallString<256> real;
  if (!fs::real_path(path, real))
    return real.str().str();
  llvm::SmallString<256> absolute(path);
  fs::make_absolute(absolute);
  llvm::sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
  if (!fs::real_path(llvm::sys::path::parent_path(absolute), real)) {
    llvm::sys::path::append(real, llvm::sys::path::filename(absolute));
    return real.str().str();
  }
  return absolute.str().str();
}

bool sameFile(const std::string &a, const std::string &b) {
  bool same = false;
  if (fs::exists(a) && fs::exists(b))
    return !fs::equivalent(a, b, same) && same;
  return resolvedPath(a) == resolvedPath(b);
}

} // namespace

bool writtenInPlace(const std::string &path) {
  if (path == "-")
    return true;
  llvm::SmallString<256> absolute(path);
  fs::make_absolute(absolute);
  llvm::sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
  llvm::StringRef lexical = absolute;
  if (lexical.starts_with("/dev/") || lexical.starts_with("/proc/"))
    return true;
  fs::file_status status;
  return !fs::status(path, status) && fs::exists(status) && !fs::is_regular_file(status);
}

namespace {

/// Writes everything, then takes the stream's error (raw_fd_ostream reports
/// write errors late, and aborts at destruction on one nobody took).
std::error_code writeAll(llvm::raw_fd_ostream &os, llvm::StringRef contents) {
  os << contents;
  os.flush();
  std::error_code ec = os.error();
  os.clear_error();
  return ec;
}

std::error_code writeInPlace(const OutputContents &output) {
  if (output.path == "-")
    return writeAll(llvm::outs(), output.contents);
  std::error_code ec;
  llvm::raw_fd_ostream os(output.path, ec, fs::OF_None);
  if (ec)
    return ec;
  if ((ec = writeAll(os, output.contents)))
    return ec;
  os.close();
  ec = os.error();
  os.clear_error();
  return ec;
}

/// A regular file written to a temporary file beside it, not yet renamed.
struct StagedFile {
  fs::TempFile temp;
  std::string destination;   // through symbolic links, so a link is kept
};

/// Creates and fills the temporary file of one regular output.
std::error_code stage(const OutputContents &output, std::vector<StagedFile> &staged) {
  std::string destination = output.path;
  llvm::SmallString<256> real;
  if (!fs::real_path(output.path, real))
    destination = real.str().str();
  llvm::Expected<fs::TempFile> temp = fs::TempFile::create(destination + "-%%%%%%%%.tmp");
  if (!temp)
    return llvm::errorToErrorCode(temp.takeError());
  staged.push_back({std::move(*temp), destination});
  llvm::raw_fd_ostream os(staged.back().temp.FD, /*shouldClose=*/false);
  return writeAll(os, output.contents);
}

} // namespace

bool checkOutputsDistinct(const std::string &inputPath, llvm::ArrayRef<OutputFile> outputs,
                          int &exitCode) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    // Writing stdout or a device replaces nothing (`-o /dev/null` takes
    // every kind).
    const OutputFile &out = outputs[i];
    if (writtenInPlace(out.path))
      continue;
    if (sameFile(out.path, inputPath)) {
      exitCode = error(kUsageError, out.what + " '" + out.path +
                                        "' would overwrite the input model '" + inputPath + "'");
      return false;
    }
    for (size_t j = 0; j < i; ++j)
      if (sameFile(out.path, outputs[j].path)) {
        exitCode = error(kUsageError, outputs[j].what + " '" + outputs[j].path + "' and " +
                                          out.what + " '" + out.path +
                                          "' would be the same file");
        return false;
      }
  }
  return true;
}

bool writeOutputs(llvm::ArrayRef<OutputContents> outputs, int &exitCode) {
  std::vector<StagedFile> staged;
  auto fail = [&](const std::string &path, std::error_code ec, size_t firstUnkept) {
    for (size_t i = firstUnkept; i < staged.size(); ++i)
      llvm::consumeError(staged[i].temp.discard());
    exitCode = error(kUserError, "cannot write '" + path + "': " + ec.message());
    return false;
  };
  // Regular files first, to temporary files: a failure there replaces nothing.
  std::vector<const OutputContents *> stagedOutputs;
  for (const OutputContents &output : outputs)
    if (!writtenInPlace(output.path)) {
      stagedOutputs.push_back(&output);
      if (std::error_code ec = stage(output, staged))
        return fail(output.path, ec, 0);
    }
  // Kinds bound for one device are written with one open: a FIFO's reader
  // stops at the first close.
  std::vector<OutputContents> inPlace;
  for (const OutputContents &output : outputs) {
    if (!writtenInPlace(output.path))
      continue;
    auto same = [&](const OutputContents &o) { return o.path == output.path; };
    auto it = std::find_if(inPlace.begin(), inPlace.end(), same);
    if (it == inPlace.end())
      inPlace.push_back(output);
    else
      it->contents += output.contents;
  }
  for (const OutputContents &output : inPlace)
    if (std::error_code ec = writeInPlace(output))
      return fail(output.path, ec, 0);
  for (size_t i = 0; i < staged.size(); ++i)
    if (llvm::Error e = staged[i].temp.keep(staged[i].destination))
      return fail(stagedOutputs[i]->path, llvm::errorToErrorCode(std::move(e)), i + 1);
  return true;
}

} // namespace attnc::driver
