//===- ProfileReport.cpp - attnc bench --profile --------------------------===//

#include "ProfileReport.h"

#include "attnc/Target/ModelInterface.h"
#include "attnc/Target/SymbolNames.h"

#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace attnc::driver {

bool KernelProfile::attach(HostJit &jit, const std::string &prefix, std::string &error) {
  std::string base = kernelSymbol(prefix) + "__profile";
  auto *count = static_cast<const int64_t *>(jit.lookup(base + "_count", error));
  counters = static_cast<const int64_t *>(jit.lookup(base + "_ns", error));
  auto *sites = static_cast<const char *>(jit.lookup(base + "_sites", error));
  if (!count || !counters || !sites)
    return false;
  // "what\tline:col line:col \0" per nest.
  for (int64_t i = 0; i < *count; ++i) {
    std::string site(sites);
    sites += site.size() + 1;
    Nest nest;
    size_t tab = site.find('\t');
    nest.what = site.substr(0, tab);
    std::istringstream positions(tab == std::string::npos ? "" : site.substr(tab + 1));
    unsigned line = 0, col = 0;
    char colon = 0;
    while (positions >> line >> colon >> col)
      nest.positions.push_back({line, col});
    nests.push_back(std::move(nest));
  }
  return true;
}

void KernelProfile::start() { atStart.assign(counters, counters + nests.size()); }

void KernelProfile::report(llvm::raw_ostream &os, const ast::Model &model,
                           const std::vector<int64_t> &dims, int calls) const {
  // FLOPs of each matmul and reduction, by its source position.
  std::map<std::pair<unsigned, unsigned>, double> flopsAt;
  forEachFlopSite(model, [&](const ast::Loc &loc, const DimExpr &flops) {
    int64_t f = 0;
    if (flops.evaluate(dims, f))
      flopsAt[{loc.line, loc.col}] += static_cast<double>(f);
  });
  double total = 0;
  std::vector<double> ms;
  for (size_t i = 0; i < nests.size(); ++i) {
    ms.push_back(static_cast<double>(counters[i] - atStart[i]) / calls * 1e-6);
    total += ms.back();
  }
  auto line = [&](const char *index, double t, const char *share, const char *rate,
                  const std::string &what) {
    char text[96];
    snprintf(text, sizeof text, "    %-4s %10.4f %7s %9s  ", index, t, share, rate);
    os << text << what << "\n";
  };
  os << "  profile: each loop nest of the kernel, per call\n"
     << "    #            ms   share   GFLOP/s  computes (model positions line:col)\n";
  for (size_t i = 0; i < nests.size(); ++i) {
    double flops = 0;
    std::set<std::pair<unsigned, unsigned>> seen;
    std::string where;
    for (const auto &p : nests[i].positions)
      if (seen.insert(p).second) {
        auto it = flopsAt.find(p);
        flops += it == flopsAt.end() ? 0 : it->second;
        where += (where.empty() ? "" : " ") + std::to_string(p.first) + ":" +
                 std::to_string(p.second);
      }
    char index[16], share[16], rate[32] = "-";
    snprintf(index, sizeof index, "%zu", i);
    snprintf(share, sizeof share, "%.1f%%", total > 0 ? 100.0 * ms[i] / total : 0.0);
    if (flops > 0 && ms[i] > 0)
      snprintf(rate, sizeof rate, "%.1f", flops / (ms[i] * 1e-3) * 1e-9);
    line(index, ms[i], share, rate, nests[i].what + " (" + where + ")");
  }
  char text[64];
  snprintf(text, sizeof text, "    %-4s %10.4f\n", "all", total);
  os << text;
}

} // namespace attnc::driver
