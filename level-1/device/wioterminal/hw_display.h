// The 320x240 LCD. TftCanvas lets the portable renderers (src/wio/screen.h, chart.h) draw
// with TFT_eSPI; they redraw only what changed, so the screen does not flicker and a refresh
// with nothing new costs no SPI traffic.
#ifndef WIO_HW_DISPLAY_H
#define WIO_HW_DISPLAY_H

#include <Arduino.h>
#include <TFT_eSPI.h>

#include "config.h"
#include "src/wio/wio.h"

namespace hw {

class TftCanvas : public wio::Canvas {
 public:
  explicit TftCanvas(TFT_eSPI& tft) : tft_(tft) {}
  void fill_rect(int x, int y, int w, int h, uint16_t colour) { tft_.fillRect(x, y, w, h, colour); }
  void draw_pixel(int x, int y, uint16_t colour) { tft_.drawPixel(x, y, colour); }
  void draw_line(int x0, int y0, int x1, int y1, uint16_t colour) { tft_.drawLine(x0, y0, x1, y1, colour); }
  void draw_text(int x, int y, const char* text, int size, uint16_t fg, uint16_t bg) {
    tft_.setTextSize(static_cast<uint8_t>(size));
    tft_.setTextColor(fg, bg);  // a background colour makes font 1 opaque
    tft_.drawString(text, x, y);
  }

 private:
  TFT_eSPI& tft_;
};

class Display {
 public:
  Display() : tft_(), canvas_(tft_) {}

  void begin() {
    tft_.begin();
    tft_.setRotation(3);  // landscape, buttons on top
    tft_.setTextFont(1);  // the 6x8 cell the renderers lay out for
    tft_.fillScreen(TFT_BLACK);
  }

  // A full-screen message during boot or for a configuration error.
  void message(const char* line1, const char* line2, uint16_t colour) {
    wio::render_message(canvas_, line1, line2, colour);
    view_.invalidate();
  }

  void show(const wio::ScreenModel& model, const wio::ChartHistory<WIO_CHART_POINTS>& history) {
    view_.render(canvas_, model, history);
  }

 private:
  TFT_eSPI tft_;
  TftCanvas canvas_;
  wio::ScreenView<WIO_CHART_POINTS> view_;
};

}  // namespace hw

#endif  // WIO_HW_DISPLAY_H
