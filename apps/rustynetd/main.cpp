// SPDX-License-Identifier: Apache-2.0
// rustynetd executable: hands argv and the composition root's factories to the app library.
#include <iostream>

#include "composition_root.hpp"
#include "daemon_main.hpp"
#include "rustynet/base/process_args.hpp"

int main(int argc, char** argv) {
  return rustynet::apps::daemon::run(rustynet::base::process_args(argc, argv), std::cout, std::cerr,
                                     rustynet::apps::daemon::make_backend, rustynet::apps::daemon::make_filter,
                                     rustynet::apps::daemon::data_plane_algorithms);
}
