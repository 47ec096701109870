// SPDX-License-Identifier: Apache-2.0
// Interface-name validation and the nftables names derived from it.
#pragma once

#include <string>
#include <string_view>

#include "rustynet/backend_api/backend_error.hpp"

namespace rustynet::backend_wireguard::filter {

// 1..15 bytes of [A-Za-z0-9_.-], not "." or "..". Stricter than Linux (which allows almost any
// byte but '/', ':' and whitespace): the name is interpolated into nft scripts, and mesh
// interfaces are named by the daemon. Errors: kInvalidInput.
[[nodiscard]] backend_api::BackendStatus validate_interface_name(std::string_view interface_name);

// "rustynet_" + the name with every byte outside [A-Za-z0-9] written as "_xx" (lower-case hex), so
// the mapping is injective and the result is a valid nft identifier ("rn-0" -> "rustynet_rn_2d0").
// Precondition: validate_interface_name succeeded.
[[nodiscard]] std::string table_name_for(std::string_view interface_name);

}  // namespace rustynet::backend_wireguard::filter
