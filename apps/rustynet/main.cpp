// SPDX-License-Identifier: Apache-2.0
// rustynet executable: hands argv and the environment lookup to the app library.
#include <cstdlib>
#include <iostream>

#include "cli_main.hpp"
#include "rustynet/base/process_args.hpp"

int main(int argc, char** argv) {
  rustynet::apps::cli::CliContext ctx{.out = std::cout,
                                      .err = std::cerr,
                                      .clock = rustynet::base::system_clock(),
                                      .default_socket = rustynet::apps::cli::kDefaultSocketPath,
                                      .max_response_bytes = rustynet::apps::cli::kMaxLocalResponseBytes,
                                      .timeout = std::chrono::milliseconds{10'000},
                                      // Only locations are read (HOME, XDG_CONFIG_HOME), never a secret;
                                      // secure_getenv ignores them in setuid/setgid contexts.
                                      .env = [](const std::string& name) -> std::optional<std::string> {
                                        const char* value = ::secure_getenv(name.c_str());
                                        if (value == nullptr) {
                                          return std::nullopt;
                                        }
                                        return std::string(value);
                                      },
                                      .control_tuning = {},
                                      .system_cli_config = rustynet::apps::cli::kSystemCliConfigPath};
  return rustynet::apps::cli::run(rustynet::base::process_args(argc, argv), ctx);
}
