// SPDX-License-Identifier: Apache-2.0
// sd_notify wrappers (libsystemd, linked privately by the daemon library).
#include "notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <string>

namespace rustynet::apps::daemon {

void notify_service_manager(std::string_view state) {
  const std::string text(state);
  (void)sd_notify(0, text.c_str());
}

std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    return std::chrono::microseconds(static_cast<std::int64_t>(usec));
  }
  return std::nullopt;
}

}  // namespace rustynet::apps::daemon
