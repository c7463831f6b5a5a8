// Whole screens rendered into the RGB565 framebuffer fake and compared, pixel for pixel, with
// the committed reference images in tests/reference/. After a deliberate change of the
// layout, regenerate them with `make -C level-1/device update-reference` and review the diff.
// A mismatch writes the actual image to build/screens/ for a look.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <string>

#include "fakes/framebuffer.h"
#include "harness.h"
#include "wio.h"

#ifndef WIO_REFERENCE_DIR
#define WIO_REFERENCE_DIR "tests/reference"
#endif
#ifndef WIO_ACTUAL_DIR
#define WIO_ACTUAL_DIR "build/screens"
#endif

using namespace wio;

namespace {

const size_t kPoints = 60;
typedef ScreenView<kPoints> View;

// A triangle wave, integer only, so every host draws the same curve.
int32_t wave(uint32_t i, int32_t amplitude, uint32_t period) {
  int32_t p = static_cast<int32_t>(i % period), half = static_cast<int32_t>(period / 2);
  int32_t up = p < half ? p : static_cast<int32_t>(period) - p;
  return (2 * amplitude * up) / half - amplitude;
}

ScreenModel base_model() {
  ScreenModel m;
  StatusModel& s = m.status;
  s.thing_name = "wio-terminal-01";
  s.sensor_name = "DHT20";
  s.phase = kPhaseOnline;
  s.wifi_connecting = false;
  s.mqtt_connecting = false;
  s.retry_in_s = 0;
  s.has_rssi = true;
  s.rssi = -58;
  s.time_valid = true;
  s.epoch_now = 1764640000u;  // 2025-12-02 10:46:40 JST
  s.utc_offset_s = 32400;
  s.has_reading = true;
  s.last_reading = make_measurement(0, 59, 23.9f, 48.5f, 312);
  s.publish_state = kPublishOk;
  s.last_publish_epoch = 1764639995u;
  s.last_error = 0;
  s.sent_total = 60;
  s.buffered = 0;
  s.capacity = 512;
  s.dropped = 0;
  s.uptime_s = 3725;
  m.field = kChartTemperature;
  m.interval_s = 60;
  m.alert_showing = false;
  m.zone = "JST";
  m.bad_alerts = 0;
  m.alerts_refused = false;
  m.alert.id[0] = '\0';
  m.alert.ts = 0;
  m.alert.kind = kAlertDeviation;
  m.alert.field = -1;
  m.alert.has_value = m.alert.has_expected = false;
  m.alert.value_tenths = m.alert.expected_tenths = 0;
  return m;
}

// An hour of readings: temperature and humidity drift, light steps; sensor failed for
// readings 30..36 and 40 (humidity and temperature gaps, one isolated point at 38/39).
ChartHistory<kPoints> hour_of_readings(bool with_gaps) {
  ChartHistory<kPoints> h;
  for (uint32_t i = 0; i < kPoints; ++i) {
    bool failed = with_gaps && ((i >= 30 && i <= 36) || i == 38 || i == 40);
    float t = failed ? NAN : static_cast<float>(235 + wave(i, 12, 40) + static_cast<int32_t>(i % 3)) / 10.0f;
    float hum = failed ? NAN : static_cast<float>(500 - wave(i, 30, 50)) / 10.0f;
    int32_t light = i < 20 ? 310 + static_cast<int32_t>(i % 4) : i < 45 ? 120 : 640 - static_cast<int32_t>(i % 5);
    h.add(make_measurement(i * 60000u, i, t, hum, light));
  }
  return h;
}

void check_reference(const char* name, const Framebuffer& fb) {
  std::string file = std::string(WIO_REFERENCE_DIR) + "/" + name + ".png";
  std::string actual = png::encode(fb.pixels(), Framebuffer::kW, Framebuffer::kH);
  CHECK(!actual.empty());
  if (getenv("WIO_UPDATE_REFERENCE") != NULL) {
    CHECK(png::write_file(file, actual));
    printf("  wrote %s\n", file.c_str());
    return;
  }
  std::string stored;
  if (!png::read_file(file, &stored)) {
    harness::fail(__FILE__, __LINE__, file + " is missing: run `make -C level-1/device update-reference`");
    return;
  }
  std::vector<uint16_t> want;
  int w = 0, h = 0;
  std::string why;
  if (!png::decode(stored, &want, &w, &h, &why)) {
    harness::fail(__FILE__, __LINE__, file + ": " + why);
    return;
  }
  CHECK_EQ(w, Framebuffer::kW);
  CHECK_EQ(h, Framebuffer::kH);
  if (w != Framebuffer::kW || h != Framebuffer::kH) return;
  int differ = 0, first = -1;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == fb.pixels()[i]) continue;
    if (first < 0) first = static_cast<int>(i);
    ++differ;
  }
  if (differ != 0) {
    mkdir(WIO_ACTUAL_DIR, 0755);
    std::string out = std::string(WIO_ACTUAL_DIR) + "/" + name + ".png";
    png::write_file(out, actual);
    harness::fail(__FILE__, __LINE__,
                  file + ": " + harness::show(differ) + " pixels differ, first at x=" +
                      harness::show(first % Framebuffer::kW) + " y=" + harness::show(first / Framebuffer::kW) +
                      "; actual image: " + out);
  }
}

int differing_pixels(const Framebuffer& a, const Framebuffer& b) {
  int n = 0;
  for (size_t i = 0; i < a.pixels().size(); ++i) n += a.pixels()[i] != b.pixels()[i];
  return n;
}

}  // namespace

TEST(screen_reference_temperature_online) {
  Framebuffer fb;
  View view;
  view.render(fb, base_model(), hour_of_readings(false));
  check_reference("screen_temperature_online", fb);
}

TEST(screen_reference_humidity_with_gaps_offline) {
  ScreenModel m = base_model();
  m.field = kChartHumidity;
  m.status.phase = kPhaseWifiDown;
  m.status.has_rssi = false;
  m.status.retry_in_s = 12;
  m.status.publish_state = kPublishFailed;
  m.status.last_error = -4;
  m.status.buffered = 12;
  m.status.last_reading = make_measurement(0, 59, NAN, NAN, 636);
  m.bad_alerts = 2;
  Framebuffer fb;
  View view;
  view.render(fb, m, hour_of_readings(true));
  check_reference("screen_humidity_gaps_offline", fb);
}

TEST(screen_reference_alert_banner) {
  ScreenModel m = base_model();
  m.field = kChartLight;
  const char* json =
      "{\"id\":\"a1b2c3d4\",\"ts\":1764640000,\"kind\":\"jump\",\"field\":\"temperature\",\"value\":35.2,\"expected\":24.1}";
  CHECK_EQ(parse_alert(json, strlen(json), &m.alert), kAlertParsed);
  m.alert_showing = true;
  Framebuffer fb;
  View view;
  view.render(fb, m, hour_of_readings(false));
  check_reference("screen_alert_banner", fb);
  CHECK(fb.at(2, kBannerTop + 1) == kRed);
}

TEST(screen_redraws_only_what_changed) {
  ScreenModel m = base_model();
  ChartHistory<kPoints> h = hour_of_readings(false);
  Framebuffer fb;
  View view;
  CHECK(view.render(fb, m, h) > 0);
  fb.reset_calls();
  CHECK_EQ(view.render(fb, m, h), 0);  // nothing changed: not one draw call
  CHECK_EQ(fb.calls(), 0);
  m.status.epoch_now += 1;  // the clock line only
  fb.reset_calls();
  CHECK_EQ(view.render(fb, m, h), 1);
  CHECK(fb.calls() <= 2);
}

TEST(screen_incremental_updates_equal_a_fresh_render) {
  ScreenModel m = base_model();
  ChartHistory<kPoints> h = hour_of_readings(true);
  Framebuffer fb;
  View view;
  view.render(fb, m, h);
  // A new reading, a longer then shorter status text, an alert shown then acknowledged,
  // a field switch: after each step the screen equals a from-scratch render.
  for (int step = 0; step < 6; ++step) {
    switch (step) {
      case 0: h.add(make_measurement(0, 60, 24.0f, 47.0f, 640)); break;
      case 1: m.status.phase = kPhaseMqttDown; m.status.retry_in_s = 128; break;
      case 2: m.status.phase = kPhaseOnline; m.status.sent_total = 7; break;
      case 3: {
        const char* json = "{\"id\":\"b\",\"ts\":1764640000,\"kind\":\"silent\"}";
        parse_alert(json, strlen(json), &m.alert);
        m.alert_showing = true;
        break;
      }
      case 4: m.alert_showing = false; m.bad_alerts = 1; break;
      case 5: m.field = kChartLight; break;
    }
    view.render(fb, m, h);
    Framebuffer fresh;
    View fresh_view;
    fresh_view.render(fresh, m, h);
    if (differing_pixels(fb, fresh) != 0) {
      harness::fail(__FILE__, __LINE__, "step " + harness::show(step) + ": " +
                                            harness::show(differing_pixels(fb, fresh)) + " pixels differ");
    }
  }
}

TEST(screen_message_and_invalidate) {
  Framebuffer fb;
  render_message(fb, "Starting...", NULL, kWhite);
  CHECK(fb.at(0, 0) == kNavy);
  View view;
  ScreenModel m = base_model();
  ChartHistory<kPoints> h = hour_of_readings(false);
  view.render(fb, m, h);
  render_message(fb, "Bad SECRET_THING_NAME", "see README", kRed);
  view.invalidate();
  view.render(fb, m, h);
  Framebuffer fresh;
  View fresh_view;
  fresh_view.render(fresh, m, h);
  CHECK_EQ(differing_pixels(fb, fresh), 0);
}

TEST(screen_png_round_trip) {
  Framebuffer fb;
  fb.fill_rect(10, 10, 30, 20, 0x1234);
  fb.draw_line(0, 239, 319, 0, 0xABCD);
  std::string bytes = png::encode(fb.pixels(), Framebuffer::kW, Framebuffer::kH);
  std::vector<uint16_t> back;
  int w = 0, h = 0;
  std::string why;
  CHECK(png::decode(bytes, &back, &w, &h, &why));
  CHECK(back == fb.pixels());
  bytes[40] ^= 1;  // damage: the CRC catches it
  CHECK(!png::decode(bytes, &back, &w, &h, &why));
}

TEST(screen_ram_budget) {
  // 8 bytes per chart point; the board's exact sizes are printed by `make cross` (nm -S).
  CHECK_EQ(sizeof(ChartSample), static_cast<size_t>(8));
  CHECK(sizeof(ChartHistory<kPoints>) <= kPoints * 8u + 40u);
  CHECK(sizeof(ChartView<kPoints>) <= kPoints + 64u);
  CHECK(sizeof(AlertMonitor) <= 96u);
  printf("  note: host sizes: ChartHistory<60> %u, ScreenView<60> %u, AlertMonitor %u bytes\n",
         static_cast<unsigned>(sizeof(ChartHistory<kPoints>)), static_cast<unsigned>(sizeof(View)),
         static_cast<unsigned>(sizeof(AlertMonitor)));
}
