// The on-screen chart: a short history of readings in RAM, one point per reading, and a
// renderer that draws one field of it as a line chart on a Canvas. A reading without a value
// for the field (sensor failed or out of range) is a gap in the line, never a made-up point.
//
// The renderer redraws only what changed: a new reading on an unchanged scale erases the
// old line and draws the new one; a new field, scale or an invalidate() redraws the region.
#ifndef WIO_CHART_H
#define WIO_CHART_H

#include <stddef.h>
#include <stdint.h>

#include "canvas.h"
#include "payload.h"
#include "ring_buffer.h"
#include "text.h"

namespace wio {

enum ChartField { kChartTemperature = 0, kChartHumidity, kChartLight, kChartFieldCount };

inline ChartField next_chart_field(ChartField f) {
  return static_cast<ChartField>((static_cast<int>(f) + 1) % kChartFieldCount);
}
inline ChartField previous_chart_field(ChartField f) {
  return static_cast<ChartField>((static_cast<int>(f) + kChartFieldCount - 1) % kChartFieldCount);
}

inline const char* chart_field_title(ChartField f) {
  switch (f) {
    case kChartTemperature: return "Temperature C";
    case kChartHumidity: return "Humidity %";
    case kChartLight: return "Light (raw)";
    case kChartFieldCount: break;
  }
  return "?";
}

inline uint16_t chart_field_colour(ChartField f) {
  return f == kChartTemperature ? kOrange : f == kChartHumidity ? kCyan : kYellow;
}

// Temperature and humidity are in tenths (as in Measurement), light is the raw value.
inline bool chart_field_in_tenths(ChartField f) { return f != kChartLight; }

// One reading as the chart keeps it: the values already rounded as published, 8 bytes.
struct ChartSample {
  int16_t temperature_dC;
  int16_t humidity_dPct;
  int16_t light;
  uint8_t flags;  // kHas* bits of the Measurement
  uint8_t reserved;
};

inline bool chart_value(const ChartSample& s, ChartField f, int32_t* out) {
  switch (f) {
    case kChartTemperature:
      if (!(s.flags & kHasTemperature)) return false;
      *out = s.temperature_dC;
      return true;
    case kChartHumidity:
      if (!(s.flags & kHasHumidity)) return false;
      *out = s.humidity_dPct;
      return true;
    case kChartLight:
      if (!(s.flags & kHasLight)) return false;
      *out = s.light;
      return true;
    case kChartFieldCount:
      break;
  }
  return false;
}

// The last N readings, oldest first. revision() changes with every add(), so a renderer can
// tell that it has something new to draw without comparing the samples.
template <size_t N>
class ChartHistory {
  static_assert(N >= 2, "a chart needs at least two points");

 public:
  ChartHistory() : revision_(0) {}

  void add(const Measurement& m) {
    ChartSample s;
    s.temperature_dC = m.temperature_dC;
    s.humidity_dPct = m.humidity_dPct;
    s.light = m.light;
    s.flags = m.flags;
    s.reserved = 0;
    samples_.push(s);
    ++revision_;
  }

  static size_t capacity() { return N; }
  size_t size() const { return samples_.size(); }
  const ChartSample& at(size_t i) const { return samples_.at(i); }
  uint32_t revision() const { return revision_; }

 private:
  RingBuffer<ChartSample, N> samples_;
  uint32_t revision_;
};

// The value range shown on the y axis, in the field's units.
struct ChartScale {
  bool valid;  // false: no value of this field in the history
  int32_t lo;
  int32_t hi;
};

inline bool operator==(const ChartScale& a, const ChartScale& b) {
  return a.valid == b.valid && (!a.valid || (a.lo == b.lo && a.hi == b.hi));
}

// Per field: the smallest span shown (so sensor noise does not fill the chart), the step the
// axis ends are rounded to, and the schema's range, which the axis never leaves.
struct ChartScaleRule {
  int32_t min_span;
  int32_t step;
  int32_t floor;
  int32_t ceiling;
};

inline ChartScaleRule chart_scale_rule(ChartField f) {
  ChartScaleRule r;
  if (f == kChartTemperature) {
    r.min_span = 20;  // 2.0 degC
    r.step = 5;
    r.floor = kTemperatureMinTenths;
    r.ceiling = kTemperatureMaxTenths;
  } else if (f == kChartHumidity) {
    r.min_span = 50;  // 5.0 %RH
    r.step = 10;
    r.floor = kHumidityMinTenths;
    r.ceiling = kHumidityMaxTenths;
  } else {
    r.min_span = 20;
    r.step = 10;
    r.floor = kLightMin;
    r.ceiling = kLightMax;
  }
  return r;
}

inline int32_t floor_to_step(int32_t v, int32_t step) {
  int32_t q = v / step;
  if (v % step != 0 && v < 0) --q;
  return q * step;
}
inline int32_t ceil_to_step(int32_t v, int32_t step) { return -floor_to_step(-v, step); }

// Covers every value of the field in the history, at least min_span wide, ends on the step,
// shifted (not cut) to stay inside the schema's range.
template <size_t N>
ChartScale autoscale(const ChartHistory<N>& h, ChartField f) {
  ChartScale s = {false, 0, 0};
  int32_t lo = 0, hi = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    int32_t v;
    if (!chart_value(h.at(i), f, &v)) continue;
    if (!s.valid || v < lo) lo = v;
    if (!s.valid || v > hi) hi = v;
    s.valid = true;
  }
  if (!s.valid) return s;
  ChartScaleRule r = chart_scale_rule(f);
  if (hi - lo < r.min_span) {
    lo -= (r.min_span - (hi - lo)) / 2;
    hi = lo + r.min_span;
  }
  lo = floor_to_step(lo, r.step);
  hi = ceil_to_step(hi, r.step);
  if (lo < r.floor) {
    hi += r.floor - lo;
    lo = r.floor;
  }
  if (hi > r.ceiling) {
    lo -= hi - r.ceiling;
    hi = r.ceiling;
  }
  if (lo < r.floor) lo = r.floor;
  s.lo = lo;
  s.hi = hi;
  return s;
}

// An axis value as text: "24.5" for tenths, "312" for raw values.
inline TextWriter& write_chart_value(TextWriter& w, ChartField f, int32_t v) {
  return chart_field_in_tenths(f) ? w.tenths(v) : w.i32(v);
}

// Where the chart sits on the screen. The plot frame leaves room for the y labels on the
// left, the title above and the time labels below.
struct ChartArea {
  int x, y, w, h;
  int frame_left() const { return x + 34; }
  int frame_right() const { return x + w - 5; }
  int frame_top() const { return y + 11; }
  int frame_bottom() const { return y + h - 11; }
  // Points go strictly inside the frame, so drawing or erasing them never touches it.
  int plot_left() const { return frame_left() + 1; }
  int plot_right() const { return frame_right() - 1; }
  int plot_top() const { return frame_top() + 1; }
  int plot_bottom() const { return frame_bottom() - 1; }
};

template <size_t N>
class ChartView {
 public:
  static const uint8_t kNoPoint = 0xFF;

  explicit ChartView(const ChartArea& area)
      : area_(area), drawn_(false), field_(kChartTemperature), interval_s_(0), revision_(0) {
    scale_.valid = false;
    scale_.lo = 0;
    scale_.hi = 0;
    invalidate();
  }

  // Forces a full redraw on the next render() (after the screen was cleared).
  void invalidate() {
    drawn_ = false;
    for (size_t i = 0; i < N; ++i) drawn_row_[i] = kNoPoint;
  }

  // Draws what changed since the last call; returns false when nothing did. interval_s
  // (the reading interval) labels the time axis.
  bool render(Canvas& c, const ChartHistory<N>& h, ChartField f, uint32_t interval_s) {
    ChartScale scale = autoscale(h, f);
    bool same_frame = drawn_ && f == field_ && scale == scale_ && interval_s == interval_s_;
    if (same_frame && h.revision() == revision_) return false;
    if (same_frame && scale.valid) {
      draw_line_rows(c, drawn_row_, kBlack);
      draw_grid(c);
    } else {
      draw_frame(c, f, scale, interval_s);
    }
    uint8_t rows[N];
    point_rows(h, f, scale, rows);
    if (scale.valid) draw_line_rows(c, rows, chart_field_colour(f));
    for (size_t i = 0; i < N; ++i) drawn_row_[i] = rows[i];
    drawn_ = true;
    field_ = f;
    scale_ = scale;
    interval_s_ = interval_s;
    revision_ = h.revision();
    return true;
  }

  // Slot i (0 = oldest, N - 1 = newest reading) to a screen x.
  int slot_x(size_t slot) const {
    int span = area_.plot_right() - area_.plot_left();
    return area_.plot_left() + static_cast<int>((static_cast<int32_t>(slot) * span) /
                                                static_cast<int32_t>(N - 1));
  }

  // A value to a row offset below plot_top(), rounded to the nearest row.
  uint8_t value_row(int32_t v, const ChartScale& s) const {
    int32_t rows = area_.plot_bottom() - area_.plot_top();
    int32_t span = s.hi - s.lo;
    int32_t above = ((v - s.lo) * 2 * rows + span) / (2 * span);
    if (above < 0) above = 0;
    if (above > rows) above = rows;
    return static_cast<uint8_t>(rows - above);
  }

 private:
  void point_rows(const ChartHistory<N>& h, ChartField f, const ChartScale& s, uint8_t* rows) const {
    for (size_t i = 0; i < N; ++i) rows[i] = kNoPoint;
    if (!s.valid) return;
    size_t first_slot = N - h.size();
    for (size_t i = 0; i < h.size(); ++i) {
      int32_t v;
      if (chart_value(h.at(i), f, &v)) rows[first_slot + i] = value_row(v, s);
    }
  }

  // Segments between neighbouring points; a point with no neighbour is a small square.
  void draw_line_rows(Canvas& c, const uint8_t* rows, uint16_t colour) const {
    int top = area_.plot_top();
    for (size_t i = 0; i < N; ++i) {
      if (rows[i] == kNoPoint) continue;
      int x = slot_x(i), y = top + rows[i];
      bool prev = i > 0 && rows[i - 1] != kNoPoint;
      bool next = i + 1 < N && rows[i + 1] != kNoPoint;
      if (prev) c.draw_line(slot_x(i - 1), top + rows[i - 1], x, y, colour);
      if (!prev && !next) {
        int x0 = x > area_.plot_left() ? x - 1 : x, x1 = x < area_.plot_right() ? x + 1 : x;
        int y0 = y > area_.plot_top() ? y - 1 : y, y1 = y < area_.plot_bottom() ? y + 1 : y;
        c.fill_rect(x0, y0, x1 - x0 + 1, y1 - y0 + 1, colour);
      }
    }
  }

  void draw_grid(Canvas& c) const {
    int mid = (area_.frame_top() + area_.frame_bottom()) / 2;
    c.draw_line(area_.plot_left(), mid, area_.plot_right(), mid, kGridGrey);
  }

  void draw_frame(Canvas& c, ChartField f, const ChartScale& s, uint32_t interval_s) const {
    c.fill_rect(area_.x, area_.y, area_.w, area_.h, kBlack);
    c.draw_text(area_.x + 4, area_.y + 1, chart_field_title(f), 1, chart_field_colour(f), kBlack);
    c.draw_text(area_.frame_right() - text_width("B/C: field", 1), area_.y + 1, "B/C: field", 1,
                kDarkGrey, kBlack);
    int l = area_.frame_left(), r = area_.frame_right(), t = area_.frame_top(), b = area_.frame_bottom();
    c.draw_line(l, t, r, t, kDarkGrey);
    c.draw_line(l, b, r, b, kDarkGrey);
    c.draw_line(l, t, l, b, kDarkGrey);
    c.draw_line(r, t, r, b, kDarkGrey);
    char buf[16];
    if (s.valid) {
      draw_grid(c);
      int32_t mid_value = s.lo + (s.hi - s.lo) / 2;
      int label_x = area_.x + 1;
      { TextWriter w(buf, sizeof(buf)); write_chart_value(w, f, s.hi); }
      c.draw_text(label_x, t, buf, 1, kWhite, kBlack);
      { TextWriter w(buf, sizeof(buf)); write_chart_value(w, f, mid_value); }
      c.draw_text(label_x, (t + b) / 2 - kGlyphHeight / 2, buf, 1, kDarkGrey, kBlack);
      { TextWriter w(buf, sizeof(buf)); write_chart_value(w, f, s.lo); }
      c.draw_text(label_x, b - kGlyphHeight + 1, buf, 1, kWhite, kBlack);
    } else {
      const char* none = "no reading yet";
      c.draw_text((l + r - text_width(none, 1)) / 2, (t + b) / 2 - kGlyphHeight / 2, none, 1,
                  kDarkGrey, kBlack);
    }
    // Time axis: the oldest slot is (N - 1) readings ago.
    uint32_t span_s = static_cast<uint32_t>(N - 1) * interval_s;
    {
      TextWriter w(buf, sizeof(buf));
      w.put('-');
      if (span_s >= 120u) w.u32((span_s + 30u) / 60u).str(" min"); else w.u32(span_s).str(" s");
    }
    c.draw_text(l, b + 3, buf, 1, kDarkGrey, kBlack);
    c.draw_text(r - text_width("now", 1) + 1, b + 3, "now", 1, kDarkGrey, kBlack);
  }

  ChartArea area_;
  bool drawn_;
  ChartField field_;
  ChartScale scale_;
  uint32_t interval_s_;
  uint32_t revision_;
  uint8_t drawn_row_[N];
};

}  // namespace wio

#endif  // WIO_CHART_H
