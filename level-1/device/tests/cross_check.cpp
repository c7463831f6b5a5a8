// Compiled (not run) for the Wio Terminal's CPU by `make cross`: instantiates every template
// and calls every function of the portable core, so arm-none-eabi-g++ -Wall -Wextra -Werror
// sees all of its code with the board's types (32-bit long, single-precision FPU).
#include "wio.h"

template class wio::RingBuffer<wio::Measurement, 512>;
template class wio::Outbox<512>;
template class wio::ChartHistory<60>;
template class wio::ChartView<60>;
template class wio::ScreenView<60>;

namespace {

class NullPublisher : public wio::Publisher {
 public:
  bool publish(const char* topic, const char* payload, size_t length) {
    return topic != 0 && payload != 0 && length > 0;
  }
};

// Stands in for the TFT: the renderers only see the Canvas interface.
class NullCanvas : public wio::Canvas {
 public:
  NullCanvas() : sum_(0) {}
  void fill_rect(int x, int y, int w, int h, uint16_t colour) { sum_ += static_cast<uint32_t>(x + y + w + h) + colour; }
  void draw_pixel(int x, int y, uint16_t colour) { sum_ += static_cast<uint32_t>(x + y) + colour; }
  void draw_line(int x0, int y0, int x1, int y1, uint16_t colour) {
    sum_ += static_cast<uint32_t>(x0 + y0 + x1 + y1) + colour;
  }
  void draw_text(int x, int y, const char* text, int size, uint16_t fg, uint16_t bg) {
    sum_ += static_cast<uint32_t>(x + y + size + text[0]) + fg + bg;
  }
  uint32_t sum() const { return sum_; }

 private:
  uint32_t sum_;
};

}  // namespace

wio::Outbox<512> g_outbox;
wio::ChartHistory<60> g_history;
wio::ScreenView<60> g_view;
wio::AlertMonitor g_alerts;
volatile uint32_t g_sink;

extern "C" uint32_t wio_cross_check(uint32_t now_ms, float t, float h, int32_t light) {
  wio::Clock clock;
  uint8_t pkt[wio::kNtpPacketSize];
  wio::ntp_build_request(pkt, now_ms, now_ms ^ 0x5A5A5A5Au);
  wio::NtpTime nt = {0, 0, 0};
  if (wio::ntp_parse_response(pkt, sizeof(pkt), now_ms, 0, &nt) == wio::kNtpOk) {
    clock.set(nt.unix_seconds, nt.millis, now_ms);
  }
  clock.tick(now_ms);

  wio::Measurement m = wio::make_measurement(now_ms, 1, t, h, light);
  g_outbox.add(m, clock, now_ms);
  g_outbox.stamp_pending(clock, now_ms);
  NullPublisher pub;
  char topic[wio::kTopicBufferSize];
  wio::build_topic(topic, sizeof(topic), "wio-001");
  wio::FlushResult r = g_outbox.flush(pub, topic, "wio-001", true, -60, 5);

  wio::Backoff backoff(2000, 60000);
  wio::XorShift32 rng(wio::mix_seed(now_ms, light));
  uint32_t d = backoff.next_delay_ms(rng.next());

  wio::ReadingScheduler sched(60000);
  sched.start(now_ms);
  if (sched.due(now_ms)) sched.mark_taken(now_ms);
  wio::Periodic periodic(500);

  wio::Link link(wio::default_link_timings());
  wio::LinkAction a = link.poll(now_ms, true, false, clock.valid());
  link.wifi_result(true, now_ms, rng.next());
  link.time_result(true, now_ms, rng.next());
  link.mqtt_result(false, now_ms, rng.next());
  link.mqtt_lost(now_ms, rng.next());
  link.wifi_lost(now_ms);

  uint8_t frame[7] = {0x1C, 1, 2, 3, 4, 5, 0};
  frame[6] = wio::crc8_31(frame, 6);
  wio::ClimateReading c = {t, h};
  wio::aht20_decode(frame, &c);
  wio::sht4x_decode(frame, &c);
  uint16_t lo[wio::kDht11Bits], hi[wio::kDht11Bits];
  for (size_t i = 0; i < wio::kDht11Bits; ++i) {
    lo[i] = 50;
    hi[i] = static_cast<uint16_t>(i % 3 == 0 ? 70 : 27);
  }
  uint8_t bytes[5];
  if (wio::dht11_bits_to_bytes(lo, hi, bytes)) wio::dht11_decode(bytes, &c);
  wio::SimulatedClimate sim(now_ms);
  c = sim.read(now_ms % 86400u);

  wio::StatusModel s;
  s.thing_name = "wio-001";
  s.sensor_name = "DHT11";
  s.phase = link.phase();
  s.wifi_connecting = false;
  s.mqtt_connecting = false;
  s.retry_in_s = link.retry_in_s(now_ms);
  s.has_rssi = true;
  s.rssi = -60;
  s.time_valid = clock.valid();
  s.epoch_now = clock.valid() ? clock.now(now_ms) : 0;
  s.utc_offset_s = 32400;
  s.has_reading = true;
  s.last_reading = m;
  s.publish_state = wio::kPublishOk;
  s.last_publish_epoch = r.last_timestamp;
  s.last_error = 0;
  s.sent_total = r.sent;
  s.buffered = static_cast<uint32_t>(g_outbox.size());
  s.capacity = static_cast<uint32_t>(g_outbox.capacity());
  s.dropped = g_outbox.dropped_full();
  s.uptime_s = now_ms / 1000u;
  wio::StatusLines lines;
  wio::render_status(s, lines);

  g_history.add(m);
  wio::ScreenModel sm;
  sm.status = s;
  sm.field = wio::next_chart_field(wio::previous_chart_field(wio::kChartHumidity));
  sm.interval_s = 60;
  static const char kAlert[] =
      "{\"id\":\"a1b2c3d4\",\"ts\":1764640000,\"kind\":\"jump\",\"field\":\"temperature\",\"value\":35.2}";
  wio::AlertEvent ev = g_alerts.receive(kAlert, sizeof(kAlert) - 1);
  if (ev == wio::kAlertEventNew) g_alerts.acknowledge();
  sm.alert_showing = g_alerts.showing();
  sm.alert = g_alerts.current();
  sm.zone = "JST";
  sm.bad_alerts = g_alerts.bad_count();
  wio::SubscribeGate gate(3600000u);
  if (gate.should_subscribe(now_ms)) gate.refused(now_ms);
  sm.alerts_refused = gate.refused();
  NullCanvas canvas;
  int drawn = g_view.render(canvas, sm, g_history);
  wio::render_message(canvas, "Starting...", 0, wio::kWhite);
  char alert_topic[wio::kTopicBufferSize];
  wio::build_alert_topic(alert_topic, sizeof(alert_topic), "wio-001");
  wio::DebouncedButton button;
  wio::OneShotTimer beep(150);
  beep.start(now_ms);

  g_sink = d + static_cast<uint32_t>(a) + canvas.sum() + static_cast<uint32_t>(drawn) +
           static_cast<uint32_t>(button.pressed(true, now_ms)) + static_cast<uint32_t>(beep.expired(now_ms)) +
           static_cast<uint32_t>(alert_topic[0]) + static_cast<uint32_t>(wio::alert_parse_name(g_alerts.last_error())[0]) + static_cast<uint32_t>(lines[3][0]) +
           static_cast<uint32_t>(periodic.fire(now_ms)) + static_cast<uint32_t>(c.temperature_c) +
           sched.ms_until_due(now_ms) + static_cast<uint32_t>(wio::ntp_error_name(wio::kNtpOk)[0]) +
           static_cast<uint32_t>(wio::payload_error_name(wio::kPayloadOk)[0]);
  return g_sink;
}
