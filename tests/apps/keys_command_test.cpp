// SPDX-License-Identifier: Apache-2.0
// `rustynet keys`: generate/show/rotate through custody, secrets only from fd/file, never printed.
#include "keys_command.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_main.hpp"
#include "rustynet/crypto/custody_file.hpp"
#include "rustynet/crypto/encoding.hpp"
#include "temp_dir.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr const char* kOperatorSecret = "keys command operator secret";

KeysCommandConfig fast_config() {
  KeysCommandConfig config;
  config.params = crypto::EnvelopeParams{1, 8};
  config.limits = crypto::EnvelopeLimits{1, 4, 8, 64U * 1024};
  return config;
}

class KeysCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_dir_ = temp_.file("keys");
    secret_file_ = temp_.file("secret");
    {
      std::ofstream out(secret_file_);
      out << kOperatorSecret << "\n";
    }
    ASSERT_EQ(::chmod(secret_file_.c_str(), 0600), 0);
  }

  int run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    const int code = run_keys(args, out_, err_, fast_config());
    all_output_ += out_.str() + err_.str();
    return code;
  }

  std::vector<std::string> with_secret(std::vector<std::string> args) {
    args.insert(args.end(), {"--key-dir", key_dir_, "--secret-file", secret_file_});
    return args;
  }

  // Loads a key straight from custody, to compare with what the command printed.
  crypto::StoredKey load(crypto::KeyPurpose purpose) {
    const std::string text = kOperatorSecret;
    auto secret = crypto::OperatorSecret::from_bytes(std::vector<std::uint8_t>(text.begin(), text.end()));
    crypto::EncryptedFileCustodyOptions options;
    options.params = fast_config().params;
    options.limits = fast_config().limits;
    auto custody = crypto::EncryptedFileCustody::open(key_dir_, std::move(secret).value(), options);
    if (!custody.has_value()) {
      ADD_FAILURE() << custody.error();
      std::abort();
    }
    auto key = (*custody)->load(purpose);
    if (!key.has_value()) {
      ADD_FAILURE() << key.error();
      std::abort();
    }
    return std::move(key).value();
  }

  void expect_no_secret(const crypto::StoredKey& key) {
    EXPECT_EQ(all_output_.find(crypto::hex_encode(key.secret.view())), std::string::npos);
    EXPECT_EQ(all_output_.find(crypto::base64_encode(key.secret.view())), std::string::npos);
    EXPECT_EQ(all_output_.find(kOperatorSecret), std::string::npos);
  }

  rustynet::testing::TempDir temp_;
  std::string key_dir_;
  std::string secret_file_;
  std::ostringstream out_;
  std::ostringstream err_;
  std::string all_output_;
};

TEST_F(KeysCommandTest, GenerateShowRotate) {
  ASSERT_EQ(run(with_secret({"generate", "--create-dir"})), 0) << err_.str();
  struct stat info {};
  ASSERT_EQ(::stat(key_dir_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777U, 0700U);
  auto identity = load(crypto::KeyPurpose::kNodeIdentity);
  auto tunnel = load(crypto::KeyPurpose::kNodeTunnel);
  auto tunnel_info = crypto::public_info_for(crypto::KeyPurpose::kNodeTunnel, tunnel.secret.view());
  ASSERT_TRUE(tunnel_info.has_value());
  EXPECT_NE(
      out_.str().find("generated node-tunnel x25519 " + tunnel_info->public_key_base64 + " key-id " + tunnel.key_id),
      std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("generated node-identity ed25519"), std::string::npos);

  // Generating again refuses to overwrite.
  EXPECT_EQ(run(with_secret({"generate"})), 1);
  EXPECT_NE(err_.str().find("already exists"), std::string::npos);

  ASSERT_EQ(run(with_secret({"show"})), 0) << err_.str();
  EXPECT_NE(out_.str().find(tunnel_info->public_key_base64), std::string::npos);
  EXPECT_NE(out_.str().find(identity.key_id), std::string::npos);
  EXPECT_EQ(out_.str().find("control-signing"), std::string::npos);
  ASSERT_EQ(run(with_secret({"show", "--purpose", "node-tunnel"})), 0);
  EXPECT_EQ(out_.str().find("node-identity"), std::string::npos);

  ASSERT_EQ(run(with_secret({"rotate", "--purpose", "node-tunnel"})), 0) << err_.str();
  auto rotated = load(crypto::KeyPurpose::kNodeTunnel);
  EXPECT_NE(rotated.key_id, tunnel.key_id);
  EXPECT_NE(out_.str().find(tunnel.key_id + " -> " + rotated.key_id), std::string::npos);
  // Identity untouched by a tunnel rotation.
  EXPECT_EQ(load(crypto::KeyPurpose::kNodeIdentity).key_id, identity.key_id);

  // Rotating a key that does not exist is refused.
  EXPECT_EQ(run(with_secret({"rotate", "--purpose", "control-signing"})), 1);

  expect_no_secret(identity);
  expect_no_secret(tunnel);
  expect_no_secret(rotated);
}

TEST_F(KeysCommandTest, SecretFromFileDescriptor) {
  ASSERT_EQ(::mkdir(key_dir_.c_str(), 0700), 0);
  int fds[2] = {-1, -1};
  ASSERT_EQ(::pipe(fds), 0);
  const std::string secret = std::string(kOperatorSecret) + "\n";
  ASSERT_EQ(::write(fds[1], secret.data(), secret.size()), static_cast<ssize_t>(secret.size()));
  ::close(fds[1]);
  const int code =
      run({"generate", "--purpose", "control-signing", "--key-dir", key_dir_, "--secret-fd", std::to_string(fds[0])});
  ::close(fds[0]);
  ASSERT_EQ(code, 0) << err_.str();
  auto control = load(crypto::KeyPurpose::kControlSigning);
  EXPECT_NE(out_.str().find(control.key_id), std::string::npos);
  expect_no_secret(control);
}

TEST_F(KeysCommandTest, RefusesSecretsOnTheCommandLine) {
  ASSERT_EQ(::mkdir(key_dir_.c_str(), 0700), 0);
  for (const char* flag : {"--secret", "--password", "--passphrase", "--private-key", "--key"}) {
    EXPECT_EQ(run({"generate", "--key-dir", key_dir_, flag, "hunter2-hunter2-hunter2"}), 64) << flag;
    EXPECT_NE(err_.str().find("never read from the command line"), std::string::npos);
  }
  EXPECT_EQ(run({"generate", "--key-dir", key_dir_, "--secret=hunter2-hunter2-hunter2"}), 64);
  // A stray positional argument (maybe a pasted secret) is not echoed.
  EXPECT_EQ(run(with_secret({"generate", "hunter2-hunter2-hunter2"})), 64);
  EXPECT_EQ(all_output_.find("hunter2"), std::string::npos);
}

TEST_F(KeysCommandTest, UsageAndFailuresAreExplicit) {
  EXPECT_EQ(run({}), 64);
  EXPECT_EQ(run({"--help"}), 0);
  EXPECT_NE(out_.str().find("--secret-fd"), std::string::npos);
  EXPECT_EQ(run({"frobnicate"}), 64);
  EXPECT_EQ(run({"generate", "--secret-file", secret_file_}), 64);  // no key dir
  EXPECT_EQ(run({"generate", "--key-dir", key_dir_}), 64);          // no secret source
  EXPECT_EQ(run({"generate", "--key-dir", key_dir_, "--secret-file", secret_file_, "--secret-fd", "3"}), 64);
  EXPECT_EQ(run({"generate", "--key-dir", key_dir_, "--secret-fd", "x"}), 64);
  EXPECT_EQ(run(with_secret({"rotate"})), 64);  // rotate needs one purpose
  EXPECT_EQ(run(with_secret({"show", "--purpose", "relay"})), 64);

  // Missing directory without --create-dir.
  EXPECT_EQ(run(with_secret({"show"})), 1);
  EXPECT_NE(err_.str().find("not_found"), std::string::npos);
  ASSERT_EQ(run(with_secret({"generate", "--create-dir"})), 0);

  // Insecure secret file.
  ASSERT_EQ(::chmod(secret_file_.c_str(), 0644), 0);
  EXPECT_EQ(run(with_secret({"show"})), 1);
  EXPECT_NE(err_.str().find("bad_permissions"), std::string::npos);
  ASSERT_EQ(::chmod(secret_file_.c_str(), 0600), 0);

  // Wrong operator secret.
  {
    std::ofstream out(secret_file_);
    out << "some other operator secret\n";
  }
  EXPECT_EQ(run(with_secret({"show"})), 1);
  EXPECT_NE(err_.str().find("authentication_failed"), std::string::npos);
  EXPECT_EQ(run(with_secret({"rotate", "--purpose", "node-tunnel"})), 1);

  // Through the top-level entry point.
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(rustynet::apps::cli::run({"keys", "--help"}, out, err), 0);
  EXPECT_NE(out.str().find("rustynet keys generate"), std::string::npos);
}

}  // namespace
}  // namespace rustynet::apps::cli
