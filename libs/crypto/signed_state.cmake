# SPDX-License-Identifier: Apache-2.0
# Signed artifacts and trust state: the part of libs/crypto owned by the policy/signed-state work.
# Appends to RUSTYNET_CRYPTO_SIGNED_HEADERS / RUSTYNET_CRYPTO_SIGNED_SOURCES (paths relative to libs/crypto).
set(RUSTYNET_CRYPTO_SIGNED_HEADERS "")
set(RUSTYNET_CRYPTO_SIGNED_SOURCES "")
