// SPDX-License-Identifier: Apache-2.0
// Service manager notifications (sd_notify): READY, STATUS, WATCHDOG, STOPPING, RELOADING.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace rustynet::apps::daemon {

// Sends `state` (e.g. "READY=1\nSTATUS=running") to $NOTIFY_SOCKET; a no-op outside systemd.
void notify_service_manager(std::string_view state);
// The watchdog interval systemd expects pings within ($WATCHDOG_USEC), if enabled for us.
[[nodiscard]] std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace rustynet::apps::daemon
