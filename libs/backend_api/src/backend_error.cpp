// SPDX-License-Identifier: Apache-2.0
// BackendError names and formatting.
#include "rustynet/backend_api/backend_error.hpp"

#include <ostream>

namespace rustynet::backend_api {

std::string_view to_string(BackendErrorKind kind) noexcept {
  switch (kind) {
    case BackendErrorKind::kInvalidInput: return "invalid_input";
    case BackendErrorKind::kAlreadyRunning: return "already_running";
    case BackendErrorKind::kNotRunning: return "not_running";
    case BackendErrorKind::kInternal: return "internal";
    case BackendErrorKind::kUnsupported: return "unsupported";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& out, BackendErrorKind kind) { return out << to_string(kind); }

BackendError BackendError::invalid_input(std::string message) {
  return BackendError{BackendErrorKind::kInvalidInput, std::move(message)};
}
BackendError BackendError::already_running(std::string message) {
  return BackendError{BackendErrorKind::kAlreadyRunning, std::move(message)};
}
BackendError BackendError::not_running(std::string message) {
  return BackendError{BackendErrorKind::kNotRunning, std::move(message)};
}
BackendError BackendError::internal(std::string message) {
  return BackendError{BackendErrorKind::kInternal, std::move(message)};
}
BackendError BackendError::unsupported(std::string message) {
  return BackendError{BackendErrorKind::kUnsupported, std::move(message)};
}

std::string BackendError::describe() const {
  std::string out(to_string(kind));
  out += ": ";
  out += message;
  return out;
}

std::ostream& operator<<(std::ostream& out, const BackendError& error) { return out << error.describe(); }

}  // namespace rustynet::backend_api
