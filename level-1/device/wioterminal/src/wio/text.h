// Bounded text output without printf: the same bytes on the host and on the board.
//
// newlib-nano (the Arduino SAMD C library) has no %f in printf unless the sketch links
// _printf_float, and %lu/%u disagree between the host and the board for uint32_t. So the
// firmware formats numbers itself, here, and the host tests exercise exactly this code.
#ifndef WIO_TEXT_H
#define WIO_TEXT_H

#include <stddef.h>
#include <stdint.h>

namespace wio {

class TextWriter {
 public:
  TextWriter(char* buf, size_t cap) : buf_(buf), cap_(cap), len_(0), overflow_(cap == 0) {
    if (cap_ > 0) buf_[0] = '\0';
  }

  TextWriter& put(char c) {
    if (overflow_ || len_ + 1 >= cap_) {
      overflow_ = true;
      return *this;
    }
    buf_[len_++] = c;
    buf_[len_] = '\0';
    return *this;
  }

  TextWriter& str(const char* s) {
    if (s == NULL) return *this;
    while (*s != '\0') put(*s++);
    return *this;
  }

  TextWriter& u32(uint32_t v) {
    char tmp[10];
    int n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + (v % 10u));
      v /= 10u;
    } while (v != 0u);
    while (n > 0) put(tmp[--n]);
    return *this;
  }

  TextWriter& i32(int32_t v) {
    if (v < 0) {
      put('-');
      // -(INT32_MIN) does not fit in int32_t; go through uint32_t.
      return u32(static_cast<uint32_t>(-(v + 1)) + 1u);
    }
    return u32(static_cast<uint32_t>(v));
  }

  // A value in tenths as a decimal with exactly one fraction digit: -403 -> "-40.3",
  // 5 -> "0.5", -4 -> "-0.4", 0 -> "0.0". Never "-0.0".
  TextWriter& tenths(int32_t t) {
    uint32_t mag;
    if (t < 0) {
      put('-');
      mag = static_cast<uint32_t>(-(t + 1)) + 1u;
    } else {
      mag = static_cast<uint32_t>(t);
    }
    u32(mag / 10u);
    put('.');
    return put(static_cast<char>('0' + (mag % 10u)));
  }

  // Zero-padded to at least `width` digits (for clocks: 09:05:03).
  TextWriter& u32_padded(uint32_t v, int width) {
    uint32_t limit = 1;
    for (int i = 1; i < width; ++i) {
      limit *= 10u;
      if (v < limit) put('0');
    }
    return u32(v);
  }

  bool ok() const { return !overflow_; }
  size_t length() const { return len_; }
  const char* c_str() const { return buf_; }

 private:
  char* buf_;
  size_t cap_;
  size_t len_;
  bool overflow_;
};

// Civil date/time (UTC plus an offset) from epoch seconds, for the screen and the serial log.
struct CivilTime {
  uint32_t year;
  uint32_t month;   // 1..12
  uint32_t day;     // 1..31
  uint32_t hour;    // 0..23
  uint32_t minute;  // 0..59
  uint32_t second;  // 0..59
};

// Howard Hinnant's days-from-civil inverse, valid for the whole uint32_t epoch range.
inline CivilTime civil_from_epoch(uint32_t epoch, int32_t utc_offset_s) {
  int64_t t = static_cast<int64_t>(epoch) + utc_offset_s;
  if (t < 0) t = 0;
  int64_t days = t / 86400;
  int64_t rem = t % 86400;
  CivilTime c;
  c.hour = static_cast<uint32_t>(rem / 3600);
  c.minute = static_cast<uint32_t>((rem % 3600) / 60);
  c.second = static_cast<uint32_t>(rem % 60);
  int64_t z = days + 719468;
  int64_t era = z / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  c.year = static_cast<uint32_t>(m <= 2 ? y + 1 : y);
  c.month = static_cast<uint32_t>(m);
  c.day = static_cast<uint32_t>(d);
  return c;
}

// "2022-01-01 09:00:00" (19 characters).
inline TextWriter& write_datetime(TextWriter& w, uint32_t epoch, int32_t utc_offset_s) {
  CivilTime c = civil_from_epoch(epoch, utc_offset_s);
  w.u32_padded(c.year, 4).put('-').u32_padded(c.month, 2).put('-').u32_padded(c.day, 2);
  w.put(' ').u32_padded(c.hour, 2).put(':').u32_padded(c.minute, 2).put(':');
  return w.u32_padded(c.second, 2);
}

// "09:00:00".
inline TextWriter& write_clock(TextWriter& w, uint32_t epoch, int32_t utc_offset_s) {
  CivilTime c = civil_from_epoch(epoch, utc_offset_s);
  return w.u32_padded(c.hour, 2).put(':').u32_padded(c.minute, 2).put(':').u32_padded(c.second, 2);
}

}  // namespace wio

#endif  // WIO_TEXT_H
