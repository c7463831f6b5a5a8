// wio-terminal-aws-connect: Wio Terminal -> AWS IoT Core (MQTT over mutual TLS, QoS 1).
//
// Every WIO_PUBLISH_INTERVAL_S seconds (config.h) the sketch reads the Grove temperature /
// humidity sensor and the built-in light sensor and publishes one JSON message to
// device/<thing>/data, in the format of level-1/schema/sensor-payload.schema.json.
//
// What it guarantees:
//   * No fake timestamps: nothing is published before SNTP has set the clock; readings taken
//     earlier wait in the buffer and are stamped from the millis() counter at the first sync.
//   * Nothing lost to a short outage: readings wait in a RAM ring buffer (WIO_BUFFER_CAPACITY,
//     20 bytes each) and are published in order after the reconnect; when it is full the
//     oldest is dropped and counted. A reading leaves the buffer only after its PUBACK.
//   * No hang: Wi-Fi, NTP and MQTT reconnect on their own exponential backoff with jitter
//     while the loop keeps running, and a watchdog resets the board if the loop stops.
//
// The screen shows the link, the last reading and a chart of the last WIO_CHART_POINTS
// readings (buttons B/C switch the field). Alerts from the anomaly detector arrive on
// device/<thing>/alerts (subscribed after every connect): a new one shows a red banner and
// beeps once, until the 5-way switch is pressed.
//
// Libraries (versions in level-1/device/README.md): Seeed Arduino rpcWiFi and its
// dependencies, MQTT by Joel Gaehwiler (256dpi/arduino-mqtt). TFT_eSPI ships with the
// Seeed SAMD board package. The logic lives in src/wio/ (plain C++, host-tested); this
// file only wires the hardware to it.

#include <Arduino.h>
#include <MQTT.h>
#include <TFT_eSPI.h>
#include <WiFiClientSecure.h>
#include <Wire.h>
#include <rpcWiFi.h>

#include "arduino_secrets.h"
#include "config.h"
#include "hw_display.h"
#include "hw_ntp.h"
#include "hw_sensors.h"
#include "hw_watchdog.h"
#include "src/wio/wio.h"

#if WIO_PUBLISH_INTERVAL_S < 2
#error "WIO_PUBLISH_INTERVAL_S must be at least 2 seconds"
#endif

// ------------------------------------------------------------------------------ globals
// Globals live in zero-initialised static storage, which WiFiClientSecure relies on.
static WiFiClientSecure g_net;
// Each buffer holds a whole PUBLISH packet. Write: fixed header (<= 5) + topic (2 + 140) +
// packet id (2) + payload (<= 246) = 395 bytes. Read: an alert, header (<= 5) + topic
// (2 + 142) + packet id (2) + payload (<= 200) = 351 bytes. 512 each leaves headroom; a
// packet larger than the read buffer makes the library drop the connection.
static MQTTClient g_mqtt(512, 512);

static wio::Outbox<WIO_BUFFER_CAPACITY> g_outbox;
static wio::Clock g_clock;
static wio::Link g_link(wio::default_link_timings());
static wio::ReadingScheduler g_scheduler(static_cast<uint32_t>(WIO_PUBLISH_INTERVAL_S) * 1000u);
static wio::Periodic g_screen_timer(500);
static wio::XorShift32 g_rng;

static hw::ClimateSensor g_sensor;
static hw::NtpClient g_ntp;
static hw::Display g_display;

static wio::ChartHistory<WIO_CHART_POINTS> g_history;
static wio::ChartField g_chart_field = wio::kChartTemperature;
static wio::AlertMonitor g_alerts;
static wio::SubscribeGate g_alert_gate(static_cast<uint32_t>(WIO_ALERT_RESUBSCRIBE_S) * 1000u);
static wio::OneShotTimer g_beep(WIO_ALERT_BEEP_MS);
static bool g_alerts_subscribed = false;
static wio::DebouncedButton g_button_a, g_button_b, g_button_c, g_button_press;

static char g_topic[wio::kTopicBufferSize];
static char g_alert_topic[wio::kTopicBufferSize];
static bool g_config_ok = false;
static bool g_sensor_ok = false;
static bool g_wifi_was_up = false;
static bool g_mqtt_was_up = false;
static bool g_net_used = false;
static uint32_t g_seq = 0;
static uint32_t g_sent_total = 0;
static wio::Measurement g_last_reading;
static bool g_has_reading = false;
static wio::PublishState g_publish_state = wio::kPublishNone;
static uint32_t g_last_publish_epoch = 0;
static int32_t g_last_error = 0;
static bool g_wifi_connecting = false;
static bool g_mqtt_connecting = false;

// ------------------------------------------------------------------------------ helpers
static void log_line(const char* tag, const char* text) {
  Serial.print('[');
  Serial.print(tag);
  Serial.print("] ");
  Serial.println(text);
}

static uint32_t uptime_s() { return millis() / 1000u; }

// SAMD51 128-bit serial number (datasheet 9.6) mixed with timer and ADC noise: every board
// gets its own jitter sequence, so a fleet that lost power together does not reconnect in
// lock-step.
static uint32_t entropy_seed() {
  uint32_t h = 0x2545F491u;
  for (int i = 0; i < 4; ++i) h = wio::mix_seed(h, hw::chip_serial_word(i));
  for (int i = 0; i < 8; ++i) h = wio::mix_seed(h, static_cast<uint32_t>(analogRead(WIO_LIGHT)) ^ micros());
  return h;
}

static bool has_placeholder(const char* s) {
  return strstr(s, "YOUR_WIFI_") != NULL || strstr(s, "xxxxxxxxxxxxxx") != NULL ||
         strstr(s, "PASTE-") != NULL;
}

static bool config_error(const char* what, const char* hint) {
  Serial.print("[config] ");
  Serial.print(what);
  Serial.print(": ");
  Serial.println(hint);
  g_display.message(what, hint, TFT_RED);
  return false;
}

// Refuses to dial out with the example file's placeholders; says what to do instead.
static bool check_config() {
  if (has_placeholder(SECRET_WIFI_SSID) || has_placeholder(SECRET_WIFI_PASSWORD)) {
    return config_error("Wi-Fi SSID/password unset", "run wio-provision (README)");
  }
  if (has_placeholder(SECRET_AWS_IOT_ENDPOINT) || has_placeholder(SECRET_DEVICE_CERT) ||
      has_placeholder(SECRET_DEVICE_PRIVATE_KEY)) {
    return config_error("No device certificate", "run wio-provision (README)");
  }
  if (!wio::build_topic(g_topic, sizeof(g_topic), SECRET_THING_NAME) ||
      !wio::build_alert_topic(g_alert_topic, sizeof(g_alert_topic), SECRET_THING_NAME)) {
    return config_error("Bad SECRET_THING_NAME", "1-128 of a-z A-Z 0-9 : _ -");
  }
  return true;
}

// ------------------------------------------------------------------------------ MQTT publish
// The outbox's view of the client: one QoS 1 publish that is true only after the PUBACK.
class MqttPublisher : public wio::Publisher {
 public:
  bool publish(const char* topic, const char* payload, size_t length) {
    bool ok = g_mqtt.publish(topic, payload, static_cast<int>(length), false, 1);
    Serial.print(ok ? "[pub] ok " : "[pub] FAILED ");
    Serial.print(topic);
    Serial.print(' ');
    Serial.println(payload);
    if (!ok) {
      g_last_error = static_cast<int32_t>(g_mqtt.lastError());
      Serial.print("[pub] error ");
      Serial.print(g_last_error);
      Serial.println(": kept in the buffer, resent in order after the reconnect");
    }
    return ok;
  }
};
static MqttPublisher g_publisher;

// ------------------------------------------------------------------------------ alerts
// Runs inside g_mqtt.loop(), or inside subscribe()/publish() while they wait for an ack, so
// it only updates state and never calls the client. The parser takes the length, so it does
// not rely on the library's NUL after the payload.
static void on_mqtt_message(MQTTClient* client, char topic[], char bytes[], int length) {
  (void)client;
  if (strcmp(topic, g_alert_topic) != 0 || length < 0) {
    Serial.print("[alert] ignored a message on ");
    Serial.println(topic);
    return;
  }
  wio::AlertEvent ev = g_alerts.receive(bytes, static_cast<size_t>(length));
  const wio::Alert& a = g_alerts.current();
  switch (ev) {
    case wio::kAlertEventNew:
      analogWrite(WIO_BUZZER, 128);  // PWM on the buzzer; the loop stops it (non-blocking)
      g_beep.start(millis());
      Serial.print("[alert] new ");
      Serial.print(a.id);
      Serial.print(' ');
      Serial.print(wio::alert_kind_name(a.kind));
      Serial.print(' ');
      Serial.println(a.field >= 0 ? wio::kPayloadFieldNames[a.field] : "-");
      break;
    case wio::kAlertEventRepeat:
      Serial.print("[alert] already seen ");
      Serial.println(a.id);
      break;
    case wio::kAlertEventCleared:
      log_line("alert", "cleared (empty payload)");
      break;
    case wio::kAlertEventBad:
      Serial.print("[alert] bad alert ignored (");
      Serial.print(wio::alert_parse_name(g_alerts.last_error()));
      Serial.print("), ");
      Serial.print(g_alerts.bad_count());
      Serial.println(" so far");
      break;
  }
}

// QoS 1, so a live alert published while we are connected is not lost; the retained one
// arrives right after the SUBACK.
static void subscribe_alerts(uint32_t now) {
  if (g_alerts_subscribed || !g_alert_gate.should_subscribe(now)) return;
  hw::watchdog_kick();
  if (g_mqtt.subscribe(g_alert_topic, 1)) {
    g_alerts_subscribed = true;
    g_alert_gate.accepted();
    Serial.print("[mqtt] subscribed to ");
    Serial.println(g_alert_topic);
  } else {
    g_alert_gate.refused(now);
    g_last_error = static_cast<int32_t>(g_mqtt.lastError());
    Serial.print("[mqtt] SUBSCRIBE ");
    Serial.print(g_alert_topic);
    Serial.print(" failed: error ");
    Serial.print(g_last_error);
    Serial.print("; publishing continues, retry in ");
    Serial.print(static_cast<unsigned>(WIO_ALERT_RESUBSCRIBE_S));
    Serial.println(" s (does the policy allow Subscribe/Receive on it?)");
  }
}

// ------------------------------------------------------------------------------ link steps
static void connect_wifi(uint32_t now) {
  g_wifi_connecting = true;
  Serial.print("[wifi] connecting to ");
  Serial.println(SECRET_WIFI_SSID);
  const char* pass = SECRET_WIFI_PASSWORD;
  // One join attempt: WiFi.begin() runs the association on the RTL8720 and returns; DHCP
  // may take a little longer, so wait for an address for up to 10 s, feeding the watchdog.
  WiFi.begin(SECRET_WIFI_SSID, pass[0] == '\0' ? NULL : pass);
  uint32_t start = millis();
  while (WiFi.status() != WL_CONNECTED && millis() - start < 10000u) {
    hw::watchdog_kick();
    delay(100);
  }
  g_wifi_connecting = false;
  bool ok = WiFi.status() == WL_CONNECTED;
  g_link.wifi_result(ok, millis(), g_rng.next());
  if (ok) {
    Serial.print("[wifi] connected, ip ");
    Serial.print(WiFi.localIP());
    Serial.print(", rssi ");
    Serial.print(WiFi.RSSI());
    Serial.println(" dBm");
  } else {
    Serial.print("[wifi] failed (status ");
    Serial.print(static_cast<int>(WiFi.status()));
    Serial.print("), retry in ");
    Serial.print(g_link.retry_in_s(millis()));
    Serial.println(" s");
    WiFi.disconnect();
  }
  (void)now;
}

static void start_time_sync(uint32_t now) {
  if (!g_ntp.start(now, g_rng.next(), g_rng.next())) {
    Serial.print("[ntp] could not send to ");
    Serial.println(g_ntp.server());
    g_link.time_result(false, now, g_rng.next());
  }
}

static void poll_time_sync(uint32_t now) {
  wio::NtpTime t = {0, 0, 0};
  uint32_t at_ms = 0, rtt_ms = 0;
  hw::NtpClient::Status st = g_ntp.poll(now, &t, &at_ms, &rtt_ms);
  if (st == hw::NtpClient::kDone) {
    g_ntp.reset();
    g_clock.set(t.unix_seconds, t.millis, at_ms);
    size_t stamped = g_outbox.stamp_pending(g_clock, at_ms);
    g_link.time_result(true, now, g_rng.next());
    char buf[112];
    wio::TextWriter w(buf, sizeof(buf));
    w.str("synced ");
    wio::write_datetime(w, g_clock.now(at_ms), 0);
    w.str(" UTC, stratum ").u32(t.stratum).str(", rtt ").u32(rtt_ms).str(" ms, stamped ").u32(stamped);
    log_line("ntp", buf);
  } else if (st == hw::NtpClient::kFailed) {
    g_ntp.reset();
    g_link.time_result(false, now, g_rng.next());
    Serial.print("[ntp] no valid answer (");
    Serial.print(g_ntp.failure());
    Serial.print("), next server ");
    Serial.println(g_ntp.server());
  }
}

static void connect_mqtt() {
  g_mqtt_connecting = true;
  Serial.print("[mqtt] connecting to ");
  Serial.print(SECRET_AWS_IOT_ENDPOINT);
  Serial.print(':');
  Serial.print(SECRET_AWS_IOT_PORT);
  Serial.print(" as ");
  Serial.println(SECRET_THING_NAME);
  if (g_net_used) g_net.stop();
  g_net_used = true;
  hw::watchdog_kick();
  // DNS + TCP + TLS 1.2 handshake with the device certificate (mutual TLS), bounded.
  bool ok = g_net.connect(SECRET_AWS_IOT_ENDPOINT, SECRET_AWS_IOT_PORT, WIO_TLS_CONNECT_TIMEOUT_MS) == 1;
  hw::watchdog_kick();
  if (!ok) {
    char err[100];
    err[0] = '\0';
    int code = g_net.lastError(err, sizeof(err));
    g_last_error = code;
    Serial.print("[mqtt] TLS connection failed: ");
    Serial.print(code);
    Serial.print(' ');
    Serial.println(err);
  } else {
    // The socket is up; CONNECT with client id = thing name (the policy requires it).
    ok = g_mqtt.connect(SECRET_THING_NAME, true);
    if (!ok) {
      g_last_error = static_cast<int32_t>(g_mqtt.lastError());
      Serial.print("[mqtt] CONNECT refused: error ");
      Serial.print(g_last_error);
      Serial.print(", return code ");
      Serial.println(static_cast<int>(g_mqtt.returnCode()));
      g_net.stop();
    }
  }
  g_mqtt_connecting = false;
  uint32_t now = millis();
  g_alerts_subscribed = false;  // clean session: every connection subscribes anew
  if (ok) {
    log_line("mqtt", "connected");
    subscribe_alerts(now);
    ok = g_mqtt.connected();  // a refused SUBSCRIBE closes the connection
    now = millis();
  }
  g_link.mqtt_result(ok, now, g_rng.next());
  if (!ok) {
    Serial.print("[mqtt] retry in ");
    Serial.print(g_link.retry_in_s(now));
    Serial.println(" s");
  }
}

// ------------------------------------------------------------------------------ readings
static void take_reading(uint32_t now) {
#if WIO_SENSOR == WIO_SENSOR_SIMULATED
  g_sensor.set_time_of_day(g_clock.valid() ? g_clock.now(now) + WIO_UTC_OFFSET_S : now / 1000u);
#endif
  wio::ClimateReading c;
  c.temperature_c = NAN;
  c.humidity_pct = NAN;
  bool ok = g_sensor_ok && g_sensor.read(&c);
  if (!ok) {
    c.temperature_c = NAN;  // omitted from the payload, never made up
    c.humidity_pct = NAN;
  }
  int32_t light = static_cast<int32_t>(analogRead(WIO_LIGHT));
  wio::Measurement m = wio::make_measurement(now, g_seq++, c.temperature_c, c.humidity_pct, light);
  bool dropped = g_outbox.add(m, g_clock, now);
  g_history.add(m);
  g_last_reading = m;
  g_has_reading = true;

  char buf[96];
  wio::TextWriter w(buf, sizeof(buf));
  w.str("seq ").u32(m.seq);
  if (m.flags & wio::kHasTemperature) w.str(" T ").tenths(m.temperature_dC).str(" C");
  else w.str(ok ? " T out of range" : " T -- (sensor read failed)");
  if (m.flags & wio::kHasHumidity) w.str(" H ").tenths(m.humidity_dPct).str(" %");
  w.str(" L ").i32(m.light).str(", buffered ").u32(static_cast<uint32_t>(g_outbox.size()));
  if (dropped) w.str(" (buffer full: oldest dropped)");
  if (!g_clock.valid()) w.str(", waiting for time");
  log_line("read", buf);
}

static void flush_outbox(uint32_t now) {
  if (!g_config_ok || g_outbox.empty()) return;
  int32_t rssi = WiFi.RSSI();
  wio::FlushResult r = g_outbox.flush(g_publisher, g_topic, SECRET_THING_NAME, rssi < 0, rssi,
                                      WIO_MAX_PUBLISH_PER_LOOP);
  g_sent_total += r.sent;
  if (r.sent > 0) {
    g_publish_state = wio::kPublishOk;
    g_last_publish_epoch = g_clock.now(now);
  }
  if (r.format_error != wio::kPayloadOk) {
    g_publish_state = wio::kPublishConfigError;
  } else if (r.failed) {
    // Not acknowledged in time: treat the session as broken and reconnect with backoff. The
    // reading stays at the front of the buffer and is resent with the same timestamp.
    g_publish_state = wio::kPublishFailed;
    g_mqtt.disconnect();
    g_net.stop();
    g_mqtt_was_up = false;
    g_link.mqtt_lost(now, g_rng.next());
  }
}

// ------------------------------------------------------------------------------ buttons
// A: read and publish now. B / C: next / previous chart field. 5-way press: acknowledge the
// alert. All active low.
static void poll_buttons(uint32_t now) {
  if (g_button_a.pressed(digitalRead(WIO_KEY_A) == LOW, now)) {
    log_line("button", "A: reading and publishing now");
    g_scheduler.request_now();
  }
  bool redraw = false;
  if (g_button_b.pressed(digitalRead(WIO_KEY_B) == LOW, now)) {
    g_chart_field = wio::next_chart_field(g_chart_field);
    redraw = true;
  }
  if (g_button_c.pressed(digitalRead(WIO_KEY_C) == LOW, now)) {
    g_chart_field = wio::previous_chart_field(g_chart_field);
    redraw = true;
  }
  if (redraw) {
    Serial.print("[button] chart: ");
    Serial.println(wio::chart_field_title(g_chart_field));
  }
  if (g_button_press.pressed(digitalRead(WIO_5S_PRESS) == LOW, now) && g_alerts.acknowledge()) {
    Serial.print("[button] 5-way: alert acknowledged ");
    Serial.println(g_alerts.current().id);
    redraw = true;
  }
  if (redraw) g_screen_timer.reset(now - 1000u);  // show it on this pass
}

// ------------------------------------------------------------------------------ screen
static void refresh_screen(uint32_t now) {
  wio::StatusModel s;
  s.thing_name = SECRET_THING_NAME;
  s.sensor_name = g_sensor_ok ? g_sensor.name() : "no sensor";
  s.phase = g_link.phase();
  s.wifi_connecting = g_wifi_connecting;
  s.mqtt_connecting = g_mqtt_connecting;
  s.retry_in_s = g_link.retry_in_s(now);
  int32_t rssi = s.phase == wio::kPhaseWifiDown ? 0 : WiFi.RSSI();
  s.has_rssi = rssi < 0;
  s.rssi = rssi;
  s.time_valid = g_clock.valid();
  s.epoch_now = g_clock.valid() ? g_clock.now(now) : 0;
  s.utc_offset_s = WIO_UTC_OFFSET_S;
  s.has_reading = g_has_reading;
  s.last_reading = g_last_reading;
  s.publish_state = g_publish_state;
  s.last_publish_epoch = g_last_publish_epoch;
  s.last_error = g_last_error;
  s.sent_total = g_sent_total;
  s.buffered = static_cast<uint32_t>(g_outbox.size());
  s.capacity = static_cast<uint32_t>(g_outbox.capacity());
  s.dropped = g_outbox.dropped_full() + g_outbox.dropped_stale() + g_outbox.dropped_invalid();
  s.uptime_s = uptime_s();
  wio::ScreenModel m;
  m.status = s;
  m.field = g_chart_field;
  m.interval_s = WIO_PUBLISH_INTERVAL_S;
  m.alert_showing = g_alerts.showing();
  m.alert = g_alerts.current();
  m.zone = WIO_TIME_ZONE_NAME;
  m.bad_alerts = g_alerts.bad_count();
  m.alerts_refused = g_alert_gate.refused();
  if (g_config_ok) g_display.show(m, g_history);
}

// ------------------------------------------------------------------------------ setup / loop
void setup() {
  Serial.begin(115200);  // never waits for a USB host: the board must run on a charger too
  hw::watchdog_begin();
  pinMode(WIO_KEY_A, INPUT_PULLUP);
  pinMode(WIO_KEY_B, INPUT_PULLUP);
  pinMode(WIO_KEY_C, INPUT_PULLUP);
  pinMode(WIO_5S_PRESS, INPUT_PULLUP);
  pinMode(WIO_BUZZER, OUTPUT);
  analogWrite(WIO_BUZZER, 0);
  pinMode(WIO_LIGHT, INPUT);
  g_display.begin();
  g_display.message("Starting...", hw::reset_by_watchdog() ? "(last reset: WATCHDOG)" : NULL,
                    hw::reset_by_watchdog() ? TFT_YELLOW : TFT_WHITE);

  Serial.print("[boot] wio-terminal-aws-connect " WIO_FIRMWARE_VERSION ", thing ");
  Serial.print(SECRET_THING_NAME);
  Serial.print(", last reset: ");
  Serial.println(hw::reset_cause());
  Serial.print("[boot] interval ");
  Serial.print(WIO_PUBLISH_INTERVAL_S);
  Serial.print(" s, offline buffer ");
  Serial.print(static_cast<unsigned>(g_outbox.capacity()));
  Serial.print(" readings (");
  Serial.print(static_cast<unsigned>(g_outbox.bytes()));
  Serial.println(" bytes of RAM)");

  g_rng.seed(entropy_seed());
  g_sensor_ok = g_sensor.begin();
  Serial.print("[boot] sensor ");
  Serial.print(g_sensor.name());
  Serial.println(g_sensor_ok ? " ready" : " NOT FOUND: readings will carry light only");

  g_config_ok = check_config();
  if (g_config_ok) {
    // If the RTL8720 runs old or no eRPC firmware, the next call never returns and the
    // watchdog restarts the board: the screen then shows "last reset: WATCHDOG".
    g_display.message("Starting Wi-Fi chip...", "(RTL8720, eRPC firmware)", TFT_WHITE);
    WiFi.mode(WIFI_STA);
    WiFi.disconnect();
    Serial.print("[boot] RTL8720 firmware ");
    Serial.println(rpc_system_version());
    // Mutual TLS: Amazon Root CA 1 verifies the ATS endpoint; the device certificate and
    // key (from wio-provision) identify this thing. WiFiClientSecure keeps the pointers.
    g_net.setCACert(SECRET_AWS_ROOT_CA);
    g_net.setCertificate(SECRET_DEVICE_CERT);
    g_net.setPrivateKey(SECRET_DEVICE_PRIVATE_KEY);
    g_mqtt.begin(g_net);
    g_mqtt.onMessageAdvanced(on_mqtt_message);
    g_mqtt.setOptions(WIO_MQTT_KEEPALIVE_S, true, WIO_MQTT_COMMAND_TIMEOUT_MS);
    g_display.message("", NULL, TFT_WHITE);
  }
  g_scheduler.start(millis());
}

void loop() {
  hw::watchdog_kick();
  uint32_t now = millis();
  g_clock.tick(now);

  poll_buttons(now);
  if (g_beep.expired(now)) analogWrite(WIO_BUZZER, 0);

  if (g_config_ok) {
    // WiFi.status() is a remote call to the RTL8720; four times a second is plenty.
    static bool wifi_up = false;
    static uint32_t wifi_checked_ms = 0;
    static bool wifi_checked = false;
    if (!wifi_checked || now - wifi_checked_ms >= 250u) {
      wifi_up = WiFi.status() == WL_CONNECTED;
      wifi_checked_ms = now;
      wifi_checked = true;
    }
    if (g_wifi_was_up && !wifi_up) {
      log_line("wifi", "connection lost");
      g_link.wifi_lost(now);
      g_ntp.close();
    }
    g_wifi_was_up = wifi_up;

    bool mqtt_up = wifi_up && g_mqtt.loop() && g_mqtt.connected();
    if (g_mqtt_was_up && !mqtt_up) {
      log_line("mqtt", "connection lost");
      g_link.mqtt_lost(now, g_rng.next());
    }
    g_mqtt_was_up = mqtt_up;
    if (mqtt_up && !g_alerts_subscribed) {
      subscribe_alerts(now);  // after a refusal: again WIO_ALERT_RESUBSCRIBE_S later
      if (!g_mqtt.connected()) {
        log_line("mqtt", "connection closed by the refused SUBSCRIBE");
        mqtt_up = false;
        g_mqtt_was_up = false;
        g_link.mqtt_lost(now, g_rng.next());
      }
    }

    if (g_link.ntp_in_flight()) poll_time_sync(now);

    switch (g_link.poll(now, wifi_up, mqtt_up, g_clock.valid())) {
      case wio::kLinkConnectWifi:
        connect_wifi(now);
        wifi_checked = false;  // re-read the status on the next pass
        break;
      case wio::kLinkSyncTime:
        start_time_sync(now);
        break;
      case wio::kLinkConnectMqtt:
        connect_mqtt();
        g_mqtt_was_up = g_mqtt.connected();
        break;
      case wio::kLinkIdle:
        break;
    }
    now = millis();
  }

  if (g_scheduler.due(now)) {
    take_reading(now);
    g_scheduler.mark_taken(now);
  }

  if (g_config_ok && g_link.phase() == wio::kPhaseOnline && g_mqtt_was_up) flush_outbox(millis());

  if (g_screen_timer.fire(millis())) refresh_screen(millis());
  delay(10);
}
