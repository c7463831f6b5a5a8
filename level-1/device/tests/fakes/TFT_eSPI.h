// Compile-check fake of TFT_eSPI as bundled with the Seeed SAMD core (Seeed_Arduino_LCD).
#ifndef FAKE_TFT_ESPI_H
#define FAKE_TFT_ESPI_H
#include "Arduino.h"
#define TFT_BLACK 0x0000
#define TFT_NAVY 0x000F
#define TFT_RED 0xF800
#define TFT_GREEN 0x07E0
#define TFT_YELLOW 0xFFE0
#define TFT_WHITE 0xFFFF
#define TFT_ORANGE 0xFDA0
#define TFT_CYAN 0x07FF
#define TFT_DARKGREY 0x7BEF
class TFT_eSPI : public Print {
 public:
  TFT_eSPI(int16_t _W = 240, int16_t _H = 320);
  void begin(uint8_t tc = 0);
  void setRotation(uint8_t r);
  void fillScreen(uint32_t color);
  void fillRect(int32_t x, int32_t y, int32_t w, int32_t h, uint32_t color);
  void drawPixel(int32_t x, int32_t y, uint32_t color);
  void drawLine(int32_t xs, int32_t ys, int32_t xe, int32_t ye, uint32_t color);
  void setTextFont(uint8_t font);
  void setTextSize(uint8_t size);
  void setTextColor(uint16_t fgcolor, uint16_t bgcolor);
  int16_t drawString(const char* string, int32_t x, int32_t y);
  size_t write(uint8_t);
};
#endif
