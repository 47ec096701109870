// SPDX-License-Identifier: Apache-2.0
// InterfaceAddress parsing: address with host bits plus on-link prefix length.
#include "rustynet/backend_api/interface_address.hpp"

#include <ostream>
#include <utility>

#include "text_parse.hpp"

namespace rustynet::backend_api {

BackendResult<InterfaceAddress> InterfaceAddress::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return fail(BackendError::invalid_input("interface address needs an explicit '/length'"));
  }
  auto parsed = IpAddress::parse(text.substr(0, slash));
  if (!parsed.has_value()) {
    return fail(std::move(parsed).error());
  }
  const IpAddress address = *parsed;
  const auto length = detail::parse_decimal(text.substr(slash + 1), address.bit_width());
  if (!length.has_value()) {
    return fail(BackendError::invalid_input(std::string("interface address length is not a decimal in 0..") +
                                            std::to_string(address.bit_width())));
  }
  return create(address, static_cast<std::uint8_t>(*length));
}

BackendResult<InterfaceAddress> InterfaceAddress::create(const IpAddress& address, std::uint8_t length) {
  if (length > address.bit_width()) {
    return fail(BackendError::invalid_input("interface address length exceeds the address width"));
  }
  if (address.is_unspecified()) {
    return fail(BackendError::invalid_input("interface address is the unspecified address"));
  }
  return InterfaceAddress(address, length);
}

IpPrefix InterfaceAddress::network() const {
  // Cannot fail: length was checked against the family's width at construction.
  return IpPrefix::containing(address_, length_).value();
}

std::string InterfaceAddress::to_string() const { return address_.to_string() + "/" + std::to_string(length_); }

std::ostream& operator<<(std::ostream& out, const InterfaceAddress& address) { return out << address.to_string(); }

}  // namespace rustynet::backend_api
