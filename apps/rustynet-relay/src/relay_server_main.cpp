// SPDX-License-Identifier: Apache-2.0
// rustynet-relay: Rustynet relay: forwards tunnel ciphertext between peers; never decrypts.
#include "relay_server_main.hpp"

#include <ostream>

namespace rustynet::apps::relay_server {
namespace {

constexpr const char* kUsage =
    "usage: rustynet-relay [--help] [--version]\n"
    "\n"
    "Rustynet relay: forwards tunnel ciphertext between peers; never decrypts.\n";

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    out << kUsage;
    return 0;
  }
  if (args[0] == "--version") {
    out << "rustynet-relay " << RUSTYNET_VERSION << "\n";
    return 0;
  }
  err << "rustynet-relay: unknown argument '" << args[0] << "'\n" << kUsage;
  return 64;  // EX_USAGE
}

}  // namespace rustynet::apps::relay_server
