// SPDX-License-Identifier: Apache-2.0
// Strict JSON parsing: duplicate keys, depth and size limits, path-carrying field errors.
#include "rustynet/base/strict_json.hpp"

#include <algorithm>
#include <set>
#include <vector>

namespace rustynet::base {

Result<nlohmann::json, JsonError> parse_strict_json(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return unexpected(JsonError{
        "$", "document is " + std::to_string(text.size()) + " bytes, limit " + std::to_string(limits.max_bytes)});
  }
  std::vector<std::set<std::string>> keys_per_object;
  std::string problem;
  // The callback sees every key; it records the first violation and keeps parsing cheaply.
  auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (!problem.empty()) {
      return false;
    }
    if (depth < 0 || static_cast<std::size_t>(depth) > limits.max_depth) {
      problem = "nesting deeper than " + std::to_string(limits.max_depth);
      return false;
    }
    switch (event) {
      case Event::object_start: keys_per_object.emplace_back(); break;
      case Event::object_end:
        if (!keys_per_object.empty()) {
          keys_per_object.pop_back();
        }
        break;
      case Event::key:
        if (!keys_per_object.empty() && parsed.is_string()) {
          const auto& key = parsed.get_ref<const std::string&>();
          if (!keys_per_object.back().insert(key).second) {
            problem = "duplicate key \"" + key + "\"";
            return false;
          }
        }
        break;
      default: break;
    }
    return true;
  };
  nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/false);
  if (!problem.empty()) {
    return unexpected(JsonError{"$", problem});
  }
  if (value.is_discarded()) {
    return unexpected(JsonError{"$", "not valid JSON (or trailing bytes after the document)"});
  }
  return value;
}

Result<JsonObjectReader, JsonError> JsonObjectReader::create(const nlohmann::json& value, std::string path) {
  if (!value.is_object()) {
    return unexpected(JsonError{path, "must be an object"});
  }
  return JsonObjectReader(value, std::move(path));
}

std::string JsonObjectReader::child_path(std::string_view key) const { return path_ + "." + std::string(key); }

const nlohmann::json* JsonObjectReader::lookup(std::string_view key) {
  const auto it = value_->find(std::string(key));
  if (it == value_->end()) {
    return nullptr;
  }
  seen_.emplace_back(key);
  return &*it;
}

Result<const nlohmann::json*, JsonError> JsonObjectReader::required_value(std::string_view key) {
  const auto* element = lookup(key);
  if (element == nullptr) {
    return unexpected(JsonError{child_path(key), "is required"});
  }
  return element;
}

const nlohmann::json* JsonObjectReader::optional_value(std::string_view key) { return lookup(key); }

Result<std::optional<std::string>, JsonError> JsonObjectReader::optional_string(std::string_view key) {
  const auto* element = lookup(key);
  if (element == nullptr) {
    return std::optional<std::string>{};
  }
  if (!element->is_string()) {
    return unexpected(JsonError{child_path(key), "must be a string"});
  }
  return std::optional<std::string>(element->get<std::string>());
}

Result<std::string, JsonError> JsonObjectReader::required_string(std::string_view key) {
  RUSTYNET_ASSIGN_OR_RETURN(auto value, optional_string(key));
  if (!value.has_value()) {
    return unexpected(JsonError{child_path(key), "is required"});
  }
  return std::move(*value);
}

Result<std::optional<std::int64_t>, JsonError> JsonObjectReader::optional_int(std::string_view key) {
  const auto* element = lookup(key);
  if (element == nullptr) {
    return std::optional<std::int64_t>{};
  }
  // is_number_integer() is also true for unsigned values, so unsigned is checked first.
  if (element->is_number_unsigned()) {
    // Unsigned values above INT64_MAX are out of range for every field we read.
    const auto raw = element->get<std::uint64_t>();
    if (raw > static_cast<std::uint64_t>(INT64_MAX)) {
      return unexpected(JsonError{child_path(key), "is out of range"});
    }
    return std::optional<std::int64_t>(static_cast<std::int64_t>(raw));
  }
  if (element->is_number_integer()) {
    return std::optional<std::int64_t>(element->get<std::int64_t>());
  }
  return unexpected(JsonError{child_path(key), "must be an integer"});
}

Result<std::int64_t, JsonError> JsonObjectReader::required_int(std::string_view key) {
  RUSTYNET_ASSIGN_OR_RETURN(auto value, optional_int(key));
  if (!value.has_value()) {
    return unexpected(JsonError{child_path(key), "is required"});
  }
  return *value;
}

Result<std::optional<bool>, JsonError> JsonObjectReader::optional_bool(std::string_view key) {
  const auto* element = lookup(key);
  if (element == nullptr) {
    return std::optional<bool>{};
  }
  if (!element->is_boolean()) {
    return unexpected(JsonError{child_path(key), "must be true or false"});
  }
  return std::optional<bool>(element->get<bool>());
}

Result<bool, JsonError> JsonObjectReader::required_bool(std::string_view key) {
  RUSTYNET_ASSIGN_OR_RETURN(auto value, optional_bool(key));
  if (!value.has_value()) {
    return unexpected(JsonError{child_path(key), "is required"});
  }
  return *value;
}

Status<JsonError> JsonObjectReader::finish() const {
  for (const auto& item : value_->items()) {
    if (std::find(seen_.begin(), seen_.end(), item.key()) == seen_.end()) {
      return unexpected(JsonError{child_path(item.key()), "unknown field"});
    }
  }
  return {};
}

Status<JsonError> require_version(JsonObjectReader& reader, std::int64_t supported) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto version, reader.required_int("version"));
  if (version != supported) {
    return unexpected(JsonError{reader.child_path("version"), "unsupported version " + std::to_string(version) +
                                                                  " (this build reads version " +
                                                                  std::to_string(supported) + ")"});
  }
  return {};
}

}  // namespace rustynet::base
