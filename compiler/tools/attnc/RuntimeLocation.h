//===- RuntimeLocation.h - Where the runtime library and header are -------===//
//
// `attnc --print-runtime-library` and `--print-include-dir`: what a build
// script or the Python package links a compiled model with, found from
// the driver's own location (an installed tree) or the build tree it came
// from.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TOOLS_ATTNC_RUNTIMELOCATION_H
#define ATTNC_TOOLS_ATTNC_RUNTIMELOCATION_H

namespace attnc::driver {

enum class RuntimeFile { Library, IncludeDir };

/// Prints the path of `what` and returns 0, or prints an error naming the
/// places looked at and returns 1. `argv0` locates the driver.
int printRuntimeLocation(RuntimeFile what, const char *argv0);

} // namespace attnc::driver

#endif
