// SPDX-License-Identifier: Apache-2.0
// Typed readers for recurring response field shapes.
#include "json_fields.hpp"

#include <algorithm>

namespace rustynet::apps::cli {

base::Result<std::vector<std::string>, base::JsonError> read_string_array(base::JsonObjectReader& reader,
                                                                          std::string_view key) {
  RUSTYNET_ASSIGN_OR_RETURN(const nlohmann::json* value, reader.required_value(key));
  if (!value->is_array()) {
    return base::unexpected(base::JsonError{reader.child_path(key), "must be an array of strings"});
  }
  std::vector<std::string> items;
  items.reserve(value->size());
  for (std::size_t i = 0; i < value->size(); ++i) {
    const auto& item = (*value)[i];
    if (!item.is_string()) {
      return base::unexpected(
          base::JsonError{reader.child_path(key) + "[" + std::to_string(i) + "]", "must be a string"});
    }
    items.push_back(item.get<std::string>());
  }
  return items;
}

base::Result<std::optional<std::int64_t>, base::JsonError> read_nullable_int(base::JsonObjectReader& reader,
                                                                             std::string_view key) {
  const nlohmann::json* value = reader.optional_value(key);
  if (value == nullptr) {
    return base::unexpected(base::JsonError{reader.child_path(key), "is required"});
  }
  if (value->is_null()) {
    return std::optional<std::int64_t>{};
  }
  // Re-read through the reader's integer rules (range, unsigned handling).
  RUSTYNET_ASSIGN_OR_RETURN(const auto number, reader.required_int(key));
  return std::optional<std::int64_t>(number);
}

base::Result<std::optional<std::string>, base::JsonError> read_nullable_string(base::JsonObjectReader& reader,
                                                                               std::string_view key) {
  const nlohmann::json* value = reader.optional_value(key);
  if (value == nullptr) {
    return base::unexpected(base::JsonError{reader.child_path(key), "is required"});
  }
  if (value->is_null()) {
    return std::optional<std::string>{};
  }
  RUSTYNET_ASSIGN_OR_RETURN(auto text, reader.required_string(key));
  return std::optional<std::string>(std::move(text));
}

base::Result<std::int64_t, base::JsonError> read_count(base::JsonObjectReader& reader, std::string_view key) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto number, reader.required_int(key));
  if (number < 0) {
    return base::unexpected(base::JsonError{reader.child_path(key), "must not be negative"});
  }
  return number;
}

base::Result<std::string, base::JsonError> read_enum(base::JsonObjectReader& reader, std::string_view key,
                                                     const std::vector<std::string_view>& allowed) {
  RUSTYNET_ASSIGN_OR_RETURN(auto text, reader.required_string(key));
  if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
    std::string expected;
    for (const auto item : allowed) {
      expected += expected.empty() ? "" : "|";
      expected += item;
    }
    return base::unexpected(base::JsonError{reader.child_path(key), "must be one of " + expected});
  }
  return text;
}

}  // namespace rustynet::apps::cli
