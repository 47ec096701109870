// SPDX-License-Identifier: Apache-2.0
// Typed readers for the shapes that recur in daemon and control responses (arrays, nullable fields).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/strict_json.hpp"

namespace rustynet::apps::cli {

// A required array of strings.
[[nodiscard]] base::Result<std::vector<std::string>, base::JsonError> read_string_array(base::JsonObjectReader& reader,
                                                                                        std::string_view key);
// A required key whose value is an integer or null (null -> nullopt).
[[nodiscard]] base::Result<std::optional<std::int64_t>, base::JsonError> read_nullable_int(
    base::JsonObjectReader& reader, std::string_view key);
// A required key whose value is a string or null (null -> nullopt).
[[nodiscard]] base::Result<std::optional<std::string>, base::JsonError> read_nullable_string(
    base::JsonObjectReader& reader, std::string_view key);
// A required integer >= 0.
[[nodiscard]] base::Result<std::int64_t, base::JsonError> read_count(base::JsonObjectReader& reader,
                                                                     std::string_view key);
// A required string that is one of `allowed`.
[[nodiscard]] base::Result<std::string, base::JsonError> read_enum(base::JsonObjectReader& reader, std::string_view key,
                                                                   const std::vector<std::string_view>& allowed);

}  // namespace rustynet::apps::cli
