// SPDX-License-Identifier: Apache-2.0
// RelayCore: session table, ticket admission with cookies and a replay store, limits and expiry.
#include "rustynet/relay/relay_core.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rustynet/crypto/algorithm_use.hpp"
#include "rustynet/crypto/crypto_error.hpp"
#include "rustynet/crypto/encoding.hpp"
#include "rustynet/crypto/relay_ticket.hpp"
#include "rustynet/crypto/signed_envelope.hpp"
#include "rustynet/relay/protocol.hpp"
#include "token_bucket.hpp"

namespace rustynet::relay {
namespace {

using crypto::RelaySessionId;
using crypto::RelayTicketId;

constexpr std::int64_t kCookieWindowSeconds = 30;
// Pre-authentication hello buckets: a fixed table indexed by a keyed hash of the source IP, so its
// memory is constant whatever the number of sources. Colliding sources share a bucket (stricter).
constexpr std::size_t kHelloTableSize = 4096;
static_assert((kHelloTableSize & (kHelloTableSize - 1)) == 0);

struct IdHash {
  std::size_t operator()(const std::array<std::uint8_t, 16>& id) const noexcept {
    // Ids are random (control's CSPRNG) and only stored after a verified signature.
    std::size_t h = 0;
    for (std::size_t i = 0; i < sizeof(std::size_t); ++i) {
      h = (h << 8U) | id[i];
    }
    return h;
  }
};

struct Side {
  std::string node_id;
  bool bound = false;
  RelayEndpoint endpoint;
  RelayTicketId ticket_id{};
  detail::TokenBucket packets;
  detail::TokenBucket bytes;
};

struct Session {
  RelaySessionId id{};
  std::array<Side, 2> sides;
  base::MonotonicTime created{};
  base::MonotonicTime last_activity{};
};

struct SideRef {
  Session* session = nullptr;
  std::size_t index = 0;
};

struct HelloBucket {
  detail::TokenBucket bucket;
  bool used = false;
};

std::int64_t seconds_of(base::MonotonicTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

struct RelayCore::State {
  std::string relay_id;
  crypto::Ed25519PublicKey control_key;
  RelayLimits limits;
  const base::Clock* clock = nullptr;
  EventSink* sink = nullptr;
  std::int64_t started_wall = 0;
  std::array<std::uint8_t, crypto_generichash_KEYBYTES> cookie_key{};
  std::array<std::uint8_t, crypto_shorthash_KEYBYTES> table_key{};
  RelayCounters counters;
  std::unordered_map<RelaySessionId, Session, IdHash> sessions;
  std::unordered_map<RelayEndpoint, SideRef, RelayEndpointHash> bound;
  std::unordered_map<std::string, std::uint32_t> node_sessions;
  std::unordered_map<RelayTicketId, std::int64_t, IdHash> replay;  // ticket id -> forget after (wall)
  std::vector<HelloBucket> hello_buckets;
  detail::TokenBucket verify_budget;
  detail::TokenBucket event_budget;
  // Pre-authentication events (a hello over its source's rate, a wrong cookie) cost the sender
  // nothing and may carry a spoofed source; on a shared budget a flood of them pushed the events
  // about forged and replayed tickets out of the log. They get a budget of their own.
  detail::TokenBucket preauth_event_budget;

  State(std::string id, crypto::Ed25519PublicKey key) : relay_id(std::move(id)), control_key(key) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  State(State&&) = delete;
  State& operator=(State&&) = delete;
  ~State() {
    sodium_memzero(cookie_key.data(), cookie_key.size());
    sodium_memzero(table_key.data(), table_key.size());
  }

  void emit(SecurityEventKind kind, const RelayEndpoint* source, std::string node, const RelaySessionId* session,
            std::string decision, base::MonotonicTime now) {
    const bool preauth = kind == SecurityEventKind::kHelloRateLimited || kind == SecurityEventKind::kCookieInvalid;
    if (!(preauth ? preauth_event_budget : event_budget).take(1, now)) {
      ++counters.events_suppressed;
      return;
    }
    SecurityEvent event{kind, source != nullptr ? source->to_string() : std::string(), std::move(node),
                        session != nullptr ? crypto::hex_encode(*session) : std::string(), std::move(decision)};
    sink->record(event);
  }

  Cookie cookie_for(const RelayEndpoint& source, std::int64_t window) const {
    std::array<std::uint8_t, 8 + 1 + 16 + 2> input{};
    for (std::size_t i = 0; i < 8; ++i) {
      input[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(window) >> (8U * (7U - i)));
    }
    input[8] = static_cast<std::uint8_t>(source.family);
    std::copy(source.address.begin(), source.address.end(), input.begin() + 9);
    input[25] = static_cast<std::uint8_t>(source.port >> 8U);
    input[26] = static_cast<std::uint8_t>(source.port & 0xFFU);
    Cookie cookie{};
    crypto_generichash(cookie.data(), cookie.size(), input.data(), input.size(), cookie_key.data(), cookie_key.size());
    return cookie;
  }

  HelloBucket& hello_bucket_for(const RelayEndpoint& source, base::MonotonicTime now) {
    std::array<std::uint8_t, crypto_shorthash_BYTES> hash{};
    crypto_shorthash(hash.data(), source.address.data(), source.address.size(), table_key.data());
    std::size_t index = 0;
    for (const auto b : hash) {
      index = (index << 8U) | b;
    }
    HelloBucket& slot = hello_buckets[index & (kHelloTableSize - 1)];
    if (!slot.used) {
      const double rate = limits.hello_per_source_per_second;
      slot.bucket = detail::TokenBucket(rate, 2 * rate, now);
      slot.used = true;
    }
    return slot;
  }

  Decision reply(std::size_t size) const { return Decision{Action::kReply, {}, size}; }

  Decision reject(std::span<std::uint8_t> out, RejectReason reason) {
    ++counters.tickets_rejected;
    return reply(write_reject(out, reason));
  }

  void remove_session(std::unordered_map<RelaySessionId, Session, IdHash>::iterator it) {
    for (const Side& side : it->second.sides) {
      if (side.bound) {
        bound.erase(side.endpoint);
      }
      auto count = node_sessions.find(side.node_id);
      if (count != node_sessions.end() && --count->second == 0) {
        node_sessions.erase(count);
      }
    }
    sessions.erase(it);
  }

  void prune_replay(std::int64_t wall) {
    for (auto it = replay.begin(); it != replay.end();) {
      it = it->second < wall ? replay.erase(it) : std::next(it);
    }
  }

  std::uint32_t node_count(const std::string& node) const {
    const auto it = node_sessions.find(node);
    return it == node_sessions.end() ? 0 : it->second;
  }

  Decision admit(const RelayEndpoint& source, const crypto::RelayTicketClaims& claims, std::span<std::uint8_t> out,
                 base::MonotonicTime now, std::int64_t wall);
  Decision handle_hello(const RelayEndpoint& source, std::span<const std::uint8_t> datagram,
                        std::span<std::uint8_t> out, base::MonotonicTime now);
};

Decision RelayCore::State::handle_hello(const RelayEndpoint& source, std::span<const std::uint8_t> datagram,
                                        std::span<std::uint8_t> out, base::MonotonicTime now) {
  auto hello = parse_hello(datagram);
  if (!hello.has_value()) {
    ++counters.dropped_malformed;
    return {};
  }
  if (!hello_bucket_for(source, now).bucket.take(1, now)) {
    ++counters.dropped_hello_rate;
    emit(SecurityEventKind::kHelloRateLimited, &source, {}, nullptr, "drop:hello-rate", now);
    return {};
  }
  const std::int64_t window = seconds_of(now) / kCookieWindowSeconds;
  const Cookie current = cookie_for(source, window);
  const Cookie& presented = hello->cookie;
  const bool zero = std::all_of(presented.begin(), presented.end(), [](std::uint8_t b) { return b == 0; });
  bool valid = false;
  if (!zero) {
    const Cookie previous = cookie_for(source, window - 1);
    valid = sodium_memcmp(presented.data(), current.data(), kCookieSize) == 0 ||
            sodium_memcmp(presented.data(), previous.data(), kCookieSize) == 0;
    if (!valid) {
      ++counters.cookies_invalid;
      emit(SecurityEventKind::kCookieInvalid, &source, {}, nullptr, "cookie-reissued", now);
    }
  }
  if (!valid) {
    // Stateless: nothing is stored for an unverified source; the reply is smaller than the hello.
    ++counters.cookies_sent;
    return reply(write_cookie(out, current));
  }
  // The source address is now known to receive our datagrams. Only now spend signature work.
  if (!verify_budget.take(1, now)) {
    ++counters.verify_budget_exhausted;
    emit(SecurityEventKind::kLimitReached, &source, {}, nullptr, "reject:busy", now);
    return reject(out, RejectReason::kBusy);
  }
  const auto wall = clock->wall_now();
  if (!wall.has_value()) {
    emit(SecurityEventKind::kTicketRejected, &source, {}, nullptr, "reject:clock-unavailable", now);
    return reject(out, RejectReason::kClockUnavailable);
  }
  ++counters.tickets_verified;
  auto claims = crypto::verify_relay_ticket(hello->ticket, control_key, relay_id, *wall);
  if (!claims.has_value()) {
    const auto kind = claims.error().kind;
    const bool time =
        kind == crypto::SignedStateErrorKind::kExpired || kind == crypto::SignedStateErrorKind::kNotYetValid;
    emit(SecurityEventKind::kTicketRejected, &source, {}, nullptr, "reject:" + std::string(crypto::to_string(kind)),
         now);
    return reject(out, time ? RejectReason::kExpired : RejectReason::kBadTicket);
  }
  if (claims->issued_at < started_wall) {
    emit(SecurityEventKind::kTicketRejected, &source, claims->node_id, &claims->session_id, "reject:stale-ticket", now);
    return reject(out, RejectReason::kStaleTicket);
  }
  return admit(source, *claims, out, now, wall->seconds);
}

Decision RelayCore::State::admit(const RelayEndpoint& source, const crypto::RelayTicketClaims& claims,
                                 std::span<std::uint8_t> out, base::MonotonicTime now, std::int64_t wall) {
  auto session_it = sessions.find(claims.session_id);
  const auto side_index = [&](const Session& session) -> std::size_t {
    return session.sides[0].node_id == claims.node_id ? 0 : 1;
  };
  if (replay.contains(claims.ticket_id)) {
    // A retransmitted hello (our accept was lost) is answered again; any other reuse is a replay.
    if (session_it != sessions.end()) {
      const Side& side = session_it->second.sides[side_index(session_it->second)];
      if (side.node_id == claims.node_id && side.bound && side.endpoint == source &&
          side.ticket_id == claims.ticket_id) {
        const bool peer_bound = session_it->second.sides[1 - side_index(session_it->second)].bound;
        return reply(write_accept(out, claims.session_id, peer_bound, limits.session_idle_timeout_seconds));
      }
    }
    ++counters.tickets_replayed;
    emit(SecurityEventKind::kTicketReplayed, &source, claims.node_id, &claims.session_id, "reject:replayed", now);
    return reject(out, RejectReason::kReplayed);
  }
  if (session_it == sessions.end()) {
    if (sessions.size() >= limits.max_sessions) {
      ++counters.session_limit_hits;
      emit(SecurityEventKind::kLimitReached, &source, claims.node_id, &claims.session_id, "reject:max-sessions", now);
      return reject(out, RejectReason::kRelayFull);
    }
    if (node_count(claims.node_id) >= limits.max_sessions_per_node ||
        node_count(claims.peer_node_id) >= limits.max_sessions_per_node) {
      ++counters.node_limit_hits;
      emit(SecurityEventKind::kLimitReached, &source, claims.node_id, &claims.session_id,
           "reject:max-sessions-per-node", now);
      return reject(out, RejectReason::kNodeLimit);
    }
  } else {
    const Session& session = session_it->second;
    const bool same_pair =
        (session.sides[0].node_id == claims.node_id && session.sides[1].node_id == claims.peer_node_id) ||
        (session.sides[1].node_id == claims.node_id && session.sides[0].node_id == claims.peer_node_id);
    if (!same_pair) {
      emit(SecurityEventKind::kTicketRejected, &source, claims.node_id, &claims.session_id, "reject:session-mismatch",
           now);
      return reject(out, RejectReason::kSessionMismatch);
    }
  }
  const auto in_use = bound.find(source);
  if (in_use != bound.end() && (in_use->second.session->id != claims.session_id ||
                                in_use->second.session->sides[in_use->second.index].node_id != claims.node_id)) {
    emit(SecurityEventKind::kTicketRejected, &source, claims.node_id, &claims.session_id, "reject:address-in-use", now);
    return reject(out, RejectReason::kAddressInUse);
  }
  if (replay.size() >= limits.max_replay_entries) {
    prune_replay(wall);
    if (replay.size() >= limits.max_replay_entries) {
      ++counters.replay_store_full;
      emit(SecurityEventKind::kLimitReached, &source, claims.node_id, &claims.session_id, "reject:replay-store-full",
           now);
      return reject(out, RejectReason::kRelayFull);
    }
  }
  replay.emplace(claims.ticket_id, claims.expires_at + crypto::kClockSkewSeconds);
  if (session_it == sessions.end()) {
    Session session;
    session.id = claims.session_id;
    session.sides[0].node_id = claims.node_id;
    session.sides[1].node_id = claims.peer_node_id;
    session.created = now;
    session_it = sessions.emplace(claims.session_id, std::move(session)).first;
    ++node_sessions[claims.node_id];
    ++node_sessions[claims.peer_node_id];
    ++counters.sessions_created;
  }
  Session& session = session_it->second;
  const std::size_t index = side_index(session);
  Side& side = session.sides[index];
  const bool rebind = side.bound && side.endpoint != source;
  if (rebind) {
    bound.erase(side.endpoint);
    ++counters.sides_rebound;
  }
  side.bound = true;
  side.endpoint = source;
  side.ticket_id = claims.ticket_id;
  side.packets = detail::TokenBucket(limits.per_source_packets_per_second, limits.per_source_packets_per_second, now);
  side.bytes = detail::TokenBucket(static_cast<double>(limits.per_session_bytes_per_second),
                                   static_cast<double>(limits.per_session_bytes_per_second), now);
  bound[source] = SideRef{&session, index};
  session.last_activity = now;
  ++counters.sides_bound;
  emit(rebind ? SecurityEventKind::kSessionRebound : SecurityEventKind::kSessionBound, &source, claims.node_id,
       &claims.session_id, rebind ? "rebound" : "bound", now);
  return reply(
      write_accept(out, claims.session_id, session.sides[1 - index].bound, limits.session_idle_timeout_seconds));
}

base::Result<RelayCore, std::string> RelayCore::create(std::string relay_id, crypto::Ed25519PublicKey control_key,
                                                       const RelayLimits& limits, const base::Clock& clock,
                                                       EventSink& sink) {
  if (auto valid = validate(limits); !valid.has_value()) {
    return base::unexpected(valid.error().message);
  }
  if (relay_id.empty()) {
    return base::unexpected(std::string("relay id must not be empty"));
  }
  if (!crypto::ensure_sodium().has_value()) {
    return base::unexpected(std::string("libsodium unavailable"));
  }
  const auto wall = clock.wall_now();
  if (!wall.has_value()) {
    return base::unexpected("wall clock unusable: " + wall.error().reason);
  }
  auto state = std::make_unique<State>(std::move(relay_id), control_key);
  state->limits = limits;
  state->clock = &clock;
  state->sink = &sink;
  state->started_wall = wall->seconds;
  randombytes_buf(state->cookie_key.data(), state->cookie_key.size());
  randombytes_buf(state->table_key.data(), state->table_key.size());
  state->hello_buckets.resize(kHelloTableSize);
  state->sessions.reserve(limits.max_sessions);
  state->bound.reserve(2 * static_cast<std::size_t>(limits.max_sessions));
  state->replay.reserve(std::min<std::size_t>(limits.max_replay_entries, 65'536));
  const auto now = clock.monotonic_now();
  state->verify_budget =
      detail::TokenBucket(limits.ticket_verifications_per_second, limits.ticket_verifications_per_second, now);
  state->event_budget = detail::TokenBucket(limits.security_events_per_second, limits.security_events_per_second, now);
  state->preauth_event_budget = state->event_budget;
  return RelayCore(std::move(state));
}

RelayCore::RelayCore(std::unique_ptr<State> state) : state_(std::move(state)) {}
RelayCore::RelayCore(RelayCore&&) noexcept = default;
RelayCore& RelayCore::operator=(RelayCore&&) noexcept = default;
RelayCore::~RelayCore() = default;

Decision RelayCore::handle(const RelayEndpoint& source, std::span<const std::uint8_t> datagram,
                           std::span<std::uint8_t> reply, base::MonotonicTime now) {
  State& s = *state_;
  ++s.counters.rx_datagrams;
  s.counters.rx_bytes += datagram.size();
  const auto it = s.bound.find(source);
  if (it == s.bound.end()) {
    if (is_control_message(datagram) && datagram.size() > kHeaderSize &&
        datagram[5] == static_cast<std::uint8_t>(MessageType::kHello)) {
      return s.handle_hello(source, datagram, reply, now);
    }
    // No live session for this address: no state, no answer.
    ++s.counters.dropped_unknown_source;
    return {};
  }
  Session& session = *it->second.session;
  const std::size_t index = it->second.index;
  if (is_control_message(datagram)) {
    if (datagram.size() == kHeaderSize && datagram[4] == kProtocolVersion &&
        datagram[5] == static_cast<std::uint8_t>(MessageType::kKeepalive)) {
      ++s.counters.keepalives;
      session.last_activity = now;
      return s.reply(write_keepalive_ack(reply, session.sides[1 - index].bound));
    }
    if (datagram.size() > kHeaderSize && datagram[5] == static_cast<std::uint8_t>(MessageType::kHello)) {
      return s.handle_hello(source, datagram, reply, now);
    }
    ++s.counters.dropped_malformed;
    return {};
  }
  Side& side = session.sides[index];
  if (!side.packets.take(1, now) || !side.bytes.take(static_cast<double>(datagram.size()), now)) {
    ++s.counters.dropped_session_rate;
    return {};
  }
  const Side& peer = session.sides[1 - index];
  if (!peer.bound) {
    ++s.counters.dropped_peer_unbound;
    return {};
  }
  session.last_activity = now;
  ++s.counters.forwarded_datagrams;
  s.counters.forwarded_bytes += datagram.size();
  return Decision{Action::kForward, peer.endpoint, 0};
}

void RelayCore::note_oversize() noexcept { ++state_->counters.dropped_oversize; }
void RelayCore::note_send_error() noexcept { ++state_->counters.send_errors; }

void RelayCore::expire(base::MonotonicTime now) {
  State& s = *state_;
  const auto idle = std::chrono::seconds(s.limits.session_idle_timeout_seconds);
  const auto lifetime = std::chrono::seconds(s.limits.max_session_lifetime_seconds);
  for (auto it = s.sessions.begin(); it != s.sessions.end();) {
    const bool idle_out = now - it->second.last_activity >= idle;
    const bool too_old = now - it->second.created >= lifetime;
    if (!idle_out && !too_old) {
      ++it;
      continue;
    }
    ++(idle_out ? s.counters.sessions_expired_idle : s.counters.sessions_expired_lifetime);
    const RelaySessionId id = it->first;
    auto next = std::next(it);
    s.remove_session(it);
    it = next;
    s.emit(SecurityEventKind::kSessionExpired, nullptr, {}, &id, idle_out ? "expired:idle" : "expired:lifetime", now);
  }
  if (const auto wall = s.clock->wall_now(); wall.has_value()) {
    s.prune_replay(wall->seconds);
  }
}

const RelayCounters& RelayCore::counters() const noexcept { return state_->counters; }
const RelayLimits& RelayCore::limits() const noexcept { return state_->limits; }
std::size_t RelayCore::session_count() const noexcept { return state_->sessions.size(); }
std::size_t RelayCore::bound_address_count() const noexcept { return state_->bound.size(); }
std::size_t RelayCore::replay_entry_count() const noexcept { return state_->replay.size(); }

std::vector<std::string> relay_algorithms() {
  std::vector<std::string> names = crypto::relay_ticket_algorithms();
  crypto::add_algorithms(names, {"blake2b", "siphash-2-4"});  // crypto_generichash, crypto_shorthash
  return names;
}

}  // namespace rustynet::relay
