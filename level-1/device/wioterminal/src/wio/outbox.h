// The offline buffer and the publish loop over it.
//
// Every reading goes through the outbox, online or not: add() stamps it when the clock is
// valid, flush() publishes the oldest stamped entries in order and removes each one only
// after the broker acknowledged it (QoS 1 PUBACK). A failed publish leaves the entry at the
// front, so after a reconnect it is sent again, in order. A resend of a message whose PUBACK
// was lost carries the same timestamp, so the cloud's (device_id, timestamp) key stores it once.
#ifndef WIO_OUTBOX_H
#define WIO_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "payload.h"
#include "ring_buffer.h"

namespace wio {

// What the outbox needs from an MQTT client: one QoS 1 publish that returns true only once
// the broker acknowledged it.
class Publisher {
 public:
  virtual ~Publisher() {}
  virtual bool publish(const char* topic, const char* payload, size_t length) = 0;
};

struct FlushResult {
  uint32_t sent;            // acknowledged and removed
  bool failed;              // the last attempt was not acknowledged: reconnect
  bool waiting_for_time;    // stopped at an entry that has no timestamp yet
  PayloadError format_error;  // kPayloadOk unless formatting failed (a configuration error)
  uint32_t last_timestamp;  // timestamp of the last acknowledged entry
  uint32_t last_seq;
};

template <size_t N>
class Outbox {
 public:
  // A stamp may be nudged forward by at most this much to keep stamps strictly increasing
  // after a small backwards NTP correction; a larger correction is taken as it is.
  static const uint32_t kMaxNudgeSeconds = 5;
  // Readings still unstamped after this long can no longer be mapped through the 32-bit
  // millis() clock safely; they are dropped (and counted) rather than guessed.
  static const uint32_t kMaxUnstampedAgeMs = 20u * 24u * 3600u * 1000u;

  Outbox() : last_stamp_(0), stale_dropped_(0), invalid_dropped_(0) {}

  static size_t capacity() { return N; }
  static size_t bytes() { return sizeof(RingBuffer<Measurement, N>); }
  size_t size() const { return queue_.size(); }
  bool empty() const { return queue_.empty(); }
  uint32_t dropped_full() const { return queue_.dropped(); }
  uint32_t dropped_stale() const { return stale_dropped_; }
  uint32_t dropped_invalid() const { return invalid_dropped_; }
  const Measurement& oldest() const { return queue_.front(); }

  // Queues a reading; stamps it at once when the clock is valid (after any older unstamped
  // entries, so stamps stay in queue order). Returns true if the oldest entry was dropped to
  // make room.
  bool add(const Measurement& m, const Clock& clock, uint32_t now_ms) {
    stamp_pending(clock, now_ms);
    bool dropped = queue_.push(m);
    Measurement& added = queue_.at(queue_.size() - 1);
    added.timestamp = 0;
    stamp_one(added, clock);
    return dropped;
  }

  // Stamps entries taken before the clock became valid (call after every successful sync).
  // Returns how many were stamped.
  size_t stamp_pending(const Clock& clock, uint32_t now_ms) {
    if (!clock.valid()) return 0;
    // Drop unstampable (too old) entries from the front; they are the oldest.
    while (!queue_.empty() && queue_.front().timestamp == 0 &&
           now_ms - queue_.front().taken_ms > kMaxUnstampedAgeMs) {
      queue_.pop();
      ++stale_dropped_;
    }
    size_t n = 0;
    for (size_t i = 0; i < queue_.size(); ++i) {
      Measurement& m = queue_.at(i);
      if (m.timestamp == 0 && stamp_one(m, clock)) ++n;
    }
    return n;
  }

  // Publishes up to max_count entries, oldest first. Stops at the first entry without a
  // timestamp (time not synced yet) or at the first publish that is not acknowledged.
  FlushResult flush(Publisher& pub, const char* topic, const char* device_id, bool has_rssi,
                    int32_t rssi, size_t max_count) {
    FlushResult r;
    r.sent = 0;
    r.failed = false;
    r.waiting_for_time = false;
    r.format_error = kPayloadOk;
    r.last_timestamp = 0;
    r.last_seq = 0;
    char payload[kPayloadBufferSize];
    while (!queue_.empty() && r.sent < max_count) {
      const Measurement& m = queue_.front();
      if (m.timestamp == 0) {
        r.waiting_for_time = true;
        break;
      }
      PayloadError err = kPayloadOk;
      size_t len = format_payload(payload, sizeof(payload), device_id, m, has_rssi, rssi, &err);
      if (len == 0) {
        if (err == kPayloadBadTimestamp) {
          // Cannot happen with a validated clock; never let one bad entry block the queue.
          queue_.pop();
          ++invalid_dropped_;
          continue;
        }
        r.format_error = err;  // bad thing name: nothing can be published; keep the data
        break;
      }
      if (!pub.publish(topic, payload, len)) {
        r.failed = true;
        break;
      }
      r.last_timestamp = m.timestamp;
      r.last_seq = m.seq;
      queue_.pop();
      ++r.sent;
    }
    return r;
  }

 private:
  bool stamp_one(Measurement& m, const Clock& clock) {
    uint32_t t;
    if (!clock.epoch_at(m.taken_ms, &t)) return false;
    if (t <= last_stamp_ && last_stamp_ - t < kMaxNudgeSeconds) t = last_stamp_ + 1;
    if (t < kTimestampMin || t > kTimestampMax) return false;
    m.timestamp = t;
    if (t > last_stamp_) last_stamp_ = t;
    return true;
  }

  RingBuffer<Measurement, N> queue_;
  uint32_t last_stamp_;
  uint32_t stale_dropped_;
  uint32_t invalid_dropped_;
};

}  // namespace wio

#endif  // WIO_OUTBOX_H
