// SPDX-License-Identifier: Apache-2.0
// rustynet executable: hands argv to the app library.
#include <iostream>

#include "cli_main.hpp"
#include "rustynet/base/process_args.hpp"

int main(int argc, char** argv) {
  return rustynet::apps::cli::run(rustynet::base::process_args(argc, argv), std::cout, std::cerr);
}
