// The whole 320x240 screen: status lines, the chart and the alert banner, drawn on a Canvas.
//
//   y   0  thing name (title bar)              text size 2
//   y  20  WiFi / MQTT / time / last reading   text size 2, one line each
//   y 100  chart of the selected field         100 px
//   y 200  last publish                        text size 2
//   y 220  sent, buffer, drops / sensor, uptime, bad alerts   text size 1
//   y 200..239 is covered by the red alert banner while an alert is unacknowledged.
//
// ScreenView remembers what it drew: a line is redrawn only when its text or colour changed
// (opaque text over the old one, then the leftover tail cleared), so nothing flickers.
#ifndef WIO_SCREEN_H
#define WIO_SCREEN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alert.h"
#include "canvas.h"
#include "chart.h"
#include "status_view.h"
#include "text.h"

namespace wio {

const int kScreenLines = 10;
const size_t kScreenLineMax = 52;  // 312 px at text size 1, from x = 4
const int kTitleBarHeight = 20;
const int kBannerTop = 200;

struct ScreenModel {
  StatusModel status;
  ChartField field;
  uint32_t interval_s;   // reading interval, labels the chart's time axis
  bool alert_showing;
  Alert alert;
  const char* zone;      // shown after the alert time, e.g. "JST"
  uint32_t bad_alerts;
  bool alerts_refused;   // the broker refused the alerts subscription
};

struct ScreenLine {
  char text[kScreenLineMax + 1];
  uint16_t fg;
  uint16_t bg;
};

// Slot positions: index -> (y, text size). Slots 8 and 9 are the banner.
inline int screen_line_y(int i) {
  static const int16_t y[kScreenLines] = {2, 22, 42, 62, 82, 202, 222, 231, 202, 222};
  return y[i];
}
inline int screen_line_size(int i) { return (i == 6 || i == 7) ? 1 : 2; }

inline uint16_t status_colour(const StatusModel& m, int line) {
  switch (line) {
    case 1: return m.phase == kPhaseWifiDown ? kRed : kGreen;
    case 2: return m.phase == kPhaseOnline ? kGreen : kYellow;
    case 3: return m.time_valid ? kWhite : kYellow;
    case 5:
      return m.publish_state == kPublishOk ? kGreen : m.publish_state == kPublishNone ? kWhite : kRed;
    default: return kWhite;
  }
}

// The text and colours of every slot for this model; an empty text is not drawn.
inline void compose_screen(const ScreenModel& m, ScreenLine out[kScreenLines]) {
  StatusLines s;
  render_status(m.status, s);
  for (int i = 0; i < kScreenLines; ++i) {
    out[i].text[0] = '\0';
    out[i].fg = kWhite;
    out[i].bg = kBlack;
  }
  for (int i = 0; i <= 5; ++i) {
    TextWriter w(out[i].text, kStatusWidth + 1);
    w.str(s[i]);
    out[i].fg = status_colour(m.status, i);
  }
  out[0].bg = kNavy;
  if (m.alert_showing) {
    out[5].text[0] = '\0';
    write_alert_lines(m.alert, m.status.utc_offset_s, m.zone, out[8].text, out[9].text, kStatusWidth + 1);
    out[8].bg = out[9].bg = kRed;
    return;
  }
  {
    TextWriter w(out[6].text, kScreenLineMax + 1);
    w.str(s[6]).str("  ").str(s[7]);
    out[6].fg = m.status.dropped > 0 ? kRed : (m.status.buffered > 0 ? kYellow : kWhite);
  }
  {
    TextWriter w(out[7].text, kScreenLineMax + 1);
    w.str(s[8]);
    if (m.bad_alerts > 0) w.str("  bad alert ").u32(m.bad_alerts);
    if (m.alerts_refused) w.str("  alerts refused");
    out[7].fg = (m.bad_alerts > 0 || m.alerts_refused) ? kYellow : kDarkGrey;
  }
}

template <size_t N>
class ScreenView {
 public:
  ScreenView() : chart_(chart_area()), cleared_(false), banner_(false) { forget_lines(); }

  static ChartArea chart_area() {
    ChartArea a = {0, 100, kScreenWidth, 100};
    return a;
  }

  // The next render() starts from a cleared screen (after message() or at boot).
  void invalidate() {
    cleared_ = false;
    chart_.invalidate();
    forget_lines();
  }

  // Draws what changed; returns the number of slots and regions redrawn (0: nothing).
  int render(Canvas& c, const ScreenModel& m, const ChartHistory<N>& history) {
    int drawn = 0;
    if (!cleared_) {
      c.fill_rect(0, 0, kScreenWidth, kScreenHeight, kBlack);
      c.fill_rect(0, 0, kScreenWidth, kTitleBarHeight, kNavy);
      cleared_ = true;
      banner_ = false;
      ++drawn;
    }
    if (m.alert_showing != banner_) {
      c.fill_rect(0, kBannerTop, kScreenWidth, kScreenHeight - kBannerTop, m.alert_showing ? kRed : kBlack);
      for (int i = 5; i < kScreenLines; ++i) shown_[i].text[0] = '\0';
      banner_ = m.alert_showing;
      ++drawn;
    }
    ScreenLine lines[kScreenLines];
    compose_screen(m, lines);
    for (int i = 0; i < kScreenLines; ++i) {
      if (draw_line(c, i, lines[i])) ++drawn;
    }
    if (chart_.render(c, history, m.field, m.interval_s)) ++drawn;
    return drawn;
  }

 private:
  void forget_lines() {
    for (int i = 0; i < kScreenLines; ++i) {
      shown_[i].text[0] = '\0';
      shown_[i].fg = kBlack;
      shown_[i].bg = kBlack;
    }
  }

  bool draw_line(Canvas& c, int i, const ScreenLine& line) {
    ScreenLine& old = shown_[i];
    if (strcmp(old.text, line.text) == 0 && old.fg == line.fg && old.bg == line.bg) return false;
    int size = screen_line_size(i), y = screen_line_y(i), x = 4;
    int new_w = text_width(line.text, size), old_w = text_width(old.text, size);
    if (line.text[0] != '\0') c.draw_text(x, y, line.text, size, line.fg, line.bg);
    if (old_w > new_w) c.fill_rect(x + new_w, y, old_w - new_w, kGlyphHeight * size, line.bg);
    old = line;
    return true;
  }

  ChartView<N> chart_;
  ScreenLine shown_[kScreenLines];
  bool cleared_;
  bool banner_;
};

// A full-screen message below the title bar, during boot or for a configuration error.
inline void render_message(Canvas& c, const char* line1, const char* line2, uint16_t colour) {
  c.fill_rect(0, 0, kScreenWidth, kTitleBarHeight, kNavy);
  c.draw_text(4, 2, "AWS IoT Core monitor", 2, kWhite, kNavy);
  c.fill_rect(0, kTitleBarHeight, kScreenWidth, kScreenHeight - kTitleBarHeight, kBlack);
  if (line1 != NULL) c.draw_text(4, kTitleBarHeight + 10, line1, 2, colour, kBlack);
  if (line2 != NULL) c.draw_text(4, kTitleBarHeight + 34, line2, 2, colour, kBlack);
}

}  // namespace wio

#endif  // WIO_SCREEN_H
