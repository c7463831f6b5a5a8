// Wall-clock time from SNTP, kept on the millis() counter between syncs.
//
// Nothing is published until the clock has been set from a validated NTP answer. Readings
// taken before that keep their millis() instant and are stamped retroactively at the first
// sync (exact to the crystal's drift), never with a guessed time.
#ifndef WIO_CLOCK_H
#define WIO_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "payload.h"

namespace wio {

// ---------------------------------------------------------------------------- SNTP packets
const size_t kNtpPacketSize = 48;
const uint16_t kNtpPort = 123;
const uint32_t kNtpToUnix = 2208988800u;  // seconds from 1900-01-01 to 1970-01-01
// NTP era 1 starts 2036-02-07T06:28:16Z; its seconds count restarts at 0.
const uint32_t kNtpEra1ToUnix = 2085978496u;  // 2^32 - kNtpToUnix

inline void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

inline uint32_t get_be32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
}

// A client request (RFC 4330): LI 0, version 4, mode 3. The transmit timestamp carries a
// random token instead of our (unknown) time; a genuine reply echoes it as its originate
// timestamp, which rejects stray or spoofed datagrams.
inline void ntp_build_request(uint8_t pkt[kNtpPacketSize], uint32_t token_hi, uint32_t token_lo) {
  for (size_t i = 0; i < kNtpPacketSize; ++i) pkt[i] = 0;
  pkt[0] = (0u << 6) | (4u << 3) | 3u;
  put_be32(pkt + 40, token_hi);
  put_be32(pkt + 44, token_lo);
}

enum NtpError {
  kNtpOk = 0,
  kNtpShortPacket,
  kNtpNotServerReply,   // mode is not 4 (server) or the version is not 3/4
  kNtpUnsynchronized,   // leap indicator 3 (clock not synchronized)
  kNtpKissOfDeath,      // stratum 0: the server asks us to back off
  kNtpBadStratum,       // stratum above 15
  kNtpOriginMismatch,   // not an answer to our request
  kNtpZeroTransmit,
  kNtpOutOfRange,       // outside the payload schema's 2020..2100 window
};

inline const char* ntp_error_name(NtpError e) {
  switch (e) {
    case kNtpOk: return "ok";
    case kNtpShortPacket: return "short packet";
    case kNtpNotServerReply: return "not a server reply";
    case kNtpUnsynchronized: return "server unsynchronized";
    case kNtpKissOfDeath: return "kiss-of-death";
    case kNtpBadStratum: return "bad stratum";
    case kNtpOriginMismatch: return "origin mismatch";
    case kNtpZeroTransmit: return "zero transmit time";
    case kNtpOutOfRange: return "time out of range";
  }
  return "unknown";
}

struct NtpTime {
  uint32_t unix_seconds;
  uint32_t millis;  // fraction of the second, 0..999
  uint8_t stratum;
};

inline NtpError ntp_parse_response(const uint8_t* p, size_t len, uint32_t token_hi,
                                   uint32_t token_lo, NtpTime* out) {
  if (p == NULL || len < kNtpPacketSize) return kNtpShortPacket;
  uint8_t li = static_cast<uint8_t>(p[0] >> 6);
  uint8_t version = static_cast<uint8_t>((p[0] >> 3) & 7u);
  uint8_t mode = static_cast<uint8_t>(p[0] & 7u);
  if (mode != 4 || version < 3 || version > 4) return kNtpNotServerReply;
  uint8_t stratum = p[1];
  if (stratum == 0) return kNtpKissOfDeath;
  if (stratum > 15) return kNtpBadStratum;
  if (li == 3) return kNtpUnsynchronized;
  if (get_be32(p + 24) != token_hi || get_be32(p + 28) != token_lo) return kNtpOriginMismatch;
  uint32_t secs = get_be32(p + 40);
  uint32_t frac = get_be32(p + 44);
  if (secs == 0 && frac == 0) return kNtpZeroTransmit;
  uint32_t unix_s;
  if (secs & 0x80000000u) {
    if (secs < kNtpToUnix) return kNtpOutOfRange;  // before 1970
    unix_s = secs - kNtpToUnix;                     // era 0
  } else {
    unix_s = secs + kNtpEra1ToUnix;                 // era 1 (2036-2106)
  }
  if (unix_s < kTimestampMin || unix_s > kTimestampMax) return kNtpOutOfRange;
  out->unix_seconds = unix_s;
  out->millis = static_cast<uint32_t>((static_cast<uint64_t>(frac) * 1000u) >> 32);
  out->stratum = stratum;
  return kNtpOk;
}

// ---------------------------------------------------------------------------- the clock
class Clock {
 public:
  // Time stays valid this long after the last sync without another one. The millis()
  // counter wraps after 49.7 days; tick() must see the age before it can wrap.
  static const uint32_t kMaxAgeMs = 40u * 24u * 3600u * 1000u;

  Clock() : base_epoch_(0), base_ms_(0), last_sync_ms_(0), syncs_(0), synced_(false) {}

  // At millis() == at_ms, UTC was epoch_s + frac_ms/1000 seconds.
  void set(uint32_t epoch_s, uint32_t frac_ms, uint32_t at_ms) {
    epoch_s += frac_ms / 1000u;
    frac_ms %= 1000u;
    base_epoch_ = epoch_s;
    base_ms_ = at_ms - frac_ms;  // the millis() value at which second epoch_s began
    last_sync_ms_ = at_ms;
    synced_ = true;
    ++syncs_;
  }

  // Call every loop: drops validity once the last sync is too old.
  void tick(uint32_t now_ms) {
    if (synced_ && now_ms - base_ms_ > kMaxAgeMs) synced_ = false;
  }

  bool valid() const { return synced_; }
  uint32_t sync_count() const { return syncs_; }
  uint32_t ms_since_sync(uint32_t now_ms) const { return now_ms - last_sync_ms_; }

  // Current epoch seconds; only meaningful when valid().
  uint32_t now(uint32_t now_ms) const { return base_epoch_ + (now_ms - base_ms_) / 1000u; }

  // Epoch second of another millis() instant (before or after the last sync, within
  // +/-24.8 days of it). False when the clock is not valid.
  bool epoch_at(uint32_t t_ms, uint32_t* out) const {
    if (!synced_) return false;
    int64_t ms = static_cast<int64_t>(base_epoch_) * 1000 + static_cast<int32_t>(t_ms - base_ms_);
    if (ms < 0) return false;
    *out = static_cast<uint32_t>(ms / 1000);
    return true;
  }

 private:
  uint32_t base_epoch_;
  uint32_t base_ms_;
  uint32_t last_sync_ms_;
  uint32_t syncs_;
  bool synced_;
};

}  // namespace wio

#endif  // WIO_CLOCK_H
