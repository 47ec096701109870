// SPDX-License-Identifier: Apache-2.0
// argv conversion.
#include "rustynet/base/process_args.hpp"

#include <cstddef>
#include <span>

namespace rustynet::base {

std::vector<std::string> process_args(int argc, char** argv) {
  const std::span<char*> arguments(argv, argc > 0 ? static_cast<std::size_t>(argc) : 0U);
  std::vector<std::string> args;
  for (std::size_t i = 1; i < arguments.size(); ++i) {
    args.emplace_back(arguments[i]);
  }
  return args;
}

}  // namespace rustynet::base
