// SPDX-License-Identifier: Apache-2.0
// Big-endian, length-checked byte writer/reader for the signed-envelope and trust-state encodings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rustynet::crypto::detail {

class ByteWriter {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { be(v, 2); }
  void u32(std::uint32_t v) { be(v, 4); }
  void u64(std::uint64_t v) { be(v, 8); }
  void bytes(std::span<const std::uint8_t> data) { out_.insert(out_.end(), data.begin(), data.end()); }
  void text(std::string_view data) {
    for (const char c : data) {
      out_.push_back(static_cast<std::uint8_t>(c));
    }
  }
  [[nodiscard]] std::vector<std::uint8_t>& buffer() noexcept { return out_; }

 private:
  void be(std::uint64_t v, unsigned width) {
    for (unsigned i = width; i > 0; --i) {
      out_.push_back(static_cast<std::uint8_t>((v >> (8U * (i - 1U))) & 0xFFU));
    }
  }
  std::vector<std::uint8_t> out_;
};

// Every read checks the remaining length; after the first failure all reads fail (ok() false).
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> data) : data_(data) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(be(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(be(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(be(4)); }
  std::uint64_t u64() { return be(8); }
  std::span<const std::uint8_t> bytes(std::size_t count) {
    if (!ok_ || remaining() < count) {
      ok_ = false;
      return {};
    }
    auto out = data_.subspan(pos_, count);
    pos_ += count;
    return out;
  }
  std::string text(std::size_t count) {
    const auto raw = bytes(count);
    std::string out;
    out.reserve(raw.size());
    for (const auto b : raw) {
      out.push_back(static_cast<char>(b));
    }
    return out;
  }
  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] std::size_t position() const noexcept { return pos_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }

 private:
  std::uint64_t be(std::size_t width) {
    const auto raw = bytes(width);
    std::uint64_t v = 0;
    for (const auto b : raw) {
      v = (v << 8U) | b;
    }
    return v;
  }
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// [A-Za-z0-9._-]{0,max}; the empty string is allowed.
[[nodiscard]] inline bool is_subject_text(std::string_view text, std::size_t max) noexcept {
  if (text.size() > max) {
    return false;
  }
  for (const char c : text) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace rustynet::crypto::detail
