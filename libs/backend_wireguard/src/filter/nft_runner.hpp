// SPDX-License-Identifier: Apache-2.0
// The seam between the nftables filter and the nft program: one call per nft invocation.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rustynet/base/result.hpp"

namespace rustynet::backend_wireguard::filter {

struct NftOutput {
  int exit_status = 0;
  std::string out;
  std::string err;
};

// Runs `nft ARGS...` with `input` on its stdin. The error (a message) is only for "could not run
// it to completion": absent, timed out, killed, too much output. A non-zero exit is an NftOutput.
class NftRunner {
 public:
  virtual ~NftRunner() = default;
  NftRunner() = default;
  NftRunner(const NftRunner&) = delete;
  NftRunner& operator=(const NftRunner&) = delete;
  NftRunner(NftRunner&&) = delete;
  NftRunner& operator=(NftRunner&&) = delete;

  [[nodiscard]] virtual base::Result<NftOutput, std::string> run(const std::vector<std::string>& arguments,
                                                                 const std::string& input) = 0;
};

// The real one: `binary` through run_bounded_command, environment LC_ALL=C (stable messages) and
// a fixed PATH only, inside `netns_path` when given, killed after `timeout`, at most 64 MiB of
// output per stream (a listing of ~500,000 elements).
[[nodiscard]] std::unique_ptr<NftRunner> make_process_nft_runner(std::string binary,
                                                                 std::optional<std::string> netns_path,
                                                                 std::chrono::milliseconds timeout);

}  // namespace rustynet::backend_wireguard::filter
