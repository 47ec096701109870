// SPDX-License-Identifier: Apache-2.0
// Fuzz target: base::parse_strict_json and JsonObjectReader (every config, policy and API body).
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "rustynet/base/strict_json.hpp"

namespace {

// Nesting levels of containers ("[]" is 1). parse_strict_json's limit counts the outermost
// container as depth 0, so an accepted document has at most max_depth + 1 levels.
std::size_t depth_of(const nlohmann::json& value) {
  std::size_t deepest = 0;
  if (value.is_structured()) {
    for (const auto& child : value) {
      const std::size_t child_depth = depth_of(child);
      deepest = child_depth > deepest ? child_depth : deepest;
    }
    return deepest + 1;
  }
  return 0;
}

// Reads every key of an object through JsonObjectReader: each present key is found, finish()
// succeeds once all were read, and an unread key makes finish() fail.
void exercise_reader(const nlohmann::json& value) {
  auto reader = rustynet::base::JsonObjectReader::create(value, "$");
  FUZZ_CHECK(reader.has_value() == value.is_object());
  if (!reader.has_value() || value.empty()) {
    return;
  }
  bool first = true;
  for (const auto& item : value.items()) {
    if (first) {  // leave the first key unread for the negative check below
      first = false;
      continue;
    }
    FUZZ_CHECK(reader->optional_value(item.key()) != nullptr);
  }
  FUZZ_CHECK(!reader->finish().has_value());
  FUZZ_CHECK(reader->optional_value(value.items().begin().key()) != nullptr);
  FUZZ_CHECK(reader->finish().has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = rustynet::fuzz::as_text(data, size);
  rustynet::base::JsonLimits limits;
  limits.max_depth = 16;
  auto parsed = rustynet::base::parse_strict_json(text, limits);
  if (!parsed.has_value()) {
    FUZZ_CHECK(!parsed.error().path.empty() || !parsed.error().message.empty());
    return 0;
  }
  const nlohmann::json& value = *parsed;
  FUZZ_CHECK(depth_of(value) <= limits.max_depth + 1);
  // Re-encoding round-trips: the canonical dump parses strictly to an equal value, and dumping
  // that again gives identical bytes.
  const std::string dumped = value.dump();
  auto again = rustynet::base::parse_strict_json(dumped, limits);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == value);
  FUZZ_CHECK(again->dump() == dumped);
  exercise_reader(value);
  return 0;
}
