// The 320x240 LCD: a title bar and the status lines from src/wio/status_view.h. Only lines
// whose text or colour changed are redrawn, so the screen does not flicker.
#ifndef WIO_HW_DISPLAY_H
#define WIO_HW_DISPLAY_H

#include <Arduino.h>
#include <TFT_eSPI.h>
#include <string.h>

#include "src/wio/wio.h"

namespace hw {

class Display {
 public:
  Display() : tft_() {
    for (int i = 0; i < wio::kStatusLines; ++i) {
      shown_[i][0] = '\0';
      colour_[i] = 0;
    }
  }

  void begin() {
    tft_.begin();
    tft_.setRotation(3);  // landscape, buttons on top
    tft_.fillScreen(TFT_BLACK);
    tft_.fillRect(0, 0, 320, kTitleHeight, TFT_NAVY);
    tft_.setTextSize(2);
    tft_.setTextColor(TFT_WHITE, TFT_NAVY);
    tft_.drawString("AWS IoT Core monitor", 4, 5);
  }

  // A full-screen message during boot or for a configuration error.
  void message(const char* line1, const char* line2, uint16_t colour) {
    tft_.fillRect(0, kTitleHeight, 320, 240 - kTitleHeight, TFT_BLACK);
    tft_.setTextSize(2);
    tft_.setTextColor(colour, TFT_BLACK);
    tft_.drawString(line1, 4, kTitleHeight + 10);
    if (line2 != NULL) tft_.drawString(line2, 4, kTitleHeight + 34);
    for (int i = 0; i < wio::kStatusLines; ++i) shown_[i][0] = '\0';
  }

  void show(const wio::StatusModel& model) {
    wio::StatusLines lines;
    wio::render_status(model, lines);
    for (int i = 0; i < wio::kStatusLines; ++i) {
      uint16_t c = line_colour(model, i);
      if (strcmp(lines[i], shown_[i]) == 0 && c == colour_[i]) continue;
      int y = kTitleHeight + 4 + i * kLineHeight;
      tft_.fillRect(0, y, 320, kLineHeight, TFT_BLACK);
      tft_.setTextSize(2);
      tft_.setTextColor(c, TFT_BLACK);
      tft_.drawString(lines[i], 4, y + 2);
      strncpy(shown_[i], lines[i], sizeof(shown_[i]) - 1);
      shown_[i][sizeof(shown_[i]) - 1] = '\0';
      colour_[i] = c;
    }
  }

 private:
  static const int kTitleHeight = 26;
  static const int kLineHeight = 23;

  static uint16_t line_colour(const wio::StatusModel& m, int line) {
    switch (line) {
      case 1:
        return m.phase == wio::kPhaseWifiDown ? TFT_RED : TFT_GREEN;
      case 2:
        return m.phase == wio::kPhaseOnline ? TFT_GREEN : TFT_YELLOW;
      case 3:
        return m.time_valid ? TFT_WHITE : TFT_YELLOW;
      case 5:
        return m.publish_state == wio::kPublishOk ? TFT_GREEN
               : m.publish_state == wio::kPublishNone ? TFT_WHITE
                                                      : TFT_RED;
      case 7:
        return m.dropped > 0 ? TFT_RED : (m.buffered > 0 ? TFT_YELLOW : TFT_WHITE);
      default:
        return TFT_WHITE;
    }
  }

  TFT_eSPI tft_;
  char shown_[wio::kStatusLines][wio::kStatusWidth + 1];
  uint16_t colour_[wio::kStatusLines];
};

}  // namespace hw

#endif  // WIO_HW_DISPLAY_H
