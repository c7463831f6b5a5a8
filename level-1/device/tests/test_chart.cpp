// The chart model: history wraparound, autoscale, gaps, field switching, point placement.
#include <math.h>

#include "fakes/framebuffer.h"
#include "harness.h"
#include "wio.h"

using namespace wio;

namespace {

Measurement reading(uint32_t seq, float t, float h, int32_t light) {
  return make_measurement(seq * 60000u, seq, t, h, light);
}

template <size_t N>
ChartHistory<N> temperatures(const float* t, size_t n) {
  ChartHistory<N> h;
  for (size_t i = 0; i < n; ++i) h.add(reading(static_cast<uint32_t>(i), t[i], 50.0f, 300));
  return h;
}

}  // namespace

TEST(chart_history_keeps_the_newest_and_wraps) {
  ChartHistory<4> h;
  CHECK_EQ(h.size(), static_cast<size_t>(0));
  for (uint32_t i = 0; i < 10; ++i) h.add(reading(i, 20.0f + static_cast<float>(i), 50.0f, static_cast<int32_t>(i)));
  CHECK_EQ(h.size(), static_cast<size_t>(4));
  CHECK_EQ(h.revision(), 10u);
  for (size_t i = 0; i < 4; ++i) {
    int32_t v = 0;
    CHECK(chart_value(h.at(i), kChartTemperature, &v));
    CHECK_EQ(v, static_cast<int32_t>(260 + 10 * i));  // 26.0 .. 29.0, oldest first
    CHECK(chart_value(h.at(i), kChartLight, &v));
    CHECK_EQ(v, static_cast<int32_t>(6 + i));
  }
}

TEST(chart_missing_values_are_not_values) {
  ChartHistory<8> h;
  h.add(reading(0, NAN, 40.0f, 100));      // sensor failed
  h.add(reading(1, 200.0f, NAN, -1));      // out of range temperature, no light
  int32_t v = 0;
  CHECK(!chart_value(h.at(0), kChartTemperature, &v));
  CHECK(chart_value(h.at(0), kChartHumidity, &v));
  CHECK_EQ(v, 400);
  CHECK(!chart_value(h.at(1), kChartTemperature, &v));
  CHECK(!chart_value(h.at(1), kChartHumidity, &v));
  CHECK(!chart_value(h.at(1), kChartLight, &v));
  CHECK(!autoscale(h, kChartTemperature).valid);
  CHECK(autoscale(h, kChartLight).valid);
}

TEST(chart_autoscale_min_span_and_steps) {
  // A flat 24.3 degC: at least 2.0 degC shown, centred, ends on 0.5 degC.
  const float flat[] = {24.3f, 24.3f, 24.3f};
  ChartScale s = autoscale(temperatures<8>(flat, 3), kChartTemperature);
  CHECK(s.valid);
  CHECK_EQ(s.lo, 230);
  CHECK_EQ(s.hi, 255);
  // A wide range is covered and rounded outward.
  const float wide[] = {18.2f, 25.0f, 31.7f};
  s = autoscale(temperatures<8>(wide, 3), kChartTemperature);
  CHECK_EQ(s.lo, 180);
  CHECK_EQ(s.hi, 320);
  // Below zero rounds toward minus infinity.
  const float cold[] = {-3.2f, -1.1f};
  s = autoscale(temperatures<8>(cold, 2), kChartTemperature);
  CHECK_EQ(s.lo, -35);
  CHECK_EQ(s.hi, -10);
  // Humidity near 100 % is shifted down, not cut: 96.5..101.5 rounds out to 96..102, then
  // moves to 94..100.
  ChartHistory<8> h;
  h.add(reading(0, 20.0f, 99.0f, 0));
  s = autoscale(h, kChartHumidity);
  CHECK_EQ(s.hi, kHumidityMaxTenths);
  CHECK_EQ(s.lo, kHumidityMaxTenths - 60);
  // Light at 0 is shifted up to the floor.
  s = autoscale(h, kChartLight);
  CHECK_EQ(s.lo, kLightMin);
  CHECK_EQ(s.hi, 20);
  // Light near the top stays inside the schema's 0..1023.
  ChartHistory<8> bright;
  bright.add(reading(0, 20.0f, 50.0f, 1020));
  s = autoscale(bright, kChartLight);
  CHECK_EQ(s.hi, kLightMax);
  CHECK(s.hi - s.lo >= 20);
}

TEST(chart_autoscale_ignores_gaps_and_only_old_values_leave) {
  ChartHistory<3> h;
  h.add(reading(0, 40.0f, 50.0f, 0));  // will be pushed out
  h.add(reading(1, NAN, 50.0f, 0));
  h.add(reading(2, 21.0f, 50.0f, 0));
  CHECK_EQ(autoscale(h, kChartTemperature).hi, 400);
  h.add(reading(3, 22.0f, 50.0f, 0));
  ChartScale s = autoscale(h, kChartTemperature);
  CHECK_EQ(s.lo, 205);
  CHECK_EQ(s.hi, 225);
}

TEST(chart_field_switching_cycles) {
  CHECK_EQ(next_chart_field(kChartTemperature), kChartHumidity);
  CHECK_EQ(next_chart_field(kChartHumidity), kChartLight);
  CHECK_EQ(next_chart_field(kChartLight), kChartTemperature);
  CHECK_EQ(previous_chart_field(kChartTemperature), kChartLight);
  CHECK_EQ(previous_chart_field(kChartLight), kChartHumidity);
  CHECK_STR(chart_field_title(kChartHumidity), "Humidity %");
}

TEST(chart_points_map_to_the_plot_edges) {
  ChartArea a = {0, 100, 320, 100};
  ChartView<60> v(a);
  CHECK_EQ(v.slot_x(0), a.plot_left());
  CHECK_EQ(v.slot_x(59), a.plot_right());
  ChartScale s = {true, 200, 300};
  CHECK_EQ(v.value_row(300, s), 0);  // top
  CHECK_EQ(static_cast<int>(v.value_row(200, s)), a.plot_bottom() - a.plot_top());
  CHECK_EQ(static_cast<int>(v.value_row(250, s)), (a.plot_bottom() - a.plot_top() + 1) / 2);
}

TEST(chart_render_draws_gaps_and_only_when_something_changed) {
  ChartArea a = {0, 100, 320, 100};
  ChartView<10> v(a);
  ChartHistory<10> h;
  Framebuffer fb;
  CHECK(v.render(fb, h, kChartTemperature, 60));  // empty: frame and "no reading yet"
  int plotted = 0;
  for (int y = a.plot_top(); y <= a.plot_bottom(); ++y)
    for (int x = a.plot_left(); x <= a.plot_right(); ++x) plotted += fb.at(x, y) == kOrange;
  CHECK_EQ(plotted, 0);
  for (uint32_t i = 0; i < 10; ++i) h.add(reading(i, i == 4 || i == 5 ? NAN : 22.0f, 50.0f, 300));
  fb.reset_calls();
  CHECK(v.render(fb, h, kChartTemperature, 60));
  CHECK(fb.calls() > 0);
  fb.reset_calls();
  CHECK(!v.render(fb, h, kChartTemperature, 60));  // nothing new: no drawing at all
  CHECK_EQ(fb.calls(), 0);
  // The line is broken between slots 3 and 6: no orange pixel strictly between them.
  int x3 = v.slot_x(3), x6 = v.slot_x(6);
  int orange_in_gap = 0, orange_elsewhere = 0;
  for (int y = a.plot_top(); y <= a.plot_bottom(); ++y) {
    for (int x = a.plot_left(); x <= a.plot_right(); ++x) {
      if (fb.at(x, y) != kOrange) continue;
      if (x > x3 && x < x6) ++orange_in_gap; else ++orange_elsewhere;
    }
  }
  CHECK_EQ(orange_in_gap, 0);
  CHECK(orange_elsewhere > 0);
}

TEST(chart_incremental_update_equals_a_full_redraw) {
  ChartArea a = {0, 100, 320, 100};
  ChartView<60> incremental(a);
  ChartHistory<60> h;
  Framebuffer fb;
  for (uint32_t i = 0; i < 75; ++i) {
    // Noise inside one scale, some gaps and isolated points: wraps past 60.
    float t = (i % 7 == 3 || i % 11 == 0) ? NAN : 23.0f + static_cast<float>((i * 37) % 9) / 10.0f;
    h.add(reading(i, t, 50.0f, 300));
    incremental.render(fb, h, kChartTemperature, 60);
    if (i < 5 || i % 10 != 0) continue;
    ChartView<60> fresh(a);
    Framebuffer full;
    fresh.render(full, h, kChartTemperature, 60);
    int diff = 0;
    for (int y = a.y; y < a.y + a.h; ++y)
      for (int x = a.x; x < a.x + a.w; ++x) diff += fb.at(x, y) != full.at(x, y);
    CHECK_EQ(diff, 0);
  }
}
