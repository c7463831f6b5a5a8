// Debounced push buttons (active low on the Wio Terminal). The sketch feeds each button's raw
// level every loop pass; a press counts once, when the level has been steady for 30 ms.
#ifndef WIO_BUTTONS_H
#define WIO_BUTTONS_H

#include <stdint.h>

namespace wio {

class DebouncedButton {
 public:
  explicit DebouncedButton(uint32_t settle_ms = 30)
      : settle_ms_(settle_ms), changed_ms_(0), raw_down_(false), stable_down_(false) {}

  // True once per press, on the pass where the press has settled.
  bool pressed(bool down, uint32_t now_ms) {
    if (down != raw_down_) {
      raw_down_ = down;
      changed_ms_ = now_ms;
    }
    if (now_ms - changed_ms_ >= settle_ms_ && raw_down_ != stable_down_) {
      stable_down_ = raw_down_;
      return stable_down_;
    }
    return false;
  }

 private:
  uint32_t settle_ms_;
  uint32_t changed_ms_;
  bool raw_down_;
  bool stable_down_;
};

}  // namespace wio

#endif  // WIO_BUTTONS_H
