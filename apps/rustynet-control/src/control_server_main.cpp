// SPDX-License-Identifier: Apache-2.0
// rustynet-control: Rustynet control plane: serves signed state over TLS 1.3 only.
#include "control_server_main.hpp"

#include <ostream>

namespace rustynet::apps::control_server {
namespace {

constexpr const char* kUsage =
    "usage: rustynet-control [--help] [--version]\n"
    "\n"
    "Rustynet control plane: serves signed state over TLS 1.3 only.\n";

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    out << kUsage;
    return 0;
  }
  if (args[0] == "--version") {
    out << "rustynet-control " << RUSTYNET_VERSION << "\n";
    return 0;
  }
  err << "rustynet-control: unknown argument '" << args[0] << "'\n" << kUsage;
  return 64;  // EX_USAGE
}

}  // namespace rustynet::apps::control_server
