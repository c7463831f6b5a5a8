// Exponential backoff with "equal jitter" for Wi-Fi and MQTT reconnects.
//
// After the k-th consecutive failure the ceiling is min(cap, base * 2^(k-1)); the delay is
// drawn uniformly from [ceiling/2, ceiling]. Every delay is therefore within [base/2, cap],
// never zero (no hammering), and many boards that lost power together spread out instead of
// reconnecting in lock-step.
#ifndef WIO_BACKOFF_H
#define WIO_BACKOFF_H

#include <stdint.h>

namespace wio {

class Backoff {
 public:
  Backoff(uint32_t base_ms, uint32_t cap_ms)
      : base_ms_(base_ms == 0 ? 1 : base_ms), cap_ms_(cap_ms < base_ms ? base_ms : cap_ms), failures_(0) {}

  // The ceiling for the next delay, before jitter.
  uint32_t ceiling_ms() const {
    uint32_t c = base_ms_;
    uint32_t doublings = failures_ < 32u ? failures_ : 32u;
    for (uint32_t i = 0; i < doublings && c < cap_ms_; ++i) {
      c = (c > cap_ms_ / 2u) ? cap_ms_ : c * 2u;
    }
    return c < cap_ms_ ? c : cap_ms_;
  }

  // Records one more failure and returns how long to wait before the next attempt.
  // `random32` is any uniformly distributed 32-bit value.
  uint32_t next_delay_ms(uint32_t random32) {
    uint32_t ceiling = ceiling_ms();
    if (failures_ < 0xFFFFFFFFu) ++failures_;
    uint32_t half = ceiling / 2u;
    uint32_t span = ceiling - half;  // >= half, so the result never exceeds ceiling
    return half + (span == 0 ? 0 : random32 % (span + 1u));
  }

  void reset() { failures_ = 0; }
  uint32_t failures() const { return failures_; }
  uint32_t base_ms() const { return base_ms_; }
  uint32_t cap_ms() const { return cap_ms_; }

 private:
  uint32_t base_ms_;
  uint32_t cap_ms_;
  uint32_t failures_;
};

// A deadline on the millis() clock that survives its 49.7-day wrap: compares by the signed
// difference, valid for waits under 24.8 days.
inline bool time_reached(uint32_t now_ms, uint32_t deadline_ms) {
  return static_cast<int32_t>(now_ms - deadline_ms) >= 0;
}

}  // namespace wio

#endif  // WIO_BACKOFF_H
