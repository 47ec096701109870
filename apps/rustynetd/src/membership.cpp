// SPDX-License-Identifier: Apache-2.0
// MembershipWatch: long backoff and the "removed" state while control refuses the node.
#include "membership.hpp"

namespace rustynet::apps::daemon {

MembershipWatch::Step MembershipWatch::refused(const ControlRefusal& refusal, std::uint64_t random) {
  refusal_ = refusal;
  const std::chrono::milliseconds delay = backoff_.next(random);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(delay).count();
  return Step{delay, reason() +
                         ": the node identity is not a member (removed, never added, or a wrong or revoked "
                         "key); attempt " +
                         std::to_string(backoff_.attempt()) + ", next in " + std::to_string(seconds) + " s"};
}

bool MembershipWatch::accepted() {
  backoff_.reset();
  const bool was_removed = refusal_.has_value();
  refusal_.reset();
  return was_removed;
}

std::string MembershipWatch::reason() const {
  if (!refusal_) {
    return {};
  }
  std::string text = "removed from the mesh by control (HTTP " + std::to_string(refusal_->status);
  if (!refusal_->error_class.empty()) {
    text += " " + refusal_->error_class;
  }
  return text + ")";
}

}  // namespace rustynet::apps::daemon
