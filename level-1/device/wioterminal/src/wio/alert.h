// Alerts from the level-2 anomaly detector, retained on device/<thing>/alerts:
//
//   {"id":"a1b2c3d4","ts":1764640000,"kind":"jump","field":"temperature","value":35.2,"expected":24.1}
//
// An empty payload means "no active alert". parse_alert() is a strict, allocation-free JSON
// reader for exactly this object: one flat object, known keys at most once, unknown keys with
// scalar values skipped, nothing nested. Anything else is refused with a reason and leaves
// the previous state untouched. AlertMonitor decides what the board does with a message:
// a new id shows a banner and beeps once, the same id again (a retained re-delivery after a
// reconnect) stays silent, and a button press acknowledges it.
#ifndef WIO_ALERT_H
#define WIO_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "payload.h"
#include "text.h"

namespace wio {

const size_t kAlertIdMax = 16;
const size_t kAlertPayloadMax = 200;  // the detector sends less; longer is refused
// |value| and |expected| above this are refused: tenths must fit an int32_t with room.
const int32_t kAlertNumberMaxTenths = 1000000000;  // 100,000,000.0

enum AlertKind { kAlertDeviation = 0, kAlertStuck, kAlertJump, kAlertSilent, kAlertKindCount };

inline const char* alert_kind_name(AlertKind k) {
  switch (k) {
    case kAlertDeviation: return "deviation";
    case kAlertStuck: return "stuck";
    case kAlertJump: return "jump";
    case kAlertSilent: return "silent";
    case kAlertKindCount: break;
  }
  return "?";
}

struct Alert {
  char id[kAlertIdMax + 1];
  uint32_t ts;             // epoch seconds, UTC
  AlertKind kind;
  int8_t field;            // index into kPayloadFieldNames, -1 when absent ("silent")
  bool has_value;
  bool has_expected;
  int32_t value_tenths;    // rounded half away from zero, as the screen shows it
  int32_t expected_tenths;
};

enum AlertParse {
  kAlertParsed = 0,
  kAlertEmpty,         // zero bytes: the retained alert was cleared
  kAlertTooLong,
  kAlertSyntax,        // not JSON, truncated, or trailing bytes
  kAlertNested,        // an object or array as a value
  kAlertDuplicateKey,
  kAlertWrongType,     // e.g. "ts":"123" or "value":null
  kAlertMissingKey,    // id, ts, kind, or field (unless kind is "silent")
  kAlertBadId,
  kAlertBadTimestamp,
  kAlertBadKind,
  kAlertBadField,
  kAlertBadNumber,     // malformed or beyond kAlertNumberMaxTenths
};

inline const char* alert_parse_name(AlertParse e) {
  switch (e) {
    case kAlertParsed: return "ok";
    case kAlertEmpty: return "empty (cleared)";
    case kAlertTooLong: return "longer than 200 bytes";
    case kAlertSyntax: return "not a complete JSON object";
    case kAlertNested: return "nested object or array";
    case kAlertDuplicateKey: return "duplicate key";
    case kAlertWrongType: return "wrong value type";
    case kAlertMissingKey: return "missing id, ts, kind or field";
    case kAlertBadId: return "id must be 1-16 of [A-Za-z0-9_-]";
    case kAlertBadTimestamp: return "ts must be epoch seconds 2020..2100";
    case kAlertBadKind: return "unknown kind";
    case kAlertBadField: return "unknown field";
    case kAlertBadNumber: return "bad or huge number";
  }
  return "?";
}

namespace alert_detail {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A cursor over the payload bytes; never reads past end (the payload is not NUL-terminated).
class Reader {
 public:
  Reader(const char* p, size_t n) : p_(p), end_(p + n) {}

  bool at_end() const { return p_ == end_; }
  char peek() const { return p_ < end_ ? *p_ : '\0'; }
  void skip_ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool eat(char c) {
    skip_ws();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  // A JSON string. Copies it into out (NUL-terminated) when it is plain (no escapes) and
  // fits cap - 1 bytes; *plain tells whether it did. Escapes are checked, not decoded.
  AlertParse string(char* out, size_t cap, bool* plain) {
    *plain = true;
    size_t n = 0;
    if (cap > 0) out[0] = '\0';
    skip_ws();
    if (p_ >= end_ || *p_ != '"') return kAlertWrongType;
    ++p_;
    while (p_ < end_) {
      unsigned char c = static_cast<unsigned char>(*p_++);
      if (c == '"') {
        if (*plain && n < cap) out[n] = '\0';
        return kAlertParsed;
      }
      if (c < 0x20) return kAlertSyntax;
      if (c == '\\') {
        *plain = false;
        if (p_ >= end_) return kAlertSyntax;
        char e = *p_++;
        if (e == 'u') {
          for (int i = 0; i < 4; ++i) {
            if (p_ >= end_) return kAlertSyntax;
            char h = *p_++;
            bool hex = is_digit(h) || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F');
            if (!hex) return kAlertSyntax;
          }
        } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                   e != 'r' && e != 't') {
          return kAlertSyntax;
        }
        continue;
      }
      if (*plain) {
        if (n + 1 < cap) {
          out[n++] = static_cast<char>(c);
          out[n] = '\0';
        } else {
          *plain = false;  // too long for the caller: treated like "not this key"
        }
      }
    }
    return kAlertSyntax;  // no closing quote: truncated
  }

  // A JSON number as tenths, rounded half away from zero. *integer is true when it had no
  // fraction or exponent (then *whole is its value, if it fits uint32_t).
  AlertParse number(int32_t* tenths, bool* integer, uint32_t* whole, bool* whole_fits) {
    skip_ws();
    bool negative = false;
    if (p_ < end_ && *p_ == '-') {
      negative = true;
      ++p_;
    }
    if (p_ >= end_ || !is_digit(*p_)) {
      return (p_ < end_ && (*p_ == '"' || *p_ == 't' || *p_ == 'f' || *p_ == 'n') && !negative)
                 ? kAlertWrongType
                 : kAlertSyntax;
    }
    // Up to 18 significant digits exactly; more integer digits only scale the exponent.
    uint64_t mantissa = 0;
    int digits = 0;
    int32_t exp10 = 0;
    bool huge = false;
    *integer = true;
    *whole_fits = true;
    uint64_t whole64 = 0;
    if (*p_ == '0') {
      ++p_;
      if (p_ < end_ && is_digit(*p_)) return kAlertBadNumber;  // leading zero
    } else {
      while (p_ < end_ && is_digit(*p_)) {
        int d = *p_++ - '0';
        if (digits < 18) {
          mantissa = mantissa * 10u + static_cast<uint64_t>(d);
          ++digits;
        } else {
          ++exp10;
        }
        if (whole64 <= 0xFFFFFFFFull) whole64 = whole64 * 10u + static_cast<uint64_t>(d);
        if (exp10 > 40) huge = true;
      }
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      *integer = false;
      if (p_ >= end_ || !is_digit(*p_)) return kAlertSyntax;
      while (p_ < end_ && is_digit(*p_)) {
        int d = *p_++ - '0';
        if (digits < 18 && (mantissa != 0 || d != 0)) {
          mantissa = mantissa * 10u + static_cast<uint64_t>(d);
          ++digits;
          --exp10;
        } else if (mantissa == 0) {
          --exp10;  // leading zeros of a fraction
        }
        if (exp10 < -40) exp10 = -40;  // anything smaller rounds to 0 anyway
      }
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      *integer = false;
      bool exp_negative = false;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) exp_negative = *p_++ == '-';
      if (p_ >= end_ || !is_digit(*p_)) return kAlertSyntax;
      int32_t e = 0;
      while (p_ < end_ && is_digit(*p_)) {
        if (e < 1000) e = e * 10 + (*p_ - '0');
        ++p_;
      }
      exp10 += exp_negative ? -e : e;
    }
    if (p_ < end_ && (is_digit(*p_) || *p_ == '.' || *p_ == 'e' || *p_ == 'E' || *p_ == '+' || *p_ == '-')) {
      return kAlertSyntax;
    }
    *whole_fits = *integer && !negative && whole64 <= 0xFFFFFFFFull;
    *whole = *whole_fits ? static_cast<uint32_t>(whole64) : 0;
    if (huge) return kAlertBadNumber;
    // tenths = mantissa * 10^(exp10 + 1)
    int32_t shift = exp10 + 1;
    uint64_t t = mantissa;
    if (mantissa != 0 && shift > 0) {
      for (int32_t i = 0; i < shift; ++i) {
        if (t > static_cast<uint64_t>(kAlertNumberMaxTenths)) return kAlertBadNumber;
        t *= 10u;
      }
    } else if (shift < 0) {
      if (shift < -19) {
        t = 0;
      } else {
        uint64_t div = 1;
        for (int32_t i = 0; i < -shift; ++i) div *= 10u;
        t = (t + div / 2u) / div;
      }
    }
    if (t > static_cast<uint64_t>(kAlertNumberMaxTenths)) return kAlertBadNumber;
    *tenths = negative ? -static_cast<int32_t>(t) : static_cast<int32_t>(t);
    return kAlertParsed;
  }

  // Skips a value of an unknown key: a string, number, true, false or null.
  AlertParse skip_scalar() {
    skip_ws();
    char c = peek();
    if (c == '{' || c == '[') return kAlertNested;
    if (c == '"') {
      char none[1];
      bool plain;
      return string(none, 0, &plain);
    }
    if (c == '-' || is_digit(c)) {
      int32_t t;
      bool integer, fits;
      uint32_t whole;
      AlertParse e = number(&t, &integer, &whole, &fits);
      return e == kAlertBadNumber ? kAlertParsed : e;  // its size does not matter here
    }
    if (word("true") || word("false") || word("null")) return kAlertParsed;
    return kAlertSyntax;
  }

  bool word(const char* w) {
    const char* q = p_;
    while (*w != '\0') {
      if (q >= end_ || *q != *w) return false;
      ++q;
      ++w;
    }
    p_ = q;
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

inline bool valid_id(const char* s) {
  size_t n = 0;
  for (; s[n] != '\0'; ++n) {
    char c = s[n];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '-';
    if (!ok || n >= kAlertIdMax) return false;
  }
  return n > 0;
}

inline bool same(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

}  // namespace alert_detail

// Parses one message of device/<thing>/alerts. On kAlertParsed *out holds the alert; on any
// other result *out is left exactly as it was.
inline AlertParse parse_alert(const char* bytes, size_t length, Alert* out) {
  using alert_detail::Reader;
  if (length == 0) return kAlertEmpty;
  if (bytes == NULL) return kAlertSyntax;
  if (length > kAlertPayloadMax) return kAlertTooLong;
  Reader r(bytes, length);
  if (!r.eat('{')) return kAlertSyntax;

  enum { kId = 1, kTs = 2, kKind = 4, kField = 8, kValue = 16, kExpected = 32 };
  unsigned seen = 0;
  Alert a;
  a.id[0] = '\0';
  a.ts = 0;
  a.kind = kAlertDeviation;
  a.field = -1;
  a.has_value = false;
  a.has_expected = false;
  a.value_tenths = 0;
  a.expected_tenths = 0;

  if (!r.eat('}')) {
    for (;;) {
      char key[12];
      bool plain;
      AlertParse e = r.string(key, sizeof(key), &plain);
      if (e != kAlertParsed) return e == kAlertWrongType ? kAlertSyntax : e;
      if (!r.eat(':')) return kAlertSyntax;
      unsigned bit = !plain ? 0u
                     : alert_detail::same(key, "id") ? static_cast<unsigned>(kId)
                     : alert_detail::same(key, "ts") ? static_cast<unsigned>(kTs)
                     : alert_detail::same(key, "kind") ? static_cast<unsigned>(kKind)
                     : alert_detail::same(key, "field") ? static_cast<unsigned>(kField)
                     : alert_detail::same(key, "value") ? static_cast<unsigned>(kValue)
                     : alert_detail::same(key, "expected") ? static_cast<unsigned>(kExpected)
                     : 0u;
      if (bit != 0 && (seen & bit)) return kAlertDuplicateKey;
      seen |= bit;
      r.skip_ws();
      if (bit != 0 && (r.peek() == '{' || r.peek() == '[')) return kAlertNested;
      if (bit == 0) {
        e = r.skip_scalar();
        if (e != kAlertParsed) return e;
      } else if (bit == kId || bit == kKind || bit == kField) {
        char text[kAlertIdMax + 2];
        e = r.string(text, sizeof(text), &plain);
        if (e != kAlertParsed) return e;
        if (bit == kId) {
          if (!plain || !alert_detail::valid_id(text)) return kAlertBadId;
          for (size_t i = 0; i <= kAlertIdMax; ++i) a.id[i] = text[i];
        } else if (bit == kKind) {
          int k = 0;
          while (k < kAlertKindCount && !(plain && alert_detail::same(text, alert_kind_name(static_cast<AlertKind>(k))))) ++k;
          if (k == kAlertKindCount) return kAlertBadKind;
          a.kind = static_cast<AlertKind>(k);
        } else {
          int f = 0;
          while (f < kPayloadFieldCount && !(plain && alert_detail::same(text, kPayloadFieldNames[f]))) ++f;
          if (f == kPayloadFieldCount) return kAlertBadField;
          a.field = static_cast<int8_t>(f);
        }
      } else {
        int32_t tenths = 0;
        bool integer = false, fits = false;
        uint32_t whole = 0;
        e = r.number(&tenths, &integer, &whole, &fits);
        if (bit == kTs) {
          if (e == kAlertWrongType) return e;
          if (e == kAlertSyntax) return e;
          if (!integer || !fits || whole < kTimestampMin || whole > kTimestampMax) return kAlertBadTimestamp;
          a.ts = whole;
        } else {
          if (e != kAlertParsed) return e;
          if (bit == kValue) {
            a.has_value = true;
            a.value_tenths = tenths;
          } else {
            a.has_expected = true;
            a.expected_tenths = tenths;
          }
        }
      }
      if (r.eat(',')) continue;
      if (r.eat('}')) break;
      return kAlertSyntax;
    }
  }
  r.skip_ws();
  if (!r.at_end()) return kAlertSyntax;
  if ((seen & (kId | kTs | kKind)) != static_cast<unsigned>(kId | kTs | kKind)) return kAlertMissingKey;
  if (a.kind != kAlertSilent && !(seen & kField)) return kAlertMissingKey;
  *out = a;
  return kAlertParsed;
}

// device/<thing>/alerts; false (and "") for an invalid thing name or a short buffer.
inline bool build_alert_topic(char* out, size_t cap, const char* thing) {
  if (out == NULL || cap == 0) return false;
  out[0] = '\0';
  if (!is_valid_thing_name(thing)) return false;
  TextWriter w(out, cap);
  w.str("device/").str(thing).str("/alerts");
  if (!w.ok()) out[0] = '\0';
  return w.ok();
}

enum AlertEvent {
  kAlertEventNew = 0,  // show it and beep
  kAlertEventRepeat,   // the id already seen: nothing changes, no beep
  kAlertEventCleared,  // empty payload: the banner goes
  kAlertEventBad,      // refused and counted; the state is unchanged
};

class AlertMonitor {
 public:
  AlertMonitor() : showing_(false), has_last_id_(false), bad_(0), last_error_(kAlertParsed) {
    last_id_[0] = '\0';
    current_.id[0] = '\0';
    current_.ts = 0;
    current_.kind = kAlertDeviation;
    current_.field = -1;
    current_.has_value = false;
    current_.has_expected = false;
    current_.value_tenths = 0;
    current_.expected_tenths = 0;
  }

  AlertEvent receive(const char* bytes, size_t length) {
    Alert a = current_;
    AlertParse r = parse_alert(bytes, length, &a);
    if (r == kAlertEmpty) {
      showing_ = false;
      return kAlertEventCleared;
    }
    if (r != kAlertParsed) {
      ++bad_;
      last_error_ = r;
      return kAlertEventBad;
    }
    if (has_last_id_ && alert_detail::same(a.id, last_id_)) return kAlertEventRepeat;
    current_ = a;
    for (size_t i = 0; i <= kAlertIdMax; ++i) last_id_[i] = a.id[i];
    has_last_id_ = true;
    showing_ = true;
    return kAlertEventNew;
  }

  // The acknowledge button: true if a banner was showing.
  bool acknowledge() {
    bool was = showing_;
    showing_ = false;
    return was;
  }

  bool showing() const { return showing_; }
  const Alert& current() const { return current_; }
  uint32_t bad_count() const { return bad_; }
  AlertParse last_error() const { return last_error_; }

 private:
  Alert current_;
  bool showing_;
  bool has_last_id_;
  char last_id_[kAlertIdMax + 1];
  uint32_t bad_;
  AlertParse last_error_;
};

// When to subscribe. A refused SUBSCRIBE (policy without Subscribe/Receive on the alerts
// topic) makes the MQTT library close the connection; subscribing again on every reconnect
// would then stop publishing altogether. So after a refusal the sketch connects without
// subscribing, and tries again only after retry_ms.
class SubscribeGate {
 public:
  explicit SubscribeGate(uint32_t retry_ms) : retry_ms_(retry_ms), refused_at_(0), refused_(false) {}
  bool should_subscribe(uint32_t now_ms) const { return !refused_ || now_ms - refused_at_ >= retry_ms_; }
  void accepted() { refused_ = false; }
  void refused(uint32_t now_ms) {
    refused_ = true;
    refused_at_ = now_ms;
  }
  bool refused() const { return refused_; }

 private:
  uint32_t retry_ms_;
  uint32_t refused_at_;
  bool refused_;
};

// A one-shot buzzer on the millis() clock: start() turns it on, expired() says when to turn
// it off, so the loop never waits for the tone.
class OneShotTimer {
 public:
  explicit OneShotTimer(uint32_t duration_ms) : duration_ms_(duration_ms), started_ms_(0), running_(false) {}
  void start(uint32_t now_ms) {
    started_ms_ = now_ms;
    running_ = true;
  }
  bool running() const { return running_; }
  // True exactly once, at the first call at or after the end.
  bool expired(uint32_t now_ms) {
    if (!running_ || now_ms - started_ms_ < duration_ms_) return false;
    running_ = false;
    return true;
  }

 private:
  uint32_t duration_ms_;
  uint32_t started_ms_;
  bool running_;
};

// The banner's two lines (26 columns at text size 2), local time for display:
//   "jump 12/02 10:46 JST"
//   "temperature 35.2 (24.1)"
inline void write_alert_lines(const Alert& a, int32_t utc_offset_s, const char* zone, char* line1,
                              char* line2, size_t cap) {
  {
    TextWriter w(line1, cap);
    CivilTime t = civil_from_epoch(a.ts, utc_offset_s);
    w.str(alert_kind_name(a.kind)).put(' ').u32_padded(t.month, 2).put('/').u32_padded(t.day, 2);
    w.put(' ').u32_padded(t.hour, 2).put(':').u32_padded(t.minute, 2).put(' ').str(zone);
  }
  TextWriter w(line2, cap);
  if (a.field >= 0 && a.field < kPayloadFieldCount) {
    w.str(kPayloadFieldNames[a.field]);
  } else {
    w.str(a.kind == kAlertSilent ? "no readings" : "?");
  }
  if (a.has_value) w.put(' ').tenths(a.value_tenths);
  if (a.has_expected) w.str(" (").tenths(a.expected_tenths).put(')');
}

}  // namespace wio

#endif  // WIO_ALERT_H
