// SPDX-License-Identifier: Apache-2.0
// Converts main()'s argv into owned strings once, at the edge, so app code never touches char**.
#pragma once

#include <string>
#include <vector>

namespace rustynet::base {

// argv[1..argc) as strings (the program name is dropped).
[[nodiscard]] std::vector<std::string> process_args(int argc, char** argv);

}  // namespace rustynet::base
