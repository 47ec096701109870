// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the custody tests: fast KDF options, file pokes, secrets.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "rustynet/crypto/custody_file.hpp"

namespace rustynet::crypto::testing {

// Argon2id at libsodium's minimum cost so that hundreds of loads stay fast; production
// parameters are exercised by bench/crypto.
inline EncryptedFileCustodyOptions fast_options() {
  EncryptedFileCustodyOptions options;
  options.params = EnvelopeParams{1, 8};
  options.limits = EnvelopeLimits{1, 4, 8, 64U * 1024};
  return options;
}

inline OperatorSecret operator_secret(const std::string& text = "correct horse battery staple") {
  std::vector<std::uint8_t> bytes(text.begin(), text.end());
  auto secret = OperatorSecret::from_bytes(bytes);
  if (!secret.has_value()) {
    std::abort();
  }
  return std::move(secret).value();
}

inline std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Writes `bytes` to `path` with `mode` (replacing the file).
inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes, mode_t mode = 0600) {
  ::unlink(path.c_str());
  {
    std::ofstream out(path, std::ios::binary);
    out.write(std::string(bytes.begin(), bytes.end()).data(), static_cast<std::streamsize>(bytes.size()));
  }
  ::chmod(path.c_str(), mode);
}

inline void write_text(const std::string& path, const std::string& text, mode_t mode = 0600) {
  write_bytes(path, std::vector<std::uint8_t>(text.begin(), text.end()), mode);
}

inline mode_t mode_of(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    return 0;
  }
  return info.st_mode & 07777U;
}

}  // namespace rustynet::crypto::testing
