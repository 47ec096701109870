// SPDX-License-Identifier: Apache-2.0
// Direct nft runs of the filter benchmark: the table name, element counts, a scratch directory.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "rustynet/base/result.hpp"

namespace rustynet::bench::filter {

// "rustynet_<interface>" (docs/packet-filter.md). Error: a name with bytes the filter hex-escapes;
// the benchmark uses alphanumeric names only, so the mapping stays trivial here.
[[nodiscard]] base::Result<std::string, std::string> table_for(const std::string& interface_name);

// Elements per set of `inet <table>` as the kernel holds them (nft -j list table), plus "total".
[[nodiscard]] base::Result<std::map<std::string, std::size_t>, std::string> count_elements(
    const std::string& nft, const std::string& table, const std::string& scratch_dir);

// A fresh private directory under /tmp, removed with everything in it when the object goes.
class ScratchDir {
 public:
  [[nodiscard]] static base::Result<ScratchDir, std::string> create();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ScratchDir(ScratchDir&& other) noexcept;
  ScratchDir& operator=(ScratchDir&&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace rustynet::bench::filter
