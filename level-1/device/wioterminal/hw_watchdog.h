// SAMD51 hardware watchdog with a software-extended period.
//
// The WDT's longest hardware period is 16 s, shorter than a worst-case Wi-Fi join or TLS
// handshake on the RTL8720 (the sketch bounds each at ~15 s). So the WDT runs with its
// early-warning interrupt 8 s after each clear; the interrupt clears it again only while the
// main loop has shown life within the last WIO_WATCHDOG_S seconds. If the loop hangs, the
// interrupt stops clearing and the chip resets 8 s later. If interrupts themselves are dead,
// the plain 16 s hardware period resets the chip.
#ifndef WIO_HW_WATCHDOG_H
#define WIO_HW_WATCHDOG_H

#include <Arduino.h>

#include "config.h"

#if (WIO_WATCHDOG_S % 8) != 0 || WIO_WATCHDOG_S < 16 || WIO_WATCHDOG_S > 248
#error "WIO_WATCHDOG_S must be a multiple of 8 between 16 and 248"
#endif

namespace hw {

// Early-warning interrupts (8 s apart) the ISR absorbs before letting the chip reset: the
// last clear then happens at 8 * grace s, and the reset 16 s after it, at WIO_WATCHDOG_S.
static const uint8_t kWatchdogGrace = (WIO_WATCHDOG_S - 16) / 8;
static volatile uint8_t g_wdt_early_warnings = 0;

inline void watchdog_clear_hw() {
  while (WDT->SYNCBUSY.reg) {
  }
  WDT->CLEAR.reg = WDT_CLEAR_CLEAR_KEY;
}

inline void watchdog_begin() {
  OSC32KCTRL->OSCULP32K.bit.EN1K = 1;  // 1.024 kHz WDT clock from the ultra-low-power oscillator
  WDT->CTRLA.reg = 0;                  // disable to configure
  while (WDT->SYNCBUSY.reg) {
  }
  WDT->CONFIG.bit.PER = 0xB;          // reset 16384 cycles (16 s) after the last clear
  WDT->EWCTRL.bit.EWOFFSET = 0xA;     // early warning 8192 cycles (8 s) after it
  WDT->INTFLAG.bit.EW = 1;            // clear a stale flag
  WDT->INTENSET.bit.EW = 1;
  NVIC_DisableIRQ(WDT_IRQn);
  NVIC_ClearPendingIRQ(WDT_IRQn);
  NVIC_SetPriority(WDT_IRQn, 0);
  NVIC_EnableIRQ(WDT_IRQn);
  g_wdt_early_warnings = 0;
  watchdog_clear_hw();
  WDT->CTRLA.bit.ENABLE = 1;
  while (WDT->SYNCBUSY.reg) {
  }
}

// Proof of life from the main loop. Cheap enough to call every pass.
inline void watchdog_kick() {
  g_wdt_early_warnings = 0;
  if (!WDT->SYNCBUSY.reg) WDT->CLEAR.reg = WDT_CLEAR_CLEAR_KEY;
}

// Why the chip last reset (RSTC.RCAUSE: POR, BODCORE, BODVDD, NVM, EXT, WDT, SYST, BACKUP).
inline const char* reset_cause() {
  uint8_t c = RSTC->RCAUSE.reg;
  if (c & (1u << 5)) return "WATCHDOG";
  if (c & (1u << 0)) return "power-on";
  if (c & (1u << 4)) return "reset button";
  if (c & (1u << 6)) return "software";
  if (c & ((1u << 1) | (1u << 2))) return "brown-out";
  return "other";
}

inline bool reset_by_watchdog() { return (RSTC->RCAUSE.reg & (1u << 5)) != 0; }

// Word i (0..3) of the SAMD51's 128-bit serial number (datasheet section 9.6). The host
// simulation (tests/sketch_sim.cpp) builds with WIO_FAKE_CHIP and supplies its own words.
#if defined(WIO_FAKE_CHIP)
extern uint32_t fake_chip_serial[4];
inline uint32_t chip_serial_word(int i) { return fake_chip_serial[i & 3]; }
#else
inline uint32_t chip_serial_word(int i) {
  static const uint32_t kAddress[4] = {0x008061FCu, 0x00806010u, 0x00806014u, 0x00806018u};
  return *reinterpret_cast<const volatile uint32_t*>(kAddress[i & 3]);
}
#endif

}  // namespace hw

extern "C" void WDT_Handler(void) {
  WDT->INTFLAG.bit.EW = 1;
  if (hw::g_wdt_early_warnings < hw::kWatchdogGrace) {
    hw::g_wdt_early_warnings = static_cast<uint8_t>(hw::g_wdt_early_warnings + 1);
    hw::watchdog_clear_hw();
  }
  // else: no clear; the chip resets 8 s later.
}

#endif  // WIO_HW_WATCHDOG_H
