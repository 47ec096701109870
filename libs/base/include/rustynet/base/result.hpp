// SPDX-License-Identifier: Apache-2.0
// Result<T, E>: the project's expected-style return type for failures that callers must handle.
#pragma once

#include <concepts>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace rustynet::base {

namespace detail {
// Aborts the process with a message. Accessing the wrong alternative of a Result is a programming
// error, never an expected failure, so it is not recoverable (Chromium base::expected semantics).
[[noreturn]] void result_bad_access(const char* what) noexcept;
}  // namespace detail

// Wraps an error value so that construction of a Result from it is never ambiguous.
template <class E>
class Unexpected {
 public:
  explicit Unexpected(E error) : error_(std::move(error)) {}
  E& error() & noexcept { return error_; }
  const E& error() const& noexcept { return error_; }
  E&& error() && noexcept { return std::move(error_); }

 private:
  E error_;
};

template <class E>
Unexpected<std::decay_t<E>> unexpected(E&& error) {
  return Unexpected<std::decay_t<E>>(std::forward<E>(error));
}

// A value of T or an error of E. [[nodiscard]] on the class: every fallible call site must look at
// the outcome. No operator bool: callers write has_value() so intent is explicit. value() on an
// error (or error() on a value) aborts.
template <class T, class E>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  template <class U = T>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, Result> &&
           !std::is_same_v<std::remove_cvref_t<U>, std::in_place_t>)
      // Implicit and forwarding like std::expected; the constraint excludes Result itself, so the
      // copy and move constructors are never hidden.
      // NOLINTNEXTLINE(bugprone-forwarding-reference-overload)
      Result(U&& value)
      : storage_(std::in_place_index<0>, std::forward<U>(value)) {}

  template <class G>
  requires std::is_constructible_v<E, G>
  // NOLINTNEXTLINE(google-explicit-constructor,hicpp-explicit-conversions): mirrors std::expected
  Result(Unexpected<G> error) : storage_(std::in_place_index<1>, std::move(error).error()) {}

  template <class... Args>
  explicit Result(std::in_place_t /*tag*/, Args&&... args)
      : storage_(std::in_place_index<0>, std::forward<Args>(args)...) {}

  [[nodiscard]] bool has_value() const noexcept { return storage_.index() == 0; }

  T& value() & {
    check_value();
    return *std::get_if<0>(&storage_);
  }
  const T& value() const& {
    check_value();
    return *std::get_if<0>(&storage_);
  }
  T&& value() && {
    check_value();
    return std::move(*std::get_if<0>(&storage_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  E& error() & {
    check_error();
    return *std::get_if<1>(&storage_);
  }
  const E& error() const& {
    check_error();
    return *std::get_if<1>(&storage_);
  }
  E&& error() && {
    check_error();
    return std::move(*std::get_if<1>(&storage_));
  }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? *std::get_if<0>(&storage_) : static_cast<T>(std::forward<U>(fallback));
  }

  // f: T -> Result<U, E>
  template <class F>
  auto and_then(F&& f) && {
    using Next = std::invoke_result_t<F, T&&>;
    if (has_value()) {
      return std::invoke(std::forward<F>(f), std::move(*std::get_if<0>(&storage_)));
    }
    return Next(Unexpected<E>(std::move(*std::get_if<1>(&storage_))));
  }

  // f: T -> U
  template <class F>
  auto transform(F&& f) && {
    using U = std::invoke_result_t<F, T&&>;
    if (has_value()) {
      if constexpr (std::is_void_v<U>) {
        std::invoke(std::forward<F>(f), std::move(*std::get_if<0>(&storage_)));
        return Result<void, E>();
      } else {
        return Result<U, E>(std::invoke(std::forward<F>(f), std::move(*std::get_if<0>(&storage_))));
      }
    } else {
      return Result<U, E>(Unexpected<E>(std::move(*std::get_if<1>(&storage_))));
    }
  }

  // f: E -> G
  template <class F>
  auto transform_error(F&& f) && {
    using G = std::invoke_result_t<F, E&&>;
    if (has_value()) {
      return Result<T, G>(std::move(*std::get_if<0>(&storage_)));
    }
    return Result<T, G>(Unexpected<G>(std::invoke(std::forward<F>(f), std::move(*std::get_if<1>(&storage_)))));
  }

 private:
  void check_value() const {
    if (!has_value()) {
      detail::result_bad_access("Result::value() called on an error");
    }
  }
  void check_error() const {
    if (has_value()) {
      detail::result_bad_access("Result::error() called on a value");
    }
  }

  std::variant<T, E> storage_;
};

// Result<void, E>: success carries nothing.
template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Result() = default;

  template <class G>
  requires std::is_constructible_v<E, G>
  // NOLINTNEXTLINE(google-explicit-constructor,hicpp-explicit-conversions): mirrors std::expected
  Result(Unexpected<G> error) : error_(std::move(error).error()) {}

  [[nodiscard]] bool has_value() const noexcept { return !error_.has_value(); }

  void value() const {
    if (!has_value()) {
      detail::result_bad_access("Result<void>::value() called on an error");
    }
  }

  E& error() & {
    check_error();
    return *error_;
  }
  const E& error() const& {
    check_error();
    return *error_;
  }
  E&& error() && {
    check_error();
    return std::move(*error_);
  }

  // f: () -> Result<U, E>
  template <class F>
  auto and_then(F&& f) && {
    using Next = std::invoke_result_t<F>;
    if (has_value()) {
      return std::invoke(std::forward<F>(f));
    }
    return Next(Unexpected<E>(std::move(*error_)));
  }

  template <class F>
  auto transform_error(F&& f) && {
    using G = std::invoke_result_t<F, E&&>;
    if (has_value()) {
      return Result<void, G>();
    }
    return Result<void, G>(Unexpected<G>(std::invoke(std::forward<F>(f), std::move(*error_))));
  }

 private:
  void check_error() const {
    if (has_value()) {
      detail::result_bad_access("Result<void>::error() called on a success");
    }
  }

  std::optional<E> error_;
};

template <class E>
using Status = Result<void, E>;

}  // namespace rustynet::base

#define RUSTYNET_CONCAT_INNER(a, b) a##b
#define RUSTYNET_CONCAT(a, b) RUSTYNET_CONCAT_INNER(a, b)

// Returns the error of `expr` (a Result) from the enclosing function, which must return a Result
// whose error type is constructible from it.
#define RUSTYNET_RETURN_IF_ERROR(expr)                                          \
  do {                                                                          \
    auto&& rustynet_status_ = (expr);                                           \
    if (!rustynet_status_.has_value()) {                                        \
      return ::rustynet::base::unexpected(std::move(rustynet_status_).error()); \
    }                                                                           \
  } while (false)

// `tmp` and `lhs` are declarators, which cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define RUSTYNET_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)           \
  auto tmp = (expr);                                             \
  if (!tmp.has_value()) {                                        \
    return ::rustynet::base::unexpected(std::move(tmp).error()); \
  }                                                              \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

// Declares or assigns `lhs` from the value of `expr`, or returns its error.
#define RUSTYNET_ASSIGN_OR_RETURN(lhs, expr) \
  RUSTYNET_ASSIGN_OR_RETURN_IMPL(RUSTYNET_CONCAT(rustynet_result_, __LINE__), lhs, expr)
