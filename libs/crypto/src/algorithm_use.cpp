// SPDX-License-Identifier: Apache-2.0
// check_algorithms_in_use: the operator's policy file against what a program runs.
#include "rustynet/crypto/algorithm_use.hpp"

#include <algorithm>

#include "rustynet/base/file_io.hpp"

namespace rustynet::crypto {
namespace {

constexpr std::size_t kMaxPolicyBytes = std::size_t{64} * 1024U;

}  // namespace

void add_algorithms(AlgorithmNames& names, const AlgorithmNames& more) {
  for (const auto& name : more) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  }
}

base::Result<AlgorithmCheck, AlgorithmPolicyError> check_algorithms_in_use(
    const std::optional<std::string>& policy_file, const AlgorithmNames& in_use, const base::Clock& clock) {
  AlgorithmCheck check;
  if (policy_file) {
    auto text = base::read_file_bounded(*policy_file, kMaxPolicyBytes);
    if (!text.has_value()) {
      return base::unexpected(
          AlgorithmPolicyError{AlgorithmPolicyErrorKind::kMalformed, *policy_file, text.error().describe()});
    }
    auto parsed = AlgorithmPolicy::parse(*text);
    if (!parsed.has_value()) {
      AlgorithmPolicyError error = parsed.error();
      error.path = *policy_file + (error.path.empty() ? "" : ": " + error.path);
      return base::unexpected(std::move(error));
    }
    check.policy = std::move(parsed).value();
  }
  const AlgorithmPolicy& effective = check.policy ? *check.policy : AlgorithmPolicy::baseline();
  RUSTYNET_RETURN_IF_ERROR(effective.check_in_use(in_use, clock, check.warnings));
  return check;
}

}  // namespace rustynet::crypto
