// Runs the real wioterminal.ino (setup() and loop()) on the host against behavioural fakes
// of the board and its libraries, on a simulated clock, through scripted scenarios: a normal
// start, a Wi-Fi outage, a broker outage, NTP arriving late, a buffer overflow, button A, a
// failing sensor, the chart buttons, alerts (retained, re-delivered, acknowledged, cleared,
// malformed) and a refused alerts subscription. It checks the sketch's wiring of the
// portable core: certificates set before the TLS connect, the client id, the topic, no
// publish before the clock is set, in-order delivery after reconnects, no duplicates, drops
// counted, no hang, one beep per alert id.
//
//   build/sketch_sim                     run every scenario
//   build/sketch_sim --payloads FILE     also write every acknowledged payload (JSON lines)
//                                        for the pytest schema check
//   build/sketch_sim --verbose           echo the sketch's serial log
//   build/sketch_sim --screenshot FILE   write the simulated LCD at the end as a PNG
//
// The fakes are the headers in tests/fakes plus the implementations below. They model what
// the sketch relies on, not the real chips: timing on the board is not simulated.
#include <stdarg.h>
#include <stdio.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "fakes/framebuffer.h"
#include "harness.h"

// ------------------------------------------------------------------ the simulated world
namespace sim {

uint64_t now_ms = 0;
bool verbose = false;
std::string serial_log;

// Wi-Fi access point and internet.
bool ap_up = true;
bool wifi_joined = false;
std::string joined_ssid;
const char* joined_pass = "";
int wifi_begin_calls = 0;

// NTP server.
bool ntp_up = true;
const uint64_t kEpochAtZeroMs = 1714533000000ull;  // UTC ms at simulated millis() == 0

// AWS IoT broker.
bool broker_up = true;
bool tls_connected = false;
bool mqtt_connected = false;
const char* ca_cert = NULL;
const char* client_cert = NULL;
const char* client_key = NULL;
int tls_connects = 0;
int tls_connects_without_certs = 0;
std::string client_id;
std::string connected_host;
int connected_port = 0;

struct Publish {
  std::string topic;
  std::string payload;
  uint64_t at_ms;
  bool acked;
  int qos;
};
std::vector<Publish> publishes;

// PUBACKs the broker will not send (the publish times out and the session is dropped).
int lose_pubacks = 0;

// Subscriptions and messages to the device. A SUBSCRIBE is refused when the policy lacks it.
struct Subscribe {
  std::string topic;
  int qos;
  int session;  // which successful CONNECT it followed (1 = the first)
  bool granted;
};
std::vector<Subscribe> subscribes;
bool refuse_subscribe = false;
int sessions = 0;
std::map<std::string, std::string> retained;        // topic -> payload
std::set<std::string> subscribed;                    // this session's topics
std::vector<std::pair<std::string, std::string> > to_device;  // queued until the next loop()
int deliveries = 0;
int oversized_packets = 0;
bool read_buffer_fits_alert = false;  // set by the MQTTClient constructor

// The detector publishes to the device's alert topic (retained ones stay for later sessions).
void detector_publish(const std::string& topic, const std::string& payload, bool retain) {
  if (retain) {
    if (payload.empty()) retained.erase(topic); else retained[topic] = payload;
  }
  if (mqtt_connected && subscribed.count(topic)) to_device.push_back(std::make_pair(topic, payload));
}

// Inputs.
bool button_a_down = false;
bool button_b_down = false;
bool button_c_down = false;
bool button_press_down = false;
int light = 300;

// Buzzer: every analogWrite on WIO_BUZZER, as (time, duty).
std::vector<std::pair<uint64_t, int> > buzzer;
int beeps() {
  int n = 0;
  for (size_t i = 0; i < buzzer.size(); ++i) n += buzzer[i].second != 0;
  return n;
}

// Watchdog.
uint64_t last_wdt_clear_ms = 0;
uint64_t max_wdt_gap_ms = 0;

void advance(uint32_t ms) { now_ms += ms; }

}  // namespace sim

// ------------------------------------------------------------------ Arduino core fakes
#include "Arduino.h"

uint32_t SystemCoreClock = 120000000u;
DWT_Type fake_dwt;
CoreDebug_Type fake_coredebug;
Wdt fake_wdt;
Rstc fake_rstc = {{{1, 0, 0, 0, 0, 0, 0, 0}}};  // power-on reset
Osc32kctrl fake_osc32kctrl;
Serial_ Serial;
namespace hw { uint32_t fake_chip_serial[4] = {0x12345678u, 0x9ABCDEF0u, 0x0F1E2D3Cu, 0x4B5A6978u}; }

uint32_t millis(void) { return static_cast<uint32_t>(sim::now_ms); }
uint32_t micros(void) { return static_cast<uint32_t>(sim::now_ms * 1000u); }
void delay(uint32_t ms) { sim::advance(ms); }
void yield(void) {}
void pinMode(uint32_t, uint32_t) {}
void digitalWrite(uint32_t, uint32_t) {}
int digitalRead(uint32_t pin) {
  fake_dwt.CYCCNT += 120;  // 1 us per read: a DHT11 that never answers times out
  if (pin == WIO_KEY_A) return sim::button_a_down ? LOW : HIGH;
  if (pin == WIO_KEY_B) return sim::button_b_down ? LOW : HIGH;
  if (pin == WIO_KEY_C) return sim::button_c_down ? LOW : HIGH;
  if (pin == WIO_5S_PRESS) return sim::button_press_down ? LOW : HIGH;
  return HIGH;
}
int analogRead(uint32_t pin) { return pin == WIO_LIGHT ? sim::light : 0; }
void analogWrite(uint32_t pin, int value) {
  if (pin == WIO_BUZZER) sim::buzzer.push_back(std::make_pair(sim::now_ms, value));
}
void NVIC_EnableIRQ(IRQn_Type) {}
void NVIC_DisableIRQ(IRQn_Type) {}
void NVIC_ClearPendingIRQ(IRQn_Type) {}
void NVIC_SetPriority(IRQn_Type, uint32_t) {}

static size_t log_text(const std::string& s) {
  sim::serial_log += s;
  if (sim::verbose) fputs(s.c_str(), stdout);
  return s.size();
}
static std::string fmt(const char* f, ...) {
  char buf[64];
  va_list ap;
  va_start(ap, f);
  vsnprintf(buf, sizeof(buf), f, ap);
  va_end(ap);
  return buf;
}

size_t Print::write(const uint8_t* buffer, size_t size) {
  size_t n = 0;
  while (size--) n += write(*buffer++);
  return n;
}
size_t Print::print(const char s[]) { return log_text(s ? s : ""); }
size_t Print::print(char c) { return log_text(std::string(1, c)); }
size_t Print::print(unsigned char v, int) { return log_text(fmt("%u", static_cast<unsigned>(v))); }
size_t Print::print(int v, int) { return log_text(fmt("%d", v)); }
size_t Print::print(unsigned int v, int) { return log_text(fmt("%u", v)); }
size_t Print::print(long v, int) { return log_text(fmt("%ld", v)); }
size_t Print::print(unsigned long v, int) { return log_text(fmt("%lu", v)); }
size_t Print::print(double v, int d) { return log_text(fmt("%.*f", d, v)); }
size_t Print::print(const Printable& p) { return p.printTo(*this); }
size_t Print::println(const char s[]) { return print(s) + println(); }
size_t Print::println(char c) { return print(c) + println(); }
size_t Print::println(unsigned char v, int b) { return print(v, b) + println(); }
size_t Print::println(int v, int b) { return print(v, b) + println(); }
size_t Print::println(unsigned int v, int b) { return print(v, b) + println(); }
size_t Print::println(long v, int b) { return print(v, b) + println(); }
size_t Print::println(unsigned long v, int b) { return print(v, b) + println(); }
size_t Print::println(double v, int d) { return print(v, d) + println(); }
size_t Print::println(const Printable& p) { return print(p) + println(); }
size_t Print::println(void) { return log_text("\n"); }

void Serial_::begin(uint32_t) {}
size_t Serial_::write(uint8_t c) { return log_text(std::string(1, static_cast<char>(c))); }
int Serial_::available() { return 0; }
int Serial_::read() { return -1; }
int Serial_::peek() { return -1; }
Serial_::operator bool() { return true; }

IPAddress::IPAddress() {}
IPAddress::IPAddress(uint8_t, uint8_t, uint8_t, uint8_t) {}
size_t IPAddress::printTo(Print& p) const { return p.print("192.168.1.23"); }

// ------------------------------------------------------------------ Wire (no I2C device present)
#include "Wire.h"
TwoWire Wire;
void TwoWire::begin() {}
void TwoWire::beginTransmission(uint8_t) {}
uint8_t TwoWire::endTransmission(bool) { return 2; }  // address NACK
uint8_t TwoWire::endTransmission(void) { return 2; }
uint8_t TwoWire::requestFrom(uint8_t, size_t, bool) { return 0; }
uint8_t TwoWire::requestFrom(uint8_t, size_t) { return 0; }
size_t TwoWire::write(uint8_t) { return 1; }
size_t TwoWire::write(const uint8_t*, size_t n) { return n; }
int TwoWire::available(void) { return 0; }
int TwoWire::read(void) { return -1; }
int TwoWire::peek(void) { return -1; }

// ------------------------------------------------------------------ rpcWiFi
#include "rpcWiFi.h"
WiFiClass WiFi;
static bool wifi_up() { return sim::wifi_joined && sim::ap_up; }
bool WiFiClass::mode(wifi_mode_t) { return true; }
wl_status_t WiFiClass::begin(const char* ssid, const char* pass, int32_t, const uint8_t*, bool) {
  ++sim::wifi_begin_calls;
  sim::advance(1500);  // association takes a while on the RTL8720
  sim::joined_ssid = ssid;
  sim::joined_pass = pass ? pass : "";
  sim::wifi_joined = sim::ap_up;
  return status();
}
wl_status_t WiFiClass::begin(const char* ssid, char* pass, int32_t ch, const uint8_t* b, bool c) {
  return begin(ssid, static_cast<const char*>(pass), ch, b, c);
}
bool WiFiClass::disconnect(bool, bool) {
  sim::wifi_joined = false;
  return true;
}
wl_status_t WiFiClass::status() {
  if (!sim::ap_up) sim::wifi_joined = false;
  return wifi_up() ? WL_CONNECTED : WL_CONNECT_FAILED;
}
int8_t WiFiClass::RSSI() { return wifi_up() ? -58 : 0; }
IPAddress WiFiClass::localIP() { return IPAddress(192, 168, 1, 23); }
extern "C" char* rpc_system_version(void) {
  static char v[] = "2.1.3";
  return v;
}

// ------------------------------------------------------------------ WiFiUDP: an SNTP server
#include "WiFiUdp.h"
static uint8_t g_udp_request[48];
static bool g_udp_request_pending = false;
static uint64_t g_udp_sent_ms = 0;
static uint8_t g_udp_reply[48];
static bool g_udp_reply_ready = false;

uint8_t WiFiUDP::begin(uint16_t) { return wifi_up() ? 1 : 0; }
void WiFiUDP::stop() { g_udp_request_pending = g_udp_reply_ready = false; }
int WiFiUDP::beginPacket(const char*, uint16_t port) { return wifi_up() && port == 123 ? 1 : 0; }
size_t WiFiUDP::write(uint8_t) { return 1; }
size_t WiFiUDP::write(const uint8_t* b, size_t n) {
  if (n == 48) memcpy(g_udp_request, b, 48);
  return n;
}
int WiFiUDP::endPacket() {
  g_udp_request_pending = true;
  g_udp_sent_ms = sim::now_ms;
  return 1;
}
int WiFiUDP::parsePacket() {
  if (g_udp_reply_ready) return 48;
  if (!g_udp_request_pending || !sim::ntp_up || !wifi_up() || sim::now_ms < g_udp_sent_ms + 30) return 0;
  g_udp_request_pending = false;
  uint64_t t_ms = sim::kEpochAtZeroMs + sim::now_ms - 15;  // server time at mid-flight
  uint32_t secs = static_cast<uint32_t>(t_ms / 1000u + 2208988800ull);
  uint32_t frac = static_cast<uint32_t>(((t_ms % 1000u) << 32) / 1000u);
  memset(g_udp_reply, 0, sizeof(g_udp_reply));
  g_udp_reply[0] = 0x24;  // LI 0, VN 4, mode 4
  g_udp_reply[1] = 2;     // stratum
  memcpy(g_udp_reply + 24, g_udp_request + 40, 8);  // originate = our transmit token
  for (int i = 0; i < 4; ++i) {
    g_udp_reply[40 + i] = static_cast<uint8_t>(secs >> (24 - 8 * i));
    g_udp_reply[44 + i] = static_cast<uint8_t>(frac >> (24 - 8 * i));
  }
  g_udp_reply_ready = true;
  return 48;
}
int WiFiUDP::available() { return g_udp_reply_ready ? 48 : 0; }
int WiFiUDP::read() { return -1; }
int WiFiUDP::read(unsigned char* b, size_t n) {
  if (!g_udp_reply_ready || n < 48) return 0;
  memcpy(b, g_udp_reply, 48);
  g_udp_reply_ready = false;
  return 48;
}
int WiFiUDP::read(char* b, size_t n) { return read(reinterpret_cast<unsigned char*>(b), n); }
void WiFiUDP::flush() { g_udp_reply_ready = false; }

// ------------------------------------------------------------------ WiFiClientSecure: TLS to the broker
#include "WiFiClientSecure.h"
int WiFiClient::connect(IPAddress, uint16_t) { return 0; }
int WiFiClient::connect(const char*, uint16_t) { return 0; }
size_t WiFiClient::write(uint8_t) { return 1; }
size_t WiFiClient::write(const uint8_t*, size_t n) { return n; }
int WiFiClient::available() { return 0; }
int WiFiClient::read() { return -1; }
int WiFiClient::read(uint8_t*, size_t) { return -1; }
int WiFiClient::peek() { return -1; }
void WiFiClient::flush() {}
void WiFiClient::stop() {}
uint8_t WiFiClient::connected() { return 0; }
WiFiClient::operator bool() { return false; }

WiFiClientSecure::WiFiClientSecure() {}
int WiFiClientSecure::connect(IPAddress, uint16_t) { return 0; }
int WiFiClientSecure::connect(IPAddress, uint16_t, int32_t) { return 0; }
int WiFiClientSecure::connect(const char* host, uint16_t port) { return connect(host, port, 120000); }
int WiFiClientSecure::connect(const char* host, uint16_t port, int32_t timeout) {
  ++sim::tls_connects;
  if (!sim::ca_cert || !sim::client_cert || !sim::client_key) {
    ++sim::tls_connects_without_certs;
    return 0;
  }
  if (timeout <= 0 || timeout > 30000) return 0;  // the sketch must bound the handshake
  sim::advance(wifi_up() && sim::broker_up ? 1200 : static_cast<uint32_t>(timeout));
  if (!wifi_up() || !sim::broker_up) return 0;
  sim::connected_host = host;
  sim::connected_port = port;
  sim::tls_connected = true;
  return 1;
}
int WiFiClientSecure::connect(IPAddress, uint16_t, const char*, const char*, const char*) { return 0; }
int WiFiClientSecure::connect(const char*, uint16_t, const char*, const char*, const char*) { return 0; }
int WiFiClientSecure::connect(const char*, uint16_t, const char*, const char*) { return 0; }
void WiFiClientSecure::stop() {
  sim::tls_connected = false;
  sim::mqtt_connected = false;
}
uint8_t WiFiClientSecure::connected() {
  if (!wifi_up() || !sim::broker_up) sim::tls_connected = false;
  return sim::tls_connected;
}
int WiFiClientSecure::lastError(char* buf, const size_t size) {
  snprintf(buf, size, "%s", "SSL - simulated failure");
  return -0x7280;
}
void WiFiClientSecure::setCACert(const char* c) { sim::ca_cert = c; }
void WiFiClientSecure::setCertificate(const char* c) { sim::client_cert = c; }
void WiFiClientSecure::setPrivateKey(const char* k) { sim::client_key = k; }
void WiFiClientSecure::setHandshakeTimeout(unsigned long) {}

// ------------------------------------------------------------------ MQTT: the AWS IoT Core broker
#include "MQTT.h"
#include "alert.h"
static Client* g_mqtt_net = NULL;
static lwmqtt_err_t g_mqtt_err = LWMQTT_SUCCESS;
static int g_mqtt_timeout_ms = 1000;
static int g_mqtt_read_size = 128;
static MQTTClientCallbackAdvanced g_mqtt_callback = NULL;
MQTTClient::MQTTClient(int size) : MQTTClient(size, size) {}
// The longest PUBLISH the device can receive: an alert of kAlertPayloadMax bytes on the
// alerts topic of a 128-character thing name (fixed header, topic, packet id, payload).
const size_t kLongestAlertPacket = 5 + 2 + (7 + wio::kThingNameMax + 7) + 2 + wio::kAlertPayloadMax;
MQTTClient::MQTTClient(int read_size, int write_size) {
  g_mqtt_read_size = read_size;
  sim::read_buffer_fits_alert = static_cast<size_t>(read_size) >= kLongestAlertPacket;
  if (write_size < 400) fprintf(stderr, "MQTT write buffer too small for a 246-byte payload\n");
}
void MQTTClient::onMessageAdvanced(MQTTClientCallbackAdvanced cb) { g_mqtt_callback = cb; }
bool MQTTClient::subscribe(const char topic[], int qos) {
  if (!connected()) return false;
  sim::Subscribe sub = {topic, qos, sim::sessions, !sim::refuse_subscribe};
  sim::subscribes.push_back(sub);
  if (sim::refuse_subscribe) {
    // SUBACK 0x80: lwmqtt reports LWMQTT_FAILED_SUBSCRIPTION and the client closes.
    g_mqtt_err = LWMQTT_FAILED_SUBSCRIPTION;
    g_mqtt_net->stop();
    return false;
  }
  sim::subscribed.insert(topic);
  std::map<std::string, std::string>::iterator r = sim::retained.find(topic);
  if (r != sim::retained.end()) sim::to_device.push_back(*r);  // retained: right after the SUBACK
  g_mqtt_err = LWMQTT_SUCCESS;
  return true;
}
void MQTTClient::begin(Client& c) { g_mqtt_net = &c; }
void MQTTClient::begin(const char[], int, Client& c) { g_mqtt_net = &c; }
void MQTTClient::setKeepAlive(int) {}
void MQTTClient::setCleanSession(bool) {}
void MQTTClient::setTimeout(int t) { g_mqtt_timeout_ms = t; }
void MQTTClient::setOptions(int, bool, int t) { g_mqtt_timeout_ms = t; }
bool MQTTClient::connect(const char id[], bool skip) { return connect(id, NULL, NULL, skip); }
bool MQTTClient::connect(const char id[], const char u[], bool skip) { return connect(id, u, NULL, skip); }
bool MQTTClient::connect(const char id[], const char*, const char*, bool skip) {
  if (!skip || g_mqtt_net == NULL || !g_mqtt_net->connected()) {
    g_mqtt_err = LWMQTT_NETWORK_FAILED_CONNECT;
    return false;
  }
  sim::client_id = id;
  sim::mqtt_connected = true;
  ++sim::sessions;
  sim::subscribed.clear();  // clean session
  sim::to_device.clear();
  g_mqtt_err = LWMQTT_SUCCESS;
  return true;
}
bool MQTTClient::publish(const char topic[], const char payload[], int length, bool, int qos) {
  bool up = sim::mqtt_connected && g_mqtt_net && g_mqtt_net->connected();
  if (up && sim::lose_pubacks > 0) {
    --sim::lose_pubacks;
    up = false;  // the broker may well have stored it: a resend must carry the same key
  }
  if (!up) sim::advance(static_cast<uint32_t>(g_mqtt_timeout_ms));  // waited for a PUBACK
  sim::Publish p;
  p.topic = topic;
  p.payload = std::string(payload, static_cast<size_t>(length));
  p.at_ms = sim::now_ms;
  p.acked = up;
  p.qos = qos;
  sim::publishes.push_back(p);
  g_mqtt_err = up ? LWMQTT_SUCCESS : LWMQTT_NETWORK_TIMEOUT;
  if (!up) sim::mqtt_connected = false;
  return up;
}
// Delivers what the broker queued, as lwmqtt does inside loop(): the whole PUBLISH packet
// must fit the read buffer (the library closes the connection otherwise).
bool MQTTClient::loop() {
  if (!connected()) return false;
  while (!sim::to_device.empty()) {
    std::pair<std::string, std::string> m = sim::to_device.front();
    sim::to_device.erase(sim::to_device.begin());
    size_t packet = 5 + 2 + m.first.size() + 2 + m.second.size();
    if (packet > static_cast<size_t>(g_mqtt_read_size)) {
      ++sim::oversized_packets;
      g_mqtt_err = LWMQTT_BUFFER_TOO_SHORT;
      g_mqtt_net->stop();
      return false;
    }
    ++sim::deliveries;
    std::vector<char> topic(m.first.begin(), m.first.end());
    topic.push_back('\0');
    std::vector<char> bytes(m.second.begin(), m.second.end());
    bytes.push_back('\0');  // the library NUL-terminates; the sketch must not need it
    if (g_mqtt_callback) g_mqtt_callback(this, &topic[0], &bytes[0], static_cast<int>(m.second.size()));
  }
  return connected();
}
bool MQTTClient::connected() {
  if (g_mqtt_net == NULL || !g_mqtt_net->connected()) sim::mqtt_connected = false;
  return sim::mqtt_connected;
}
bool MQTTClient::disconnect() {
  sim::mqtt_connected = false;
  return true;
}
lwmqtt_err_t MQTTClient::lastError() { return g_mqtt_err; }
lwmqtt_return_code_t MQTTClient::returnCode() { return LWMQTT_CONNECTION_ACCEPTED; }

// ------------------------------------------------------------------ TFT_eSPI: the screen
// Draws into the framebuffer fake and records each string drawn, by position, so scenarios
// can check both the text and the pixels.
#include "TFT_eSPI.h"
typedef std::map<std::pair<int, int>, std::string> ScreenText;  // (y, x) -> text
ScreenText g_screen;
Framebuffer g_lcd;
static uint8_t g_text_size = 1;
static uint16_t g_text_fg = 0xFFFF, g_text_bg = 0;
TFT_eSPI::TFT_eSPI(int16_t, int16_t) {}
void TFT_eSPI::begin(uint8_t) {}
void TFT_eSPI::setRotation(uint8_t) {}
void TFT_eSPI::setTextFont(uint8_t) {}
void TFT_eSPI::fillScreen(uint32_t c) {
  g_screen.clear();
  g_lcd.fill_rect(0, 0, Framebuffer::kW, Framebuffer::kH, static_cast<uint16_t>(c));
}
void TFT_eSPI::fillRect(int32_t x, int32_t y, int32_t w, int32_t h, uint32_t c) {
  for (ScreenText::iterator it = g_screen.begin(); it != g_screen.end();) {
    bool inside = it->first.first >= y && it->first.first < y + h && it->first.second >= x && it->first.second < x + w;
    if (inside) g_screen.erase(it++); else ++it;
  }
  g_lcd.fill_rect(x, y, w, h, static_cast<uint16_t>(c));
}
void TFT_eSPI::drawPixel(int32_t x, int32_t y, uint32_t c) { g_lcd.draw_pixel(x, y, static_cast<uint16_t>(c)); }
void TFT_eSPI::drawLine(int32_t x0, int32_t y0, int32_t x1, int32_t y1, uint32_t c) {
  g_lcd.draw_line(x0, y0, x1, y1, static_cast<uint16_t>(c));
}
void TFT_eSPI::setTextSize(uint8_t s) { g_text_size = s; }
void TFT_eSPI::setTextColor(uint16_t fg, uint16_t bg) {
  g_text_fg = fg;
  g_text_bg = bg;
}
int16_t TFT_eSPI::drawString(const char* s, int32_t x, int32_t y) {
  g_screen[std::make_pair(static_cast<int>(y), static_cast<int>(x))] = s;
  g_lcd.draw_text(x, y, s, g_text_size, g_text_fg, g_text_bg);
  return static_cast<int16_t>(strlen(s) * 6u * g_text_size);
}
size_t TFT_eSPI::write(uint8_t) { return 1; }

// ------------------------------------------------------------------ the sketch itself
#include "wioterminal.ino"

// ------------------------------------------------------------------ scenario helpers
namespace {

FILE* g_payload_out = NULL;

// Runs loop() until `ms` of simulated time passed. Records the longest single pass: the
// watchdog must see the loop come round well within WIO_WATCHDOG_S.
void run_for(uint64_t ms) {
  uint64_t end = sim::now_ms + ms;
  while (sim::now_ms < end) {
    uint64_t start = sim::now_ms;
    loop();
    if (sim::now_ms - start > sim::max_wdt_gap_ms) sim::max_wdt_gap_ms = sim::now_ms - start;
  }
}

std::vector<sim::Publish> acked() {
  std::vector<sim::Publish> out;
  for (size_t i = 0; i < sim::publishes.size(); ++i)
    if (sim::publishes[i].acked) out.push_back(sim::publishes[i]);
  return out;
}

long long field(const std::string& payload, const char* key) {
  std::string k = std::string("\"") + key + "\":";
  size_t at = payload.find(k);
  if (at == std::string::npos) return -1;
  return atoll(payload.c_str() + at + k.size());
}

// Every acknowledged reading exactly once, seq contiguous from `first_seq`, timestamps
// strictly increasing.
void check_delivery(const std::vector<sim::Publish>& got, long long first_seq) {
  std::set<long long> seen;
  long long prev_ts = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    long long seq = field(got[i].payload, "seq");
    long long ts = field(got[i].payload, "timestamp");
    CHECK_EQ(seq, first_seq + static_cast<long long>(i));
    CHECK(seen.insert(seq).second);
    CHECK(ts > prev_ts);
    prev_ts = ts;
    CHECK_STR(got[i].topic, "device/wio-terminal-01/data");
    CHECK_EQ(got[i].qos, 1);
    if (g_payload_out) fprintf(g_payload_out, "%s\n", got[i].payload.c_str());
  }
}

void boot() {
  sim::now_ms = 1000;
  setup();
}

// True if some string on the screen contains `text`.
bool screen_has(const std::string& text) {
  for (ScreenText::iterator it = g_screen.begin(); it != g_screen.end(); ++it)
    if (it->second.find(text) != std::string::npos) return true;
  return false;
}

int orange_in_chart() {
  int n = 0;
  for (int y = 100; y < 200; ++y)
    for (int x = 34; x < 316; ++x) n += g_lcd.at(x, y) == wio::kOrange;
  return n;
}

void press(bool* button) {
  *button = true;
  run_for(100);
  *button = false;
  run_for(600);
}

}  // namespace

// Every scenario runs in its own process (the sketch's globals start fresh): main() runs the
// one named on the command line, or re-executes itself once per scenario.

TEST(scenario_normal_start) {
  boot();
  run_for(10u * 60u * 1000u);
  CHECK(sim::ca_cert != NULL && strstr(sim::ca_cert, "BEGIN CERTIFICATE") != NULL);
  CHECK_EQ(sim::tls_connects_without_certs, 0);
  CHECK_STR(sim::client_id, "wio-terminal-01");
  CHECK_EQ(sim::connected_port, 8883);
  CHECK(sim::connected_host.find("-ats.iot.") != std::string::npos);
  std::vector<sim::Publish> got = acked();
  CHECK(got.size() >= 10u && got.size() <= 11u);  // one per minute, the first at boot
  check_delivery(got, 0);
  // The first reading was taken at boot, before NTP: stamped retroactively, not at send time.
  if (!got.empty()) {
    long long ts0 = field(got[0].payload, "timestamp");
    CHECK(ts0 >= 1714533001 && ts0 <= 1714533004);
    CHECK(field(got[0].payload, "rssi") == -58);
    CHECK(field(got[0].payload, "light") == 300);
    CHECK(got[0].payload.find("\"temperature\":") != std::string::npos);
  }
  CHECK(sim::max_wdt_gap_ms < 64000u);
  CHECK(sim::serial_log.find("[mqtt] connected") != std::string::npos);
  CHECK(screen_has("MQTT: connected"));
  // The chart: ten readings of the simulated sensor drawn as an orange temperature line.
  CHECK(screen_has("Temperature C"));
  CHECK(orange_in_chart() > 10);
  // Subscribed once, after the one connect, at QoS 1.
  CHECK_EQ(sim::subscribes.size(), static_cast<size_t>(1));
  if (!sim::subscribes.empty()) {
    CHECK_STR(sim::subscribes[0].topic, "device/wio-terminal-01/alerts");
    CHECK_EQ(sim::subscribes[0].qos, 1);
    CHECK_EQ(sim::subscribes[0].session, 1);
  }
  CHECK_EQ(sim::beeps(), 0);
  CHECK(sim::read_buffer_fits_alert);
}

TEST(scenario_no_time_no_publish_then_retroactive_stamps) {
  sim::ntp_up = false;
  boot();
  run_for(5u * 60u * 1000u);
  CHECK_EQ(sim::publishes.size(), static_cast<size_t>(0));  // nothing without a real time
  CHECK_EQ(sim::tls_connects, 0);                           // MQTT waits for the clock
  sim::ntp_up = true;
  run_for(3u * 60u * 1000u);
  std::vector<sim::Publish> got = acked();
  CHECK(got.size() >= 8u);
  check_delivery(got, 0);
  // Reading k was taken at about 1 s + 60 k s of uptime (the first one after the 1.5 s Wi-Fi
  // join): its stamp says so, to within NTP's millisecond rounding, not the send time.
  for (size_t i = 0; i < got.size() && i < 5; ++i) {
    long long ts = field(got[i].payload, "timestamp");
    long long expect = 1714533001 + 60 * static_cast<long long>(i);
    CHECK(ts >= expect - 1 && ts <= expect + 3);
  }
}

TEST(scenario_wifi_outage_delivers_everything_in_order) {
  boot();
  run_for(3u * 60u * 1000u);
  size_t before = acked().size();
  sim::ap_up = false;
  run_for(30u * 60u * 1000u);
  CHECK_EQ(acked().size(), before);
  int begins_during_outage = sim::wifi_begin_calls;
  sim::ap_up = true;
  run_for(5u * 60u * 1000u);
  std::vector<sim::Publish> got = acked();
  CHECK(got.size() >= before + 35u);  // 30 min offline + 5 min online, nothing lost
  check_delivery(got, 0);
  // Backoff: far fewer join attempts than loop passes during 30 minutes.
  CHECK(begins_during_outage < 60);
  CHECK(sim::max_wdt_gap_ms < 64000u);
}

TEST(scenario_broker_outage_resends_unacked_reading) {
  boot();
  run_for(2u * 60u * 1000u);
  sim::broker_up = false;
  run_for(20u * 60u * 1000u);
  sim::broker_up = true;
  run_for(5u * 60u * 1000u);
  std::vector<sim::Publish> got = acked();
  CHECK(got.size() >= 26u);
  check_delivery(got, 0);  // the un-acked attempt was resent: no gap, no duplicate
  bool saw_failed_attempt = false;
  for (size_t i = 0; i < sim::publishes.size(); ++i) saw_failed_attempt |= !sim::publishes[i].acked;
  CHECK(sim::serial_log.find("connection lost") != std::string::npos || saw_failed_attempt);
}

TEST(scenario_lost_puback_is_resent_with_identical_bytes) {
  boot();
  run_for(3u * 60u * 1000u + 30000u);
  sim::lose_pubacks = 1;
  run_for(5u * 60u * 1000u);
  size_t failed_at = sim::publishes.size();
  for (size_t i = 0; i < sim::publishes.size(); ++i) {
    if (!sim::publishes[i].acked) {
      failed_at = i;
      break;
    }
  }
  CHECK(failed_at + 1 < sim::publishes.size());
  if (failed_at + 1 < sim::publishes.size()) {
    // The next attempt, after the reconnect, is the very same message.
    CHECK_STR(sim::publishes[failed_at + 1].payload.substr(0, sim::publishes[failed_at + 1].payload.find(",\"rssi\"")),
              sim::publishes[failed_at].payload.substr(0, sim::publishes[failed_at].payload.find(",\"rssi\"")));
    CHECK(sim::publishes[failed_at + 1].acked);
  }
  CHECK(sim::serial_log.find("resent in order after the reconnect") != std::string::npos);
  check_delivery(acked(), 0);
}

TEST(scenario_overflow_drops_oldest_and_counts) {
  // Built with WIO_BUFFER_CAPACITY=16 (see the Makefile): 40 minutes offline = 40 readings.
  boot();
  run_for(60u * 1000u);
  long long first_after = static_cast<long long>(acked().size());
  sim::ap_up = false;
  run_for(40u * 60u * 1000u);
  sim::ap_up = true;
  run_for(3u * 60u * 1000u);
  std::vector<sim::Publish> got = acked();
  std::vector<sim::Publish> after(got.begin() + first_after, got.end());
  CHECK(g_outbox.dropped_full() >= 20u);
  // After the gap, seq continues contiguously from the oldest reading still buffered.
  if (!after.empty()) {
    long long start = field(after[0].payload, "seq");
    CHECK(start > first_after);  // readings were dropped: a visible gap in seq
    check_delivery(after, start);
  }
  bool shows_drop = false;
  for (ScreenText::iterator it = g_screen.begin(); it != g_screen.end(); ++it)
    shows_drop = shows_drop || (it->second.find("Buf ") != std::string::npos && it->second.find("drop 0") == std::string::npos);
  CHECK(shows_drop);
}

TEST(scenario_button_a_publishes_now) {
  boot();
  run_for(2u * 60u * 1000u + 5000u);
  size_t before = acked().size();
  sim::button_a_down = true;
  run_for(200);
  sim::button_a_down = false;
  run_for(2000);
  std::vector<sim::Publish> got = acked();
  CHECK_EQ(got.size(), before + 1u);
  check_delivery(got, 0);
}

TEST(scenario_failed_sensor_is_omitted) {
  // Built with WIO_SENSOR=WIO_SENSOR_DHT11 and a line that never answers.
  boot();
  run_for(3u * 60u * 1000u);
  std::vector<sim::Publish> got = acked();
  CHECK(!got.empty());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].payload.find("temperature") == std::string::npos);
    CHECK(got[i].payload.find("humidity") == std::string::npos);
    CHECK(got[i].payload.find("null") == std::string::npos);
    CHECK_EQ(field(got[i].payload, "light"), 300);
  }
  check_delivery(got, 0);
}

const char kAlertTopic[] = "device/wio-terminal-01/alerts";
// 2024-05-01 03:11:00 UTC = 12:11 JST, a minute after the simulated boot.
const char kAlertJump[] =
    "{\"id\":\"a1b2c3d4\",\"ts\":1714533060,\"kind\":\"jump\",\"field\":\"temperature\",\"value\":35.2,\"expected\":24.1}";

void broker_outage(uint32_t down_ms) {
  sim::broker_up = false;
  run_for(down_ms);
  sim::broker_up = true;
  run_for(3u * 60u * 1000u);
}

TEST(scenario_alerts_retained_once_ack_clear_bad) {
  sim::retained[kAlertTopic] = kAlertJump;  // waiting on the broker before the board boots
  boot();
  run_for(2u * 60u * 1000u);
  // Subscribed after the connect; the retained alert arrived, beeped once, shows in JST.
  CHECK_EQ(sim::subscribes.size(), static_cast<size_t>(1));
  CHECK_EQ(sim::deliveries, 1);
  CHECK_EQ(sim::beeps(), 1);
  if (sim::buzzer.size() >= 3) {  // off at setup, on, off again ~150 ms later
    CHECK(sim::buzzer[1].second != 0);
    CHECK_EQ(sim::buzzer[2].second, 0);
    uint64_t on_ms = sim::buzzer[2].first - sim::buzzer[1].first;
    CHECK(on_ms >= 150u && on_ms < 300u);
  } else {
    CHECK(sim::buzzer.size() >= 3u);
  }
  CHECK(screen_has("jump 05/01 12:11 JST"));
  CHECK(screen_has("temperature 35.2 (24.1)"));
  CHECK(g_lcd.at(2, wio::kBannerTop + 1) == wio::kRed);
  CHECK(sim::serial_log.find("[alert] new a1b2c3d4 jump temperature") != std::string::npos);

  // Reconnect: subscribed again, the retained alert re-delivered, silent, still shown.
  broker_outage(60000u);
  CHECK_EQ(sim::subscribes.size(), static_cast<size_t>(2));
  CHECK(!sim::subscribes.empty() && sim::subscribes.back().session >= 2);
  CHECK_EQ(sim::deliveries, 2);
  CHECK_EQ(sim::beeps(), 1);
  CHECK(screen_has("jump 05/01 12:11 JST"));
  CHECK(sim::serial_log.find("[alert] already seen a1b2c3d4") != std::string::npos);

  // The 5-way press acknowledges: the banner goes, the publish line is back.
  press(&sim::button_press_down);
  CHECK(!screen_has("jump 05/01"));
  CHECK(screen_has("Pub: OK"));
  CHECK(g_lcd.at(2, wio::kBannerTop + 1) != wio::kRed);

  // Re-delivered after another reconnect: stays acknowledged and silent.
  int before = sim::deliveries;
  broker_outage(60000u);
  CHECK(sim::deliveries > before);
  CHECK_EQ(sim::beeps(), 1);
  CHECK(!screen_has("jump 05/01"));

  // Malformed: ignored, counted on the screen, the state untouched.
  sim::detector_publish(kAlertTopic, "{\"id\":\"x\",\"ts\":\"soon\"}", false);
  run_for(2000);
  CHECK(sim::serial_log.find("[alert] bad alert ignored (wrong value type), 1 so far") != std::string::npos);
  CHECK(screen_has("bad alert 1"));
  CHECK_EQ(sim::beeps(), 1);

  // A new id, 200 bytes (the longest the detector may send): fits the read buffer, beeps.
  std::string big = "{\"id\":\"b200\",\"ts\":1714533400,\"kind\":\"silent\",\"pad\":\"";
  big += std::string(200 - big.size() - 2, 'x') + "\"}";
  CHECK_EQ(big.size(), static_cast<size_t>(200));
  sim::detector_publish(kAlertTopic, big, true);
  run_for(2000);
  CHECK_EQ(sim::oversized_packets, 0);
  CHECK(sim::mqtt_connected);
  CHECK_EQ(sim::beeps(), 2);
  CHECK(screen_has("silent 05/01 12:16 JST"));
  CHECK(screen_has("no readings"));

  // The detector clears the retained alert with an empty payload: the banner goes.
  sim::detector_publish(kAlertTopic, "", true);
  run_for(2000);
  CHECK(!screen_has("silent 05/01"));
  CHECK(sim::retained.empty());
  CHECK(sim::serial_log.find("[alert] cleared") != std::string::npos);
  CHECK_EQ(sim::beeps(), 2);

  check_delivery(acked(), 0);  // telemetry was never disturbed
  CHECK(sim::max_wdt_gap_ms < 64000u);
}

TEST(scenario_refused_subscription_keeps_publishing) {
  // The device policy lacks Subscribe/Receive on the alerts topic: the broker refuses and
  // the library closes the connection. Publishing must go on, and a retry comes an hour later.
  sim::refuse_subscribe = true;
  boot();
  run_for(10u * 60u * 1000u);
  std::vector<sim::Publish> got = acked();
  CHECK(got.size() >= 9u);
  check_delivery(got, 0);
  CHECK_EQ(sim::subscribes.size(), static_cast<size_t>(1));
  CHECK(sim::serial_log.find("[mqtt] SUBSCRIBE device/wio-terminal-01/alerts failed") != std::string::npos);
  CHECK(screen_has("alerts refused"));
  sim::refuse_subscribe = false;  // the infra colleague fixed the policy
  run_for(52u * 60u * 1000u);
  CHECK_EQ(sim::subscribes.size(), static_cast<size_t>(2));
  CHECK(!sim::subscribes.empty() && sim::subscribes.back().granted);
  CHECK(!screen_has("alerts refused"));
  got = acked();
  CHECK(got.size() >= 60u);
  check_delivery(got, 0);
}

TEST(scenario_buttons_switch_chart_field) {
  boot();
  run_for(3u * 60u * 1000u);
  CHECK(screen_has("Temperature C"));
  press(&sim::button_b_down);
  CHECK(screen_has("Humidity %"));
  CHECK(!screen_has("Temperature C"));
  int cyan = 0;
  for (int y = 100; y < 200; ++y)
    for (int x = 34; x < 316; ++x) cyan += g_lcd.at(x, y) == wio::kCyan;
  CHECK(cyan > 10);
  press(&sim::button_b_down);
  CHECK(screen_has("Light (raw)"));
  press(&sim::button_b_down);
  CHECK(screen_has("Temperature C"));
  press(&sim::button_c_down);
  CHECK(screen_has("Light (raw)"));
  press(&sim::button_c_down);
  CHECK(screen_has("Humidity %"));
  CHECK(acked().size() >= 3u);  // buttons B and C do not publish
  check_delivery(acked(), 0);
}

int main(int argc, char** argv) {
  const char* only = NULL;
  const char* screenshot = NULL;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--verbose") == 0) {
      sim::verbose = true;
    } else if (strcmp(argv[i], "--screenshot") == 0 && i + 1 < argc) {
      screenshot = argv[++i];
    } else if (strcmp(argv[i], "--payloads") == 0 && i + 1 < argc) {
      g_payload_out = fopen(argv[++i], "a");
    } else {
      only = argv[i];
    }
  }
  if (only == NULL) {
    fprintf(stderr, "usage: sketch_sim SCENARIO [--verbose] [--payloads FILE] [--screenshot FILE]\n");
    return 2;
  }
  int passed = 0, failed = 0;
  for (harness::Case* c = harness::head(); c != NULL; c = c->next) {
    if (strcmp(c->name, only) != 0) continue;
    harness::current_failures() = 0;
    c->fn();
    if (harness::current_failures() == 0) ++passed; else ++failed;
    if (harness::current_failures() != 0 && !sim::verbose) {
      fprintf(stderr, "---- serial log of %s (last 3000 chars)\n%s\n", c->name,
              sim::serial_log.substr(sim::serial_log.size() > 3000 ? sim::serial_log.size() - 3000 : 0).c_str());
    }
  }
  if (g_payload_out) fclose(g_payload_out);
  if (screenshot != NULL && !png::write_file(screenshot, png::encode(g_lcd.pixels(), Framebuffer::kW, Framebuffer::kH))) {
    fprintf(stderr, "could not write %s\n", screenshot);
    ++failed;
  }
  printf("%s: %d passed, %d failed\n", only, passed, failed);
  return failed == 0 && passed == 1 ? 0 : 1;
}
