// Fixed-capacity FIFO for readings taken while offline. No heap: the capacity is a template
// parameter, so the buffer's RAM is static and known at link time. When full, push() drops
// the OLDEST entry and counts it; the newest data is the most valuable for a live dashboard,
// and the per-boot seq numbers show exactly which readings were dropped.
#ifndef WIO_RING_BUFFER_H
#define WIO_RING_BUFFER_H

#include <stddef.h>
#include <stdint.h>

namespace wio {

template <typename T, size_t N>
class RingBuffer {
  static_assert(N > 0, "RingBuffer capacity must be at least 1");

 public:
  RingBuffer() : head_(0), count_(0), dropped_(0) {}

  static size_t capacity() { return N; }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  bool full() const { return count_ == N; }
  // Entries discarded by push() on a full buffer since construction (or clear_dropped()).
  uint32_t dropped() const { return dropped_; }
  void clear_dropped() { dropped_ = 0; }

  // Appends; returns true if the oldest entry had to be dropped to make room.
  bool push(const T& v) {
    bool dropped_one = false;
    if (count_ == N) {
      head_ = (head_ + 1) % N;
      --count_;
      ++dropped_;
      dropped_one = true;
    }
    items_[(head_ + count_) % N] = v;
    ++count_;
    return dropped_one;
  }

  // Oldest entry. Only valid when !empty().
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }

  // i-th oldest entry (0 = front). Only valid when i < size().
  T& at(size_t i) { return items_[(head_ + i) % N]; }
  const T& at(size_t i) const { return items_[(head_ + i) % N]; }

  // Removes the oldest entry; false when empty.
  bool pop() {
    if (count_ == 0) return false;
    head_ = (head_ + 1) % N;
    --count_;
    return true;
  }

  void clear() {
    head_ = 0;
    count_ = 0;
  }

 private:
  T items_[N];
  size_t head_;
  size_t count_;
  uint32_t dropped_;
};

}  // namespace wio

#endif  // WIO_RING_BUFFER_H
