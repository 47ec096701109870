// SPDX-License-Identifier: Apache-2.0
// Interface-name validation and the injective interface -> table name mapping.
#include "filter/nft_names.hpp"

#include <array>

namespace rustynet::backend_wireguard::filter {
namespace {

constexpr std::size_t kMaxInterfaceName = 15;  // IFNAMSIZ - 1

bool is_alnum(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace

backend_api::BackendStatus validate_interface_name(std::string_view interface_name) {
  if (interface_name.empty() || interface_name.size() > kMaxInterfaceName) {
    return backend_api::fail(backend_api::BackendError::invalid_input("interface name must be 1..15 bytes"));
  }
  if (interface_name == "." || interface_name == "..") {
    return backend_api::fail(backend_api::BackendError::invalid_input("interface name cannot be . or .."));
  }
  for (const char c : interface_name) {
    if (!is_alnum(c) && c != '_' && c != '-' && c != '.') {
      return backend_api::fail(
          backend_api::BackendError::invalid_input("interface name may contain only A-Z a-z 0-9 _ - ."));
    }
  }
  return {};
}

std::string table_name_for(std::string_view interface_name) {
  constexpr std::array<char, 16> kHex{'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string name = "rustynet_";
  for (const char c : interface_name) {
    if (is_alnum(c)) {
      name += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      name += '_';
      name += kHex[byte >> 4U];
      name += kHex[byte & 0x0FU];
    }
  }
  return name;
}

}  // namespace rustynet::backend_wireguard::filter
