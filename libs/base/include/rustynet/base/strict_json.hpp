// SPDX-License-Identifier: Apache-2.0
// Strict JSON parsing for every document that crosses a trust boundary (configs, policies, API).
// Includes nlohmann/json: include this header only from .cpp files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rustynet/base/result.hpp"

namespace rustynet::base {

struct JsonError {
  std::string path;     // JSON path of the offending element, e.g. "$.rules[3].ports"
  std::string message;  // what is wrong; never echoes secret values

  [[nodiscard]] std::string describe() const { return path + ": " + message; }
};

struct JsonLimits {
  std::size_t max_bytes = 1U << 20U;
  std::size_t max_depth = 32;
};

// Parses `text` as one JSON value. Rejects: invalid JSON, trailing bytes, duplicate object keys
// (nlohmann would silently keep the last one), nesting deeper than max_depth, input larger than
// max_bytes. Never throws.
[[nodiscard]] Result<nlohmann::json, JsonError> parse_strict_json(std::string_view text, const JsonLimits& limits = {});

// Reads the fields of one JSON object with path-carrying errors. Unknown keys are an error
// (checked by finish()), so a typo in a security setting can never be silently ignored.
class JsonObjectReader {
 public:
  // Fails if `value` is not an object.
  [[nodiscard]] static Result<JsonObjectReader, JsonError> create(const nlohmann::json& value, std::string path);

  [[nodiscard]] Result<std::string, JsonError> required_string(std::string_view key);
  [[nodiscard]] Result<std::optional<std::string>, JsonError> optional_string(std::string_view key);
  [[nodiscard]] Result<std::int64_t, JsonError> required_int(std::string_view key);
  [[nodiscard]] Result<std::optional<std::int64_t>, JsonError> optional_int(std::string_view key);
  [[nodiscard]] Result<bool, JsonError> required_bool(std::string_view key);
  [[nodiscard]] Result<std::optional<bool>, JsonError> optional_bool(std::string_view key);
  // Returns the raw element (array/object) for nested reading; marks the key as known.
  [[nodiscard]] Result<const nlohmann::json*, JsonError> required_value(std::string_view key);
  [[nodiscard]] const nlohmann::json* optional_value(std::string_view key);

  // Path of a child key, for nested errors: path() + "." + key.
  [[nodiscard]] std::string child_path(std::string_view key) const;
  [[nodiscard]] const std::string& path() const { return path_; }

  // Errors naming the first key that was never read.
  [[nodiscard]] Status<JsonError> finish() const;

 private:
  JsonObjectReader(const nlohmann::json& value, std::string path) : value_(&value), path_(std::move(path)) {}
  const nlohmann::json* lookup(std::string_view key);

  const nlohmann::json* value_;
  std::string path_;
  std::vector<std::string> seen_;
};

// Reads {"version": N} and checks the major version: unknown versions are rejected at load time
// (spec section 6, schema/version strategy).
[[nodiscard]] Status<JsonError> require_version(JsonObjectReader& reader, std::int64_t supported);

}  // namespace rustynet::base
