// Payload and topic: the bytes the board publishes.
#include <math.h>

#include <string>

#include "harness.h"
#include "wio.h"

using namespace wio;

namespace {

std::string fmt(const char* id, const Measurement& m, bool has_rssi = false, int32_t rssi = 0,
                PayloadError* err_out = NULL) {
  char buf[kPayloadBufferSize];
  PayloadError err = kPayloadOk;
  size_t n = format_payload(buf, sizeof(buf), id, m, has_rssi, rssi, &err);
  if (err_out) *err_out = err;
  if (n != strlen(buf)) return "LENGTH MISMATCH";
  return std::string(buf);
}

Measurement reading(float t, float h, int32_t light, uint32_t ts = 1640995200u) {
  Measurement m = make_measurement(1000, 0, t, h, light);
  m.flags &= static_cast<uint8_t>(~kHasSeq);
  m.timestamp = ts;
  return m;
}

std::string id_of_length(size_t n) { return std::string(n, 'a'); }

}  // namespace

TEST(payload_readme_example_exact_bytes) {
  CHECK_STR(fmt("wio-001", reading(25.5f, 60.2f, 312)),
            "{\"device_id\":\"wio-001\",\"timestamp\":1640995200,\"temperature\":25.5,"
            "\"humidity\":60.2,\"light\":312}");
}

TEST(payload_all_fields_in_schema_order) {
  Measurement m = make_measurement(5, 7, 21.04f, 48.96f, 0);
  m.timestamp = 1700000000u;
  CHECK_STR(fmt("wio-terminal-01", m, true, -61),
            "{\"device_id\":\"wio-terminal-01\",\"timestamp\":1700000000,\"temperature\":21.0,"
            "\"humidity\":49.0,\"light\":0,\"rssi\":-61,\"seq\":7}");
}

TEST(payload_negative_temperatures) {
  CHECK_STR(fmt("d", reading(-12.34f, 50.0f, 1)),
            "{\"device_id\":\"d\",\"timestamp\":1640995200,\"temperature\":-12.3,\"humidity\":50.0,\"light\":1}");
  CHECK_STR(fmt("d", reading(-40.0f, NAN, -1)), "{\"device_id\":\"d\",\"timestamp\":1640995200,\"temperature\":-40.0}");
  CHECK_STR(fmt("d", reading(-0.5f, NAN, -1)), "{\"device_id\":\"d\",\"timestamp\":1640995200,\"temperature\":-0.5}");
  CHECK_STR(fmt("d", reading(-0.06f, NAN, -1)), "{\"device_id\":\"d\",\"timestamp\":1640995200,\"temperature\":-0.1}");
  // -0.04 rounds to zero: printed as 0.0, never -0.0.
  CHECK_STR(fmt("d", reading(-0.04f, NAN, -1)), "{\"device_id\":\"d\",\"timestamp\":1640995200,\"temperature\":0.0}");
  CHECK_STR(fmt("d", reading(-9.96f, NAN, -1)), "{\"device_id\":\"d\",\"timestamp\":1640995200,\"temperature\":-10.0}");
}

TEST(payload_absent_and_failed_sensors_are_omitted_never_null) {
  CHECK_STR(fmt("d", reading(NAN, NAN, -1)), "{\"device_id\":\"d\",\"timestamp\":1640995200}");
  CHECK_STR(fmt("d", reading(INFINITY, -INFINITY, 1024)), "{\"device_id\":\"d\",\"timestamp\":1640995200}");
  CHECK_STR(fmt("d", reading(NAN, 40.0f, -1)), "{\"device_id\":\"d\",\"timestamp\":1640995200,\"humidity\":40.0}");
  CHECK(fmt("d", reading(NAN, NAN, -1)).find("null") == std::string::npos);
}

TEST(payload_out_of_range_values_are_omitted) {
  // Temperature -40..125, humidity 0..100 after rounding to tenths.
  CHECK_STR(fmt("d", reading(-40.04f, 100.04f, 1023)),
            "{\"device_id\":\"d\",\"timestamp\":1640995200,\"temperature\":-40.0,\"humidity\":100.0,\"light\":1023}");
  CHECK_STR(fmt("d", reading(-40.06f, 100.06f, 1024)), "{\"device_id\":\"d\",\"timestamp\":1640995200}");
  CHECK_STR(fmt("d", reading(125.04f, -0.04f, 0)),
            "{\"device_id\":\"d\",\"timestamp\":1640995200,\"temperature\":125.0,\"humidity\":0.0,\"light\":0}");
  CHECK_STR(fmt("d", reading(125.06f, -0.06f, -5)), "{\"device_id\":\"d\",\"timestamp\":1640995200}");
  CHECK_STR(fmt("d", reading(1e30f, -1e30f, 100000)), "{\"device_id\":\"d\",\"timestamp\":1640995200}");
}

TEST(payload_rounding_half_away_from_zero) {
  int16_t t = 0;
  CHECK(quantize_tenths(25.25f, -400, 1250, &t));  // exact binary .25
  CHECK_EQ(t, 253);
  CHECK(quantize_tenths(-25.25f, -400, 1250, &t));
  CHECK_EQ(t, -253);
  CHECK(quantize_tenths(0.05f, -400, 1250, &t));
  CHECK_EQ(t, 1);
  CHECK(quantize_tenths(-0.05f, -400, 1250, &t));
  CHECK_EQ(t, -1);
  CHECK(quantize_tenths(19.949f, -400, 1250, &t));
  CHECK_EQ(t, 199);
  CHECK(quantize_tenths(19.951f, -400, 1250, &t));
  CHECK_EQ(t, 200);
  CHECK(!quantize_tenths(NAN, -400, 1250, &t));
}

TEST(payload_every_tenth_round_trips) {
  // Any value the sensors report as an exact tenth (DHT11 always does) prints as itself.
  for (int32_t k = -400; k <= 1250; ++k) {
    int16_t out = 0;
    float v = static_cast<float>(k) / 10.0f;
    if (!quantize_tenths(v, -400, 1250, &out) || out != k) {
      CHECK_EQ(out, k);
      break;
    }
  }
}

TEST(payload_device_id_limits) {
  std::string id128 = id_of_length(128);
  std::string p = fmt(id128.c_str(), reading(25.5f, 60.2f, 312));
  CHECK(p.find(id128) != std::string::npos);
  PayloadError err = kPayloadOk;
  std::string id129 = id_of_length(129);
  CHECK_STR(fmt(id129.c_str(), reading(25.5f, 60.2f, 312), false, 0, &err), "");
  CHECK_EQ(err, kPayloadBadDeviceId);
  const char* bad[] = {"", "wio/001", "wio+", "wio#", "wio 001", "wio\"x", "wio\\x", "ウィオ", "a.b"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
    CHECK(!is_valid_thing_name(bad[i]));
    CHECK_STR(fmt(bad[i], reading(1, 1, 1), false, 0, &err), "");
    CHECK_EQ(err, kPayloadBadDeviceId);
  }
  CHECK(is_valid_thing_name("AZaz09:_-"));
  CHECK(!is_valid_thing_name(NULL));
}

TEST(payload_longest_possible_fits_buffer) {
  std::string id128 = id_of_length(128);
  Measurement m = make_measurement(0, 4294967295u, -40.0f, 100.0f, 1023);
  m.timestamp = kTimestampMax;
  char buf[kPayloadBufferSize];
  PayloadError err = kPayloadOk;
  size_t n = format_payload(buf, sizeof(buf), id128.c_str(), m, true, -127, &err);
  CHECK_EQ(err, kPayloadOk);
  CHECK_EQ(n, static_cast<size_t>(246));
  CHECK(n < kPayloadBufferSize);
  // One byte short of length + NUL fails cleanly with an empty string.
  char small[246];
  CHECK_EQ(format_payload(small, sizeof(small), id128.c_str(), m, true, -127, &err), static_cast<size_t>(0));
  CHECK_EQ(err, kPayloadBufferTooSmall);
  CHECK_EQ(small[0], '\0');
  char exact[247];
  CHECK_EQ(format_payload(exact, sizeof(exact), id128.c_str(), m, true, -127, &err), static_cast<size_t>(246));
}

TEST(payload_timestamp_window) {
  PayloadError err = kPayloadOk;
  CHECK_STR(fmt("d", reading(NAN, NAN, -1, kTimestampMin)), "{\"device_id\":\"d\",\"timestamp\":1577836800}");
  CHECK_STR(fmt("d", reading(NAN, NAN, -1, kTimestampMax)), "{\"device_id\":\"d\",\"timestamp\":4102444800}");
  CHECK_STR(fmt("d", reading(NAN, NAN, -1, kTimestampMin - 1), false, 0, &err), "");
  CHECK_EQ(err, kPayloadBadTimestamp);
  CHECK_STR(fmt("d", reading(NAN, NAN, -1, 0), false, 0, &err), "");
  CHECK_EQ(err, kPayloadBadTimestamp);
  CHECK_STR(fmt("d", reading(NAN, NAN, -1, kTimestampMax + 1), false, 0, &err), "");
  CHECK_EQ(err, kPayloadBadTimestamp);
}

TEST(payload_rssi_and_seq) {
  Measurement m = reading(NAN, NAN, -1);
  CHECK_STR(fmt("d", m, true, -127), "{\"device_id\":\"d\",\"timestamp\":1640995200,\"rssi\":-127}");
  CHECK_STR(fmt("d", m, true, 0), "{\"device_id\":\"d\",\"timestamp\":1640995200,\"rssi\":0}");
  CHECK_STR(fmt("d", m, true, -128), "{\"device_id\":\"d\",\"timestamp\":1640995200}");
  CHECK_STR(fmt("d", m, true, 5), "{\"device_id\":\"d\",\"timestamp\":1640995200}");
  CHECK_STR(fmt("d", m, false, -50), "{\"device_id\":\"d\",\"timestamp\":1640995200}");
  m.flags |= kHasSeq;
  m.seq = 4294967295u;
  CHECK_STR(fmt("d", m), "{\"device_id\":\"d\",\"timestamp\":1640995200,\"seq\":4294967295}");
}

TEST(topic_building) {
  char buf[kTopicBufferSize];
  CHECK(build_topic(buf, sizeof(buf), "wio-001"));
  CHECK_STR(buf, "device/wio-001/data");
  std::string id128 = id_of_length(128);
  CHECK(build_topic(buf, sizeof(buf), id128.c_str()));
  CHECK_EQ(strlen(buf), static_cast<size_t>(7 + 128 + 5));
  CHECK(!build_topic(buf, sizeof(buf), "a/b"));
  CHECK_STR(buf, "");
  CHECK(!build_topic(buf, sizeof(buf), "+"));
  char small[10];
  CHECK(!build_topic(small, sizeof(small), "wio-001"));
  CHECK_STR(small, "");
}

TEST(measurement_is_20_bytes) {
  // The offline buffer's RAM cost in the README and the closing note rests on this.
  CHECK_EQ(sizeof(Measurement), static_cast<size_t>(20));
}

TEST(text_writer_numbers) {
  char buf[32];
  { TextWriter w(buf, sizeof(buf)); w.i32(-2147483647 - 1); CHECK_STR(buf, "-2147483648"); }
  { TextWriter w(buf, sizeof(buf)); w.u32(4294967295u); CHECK_STR(buf, "4294967295"); }
  { TextWriter w(buf, sizeof(buf)); w.tenths(-2147483647 - 1); CHECK_STR(buf, "-214748364.8"); }
  { TextWriter w(buf, sizeof(buf)); w.tenths(0).put(' ').tenths(7).put(' ').tenths(-7); CHECK_STR(buf, "0.0 0.7 -0.7"); }
  { TextWriter w(buf, 4); w.str("abcdef"); CHECK(!w.ok()); CHECK_STR(buf, "abc"); }
  { TextWriter w(buf, sizeof(buf)); w.u32_padded(5, 2).put(':').u32_padded(0, 2).put(':').u32_padded(2024, 4);
    CHECK_STR(buf, "05:00:2024"); }
}

TEST(text_civil_time) {
  char buf[32];
  { TextWriter w(buf, sizeof(buf)); write_datetime(w, 1640995200u, 0); CHECK_STR(buf, "2022-01-01 00:00:00"); }
  { TextWriter w(buf, sizeof(buf)); write_datetime(w, 1640995200u, 9 * 3600); CHECK_STR(buf, "2022-01-01 09:00:00"); }
  { TextWriter w(buf, sizeof(buf)); write_datetime(w, 1640995200u, -1); CHECK_STR(buf, "2021-12-31 23:59:59"); }
  { TextWriter w(buf, sizeof(buf)); write_datetime(w, 1709164800u, 0); CHECK_STR(buf, "2024-02-29 00:00:00"); }
  { TextWriter w(buf, sizeof(buf)); write_datetime(w, 4102444800u, 0); CHECK_STR(buf, "2100-01-01 00:00:00"); }
  { TextWriter w(buf, sizeof(buf)); write_datetime(w, 4294967295u, 0); CHECK_STR(buf, "2106-02-07 06:28:15"); }
  { TextWriter w(buf, sizeof(buf)); write_clock(w, 1700000000u, 9 * 3600); CHECK_STR(buf, "07:13:20"); }
}
