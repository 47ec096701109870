// SPDX-License-Identifier: Apache-2.0
// rustynetd: Rustynet node daemon: applies signed state from rustynet-control to the tunnel backend.
#include "daemon_main.hpp"

#include <ostream>

namespace rustynet::apps::daemon {
namespace {

constexpr const char* kUsage =
    "usage: rustynetd [--help] [--version]\n"
    "\n"
    "Rustynet node daemon: applies signed state from rustynet-control to the tunnel backend.\n";

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    out << kUsage;
    return 0;
  }
  if (args[0] == "--version") {
    out << "rustynetd " << RUSTYNET_VERSION << "\n";
    return 0;
  }
  err << "rustynetd: unknown argument '" << args[0] << "'\n" << kUsage;
  return 64;  // EX_USAGE
}

}  // namespace rustynet::apps::daemon
