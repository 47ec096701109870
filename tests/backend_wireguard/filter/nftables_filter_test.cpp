// SPDX-License-Identifier: Apache-2.0
// NftablesPacketFilter over a scripted fake nft: which invocations each operation makes and how it
// reads their outcomes (the real kernel is exercised by the netns tests).
#include "filter/nftables_filter.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>

namespace rustynet::backend_wireguard::filter {
namespace {

namespace api = backend_api;

struct Call {
  std::vector<std::string> arguments;
  std::string input;
};

using Reply = std::function<base::Result<NftOutput, std::string>(const Call&)>;

// Answers each invocation from a queue of scripted replies and records it.
class FakeNft final : public NftRunner {
 public:
  FakeNft(std::vector<Call>& calls, std::deque<Reply>& replies) : calls_(calls), replies_(replies) {}
  base::Result<NftOutput, std::string> run(const std::vector<std::string>& arguments,
                                           const std::string& input) override {
    calls_.push_back(Call{arguments, input});
    if (replies_.empty()) {
      return base::unexpected(std::string("unexpected nft call"));
    }
    const Reply reply = std::move(replies_.front());
    replies_.pop_front();
    return reply(calls_.back());
  }

 private:
  std::vector<Call>& calls_;
  std::deque<Reply>& replies_;
};

// The namespace's ruleset generation as a test sets it; `fail` makes reads fail.
struct GenerationScript {
  std::uint32_t value = 100;
  bool fail = false;
  int reads = 0;
};

class FakeGeneration final : public RulesetGeneration {
 public:
  explicit FakeGeneration(GenerationScript& script) : script_(script) {}
  base::Result<std::uint32_t, std::string> read() override {
    ++script_.reads;
    if (script_.fail) {
      return base::unexpected(std::string("EPERM"));
    }
    return script_.value;
  }

 private:
  GenerationScript& script_;
};

NftOutput ok(std::string out = {}) { return NftOutput{0, std::move(out), {}}; }
NftOutput failed(std::string err) { return NftOutput{1, {}, std::move(err)}; }

constexpr const char* kListing = "table inet rustynet_rnf0 {\n\tcomment \"rustynet generation 7\"\n}\n";
constexpr const char* kTables = "table inet other\ntable inet rustynet_rnf0\n";

class NftablesFilterTest : public ::testing::Test {
 protected:
  std::unique_ptr<NftablesPacketFilter> make(const std::string& interface_name = "rnf0") {
    return std::make_unique<NftablesPacketFilter>(interface_name, std::make_unique<FakeNft>(calls_, replies_));
  }
  // With a ruleset generation reader; every nft call that commits bumps it, as the kernel does.
  std::unique_ptr<NftablesPacketFilter> make_with_generation() {
    return std::make_unique<NftablesPacketFilter>("rnf0", std::make_unique<FakeNft>(calls_, replies_),
                                                  std::make_unique<FakeGeneration>(generation_));
  }
  // A successful commit of a script (the generation moves by one).
  void reply_commit() {
    replies_.emplace_back([this](const Call&) -> base::Result<NftOutput, std::string> {
      ++generation_.value;
      return ok();
    });
  }
  void reply(const base::Result<NftOutput, std::string>& output) {
    replies_.emplace_back([output](const Call&) { return output; });
  }
  void reply(Reply dynamic) { replies_.push_back(std::move(dynamic)); }

  std::vector<Call> calls_;
  std::deque<Reply> replies_;
  GenerationScript generation_;
};

api::FilterSpec spec_with_generation(std::uint64_t generation) {
  api::FilterSpec spec;
  spec.generation = generation;
  spec.inbound.push_back(api::FilterRule{api::IpPrefix::parse("10.0.0.2/32").value(),
                                         api::IpAddress::parse("10.0.0.1").value(), api::FilterProtocol::kTcp,
                                         api::PortRange{22, 22}});
  return spec;
}

TEST_F(NftablesFilterTest, InvalidInterfaceNameRefusesEverythingWithoutRunningNft) {
  auto filter = make("bad name");
  EXPECT_EQ(filter->apply(api::FilterSpec{}).error().kind, api::BackendErrorKind::kInvalidInput);
  EXPECT_EQ(filter->ensure_installed().error().kind, api::BackendErrorKind::kInvalidInput);
  EXPECT_EQ(filter->verify().error().kind, api::BackendErrorKind::kInvalidInput);
  EXPECT_EQ(filter->remove().error().kind, api::BackendErrorKind::kInvalidInput);
  EXPECT_EQ(filter->allows(api::FlowQuery{}).error().kind, api::BackendErrorKind::kInvalidInput);
  EXPECT_TRUE(calls_.empty());
}

TEST_F(NftablesFilterTest, InvalidSpecRunsNothing) {
  auto filter = make();
  api::FilterSpec spec = spec_with_generation(1);
  spec.inbound[0].ports = api::PortRange{30, 20};
  EXPECT_EQ(filter->apply(spec).error().kind, api::BackendErrorKind::kInvalidInput);
  EXPECT_TRUE(calls_.empty());
}

TEST_F(NftablesFilterTest, ApplyIsOneScriptThenAReadBack) {
  auto filter = make();
  reply(ok());
  reply(ok(kListing));
  ASSERT_TRUE(filter->apply(spec_with_generation(7)).has_value());
  ASSERT_EQ(calls_.size(), 2U);
  EXPECT_EQ(calls_[0].arguments, (std::vector<std::string>{"-f", "-"}));
  EXPECT_TRUE(calls_[0].input.starts_with("add table inet rustynet_rnf0\ndelete table inet rustynet_rnf0\n"));
  EXPECT_EQ(calls_[1].arguments, (std::vector<std::string>{"-s", "list", "table", "inet", "rustynet_rnf0"}));

  reply(ok(kListing));
  const auto state = filter->verify();
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->installed);
  EXPECT_EQ(state->generation, 7U);
  EXPECT_TRUE(state->intact);
}

TEST_F(NftablesFilterTest, ChangedListingIsNotIntact) {
  auto filter = make();
  reply(ok());
  reply(ok(kListing));
  ASSERT_TRUE(filter->apply(spec_with_generation(7)).has_value());
  reply(ok(std::string(kListing) + "extra\n"));
  const auto state = filter->verify();
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->installed);
  EXPECT_FALSE(state->intact);
}

TEST_F(NftablesFilterTest, FreshObjectIsNeverIntact) {
  auto filter = make();
  reply(ok(kListing));
  const auto state = filter->verify();
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->installed);
  EXPECT_EQ(state->generation, 7U);
  EXPECT_FALSE(state->intact);
}

TEST_F(NftablesFilterTest, RefusedTransactionIsInternalAndKeepsTheLastReadBack) {
  auto filter = make();
  reply(ok());
  reply(ok(kListing));
  ASSERT_TRUE(filter->apply(spec_with_generation(7)).has_value());
  reply(failed("Error: Could not process rule: File exists"));
  const auto status = filter->apply(spec_with_generation(8));
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().kind, api::BackendErrorKind::kInternal);
  EXPECT_NE(status.error().message.find("File exists"), std::string::npos);
  reply(ok(kListing));
  EXPECT_TRUE(filter->verify()->intact);
}

// The table comment line of the script the filter sent in call `index`.
// The generation rule of the script call `index` sent, and a listing of a table holding it.
std::string sent_comment(const std::vector<Call>& calls, std::size_t index) {
  const std::string& script = calls.at(index).input;
  const std::size_t start = script.find("\t\tcounter drop comment ");
  return script.substr(start, script.find('\n', start) - start + 1);
}
std::string listing_with(const std::string& generation_rule) {
  return "table inet rustynet_rnf0 {\n\tcomment \"rustynet\"\n\tchain mesh_in {\n" + generation_rule + "\t}\n}\n";
}

TEST_F(NftablesFilterTest, AnApplyKilledAfterTheCommitIsRecognisedByItsAttempt) {
  auto filter = make();
  reply(base::unexpected(std::string("did not finish within 5000 ms (killed)")));
  // The read-back finds the table this very apply sent.
  reply(Reply([this](const Call&) -> base::Result<NftOutput, std::string> {
    return ok(listing_with(sent_comment(calls_, 0)));
  }));
  ASSERT_TRUE(filter->apply(spec_with_generation(7)).has_value());
  EXPECT_NE(sent_comment(calls_, 0).find("\t\tcounter drop comment \"rustynet generation 7 attempt "),
            std::string::npos);
  reply(Reply([this](const Call&) -> base::Result<NftOutput, std::string> {
    return ok(listing_with(sent_comment(calls_, 0)));
  }));
  EXPECT_TRUE(filter->verify()->intact);
}

TEST_F(NftablesFilterTest, AnApplyKilledBeforeTheCommitFails) {
  auto filter = make();
  reply(base::unexpected(std::string("did not finish within 5000 ms (killed)")));
  reply(ok("table inet rustynet_rnf0 {\n\tcomment \"rustynet generation 6 attempt 0123456789abcdef\"\n}\n"));
  const auto status = filter->apply(spec_with_generation(7));
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().kind, api::BackendErrorKind::kInternal);
  EXPECT_NE(status.error().message.find("killed"), std::string::npos);
}

TEST_F(NftablesFilterTest, EveryApplyIsADistinctAttempt) {
  auto filter = make();
  for (int i = 0; i < 2; ++i) {
    reply(ok());
    reply(ok(kListing));
    ASSERT_TRUE(filter->apply(spec_with_generation(7)).has_value());
  }
  EXPECT_NE(sent_comment(calls_, 0), sent_comment(calls_, 2));
}

TEST_F(NftablesFilterTest, NftThatCannotRunIsInternal) {
  auto filter = make();
  reply(base::unexpected(std::string("execve /nonexistent: No such file or directory")));
  reply(base::unexpected(std::string("execve /nonexistent: No such file or directory")));
  EXPECT_EQ(filter->apply(spec_with_generation(1)).error().kind, api::BackendErrorKind::kInternal);
  reply(base::unexpected(std::string("timed out")));
  EXPECT_EQ(filter->verify().error().kind, api::BackendErrorKind::kInternal);
}

TEST_F(NftablesFilterTest, VerifyOfAnAbsentTable) {
  auto filter = make();
  reply(failed("Error: No such file or directory"));
  reply(ok("table inet other\n"));
  const auto state = filter->verify();
  ASSERT_TRUE(state.has_value());
  EXPECT_FALSE(state->installed);
  EXPECT_FALSE(state->intact);
  EXPECT_EQ(calls_[1].arguments, (std::vector<std::string>{"list", "tables", "inet"}));
}

TEST_F(NftablesFilterTest, VerifyThatCannotListAnExistingTableIsInternal) {
  auto filter = make();
  reply(failed("Error: something else"));
  reply(ok(kTables));
  EXPECT_EQ(filter->verify().error().kind, api::BackendErrorKind::kInternal);
}

TEST_F(NftablesFilterTest, EnsureInstalledLeavesAnExistingTableAlone) {
  auto filter = make();
  reply(failed("Error: Could not process rule: File exists"));  // "create" refuses an existing table
  reply(ok(kTables));
  ASSERT_TRUE(filter->ensure_installed().has_value());
  ASSERT_EQ(calls_.size(), 2U);
  EXPECT_TRUE(calls_[0].input.starts_with("create table inet rustynet_rnf0 { comment"));
  EXPECT_EQ(calls_[1].arguments, (std::vector<std::string>{"list", "tables", "inet"}));
}

TEST_F(NftablesFilterTest, EnsureInstalledCreatesDenyAllInOneRun) {
  auto filter = make();
  reply(ok());
  ASSERT_TRUE(filter->ensure_installed().has_value());
  ASSERT_EQ(calls_.size(), 1U);
  EXPECT_TRUE(calls_[0].input.starts_with("create table inet rustynet_rnf0 { comment"));
}

TEST_F(NftablesFilterTest, EnsureInstalledFailsWhenCreateFailsAndNoTableExists) {
  auto filter = make();
  reply(failed("Error: Could not process rule: Operation not supported"));
  reply(ok("table inet other\n"));
  EXPECT_EQ(filter->ensure_installed().error().kind, api::BackendErrorKind::kInternal);
}

TEST_F(NftablesFilterTest, AllowsReadsMembershipFromTheExitStatus) {
  auto filter = make();
  const api::FlowQuery flow{api::FlowDirection::kInbound, api::IpAddress::parse("10.0.0.2").value(),
                            api::IpAddress::parse("10.0.0.1").value(), api::FilterProtocol::kTcp, 22};
  reply(ok("table inet rustynet_rnf0 { ... }"));
  EXPECT_TRUE(filter->allows(flow).value());
  EXPECT_EQ(calls_[0].arguments, (std::vector<std::string>{"get", "element", "inet", "rustynet_rnf0", "in4_l4",
                                                           "{ 10.0.0.2 . 10.0.0.1 . 6 . 22 }"}));
  // Not a member: ENOENT, and the set exists.
  reply(failed("Error: Could not process rule: No such file or directory"));
  reply(ok());
  EXPECT_FALSE(filter->allows(flow).value());
  // No table: ENOENT twice.
  reply(failed("Error: Could not process rule: No such file or directory"));
  reply(failed("Error: No such file or directory"));
  EXPECT_EQ(filter->allows(flow).error().kind, api::BackendErrorKind::kInternal);
  // Any other failure is not an answer.
  reply(failed("Error: syntax error"));
  EXPECT_EQ(filter->allows(flow).error().kind, api::BackendErrorKind::kInternal);
}

TEST_F(NftablesFilterTest, RemoveIsIdempotent) {
  auto filter = make();
  reply(ok());
  EXPECT_TRUE(filter->remove().has_value());
  reply(failed("Error: No such file or directory"));
  reply(ok(""));
  EXPECT_TRUE(filter->remove().has_value());
  reply(failed("Error: Operation not permitted"));
  reply(ok(kTables));
  EXPECT_EQ(filter->remove().error().kind, api::BackendErrorKind::kInternal);
}

TEST_F(NftablesFilterTest, WithTheGenerationAnApplyIsOneScriptAndAnUntouchedTableNeedsNoListing) {
  auto filter = make_with_generation();
  reply_commit();
  ASSERT_TRUE(filter->apply(spec_with_generation(7)).has_value());
  ASSERT_EQ(calls_.size(), 1U);  // ours was the only commit: no read-back on the apply path
  EXPECT_TRUE(calls_[0].input.starts_with("add table inet rustynet_rnf0\ndelete table inet rustynet_rnf0\n"));

  reply(ok(kListing));  // the first verify reads the reference listing while nothing else committed
  auto state = filter->verify();
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->installed && state->intact);
  EXPECT_EQ(state->generation, 7U);
  ASSERT_EQ(calls_.size(), 2U);
  EXPECT_EQ(calls_[1].arguments, (std::vector<std::string>{"-s", "list", "table", "inet", "rustynet_rnf0"}));
  state = filter->verify();  // nothing committed since: no nft run at all
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->intact);
  EXPECT_EQ(state->generation, 7U);
  EXPECT_EQ(calls_.size(), 2U);
}

TEST_F(NftablesFilterTest, TheNextApplyOnAnUntouchedTableChangesOnlyWhatDiffers) {
  auto filter = make_with_generation();
  reply_commit();
  ASSERT_TRUE(filter->apply(spec_with_generation(7)).has_value());
  api::FilterSpec next = spec_with_generation(8);
  next.inbound.push_back(api::FilterRule{api::IpPrefix::parse("10.0.0.3/32").value(),
                                         api::IpAddress::parse("10.0.0.1").value(), api::FilterProtocol::kTcp,
                                         api::PortRange{80, 80}});
  reply_commit();
  ASSERT_TRUE(filter->apply(next).has_value());
  ASSERT_EQ(calls_.size(), 2U);
  const std::string& script = calls_[1].input;
  EXPECT_TRUE(script.starts_with("flush chain inet rustynet_rnf0 mesh_in\n")) << script;
  EXPECT_NE(script.find("add element inet rustynet_rnf0 in4_l4 {\n\t10.0.0.3 . 10.0.0.1 . 6 . 80\n}\n"),
            std::string::npos)
      << script;
  EXPECT_EQ(script.find("10.0.0.2 . 10.0.0.1 . 6 . 22"), std::string::npos) << script;
  EXPECT_EQ(script.find("delete"), std::string::npos) << script;
}

TEST_F(NftablesFilterTest, AnyOtherCommitMeansAWholeReplacementAndAListingToJudge) {
  auto filter = make_with_generation();
  // Someone else commits while our nft runs: the apply falls back to reading the table back.
  replies_.emplace_back([this](const Call&) -> base::Result<NftOutput, std::string> {
    generation_.value += 2;
    return ok();
  });
  reply(ok(kListing));
  ASSERT_TRUE(filter->apply(spec_with_generation(7)).has_value());
  ASSERT_EQ(calls_.size(), 2U);
  EXPECT_EQ(calls_[1].arguments[0], "-s");
  // Equal listing across an unchanged generation: intact, and proven again.
  reply(ok(kListing));
  EXPECT_TRUE(filter->verify()->intact);
  EXPECT_TRUE(filter->verify()->intact);
  EXPECT_EQ(calls_.size(), 3U);
  // A commit elsewhere, then a changed table: not intact, and the next apply replaces it whole.
  ++generation_.value;
  reply(ok(std::string(kListing) + "extra\n"));
  EXPECT_FALSE(filter->verify()->intact);
  reply_commit();
  ASSERT_TRUE(filter->apply(spec_with_generation(8)).has_value());
  EXPECT_TRUE(calls_.back().input.starts_with("add table inet rustynet_rnf0\ndelete table inet rustynet_rnf0\n"));
}

TEST_F(NftablesFilterTest, ACommitBeforeTheReferenceWasReadCannotBeProvenIntact) {
  auto filter = make_with_generation();
  reply_commit();
  ASSERT_TRUE(filter->apply(spec_with_generation(7)).has_value());
  ++generation_.value;  // another table's commit before any verify
  reply(ok(kListing));
  const auto state = filter->verify();
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->installed);
  EXPECT_FALSE(state->intact);  // no reference to compare with: the owner re-applies
}

TEST_F(NftablesFilterTest, AnUnreadableGenerationFallsBackToListings) {
  auto filter = make_with_generation();
  generation_.fail = true;
  reply(ok());
  reply(ok(kListing));
  ASSERT_TRUE(filter->apply(spec_with_generation(7)).has_value());
  ASSERT_EQ(calls_.size(), 2U);
  EXPECT_EQ(calls_[1].arguments[0], "-s");
  reply(ok(kListing));
  EXPECT_TRUE(filter->verify()->intact);
  reply(ok());
  ASSERT_TRUE(filter->apply(spec_with_generation(8)).has_value());
  EXPECT_TRUE(calls_[3].input.starts_with("add table inet rustynet_rnf0\n"));  // never an update unproven
}

}  // namespace
}  // namespace rustynet::backend_wireguard::filter
