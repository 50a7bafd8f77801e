// A move-only `void()` callable that keeps small closures (a shared_ptr or
// two and a number) inside itself. std::function in libstdc++ allocates for
// any closure that is not trivially copyable, which every closure holding a
// shared_ptr is; operations register such hooks on each publish.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace nats_asio::detail {

class small_function {
 public:
  small_function() noexcept = default;

  template <typename Fn,
            typename = std::enable_if_t<!std::is_same_v<std::decay_t<Fn>, small_function>>>
  small_function(Fn&& fn) {  // NOLINT(google-explicit-constructor): used like std::function
    using F = std::decay_t<Fn>;
    if constexpr (sizeof(F) <= buffer_size && alignof(F) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<F>) {
      ::new (static_cast<void*>(buffer_)) F(std::forward<Fn>(fn));
      ops_ = &inline_ops<F>;
    } else {
      *reinterpret_cast<F**>(buffer_) = new F(std::forward<Fn>(fn));
      ops_ = &heap_ops<F>;
    }
  }

  small_function(small_function&& other) noexcept { take(other); }
  small_function& operator=(small_function&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  small_function(const small_function&) = delete;
  small_function& operator=(const small_function&) = delete;
  ~small_function() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }
  void operator()() { ops_->call(buffer_); }

 private:
  static constexpr std::size_t buffer_size = 4 * sizeof(void*);

  struct operations {
    void (*call)(void*);
    void (*move)(void* from, void* to) noexcept;  // leaves `from` destroyed
    void (*destroy)(void*) noexcept;
  };
  template <typename F>
  static constexpr operations inline_ops{[](void* p) { (*static_cast<F*>(p))(); },
                                         [](void* from, void* to) noexcept {
                                           ::new (to) F(std::move(*static_cast<F*>(from)));
                                           static_cast<F*>(from)->~F();
                                         },
                                         [](void* p) noexcept { static_cast<F*>(p)->~F(); }};
  template <typename F>
  static constexpr operations heap_ops{
      [](void* p) { (**static_cast<F**>(p))(); },
      [](void* from, void* to) noexcept { *static_cast<F**>(to) = *static_cast<F**>(from); },
      [](void* p) noexcept { delete *static_cast<F**>(p); }};

  void take(small_function& other) noexcept {
    if (!other.ops_) return;
    other.ops_->move(other.buffer_, buffer_);
    ops_ = std::exchange(other.ops_, nullptr);
  }
  void reset() noexcept {
    if (ops_) std::exchange(ops_, nullptr)->destroy(buffer_);
  }

  alignas(std::max_align_t) unsigned char buffer_[buffer_size];
  const operations* ops_ = nullptr;
};

}  // namespace nats_asio::detail
