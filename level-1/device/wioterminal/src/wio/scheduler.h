// When to take a reading. Readings follow a fixed cadence anchored at start(), so they do
// not drift by the loop's own run time; a stall longer than one interval skips the missed
// slots instead of firing a burst. Button A asks for a reading now. Two readings are never
// taken less than min_gap_ms apart, so two readings never share an epoch second: the cloud
// key is (device_id, timestamp), and a shared second would overwrite a row.
#ifndef WIO_SCHEDULER_H
#define WIO_SCHEDULER_H

#include <stdint.h>

#include "backoff.h"

namespace wio {

class ReadingScheduler {
 public:
  explicit ReadingScheduler(uint32_t interval_ms, uint32_t min_gap_ms = 1000)
      : interval_ms_(interval_ms < min_gap_ms ? min_gap_ms : interval_ms),
        min_gap_ms_(min_gap_ms),
        next_due_ms_(0),
        last_taken_ms_(0),
        started_(false),
        has_last_(false),
        manual_(false) {}

  // The first reading is due immediately.
  void start(uint32_t now_ms) {
    started_ = true;
    next_due_ms_ = now_ms;
    manual_ = false;
    has_last_ = false;
  }

  // Button A: take a reading as soon as the minimum gap allows.
  void request_now() { manual_ = true; }
  bool manual_pending() const { return manual_; }

  bool due(uint32_t now_ms) const {
    if (!started_) return false;
    if (has_last_ && now_ms - last_taken_ms_ < min_gap_ms_) return false;
    return manual_ || time_reached(now_ms, next_due_ms_);
  }

  // Call right after taking the reading that due() announced.
  void mark_taken(uint32_t now_ms) {
    if (time_reached(now_ms, next_due_ms_)) {
      next_due_ms_ += interval_ms_;
      // Fell behind by a whole interval or more (a long blocking connect): re-anchor.
      if (time_reached(now_ms, next_due_ms_)) next_due_ms_ = now_ms + interval_ms_;
    }
    // Keep the minimum gap before the next regular slot too.
    if (static_cast<int32_t>(next_due_ms_ - (now_ms + min_gap_ms_)) < 0) {
      next_due_ms_ = now_ms + min_gap_ms_;
    }
    manual_ = false;
    has_last_ = true;
    last_taken_ms_ = now_ms;
  }

  // Milliseconds until due() turns true (0 if due now).
  uint32_t ms_until_due(uint32_t now_ms) const {
    if (!started_) return 0xFFFFFFFFu;
    uint32_t gap_left = 0;
    if (has_last_ && now_ms - last_taken_ms_ < min_gap_ms_) {
      gap_left = min_gap_ms_ - (now_ms - last_taken_ms_);
    }
    uint32_t slot_left = 0;
    if (!manual_ && !time_reached(now_ms, next_due_ms_)) slot_left = next_due_ms_ - now_ms;
    return gap_left > slot_left ? gap_left : slot_left;
  }

  uint32_t interval_ms() const { return interval_ms_; }

 private:
  uint32_t interval_ms_;
  uint32_t min_gap_ms_;
  uint32_t next_due_ms_;
  uint32_t last_taken_ms_;
  bool started_;
  bool has_last_;
  bool manual_;
};

// A periodic chore on the millis() clock (NTP re-sync, screen refresh).
class Periodic {
 public:
  explicit Periodic(uint32_t period_ms) : period_ms_(period_ms), last_ms_(0), armed_(false) {}
  // True once per period; the first call fires immediately.
  bool fire(uint32_t now_ms) {
    if (armed_ && now_ms - last_ms_ < period_ms_) return false;
    armed_ = true;
    last_ms_ = now_ms;
    return true;
  }
  void reset(uint32_t now_ms) {
    armed_ = true;
    last_ms_ = now_ms;
  }

 private:
  uint32_t period_ms_;
  uint32_t last_ms_;
  bool armed_;
};

}  // namespace wio

#endif  // WIO_SCHEDULER_H
