// Temperature/humidity sensor I/O for the sensor chosen in config.h. Decoding and checksums
// live in src/wio/sensors.h (host-tested); this file only moves bits.
#ifndef WIO_HW_SENSORS_H
#define WIO_HW_SENSORS_H

#include <Arduino.h>
#include <Wire.h>
#include <math.h>

#include "config.h"
#include "src/wio/wio.h"

namespace hw {

// ------------------------------------------------------------------ I2C helpers (Grove I2C = Wire)
inline bool i2c_write(uint8_t addr, const uint8_t* data, size_t n) {
  Wire.beginTransmission(addr);
  for (size_t i = 0; i < n; ++i) Wire.write(data[i]);
  return Wire.endTransmission() == 0;
}

inline bool i2c_read(uint8_t addr, uint8_t* data, size_t n) {
  size_t got = Wire.requestFrom(addr, n, true);
  if (got != n) {
    while (Wire.available()) Wire.read();
    return false;
  }
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(Wire.read());
  return true;
}

#if WIO_SENSOR == WIO_SENSOR_DHT11
// ------------------------------------------------------------------ DHT11 (one-wire)
class ClimateSensor {
 public:
  ClimateSensor() : last_ms_(0), have_last_(false), last_ok_(false) {
    last_.temperature_c = NAN;
    last_.humidity_pct = NAN;
  }
  const char* name() const { return "DHT11"; }

  bool begin() {
    pinMode(WIO_DHT11_PIN, INPUT_PULLUP);
    // Cycle counter for microsecond pulse timing that does not depend on interrupts.
    CoreDebug->DEMCR |= CoreDebug_DEMCR_TRCENA_Msk;
    DWT->CYCCNT = 0;
    DWT->CTRL |= DWT_CTRL_CYCCNTENA_Msk;
    return true;
  }

  // The DHT11 cannot be read more often than every 2 s; a request inside that window
  // returns the result of the last read (which is at most 2 s old).
  bool read(wio::ClimateReading* out) {
    uint32_t now = millis();
    if (have_last_ && now - last_ms_ < wio::kDht11MinIntervalMs) {
      *out = last_;
      return last_ok_;
    }
    have_last_ = true;
    last_ms_ = now;
    last_ok_ = read_frame(&last_);
    if (!last_ok_) {
      last_.temperature_c = NAN;
      last_.humidity_pct = NAN;
    }
    *out = last_;
    return last_ok_;
  }

 private:
  // Waits while the line is at `level`; returns the time spent in us, or 0 on timeout.
  uint32_t pulse_us(int level, uint32_t timeout_us) {
    const uint32_t cycles_per_us = SystemCoreClock / 1000000u;
    uint32_t start = DWT->CYCCNT;
    while (digitalRead(WIO_DHT11_PIN) == level) {
      if ((DWT->CYCCNT - start) / cycles_per_us > timeout_us) return 0;
    }
    uint32_t us = (DWT->CYCCNT - start) / cycles_per_us;
    return us == 0 ? 1 : us;
  }

  bool read_frame(wio::ClimateReading* out) {
    uint16_t low[wio::kDht11Bits];
    uint16_t high[wio::kDht11Bits];
    // Start signal: hold the line low for 20 ms (>= 18 ms), then release it.
    pinMode(WIO_DHT11_PIN, OUTPUT);
    digitalWrite(WIO_DHT11_PIN, LOW);
    delay(20);
    pinMode(WIO_DHT11_PIN, INPUT_PULLUP);
    // Response: the sensor pulls low ~80 us, then high ~80 us, then sends 40 bits.
    if (pulse_us(HIGH, 200) == 0) return false;
    if (pulse_us(LOW, 200) == 0) return false;
    if (pulse_us(HIGH, 200) == 0) return false;
    for (size_t i = 0; i < wio::kDht11Bits; ++i) {
      uint32_t l = pulse_us(LOW, wio::kDht11MaxPulseUs + 50);
      uint32_t h = pulse_us(HIGH, wio::kDht11MaxPulseUs + 50);
      // Every bit's high pulse ends with a falling edge (the 40th with the sensor's
      // end-of-frame low), so a timeout is always a lost edge.
      if (l == 0 || h == 0) return false;
      low[i] = static_cast<uint16_t>(l);
      high[i] = static_cast<uint16_t>(h);
    }
    uint8_t bytes[5];
    if (!wio::dht11_bits_to_bytes(low, high, bytes)) return false;
    return wio::dht11_decode(bytes, out);
  }

  wio::ClimateReading last_;
  uint32_t last_ms_;
  bool have_last_;
  bool last_ok_;
};

#elif WIO_SENSOR == WIO_SENSOR_DHT20
// ------------------------------------------------------------------ DHT20 / AHT20 (I2C 0x38)
class ClimateSensor {
 public:
  const char* name() const { return "DHT20"; }

  bool begin() {
    Wire.begin();
    delay(100);  // >= 100 ms after power-up before the first command
    return ensure_ready();
  }

  bool read(wio::ClimateReading* out) {
    out->temperature_c = NAN;
    out->humidity_pct = NAN;
    if (!ensure_ready()) return false;
    if (!i2c_write(wio::kAht20Address, wio::kAht20TriggerCommand, 3)) return false;
    delay(wio::kAht20MeasureMs);
    uint8_t frame[7];
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (!i2c_read(wio::kAht20Address, frame, sizeof(frame))) return false;
      if (!(frame[0] & wio::kAht20StatusBusy)) break;
      delay(20);
    }
    return wio::aht20_decode(frame, out);
  }

 private:
  bool status(uint8_t* s) {
    const uint8_t cmd = wio::kAht20StatusCommand;
    return i2c_write(wio::kAht20Address, &cmd, 1) && i2c_read(wio::kAht20Address, s, 1);
  }

  // DHT20 datasheet: if the status is not 0x18 after power-up, re-initialise registers
  // 0x1B, 0x1C and 0x1E. Older AHT20 modules take the 0xBE calibration command instead.
  bool ensure_ready() {
    uint8_t s = 0;
    if (!status(&s)) return false;
    if ((s & wio::kAht20StatusReady) == wio::kAht20StatusReady) return true;
    i2c_write(wio::kAht20Address, wio::kAht20InitCommand, 3);
    delay(10);
    if (status(&s) && (s & wio::kAht20StatusReady) == wio::kAht20StatusReady) return true;
    const uint8_t regs[3] = {0x1B, 0x1C, 0x1E};
    for (int i = 0; i < 3; ++i) {
      const uint8_t start[3] = {regs[i], 0x00, 0x00};
      if (!i2c_write(wio::kAht20Address, start, 3)) return false;
      delay(5);
      uint8_t back[3];
      if (!i2c_read(wio::kAht20Address, back, 3)) return false;
      delay(10);
      const uint8_t restore[3] = {static_cast<uint8_t>(0xB0 | regs[i]), back[1], back[2]};
      if (!i2c_write(wio::kAht20Address, restore, 3)) return false;
    }
    delay(10);
    return status(&s) && (s & wio::kAht20StatusReady) == wio::kAht20StatusReady;
  }
};

#elif WIO_SENSOR == WIO_SENSOR_SHT4X
// ------------------------------------------------------------------ SHT4x (I2C 0x44)
class ClimateSensor {
 public:
  const char* name() const { return "SHT4x"; }

  bool begin() {
    Wire.begin();
    const uint8_t reset = wio::kSht4xSoftReset;
    i2c_write(wio::kSht4xAddress, &reset, 1);
    delay(2);
    // Reading the serial number (two CRC-protected words) proves the sensor is there.
    const uint8_t cmd = wio::kSht4xReadSerial;
    uint8_t sn[6];
    if (!i2c_write(wio::kSht4xAddress, &cmd, 1)) return false;
    delay(2);
    return i2c_read(wio::kSht4xAddress, sn, 6) && wio::crc8_31(sn, 2) == sn[2] &&
           wio::crc8_31(sn + 3, 2) == sn[5];
  }

  bool read(wio::ClimateReading* out) {
    out->temperature_c = NAN;
    out->humidity_pct = NAN;
    const uint8_t cmd = wio::kSht4xMeasureHighPrecision;
    if (!i2c_write(wio::kSht4xAddress, &cmd, 1)) return false;
    delay(wio::kSht4xMeasureMs);
    uint8_t frame[6];
    if (!i2c_read(wio::kSht4xAddress, frame, sizeof(frame))) return false;
    return wio::sht4x_decode(frame, out);
  }
};

#elif WIO_SENSOR == WIO_SENSOR_SIMULATED
// ------------------------------------------------------------------ simulated
class ClimateSensor {
 public:
  ClimateSensor() : sim_(0x5EED1234u), seconds_of_day_(0) {}
  const char* name() const { return "SIMULATED"; }
  bool begin() { return true; }
  // The sketch sets the local time of day before each read (uptime until NTP has synced).
  void set_time_of_day(uint32_t s) { seconds_of_day_ = s % 86400u; }
  bool read(wio::ClimateReading* out) {
    *out = sim_.read(seconds_of_day_);
    return true;
  }

 private:
  wio::SimulatedClimate sim_;
  uint32_t seconds_of_day_;
};

#else
#error "WIO_SENSOR must be WIO_SENSOR_DHT11, WIO_SENSOR_DHT20, WIO_SENSOR_SHT4X or WIO_SENSOR_SIMULATED"
#endif

}  // namespace hw

#endif  // WIO_HW_SENSORS_H
