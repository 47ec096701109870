// SPDX-License-Identifier: Apache-2.0
// NftRunner over run_bounded_command.
#include "filter/nft_runner.hpp"

#include "bounded_command.hpp"

namespace rustynet::backend_wireguard::filter {
namespace {

constexpr std::size_t kMaxNftOutput = std::size_t{64} << 20;

class ProcessNftRunner final : public NftRunner {
 public:
  ProcessNftRunner(std::string binary, std::optional<std::string> netns_path, std::chrono::milliseconds timeout)
      : binary_(std::move(binary)), netns_path_(std::move(netns_path)), timeout_(timeout) {}

  base::Result<NftOutput, std::string> run(const std::vector<std::string>& arguments,
                                           const std::string& input) override {
    const BoundedCommand command{.binary = binary_,
                                 .arguments = arguments,
                                 .environment = {"LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"},
                                 .input = input,
                                 .netns_path = netns_path_,
                                 .timeout = timeout_,
                                 .max_output_bytes = kMaxNftOutput};
    auto result = run_bounded_command(command);
    if (!result.has_value()) {
      return base::unexpected(result.error().describe());
    }
    CommandOutput& output = result.value();
    return NftOutput{output.exit_status, std::move(output.out), std::move(output.err)};
  }

 private:
  std::string binary_;
  std::optional<std::string> netns_path_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

std::unique_ptr<NftRunner> make_process_nft_runner(std::string binary, std::optional<std::string> netns_path,
                                                   std::chrono::milliseconds timeout) {
  return std::make_unique<ProcessNftRunner>(std::move(binary), std::move(netns_path), timeout);
}

}  // namespace rustynet::backend_wireguard::filter
