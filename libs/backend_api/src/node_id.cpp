// SPDX-License-Identifier: Apache-2.0
// NodeId parsing and canonicalisation (ASCII case folding, strict charset).
#include "rustynet/backend_api/node_id.hpp"

#include <ostream>

namespace rustynet::backend_api {
namespace {

bool is_alnum_lower(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

BackendResult<NodeId> NodeId::parse(std::string_view text) {
  if (text.empty()) {
    return fail(BackendError::invalid_input("node id is empty"));
  }
  if (text.size() > kMaxLength) {
    return fail(BackendError::invalid_input(std::string("node id is ") + std::to_string(text.size()) +
                                            " bytes; at most " + std::to_string(kMaxLength) + " allowed"));
  }
  std::string canonical;
  canonical.reserve(text.size());
  for (const char raw : text) {
    const char c = (raw >= 'A' && raw <= 'Z') ? static_cast<char>(raw - 'A' + 'a') : raw;
    const bool separator = c == '-' || c == '_';
    if (!is_alnum_lower(c) && !separator) {
      return fail(BackendError::invalid_input(std::string("node id contains a byte outside [A-Za-z0-9_-] at offset ") +
                                              std::to_string(canonical.size())));
    }
    if (separator && canonical.empty()) {
      return fail(BackendError::invalid_input("node id must start with a letter or digit"));
    }
    canonical.push_back(c);
  }
  return NodeId(std::move(canonical));
}

std::ostream& operator<<(std::ostream& out, const NodeId& node_id) { return out << node_id.value(); }

}  // namespace rustynet::backend_api
