// SPDX-License-Identifier: Apache-2.0
// UAPI driver: request/response exchange over the Unix socket.
#include "uapi_driver.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <span>

#include "rustynet/base/unix_socket.hpp"
#include "uapi_codec.hpp"

namespace rustynet::backend_wireguard {
namespace {

WgError sys_to_wg(const base::SysError& error, std::string_view what) {
  return WgError{.operation = error.operation, .error_number = error.error_number, .detail = std::string(what)};
}

base::Status<WgError> set_timeouts(int fd, std::chrono::milliseconds timeout, const std::string& path) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
    return base::unexpected(sys_to_wg(base::last_sys_error("setsockopt(SO_RCVTIMEO) " + path), ""));
  }
  return {};
}

base::Status<WgError> write_all(int fd, std::span<const std::uint8_t> bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return base::unexpected(sys_to_wg(base::last_sys_error("uapi write " + path), "the userspace daemon went away"));
    }
    bytes = bytes.subspan(static_cast<std::size_t>(written));
  }
  return {};
}

base::Status<WgError> write_text(int fd, std::string_view text, const std::string& path) {
  std::vector<std::uint8_t> bytes(text.begin(), text.end());
  return write_all(fd, bytes, path);
}

base::Status<WgError> read_reply(int fd, UapiReplyParser& parser, const std::string& path) {
  // Fixed secret buffer: a get reply starts with the device's private key.
  base::SecretBytes chunk(std::size_t{64} * 1024);
  while (!parser.complete()) {
    const ssize_t got = ::recv(fd, chunk.mutable_view().data(), chunk.size(), 0);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int saved = errno;
      return base::unexpected(WgError{.operation = "uapi read " + path,
                                      .error_number = saved,
                                      .detail = saved == EAGAIN ? "timed out waiting for the reply" : ""});
    }
    if (got == 0) {
      return base::unexpected(
          WgError{.operation = "uapi read " + path, .error_number = EPIPE, .detail = "connection closed mid-reply"});
    }
    auto status = parser.feed(chunk.view().first(static_cast<std::size_t>(got)));
    if (!status.has_value()) {
      WgError error = std::move(status).error();
      error.operation = "uapi reply from " + path;
      return base::unexpected(std::move(error));
    }
  }
  if (!parser.error_number().has_value()) {
    return base::unexpected(
        WgError{.operation = "uapi reply from " + path, .error_number = EPROTO, .detail = "reply has no errno line"});
  }
  return {};
}

base::Result<base::UniqueFd, WgError> open_control(const std::string& path, std::chrono::milliseconds timeout) {
  auto fd = base::connect_unix_stream(path);
  if (!fd.has_value()) {
    const int number = fd.error().error_number;
    std::string detail;
    if (number == ENOENT || number == ECONNREFUSED) {
      detail = "the userspace daemon is not running for this interface";
    } else if (number == EACCES || number == EPERM) {
      detail = "permission denied on the control socket (run as root / CAP_NET_ADMIN owner)";
    }
    return base::unexpected(sys_to_wg(fd.error(), detail));
  }
  RUSTYNET_RETURN_IF_ERROR(set_timeouts(fd->get(), timeout, path));
  return std::move(fd).value();
}

}  // namespace

std::string uapi_socket_path(std::string_view socket_dir, std::string_view interface_name) {
  std::string path(socket_dir);
  path += '/';
  path += interface_name;
  path += ".sock";
  return path;
}

UapiDriver::UapiDriver(std::string socket_path, std::chrono::milliseconds io_timeout)
    : socket_path_(std::move(socket_path)), io_timeout_(io_timeout) {}

base::Status<WgError> UapiDriver::set_device(const WgDeviceUpdate& update) {
  const UapiSetRequest request = encode_uapi_set(update);
  RUSTYNET_ASSIGN_OR_RETURN(const base::UniqueFd fd, open_control(socket_path_, io_timeout_));
  RUSTYNET_RETURN_IF_ERROR(write_text(fd.get(), "set=1\n", socket_path_));
  RUSTYNET_RETURN_IF_ERROR(write_all(fd.get(), request.key_line.view(), socket_path_));
  RUSTYNET_RETURN_IF_ERROR(write_text(fd.get(), request.body, socket_path_));
  UapiReplyParser parser;
  RUSTYNET_RETURN_IF_ERROR(read_reply(fd.get(), parser, socket_path_));
  if (*parser.error_number() != 0) {
    return base::unexpected(WgError{.operation = "uapi set " + socket_path_,
                                    .error_number = *parser.error_number(),
                                    .detail = "the userspace daemon rejected the configuration (" +
                                              std::to_string(update.peers.size()) + " peer change(s))"});
  }
  return {};
}

base::Result<WgDeviceState, WgError> UapiDriver::get_device() {
  RUSTYNET_ASSIGN_OR_RETURN(const base::UniqueFd fd, open_control(socket_path_, io_timeout_));
  RUSTYNET_RETURN_IF_ERROR(write_text(fd.get(), "get=1\n\n", socket_path_));
  UapiReplyParser parser;
  RUSTYNET_RETURN_IF_ERROR(read_reply(fd.get(), parser, socket_path_));
  if (*parser.error_number() != 0) {
    return base::unexpected(WgError{.operation = "uapi get " + socket_path_,
                                    .error_number = *parser.error_number(),
                                    .detail = "the userspace daemon refused the dump"});
  }
  return parser.take_state();
}

}  // namespace rustynet::backend_wireguard
