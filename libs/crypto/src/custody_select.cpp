// SPDX-License-Identifier: Apache-2.0
// Key store selection: systemd credentials, else encrypted file with an operator secret, else refuse.
#include "rustynet/crypto/custody_select.hpp"

#include <utility>

#include "rustynet/crypto/custody_systemd.hpp"

namespace rustynet::crypto {
namespace {

base::Result<OperatorSecret, CustodyError> read_operator_secret(const CustodySelection& selection) {
  const OperatorSecretSource& source = selection.operator_secret;
  switch (source.kind) {
    case OperatorSecretSource::Kind::kFd: return OperatorSecret::from_fd(source.fd);
    case OperatorSecretSource::Kind::kFile: return OperatorSecret::from_file(source.name);
    case OperatorSecretSource::Kind::kCredential:
      if (!selection.credentials_directory.has_value()) {
        return base::unexpected(CustodyError{CustodyErrorKind::kOperatorSecretInvalid, source.name,
                                             "operator secret credential requested but $CREDENTIALS_DIRECTORY is "
                                             "not set"});
      }
      return OperatorSecret::from_credential(*selection.credentials_directory, source.name);
    case OperatorSecretSource::Kind::kNone: break;
  }
  return base::unexpected(CustodyError{CustodyErrorKind::kNoSecureStore, selection.key_directory,
                                       "no systemd key credentials and no operator secret for the encrypted key "
                                       "store: refusing to start"});
}

}  // namespace

base::Result<std::unique_ptr<KeyCustody>, CustodyError> select_key_custody(const CustodySelection& selection) {
  if (selection.credentials_directory.has_value()) {
    RUSTYNET_ASSIGN_OR_RETURN(std::unique_ptr<SystemdCredentialCustody> systemd,
                              SystemdCredentialCustody::open(*selection.credentials_directory));
    for (KeyPurpose purpose : {KeyPurpose::kNodeIdentity, KeyPurpose::kNodeTunnel, KeyPurpose::kControlSigning}) {
      RUSTYNET_ASSIGN_OR_RETURN(bool present, systemd->contains(purpose));
      if (present) {
        return std::unique_ptr<KeyCustody>(std::move(systemd));
      }
    }
  }
  RUSTYNET_ASSIGN_OR_RETURN(OperatorSecret secret, read_operator_secret(selection));
  RUSTYNET_ASSIGN_OR_RETURN(
      std::unique_ptr<EncryptedFileCustody> file,
      EncryptedFileCustody::open(selection.key_directory, std::move(secret), selection.file_options));
  return std::unique_ptr<KeyCustody>(std::move(file));
}

}  // namespace rustynet::crypto
