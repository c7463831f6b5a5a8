// What the screen renderers draw on: the board implements it with TFT_eSPI (hw_display.h),
// the host tests with an in-memory RGB565 framebuffer (tests/fakes/framebuffer.h). Colours
// are RGB565, as the LCD takes them. Text uses the 6x8-pixel cell of TFT_eSPI's built-in
// font 1, scaled by `size`, drawn opaque (background included) so a redraw never flickers.
#ifndef WIO_CANVAS_H
#define WIO_CANVAS_H

#include <stddef.h>
#include <stdint.h>

namespace wio {

const int kScreenWidth = 320;   // the Wio Terminal LCD in landscape
const int kScreenHeight = 240;
const int kGlyphWidth = 6;      // TFT_eSPI font 1 cell at text size 1
const int kGlyphHeight = 8;

// RGB565 colours (the values of TFT_eSPI's TFT_* constants).
const uint16_t kBlack = 0x0000;
const uint16_t kNavy = 0x000F;
const uint16_t kDarkGrey = 0x7BEF;
const uint16_t kGridGrey = 0x39E7;
const uint16_t kRed = 0xF800;
const uint16_t kGreen = 0x07E0;
const uint16_t kCyan = 0x07FF;
const uint16_t kYellow = 0xFFE0;
const uint16_t kOrange = 0xFDA0;
const uint16_t kWhite = 0xFFFF;

class Canvas {
 public:
  virtual ~Canvas() {}
  virtual void fill_rect(int x, int y, int w, int h, uint16_t colour) = 0;
  virtual void draw_pixel(int x, int y, uint16_t colour) = 0;
  // Both end points included.
  virtual void draw_line(int x0, int y0, int x1, int y1, uint16_t colour) = 0;
  // Top-left at (x, y); each character fills a (6 * size) x (8 * size) cell.
  virtual void draw_text(int x, int y, const char* text, int size, uint16_t fg, uint16_t bg) = 0;
};

inline int text_width(const char* text, int size) {
  int n = 0;
  while (text != NULL && text[n] != '\0') ++n;
  return n * kGlyphWidth * size;
}

}  // namespace wio

#endif  // WIO_CANVAS_H
