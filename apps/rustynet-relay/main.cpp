// SPDX-License-Identifier: Apache-2.0
// rustynet-relay executable: hands argv to the app library.
#include <iostream>

#include "relay_server_main.hpp"
#include "rustynet/base/process_args.hpp"

int main(int argc, char** argv) {
  return rustynet::apps::relay_server::run(rustynet::base::process_args(argc, argv), std::cout, std::cerr);
}
