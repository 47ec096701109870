# SPDX-License-Identifier: Apache-2.0
# Signed artifacts and trust state: the part of libs/crypto owned by the policy/signed-state work.
# Appends to RUSTYNET_CRYPTO_SIGNED_HEADERS / RUSTYNET_CRYPTO_SIGNED_SOURCES (paths relative to libs/crypto).
set(RUSTYNET_CRYPTO_SIGNED_HEADERS
  include/rustynet/crypto/signed_envelope.hpp
  include/rustynet/crypto/signed_state_error.hpp
  include/rustynet/crypto/trust_state.hpp
)
set(RUSTYNET_CRYPTO_SIGNED_SOURCES
  src/signed_codec.hpp
  src/signed_envelope.cpp
  src/signed_state_error.cpp
  src/trust_state.cpp
  src/trust_state_codec.cpp
)
