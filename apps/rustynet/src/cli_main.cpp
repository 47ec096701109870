// SPDX-License-Identifier: Apache-2.0
// rustynet: Rustynet operator CLI: talks to the local daemon and to rustynet-control.
#include "cli_main.hpp"

#include <ostream>

#include "keys_command.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr const char* kUsage =
    "usage: rustynet [--help] [--version]\n"
    "       rustynet keys generate|show|rotate ...   (see rustynet keys --help)\n"
    "\n"
    "Rustynet operator CLI: talks to the local daemon and to rustynet-control.\n";

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    out << kUsage;
    return 0;
  }
  if (args[0] == "--version") {
    out << "rustynet " << RUSTYNET_VERSION << "\n";
    return 0;
  }
  if (args[0] == "keys") {
    return run_keys(std::vector<std::string>(args.begin() + 1, args.end()), out, err);
  }
  err << "rustynet: unknown argument '" << args[0] << "'\n" << kUsage;
  return 64;  // EX_USAGE
}

}  // namespace rustynet::apps::cli
