// Decoding of the supported Grove temperature/humidity sensors, separated from the bus I/O
// so the host tests can feed datasheet and corrupted frames. Each decoder returns false on a
// bad checksum or an impossible frame; the sketch then omits the value (never reuses or
// invents one).
#ifndef WIO_SENSORS_H
#define WIO_SENSORS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

namespace wio {

struct ClimateReading {
  float temperature_c;
  float humidity_pct;
};

// CRC-8, polynomial 0x31, init 0xFF: used by both Sensirion (SHT4x) and Aosong (AHT20/DHT20).
inline uint8_t crc8_31(const uint8_t* data, size_t len) {
  uint8_t crc = 0xFF;
  for (size_t i = 0; i < len; ++i) {
    crc ^= data[i];
    for (int b = 0; b < 8; ++b) {
      crc = (crc & 0x80) ? static_cast<uint8_t>((crc << 1) ^ 0x31) : static_cast<uint8_t>(crc << 1);
    }
  }
  return crc;
}

// ------------------------------------------------------------------ SHT4x (I2C 0x44)
const uint8_t kSht4xAddress = 0x44;
const uint8_t kSht4xMeasureHighPrecision = 0xFD;  // then wait >= 8.3 ms, read 6 bytes
const uint8_t kSht4xSoftReset = 0x94;
const uint8_t kSht4xReadSerial = 0x89;
const uint32_t kSht4xMeasureMs = 10;

// frame: T_msb T_lsb T_crc RH_msb RH_lsb RH_crc. Humidity is cropped to 0..100 as the
// datasheet prescribes (the linear formula can leave that range slightly).
inline bool sht4x_decode(const uint8_t frame[6], ClimateReading* out) {
  if (crc8_31(frame, 2) != frame[2] || crc8_31(frame + 3, 2) != frame[5]) return false;
  uint32_t t_raw = (static_cast<uint32_t>(frame[0]) << 8) | frame[1];
  uint32_t rh_raw = (static_cast<uint32_t>(frame[3]) << 8) | frame[4];
  float t = -45.0f + 175.0f * static_cast<float>(t_raw) / 65535.0f;
  float rh = -6.0f + 125.0f * static_cast<float>(rh_raw) / 65535.0f;
  if (rh < 0.0f) rh = 0.0f;
  if (rh > 100.0f) rh = 100.0f;
  out->temperature_c = t;
  out->humidity_pct = rh;
  return true;
}

// ------------------------------------------------------------------ AHT20 / DHT20 (I2C 0x38)
// Grove Temperature & Humidity Sensor V2.0 is a DHT20, an AHT20 in a package.
const uint8_t kAht20Address = 0x38;
const uint8_t kAht20StatusCommand = 0x71;
const uint8_t kAht20InitCommand[3] = {0xBE, 0x08, 0x00};
const uint8_t kAht20TriggerCommand[3] = {0xAC, 0x33, 0x00};
const uint32_t kAht20MeasureMs = 80;
const uint8_t kAht20StatusBusy = 0x80;
const uint8_t kAht20StatusReady = 0x18;  // both bits set: calibrated and initialised

// frame: status, 5 data bytes (20-bit humidity, 20-bit temperature), CRC over the first 6.
inline bool aht20_decode(const uint8_t frame[7], ClimateReading* out) {
  if (crc8_31(frame, 6) != frame[6]) return false;
  if (frame[0] & kAht20StatusBusy) return false;
  bool all_zero = true;
  for (int i = 0; i < 6; ++i) all_zero = all_zero && frame[i] == 0;
  if (all_zero) return false;
  uint32_t h_raw = (static_cast<uint32_t>(frame[1]) << 12) | (static_cast<uint32_t>(frame[2]) << 4) |
                   (static_cast<uint32_t>(frame[3]) >> 4);
  uint32_t t_raw = (static_cast<uint32_t>(frame[3] & 0x0F) << 16) |
                   (static_cast<uint32_t>(frame[4]) << 8) | frame[5];
  out->humidity_pct = static_cast<float>(h_raw) * 100.0f / 1048576.0f;
  out->temperature_c = static_cast<float>(t_raw) * 200.0f / 1048576.0f - 50.0f;
  return true;
}

// ------------------------------------------------------------------ DHT11 (one-wire, D0)
// The sensor sends 40 bits, each a ~50 us low pulse followed by a high pulse of ~26-28 us
// (0) or ~70 us (1). The sketch measures both pulse widths with the cycle counter; a bit is
// 1 when its high pulse is longer than its low pulse (independent of the CPU clock). An
// interrupt during the read can stretch a pulse: the checksum then rejects the frame.
const size_t kDht11Bits = 40;
const uint32_t kDht11MaxPulseUs = 150;   // anything longer is a stuck line or a lost edge
const uint32_t kDht11MinIntervalMs = 2000;

inline bool dht11_bits_to_bytes(const uint16_t low_us[kDht11Bits], const uint16_t high_us[kDht11Bits],
                                uint8_t bytes[5]) {
  for (int i = 0; i < 5; ++i) bytes[i] = 0;
  for (size_t i = 0; i < kDht11Bits; ++i) {
    if (low_us[i] == 0 || high_us[i] == 0) return false;
    if (low_us[i] > kDht11MaxPulseUs || high_us[i] > kDht11MaxPulseUs) return false;
    bytes[i / 8] = static_cast<uint8_t>(bytes[i / 8] << 1);
    if (high_us[i] > low_us[i]) bytes[i / 8] |= 1u;
  }
  return true;
}

// bytes: RH integer, RH tenths, T integer, T tenths (bit 7 = below zero), checksum.
inline bool dht11_decode(const uint8_t bytes[5], ClimateReading* out) {
  uint8_t sum = static_cast<uint8_t>(bytes[0] + bytes[1] + bytes[2] + bytes[3]);
  if (sum != bytes[4]) return false;
  if (bytes[1] > 9 || (bytes[3] & 0x7F) > 9) return false;  // tenths digits
  bool all_zero = bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0 && bytes[3] == 0;
  if (all_zero) return false;  // a line held low decodes as zeros with a valid checksum
  int32_t rh_tenths = bytes[0] * 10 + bytes[1];
  int32_t t_tenths = bytes[2] * 10 + (bytes[3] & 0x7F);
  if (bytes[3] & 0x80) t_tenths = -t_tenths;
  out->humidity_pct = static_cast<float>(rh_tenths) / 10.0f;
  out->temperature_c = static_cast<float>(t_tenths) / 10.0f;
  return true;
}

// ------------------------------------------------------------------ simulated source
// For a board with no Grove sensor: a smooth daily cycle (warmest mid-afternoon local time)
// with noise. The payload marks nothing as simulated; use a thing name that says so.
class SimulatedClimate {
 public:
  explicit SimulatedClimate(uint32_t seed) : rng_(seed) {}
  // seconds_of_day: local time of day (0..86399), or uptime when the clock is not set yet.
  ClimateReading read(uint32_t seconds_of_day) {
    const float kTwoPi = 6.2831853f;
    float phase = kTwoPi * static_cast<float>((seconds_of_day + 86400u - 50400u) % 86400u) / 86400.0f;
    float c = cosf(phase);  // 1.0 at 14:00
    ClimateReading r;
    r.temperature_c = 24.0f + 4.0f * c + 0.3f * rng_.symmetric();
    r.humidity_pct = 55.0f - 12.0f * c + 1.5f * rng_.symmetric();
    return r;
  }

 private:
  XorShift32 rng_;
};

}  // namespace wio

#endif  // WIO_SENSORS_H
