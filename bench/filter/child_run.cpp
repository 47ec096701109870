// SPDX-License-Identifier: Apache-2.0
// run_child: posix_spawn + wait4, so each nft run's own user and system CPU are known.
#include "child_run.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <iterator>

#include "rustynet/base/sys_error.hpp"

namespace rustynet::bench::filter {
namespace {

double milliseconds_of(const timeval& value) {
  return static_cast<double>(value.tv_sec) * 1e3 + static_cast<double>(value.tv_usec) / 1e3;
}

// posix_spawn file actions, released on every path.
class FileActions {
 public:
  FileActions() { ok_ = ::posix_spawn_file_actions_init(&actions_) == 0; }
  ~FileActions() {
    if (ok_) {
      ::posix_spawn_file_actions_destroy(&actions_);
    }
  }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  FileActions(FileActions&&) = delete;
  FileActions& operator=(FileActions&&) = delete;

  [[nodiscard]] bool open(int fd, const std::string& path, int flags) {
    return ok_ && ::posix_spawn_file_actions_addopen(&actions_, fd, path.c_str(), flags, 0600) == 0;
  }
  [[nodiscard]] const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
  bool ok_ = false;
};

}  // namespace

base::Result<ChildTimes, std::string> run_child(const std::vector<std::string>& argv, const ChildIo& io) {
  if (argv.empty()) {
    return base::unexpected(std::string("run_child: empty argv"));
  }
  FileActions actions;
  // No O_CLOEXEC: these are the child's own stdio, opened after the fork.
  constexpr int kWrite = O_WRONLY | O_CREAT | O_TRUNC;
  if (!actions.open(0, io.stdin_path, O_RDONLY) || !actions.open(1, io.stdout_path, kWrite) ||
      !actions.open(2, io.stderr_path, kWrite)) {
    return base::unexpected(std::string("run_child: posix_spawn file actions failed"));
  }
  std::vector<std::string> arguments = argv;
  std::vector<char*> arg_pointers;
  arg_pointers.reserve(arguments.size() + 1);
  for (std::string& argument : arguments) {
    arg_pointers.push_back(argument.data());
  }
  arg_pointers.push_back(nullptr);
  std::string locale = "LC_ALL=C";
  std::string path = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  std::vector<char*> environment{locale.data(), path.data(), nullptr};

  const auto start = std::chrono::steady_clock::now();
  pid_t pid = -1;
  const int spawned =
      ::posix_spawn(&pid, arg_pointers[0], actions.get(), nullptr, arg_pointers.data(), environment.data());
  if (spawned != 0) {
    return base::unexpected(base::SysError{"posix_spawn " + argv[0], spawned}.describe());
  }
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      return base::unexpected(base::last_sys_error("wait4 " + argv[0]).describe());
    }
  }
  const auto end = std::chrono::steady_clock::now();
  ChildTimes times;
  times.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  times.wall_ms = std::chrono::duration<double, std::milli>(end - start).count();
  times.user_ms = milliseconds_of(usage.ru_utime);
  times.sys_ms = milliseconds_of(usage.ru_stime);
  return times;
}

std::string file_head(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > limit) {
    text.resize(limit);
  }
  return text;
}

}  // namespace rustynet::bench::filter
