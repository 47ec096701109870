// SPDX-License-Identifier: Apache-2.0
// fmt (and so spdlog) formatters for custody types: secrets always format as "<redacted>".
#pragma once

#include "rustynet/crypto/custody.hpp"
#include "rustynet/crypto/custody_file.hpp"
#include "rustynet/crypto/format.hpp"

RUSTYNET_CRYPTO_FORMATTER(rustynet::crypto::StoredKey);
RUSTYNET_CRYPTO_FORMATTER(rustynet::crypto::OperatorSecret);
RUSTYNET_CRYPTO_FORMATTER(rustynet::crypto::CustodyError);
