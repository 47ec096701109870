// SPDX-License-Identifier: Apache-2.0
// Fuzz target: rustynetd's local API request handling (handle_local_request): one JSON request line
// from a local client in, one response line out. The first input byte picks the caller's access
// level and whether the daemon side answers with an error.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "local_api.hpp"
#include "rustynet/base/strict_json.hpp"

namespace daemon_app = rustynet::apps::daemon;

namespace {

class FakeHandler final : public daemon_app::LocalApiHandler {
 public:
  explicit FakeHandler(bool fail) : fail_(fail) {}
  Reply status() override { return answer("status"); }
  Reply peers() override { return answer("peers"); }
  Reply routes() override { return answer("routes"); }
  Reply netmap() override { return answer("netmap"); }
  Reply policy_check(const PolicyQuery& query) override {
    FUZZ_CHECK(query.proto == "tcp" || query.proto == "udp" || query.proto == "icmp" || query.proto == "any");
    return answer("policy_check");
  }
  Reply reload() override { return answer("reload"); }

  int calls = 0;
  std::string last_method;

 private:
  Reply answer(const char* method) {
    ++calls;
    last_method = method;
    if (fail_) {
      return Reply{false, "", daemon_app::LocalApiError{"unavailable", "fuzz handler refuses"}};
    }
    return Reply{true, R"({"answered":")" + last_method + R"("})", {}};
  }
  bool fail_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rustynet::fuzz::FuzzInput input(data, size);
  const std::uint8_t selector = input.take_byte();
  const auto access = static_cast<daemon_app::Access>(selector % 3U);
  FakeHandler handler((selector & 0x80U) != 0);
  const std::string response = daemon_app::handle_local_request(input.rest_text(), access, handler);

  // One line of strict JSON: {"version":1,"ok":bool,...}.
  FUZZ_CHECK(response.find('\n') == std::string::npos);
  auto json = rustynet::base::parse_strict_json(response);
  FUZZ_CHECK(json.has_value());
  FUZZ_CHECK(json->is_object());
  FUZZ_CHECK(json->value("version", 0) == 1);
  FUZZ_CHECK(json->contains("ok") && (*json)["ok"].is_boolean());
  const bool ok = (*json)["ok"].get<bool>();

  // Authorisation: nobody without access reaches the daemon; reload needs admin.
  if (access == daemon_app::Access::kNone) {
    FUZZ_CHECK(handler.calls == 0);
    FUZZ_CHECK(!ok && (*json)["error"] == "forbidden");
    return 0;
  }
  FUZZ_CHECK(handler.calls <= 1);
  if (handler.last_method == "reload") {
    FUZZ_CHECK(access == daemon_app::Access::kAdmin);
  }
  // A success answer always comes from exactly one handler call, carrying its result.
  if (ok) {
    FUZZ_CHECK(handler.calls == 1);
    FUZZ_CHECK(json->contains("result") && (*json)["result"].value("answered", "") == handler.last_method);
  } else {
    FUZZ_CHECK(json->contains("error") && (*json)["error"].is_string());
  }
  return 0;
}
