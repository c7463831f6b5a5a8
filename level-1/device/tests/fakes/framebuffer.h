// An in-memory 320x240 RGB565 screen that implements wio::Canvas, for the host tests and the
// sketch simulation; plus a PNG writer and reader for the committed reference images.
//
// Lines use the classic Bresenham walk with the steep/swap form TFT_eSPI's drawLine uses;
// text uses font5x7.h in TFT_eSPI's 6x8 cell. The PNGs are 8-bit palette images stored with
// uncompressed deflate blocks, so no zlib is needed to write or to read them back.
#ifndef FAKE_FRAMEBUFFER_H
#define FAKE_FRAMEBUFFER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <map>
#include <string>
#include <vector>

#include "canvas.h"
#include "font5x7.h"

class Framebuffer : public wio::Canvas {
 public:
  enum { kW = wio::kScreenWidth, kH = wio::kScreenHeight };

  Framebuffer() : pixels_(kW * kH, 0), calls_(0) {}

  void fill_rect(int x, int y, int w, int h, uint16_t colour) {
    ++calls_;
    for (int yy = y; yy < y + h; ++yy)
      for (int xx = x; xx < x + w; ++xx) set(xx, yy, colour);
  }
  void draw_pixel(int x, int y, uint16_t colour) {
    ++calls_;
    set(x, y, colour);
  }
  void draw_line(int x0, int y0, int x1, int y1, uint16_t colour) {
    ++calls_;
    bool steep = abs(y1 - y0) > abs(x1 - x0);
    if (steep) {
      swap(x0, y0);
      swap(x1, y1);
    }
    if (x0 > x1) {
      swap(x0, x1);
      swap(y0, y1);
    }
    int dx = x1 - x0, dy = abs(y1 - y0);
    int err = dx >> 1, ystep = y0 < y1 ? 1 : -1;
    for (int x = x0, y = y0; x <= x1; ++x) {
      if (steep) set(y, x, colour); else set(x, y, colour);
      err -= dy;
      if (err < 0) {
        y += ystep;
        err += dx;
      }
    }
  }
  void draw_text(int x, int y, const char* text, int size, uint16_t fg, uint16_t bg) {
    ++calls_;
    for (const char* p = text; *p != '\0'; ++p, x += wio::kGlyphWidth * size) {
      const char* rows = font5x7_rows(*p);
      for (int row = 0; row < wio::kGlyphHeight; ++row) {
        for (int col = 0; col < wio::kGlyphWidth; ++col) {
          bool ink;
          if (rows != 0) {
            ink = row < 7 && col < 5 && rows[row * 5 + col] == '#';
          } else {
            ink = row < 7 && col < 5 && (row == 0 || row == 6 || col == 0 || col == 4);
          }
          fill_cell(x + col * size, y + row * size, size, ink ? fg : bg);
        }
      }
    }
  }

  uint16_t at(int x, int y) const { return pixels_[y * kW + x]; }
  const std::vector<uint16_t>& pixels() const { return pixels_; }
  // Draw calls since construction or the last reset_calls(): a frame with nothing new
  // must cost none.
  int calls() const { return calls_; }
  void reset_calls() { calls_ = 0; }
  int count(uint16_t colour) const {
    int n = 0;
    for (size_t i = 0; i < pixels_.size(); ++i) n += pixels_[i] == colour;
    return n;
  }

 private:
  static void swap(int& a, int& b) {
    int t = a;
    a = b;
    b = t;
  }
  void set(int x, int y, uint16_t c) {
    if (x >= 0 && x < kW && y >= 0 && y < kH) pixels_[y * kW + x] = c;
  }
  void fill_cell(int x, int y, int size, uint16_t c) {
    for (int yy = 0; yy < size; ++yy)
      for (int xx = 0; xx < size; ++xx) set(x + xx, y + yy, c);
  }

  std::vector<uint16_t> pixels_;
  int calls_;
};

// ------------------------------------------------------------------ PNG (palette, stored deflate)
namespace png {

inline uint32_t crc32(const uint8_t* p, size_t n, uint32_t crc = 0) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

inline void put32(std::string& s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
inline uint32_t get32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

inline void chunk(std::string& out, const char* type, const std::string& data) {
  put32(out, static_cast<uint32_t>(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  put32(out, crc32(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
}

inline void rgb(uint16_t c, uint8_t* out) {
  out[0] = static_cast<uint8_t>(((c >> 11) & 0x1F) * 255 / 31);
  out[1] = static_cast<uint8_t>(((c >> 5) & 0x3F) * 255 / 63);
  out[2] = static_cast<uint8_t>((c & 0x1F) * 255 / 31);
}

// RGB565 pixels to PNG bytes. Palette entries keep the RGB565 value in a private chunk
// (wIOc), so reading back gives the exact pixels, not a rounded RGB888.
inline std::string encode(const std::vector<uint16_t>& px, int w, int h) {
  std::map<uint16_t, uint8_t> index;
  std::vector<uint16_t> palette;
  for (size_t i = 0; i < px.size(); ++i) {
    if (index.count(px[i])) continue;
    if (palette.size() == 256) return std::string();  // more colours than a palette holds
    index[px[i]] = static_cast<uint8_t>(palette.size());
    palette.push_back(px[i]);
  }
  std::string raw;
  for (int y = 0; y < h; ++y) {
    raw.push_back('\0');  // filter: none
    for (int x = 0; x < w; ++x) raw.push_back(static_cast<char>(index[px[y * w + x]]));
  }
  std::string z = "\x78\x01";
  uint32_t a = 1, b = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    a = (a + static_cast<uint8_t>(raw[i])) % 65521u;
    b = (b + a) % 65521u;
  }
  for (size_t at = 0; at < raw.size() || at == 0; at += 65535) {
    size_t n = raw.size() - at < 65535 ? raw.size() - at : 65535;
    bool last = at + n >= raw.size();
    z.push_back(last ? '\x01' : '\x00');
    z.push_back(static_cast<char>(n & 0xFF));
    z.push_back(static_cast<char>(n >> 8));
    z.push_back(static_cast<char>(~n & 0xFF));
    z.push_back(static_cast<char>((~n >> 8) & 0xFF));
    z += raw.substr(at, n);
    if (last) break;
  }
  put32(z, (b << 16) | a);

  std::string out = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put32(ihdr, static_cast<uint32_t>(w));
  put32(ihdr, static_cast<uint32_t>(h));
  ihdr += std::string("\x08\x03\x00\x00\x00", 5);  // 8-bit, palette, deflate, no filter, no interlace
  chunk(out, "IHDR", ihdr);
  std::string plte, exact;
  for (size_t i = 0; i < palette.size(); ++i) {
    uint8_t c[3];
    rgb(palette[i], c);
    plte.append(reinterpret_cast<char*>(c), 3);
    exact.push_back(static_cast<char>(palette[i] >> 8));
    exact.push_back(static_cast<char>(palette[i] & 0xFF));
  }
  chunk(out, "PLTE", plte);
  chunk(out, "wIOc", exact);
  chunk(out, "IDAT", z);
  chunk(out, "IEND", std::string());
  return out;
}

// Reads what encode() wrote back into RGB565. False (with *why) for anything else, for
// example a PNG that an optimiser recompressed: regenerate it with `make update-reference`.
inline bool decode(const std::string& s, std::vector<uint16_t>* px, int* w, int* h, std::string* why) {
  if (s.size() < 8 || s.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) {
    *why = "not a PNG";
    return false;
  }
  std::string idat, exact;
  *w = *h = 0;
  for (size_t at = 8; at + 12 <= s.size();) {
    uint32_t n = get32(s, at);
    if (at + 12 + n > s.size()) break;
    std::string type = s.substr(at + 4, 4), data = s.substr(at + 8, n);
    if (get32(s, at + 8 + n) != crc32(reinterpret_cast<const uint8_t*>(s.data() + at + 4), n + 4)) {
      *why = "bad CRC in " + type;
      return false;
    }
    if (type == "IHDR" && n == 13) {
      *w = static_cast<int>(get32(data, 0));
      *h = static_cast<int>(get32(data, 4));
      if (data.compare(8, 5, std::string("\x08\x03\x00\x00\x00", 5)) != 0) {
        *why = "not an 8-bit palette PNG";
        return false;
      }
    }
    if (type == "wIOc") exact = data;
    if (type == "IDAT") idat += data;
    at += 12 + n;
  }
  if (*w <= 0 || *h <= 0 || exact.empty() || idat.size() < 2) {
    *why = "missing IHDR, wIOc or IDAT";
    return false;
  }
  std::string raw;
  size_t at = 2;
  for (;;) {
    if (at + 5 > idat.size() || (idat[at] & 0x06) != 0) {
      *why = "IDAT is not stored (uncompressed) deflate";
      return false;
    }
    bool last = idat[at] & 1;
    size_t n = static_cast<uint8_t>(idat[at + 1]) | (static_cast<size_t>(static_cast<uint8_t>(idat[at + 2])) << 8);
    raw += idat.substr(at + 5, n);
    at += 5 + n;
    if (last) break;
  }
  if (raw.size() != static_cast<size_t>((*w + 1) * *h)) {
    *why = "pixel data has the wrong size";
    return false;
  }
  px->assign(static_cast<size_t>(*w * *h), 0);
  for (int y = 0; y < *h; ++y) {
    for (int x = 0; x < *w; ++x) {
      size_t i = static_cast<uint8_t>(raw[y * (*w + 1) + 1 + x]);
      if (2 * i + 1 >= exact.size()) {
        *why = "palette index out of range";
        return false;
      }
      (*px)[y * *w + x] = static_cast<uint16_t>((static_cast<uint8_t>(exact[2 * i]) << 8) |
                                                static_cast<uint8_t>(exact[2 * i + 1]));
    }
  }
  return true;
}

inline bool read_file(const std::string& path, std::string* out) {
  FILE* f = fopen(path.c_str(), "rb");
  if (f == NULL) return false;
  char buf[65536];
  size_t n;
  out->clear();
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out->append(buf, n);
  fclose(f);
  return true;
}

inline bool write_file(const std::string& path, const std::string& data) {
  FILE* f = fopen(path.c_str(), "wb");
  if (f == NULL) return false;
  bool ok = fwrite(data.data(), 1, data.size(), f) == data.size();
  return fclose(f) == 0 && ok;
}

}  // namespace png

#endif  // FAKE_FRAMEBUFFER_H
