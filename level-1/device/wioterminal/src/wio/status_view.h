// The text of the status screen, built from a plain struct so it is host-testable. The
// sketch draws each line with TFT_eSPI and redraws only lines whose text changed.
#ifndef WIO_STATUS_VIEW_H
#define WIO_STATUS_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "link.h"
#include "payload.h"
#include "text.h"

namespace wio {

const int kStatusLines = 9;
const size_t kStatusWidth = 26;  // 320 px at TFT text size 2 (12 px per character)

enum PublishState {
  kPublishNone = 0,  // nothing published yet this boot
  kPublishOk,
  kPublishFailed,
  kPublishConfigError,  // the thing name is not valid: fix arduino_secrets.h
};

struct StatusModel {
  const char* thing_name;
  const char* sensor_name;
  LinkPhase phase;
  bool wifi_connecting;   // an attempt is running right now
  bool mqtt_connecting;
  uint32_t retry_in_s;    // seconds until the next attempt of the failing step
  bool has_rssi;
  int32_t rssi;
  bool time_valid;
  uint32_t epoch_now;
  int32_t utc_offset_s;   // display only (JST = +32400); payloads are always UTC epoch
  bool has_reading;
  Measurement last_reading;
  PublishState publish_state;
  uint32_t last_publish_epoch;
  int32_t last_error;     // MQTT client error code of the last failure
  uint32_t sent_total;
  uint32_t buffered;
  uint32_t capacity;
  uint32_t dropped;
  uint32_t uptime_s;
};

typedef char StatusLines[kStatusLines][kStatusWidth + 1];

inline void render_status(const StatusModel& s, StatusLines out) {
  for (int i = 0; i < kStatusLines; ++i) out[i][0] = '\0';

  { TextWriter w(out[0], kStatusWidth + 1);
    w.str(s.thing_name != NULL && s.thing_name[0] != '\0' ? s.thing_name : "(no thing name)"); }

  { TextWriter w(out[1], kStatusWidth + 1);
    w.str("WiFi: ");
    if (s.phase != kPhaseWifiDown) {
      w.str("OK");
      if (s.has_rssi) w.put(' ').i32(s.rssi).str("dBm");
    } else if (s.wifi_connecting) {
      w.str("connecting...");
    } else {
      w.str("down, retry ").u32(s.retry_in_s).put('s');
    } }

  { TextWriter w(out[2], kStatusWidth + 1);
    w.str("MQTT: ");
    if (s.phase == kPhaseOnline) {
      w.str("connected");
    } else if (s.mqtt_connecting) {
      w.str("connecting...");
    } else if (s.phase == kPhaseMqttDown) {
      w.str("down, retry ").u32(s.retry_in_s).put('s');
    } else if (s.phase == kPhaseNeedTime) {
      w.str("waiting for time");
    } else {
      w.str("waiting for WiFi");
    } }

  { TextWriter w(out[3], kStatusWidth + 1);
    if (s.time_valid) {
      write_datetime(w, s.epoch_now, s.utc_offset_s).put(' ');
      if (s.utc_offset_s == 0) {
        w.str("UTC");
      } else {
        int32_t off = s.utc_offset_s;
        w.put(off < 0 ? '-' : '+');
        uint32_t mag = static_cast<uint32_t>(off < 0 ? -off : off);
        w.u32_padded(mag / 3600u, 2);
        if ((mag % 3600u) / 60u != 0) w.put(':').u32_padded((mag % 3600u) / 60u, 2);
      }
    } else {
      w.str("Time: not synced");
    } }

  { TextWriter w(out[4], kStatusWidth + 1);
    w.str("T ");
    if (s.has_reading && (s.last_reading.flags & kHasTemperature)) {
      w.tenths(s.last_reading.temperature_dC).put('C');
    } else {
      w.str("--");
    }
    w.str(" H ");
    if (s.has_reading && (s.last_reading.flags & kHasHumidity)) {
      w.tenths(s.last_reading.humidity_dPct).put('%');
    } else {
      w.str("--");
    }
    w.str(" L ");
    if (s.has_reading && (s.last_reading.flags & kHasLight)) {
      w.i32(s.last_reading.light);
    } else {
      w.str("--");
    } }

  { TextWriter w(out[5], kStatusWidth + 1);
    w.str("Pub: ");
    switch (s.publish_state) {
      case kPublishNone:
        w.str("none yet");
        break;
      case kPublishOk:
        w.str("OK ");
        write_clock(w, s.last_publish_epoch, s.utc_offset_s);
        break;
      case kPublishFailed:
        w.str("FAILED err ").i32(s.last_error);
        break;
      case kPublishConfigError:
        w.str("bad thing name");
        break;
    } }

  { TextWriter w(out[6], kStatusWidth + 1);
    w.str("Sent ").u32(s.sent_total); }

  { TextWriter w(out[7], kStatusWidth + 1);
    w.str("Buf ").u32(s.buffered).put('/').u32(s.capacity).str(" drop ").u32(s.dropped); }

  { TextWriter w(out[8], kStatusWidth + 1);
    w.str(s.sensor_name != NULL ? s.sensor_name : "?").str(" up ");
    uint32_t d = s.uptime_s / 86400u, h = (s.uptime_s / 3600u) % 24u, m = (s.uptime_s / 60u) % 60u;
    if (d > 0) w.u32(d).put('d');
    w.u32_padded(h, 2).put('h').u32_padded(m, 2).put('m'); }
}

}  // namespace wio

#endif  // WIO_STATUS_VIEW_H
