// Sensor frame decoding and the status screen text.
#include <math.h>

#include <string>

#include "harness.h"
#include "wio.h"

using namespace wio;

TEST(crc8_matches_sensirion_datasheet_example) {
  const uint8_t beef[2] = {0xBE, 0xEF};
  CHECK_EQ(crc8_31(beef, 2), 0x92);
  CHECK_EQ(crc8_31(beef, 0), 0xFF);
}

TEST(sht4x_decode) {
  // T raw 0x6666 -> -45 + 175*26214/65535 = 25.0; RH raw 0x8000 -> -6 + 125*32768/65535 = 56.5
  uint8_t f[6] = {0x66, 0x66, 0, 0x80, 0x00, 0};
  f[2] = crc8_31(f, 2);
  f[5] = crc8_31(f + 3, 2);
  ClimateReading r = {NAN, NAN};
  CHECK(sht4x_decode(f, &r));
  CHECK(fabsf(r.temperature_c - 25.0f) < 0.01f);
  CHECK(fabsf(r.humidity_pct - 56.5f) < 0.01f);
  f[5] ^= 1;
  CHECK(!sht4x_decode(f, &r));
  // Humidity outside 0..100 from the linear formula is cropped (datasheet).
  uint8_t hi[6] = {0x66, 0x66, 0, 0xFF, 0xFF, 0};
  hi[2] = crc8_31(hi, 2);
  hi[5] = crc8_31(hi + 3, 2);
  CHECK(sht4x_decode(hi, &r));
  CHECK_EQ(r.humidity_pct, 100.0f);
  uint8_t lo[6] = {0x00, 0x00, 0, 0x00, 0x00, 0};
  lo[2] = crc8_31(lo, 2);
  lo[5] = crc8_31(lo + 3, 2);
  CHECK(sht4x_decode(lo, &r));
  CHECK_EQ(r.humidity_pct, 0.0f);
  CHECK_EQ(r.temperature_c, -45.0f);
}

namespace {
void aht20_frame(uint8_t status, uint32_t h_raw, uint32_t t_raw, uint8_t f[7]) {
  f[0] = status;
  f[1] = static_cast<uint8_t>(h_raw >> 12);
  f[2] = static_cast<uint8_t>(h_raw >> 4);
  f[3] = static_cast<uint8_t>(((h_raw & 0x0F) << 4) | ((t_raw >> 16) & 0x0F));
  f[4] = static_cast<uint8_t>(t_raw >> 8);
  f[5] = static_cast<uint8_t>(t_raw);
  f[6] = crc8_31(f, 6);
}
}  // namespace

TEST(aht20_dht20_decode) {
  uint8_t f[7];
  // 50 %RH = 0x80000; 25 degC = (25 + 50) / 200 * 2^20 = 393216
  aht20_frame(0x1C, 0x80000, 393216, f);
  ClimateReading r = {NAN, NAN};
  CHECK(aht20_decode(f, &r));
  CHECK(fabsf(r.humidity_pct - 50.0f) < 0.001f);
  CHECK(fabsf(r.temperature_c - 25.0f) < 0.001f);
  aht20_frame(0x1C, 0, 0, f);  // -50 degC, 0 %: decodes, the payload omits -50 as out of range
  CHECK(aht20_decode(f, &r));
  CHECK(fabsf(r.temperature_c + 50.0f) < 0.001f);
  aht20_frame(0x9C, 0x80000, 393216, f);  // busy
  CHECK(!aht20_decode(f, &r));
  aht20_frame(0x1C, 0x80000, 393216, f);
  f[6] ^= 0x40;
  CHECK(!aht20_decode(f, &r));
  uint8_t zeros[7] = {0, 0, 0, 0, 0, 0, 0};
  zeros[6] = crc8_31(zeros, 6);
  CHECK(!aht20_decode(zeros, &r));
}

TEST(dht11_decode_frames) {
  ClimateReading r = {NAN, NAN};
  uint8_t ok[5] = {53, 0, 24, 5, static_cast<uint8_t>(53 + 24 + 5)};
  CHECK(dht11_decode(ok, &r));
  CHECK_EQ(r.humidity_pct, 53.0f);
  CHECK_EQ(r.temperature_c, 24.5f);
  uint8_t neg[5] = {80, 0, 3, 0x82, static_cast<uint8_t>(80 + 3 + 0x82)};  // -3.2 degC
  CHECK(dht11_decode(neg, &r));
  CHECK_EQ(r.temperature_c, -3.2f);
  uint8_t bad_sum[5] = {53, 0, 24, 5, 0};
  CHECK(!dht11_decode(bad_sum, &r));
  uint8_t zeros[5] = {0, 0, 0, 0, 0};  // line stuck low
  CHECK(!dht11_decode(zeros, &r));
  uint8_t bad_tenths[5] = {53, 12, 24, 0, static_cast<uint8_t>(53 + 12 + 24)};
  CHECK(!dht11_decode(bad_tenths, &r));
}

TEST(dht11_pulses_to_bits) {
  uint8_t expect[5] = {53, 0, 24, 5, 82};
  uint16_t low[kDht11Bits], high[kDht11Bits];
  for (size_t i = 0; i < kDht11Bits; ++i) {
    bool one = (expect[i / 8] >> (7 - i % 8)) & 1;
    low[i] = 50;
    high[i] = one ? 70 : 27;
  }
  uint8_t got[5];
  CHECK(dht11_bits_to_bytes(low, high, got));
  for (int i = 0; i < 5; ++i) CHECK_EQ(got[i], expect[i]);
  ClimateReading r = {NAN, NAN};
  CHECK(dht11_decode(got, &r));
  high[3] = 0;  // a lost edge
  CHECK(!dht11_bits_to_bytes(low, high, got));
  high[3] = 27;
  low[10] = 400;  // a stuck line
  CHECK(!dht11_bits_to_bytes(low, high, got));
}

TEST(simulated_source_stays_plausible) {
  SimulatedClimate sim(42);
  float t_14 = 0, t_02 = 0;
  for (uint32_t s = 0; s < 86400; s += 300) {
    ClimateReading r = sim.read(s);
    CHECK(r.temperature_c > 19.0f && r.temperature_c < 29.0f);
    CHECK(r.humidity_pct > 40.0f && r.humidity_pct < 70.0f);
    if (s == 14 * 3600) t_14 = r.temperature_c;
    if (s == 2 * 3600) t_02 = r.temperature_c;
  }
  CHECK(t_14 > t_02 + 5.0f);
}

namespace {
StatusModel base_model() {
  StatusModel s;
  s.thing_name = "wio-terminal-01";
  s.sensor_name = "DHT11";
  s.phase = kPhaseOnline;
  s.wifi_connecting = false;
  s.mqtt_connecting = false;
  s.retry_in_s = 0;
  s.has_rssi = true;
  s.rssi = -58;
  s.time_valid = true;
  s.epoch_now = 1700000000u;
  s.utc_offset_s = 9 * 3600;
  s.has_reading = true;
  s.last_reading = make_measurement(0, 3, 24.5f, 53.0f, 312);
  s.publish_state = kPublishOk;
  s.last_publish_epoch = 1699999990u;
  s.last_error = 0;
  s.sent_total = 42;
  s.buffered = 0;
  s.capacity = 512;
  s.dropped = 0;
  s.uptime_s = 93784;  // 1 d 02:03
  return s;
}
}  // namespace

TEST(status_screen_when_all_is_well) {
  StatusLines l;
  render_status(base_model(), l);
  CHECK_STR(l[0], "wio-terminal-01");
  CHECK_STR(l[1], "WiFi: OK -58dBm");
  CHECK_STR(l[2], "MQTT: connected");
  CHECK_STR(l[3], "2023-11-15 07:13:20 +09");
  CHECK_STR(l[4], "T 24.5C H 53.0% L 312");
  CHECK_STR(l[5], "Pub: OK 07:13:10");
  CHECK_STR(l[6], "Sent 42");
  CHECK_STR(l[7], "Buf 0/512 drop 0");
  CHECK_STR(l[8], "DHT11 up 1d02h03m");
  for (int i = 0; i < kStatusLines; ++i) CHECK(strlen(l[i]) <= kStatusWidth);
}

TEST(status_screen_offline_states) {
  StatusModel s = base_model();
  s.phase = kPhaseWifiDown;
  s.retry_in_s = 17;
  s.time_valid = false;
  s.publish_state = kPublishFailed;
  s.last_error = -3;
  s.buffered = 130;
  s.dropped = 4;
  s.has_reading = true;
  s.last_reading = make_measurement(0, 0, NAN, NAN, 0);
  StatusLines l;
  render_status(s, l);
  CHECK_STR(l[1], "WiFi: down, retry 17s");
  CHECK_STR(l[2], "MQTT: waiting for WiFi");
  CHECK_STR(l[3], "Time: not synced");
  CHECK_STR(l[4], "T -- H -- L 0");
  CHECK_STR(l[5], "Pub: FAILED err -3");
  CHECK_STR(l[7], "Buf 130/512 drop 4");
  s.phase = kPhaseNeedTime;
  render_status(s, l);
  CHECK_STR(l[2], "MQTT: waiting for time");
  s.phase = kPhaseMqttDown;
  s.mqtt_connecting = true;
  render_status(s, l);
  CHECK_STR(l[2], "MQTT: connecting...");
  s.phase = kPhaseWifiDown;
  s.wifi_connecting = true;
  s.publish_state = kPublishConfigError;
  s.utc_offset_s = 0;
  s.time_valid = true;
  render_status(s, l);
  CHECK_STR(l[1], "WiFi: connecting...");
  CHECK_STR(l[3], "2023-11-14 22:13:20 UTC");
  CHECK_STR(l[5], "Pub: bad thing name");
}

TEST(status_screen_truncates_long_names) {
  StatusModel s = base_model();
  std::string longname(128, 'x');
  s.thing_name = longname.c_str();
  s.utc_offset_s = -(5 * 3600 + 30 * 60);
  StatusLines l;
  render_status(s, l);
  CHECK_EQ(strlen(l[0]), kStatusWidth);
  CHECK_STR(l[3], "2023-11-14 16:43:20 -05:30");
}
