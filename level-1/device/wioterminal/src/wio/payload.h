// The MQTT topic and JSON payload, exactly as level-1/schema/sensor-payload.schema.json
// defines them. The sketch and the host program payload_cli both call format_payload(), so
// the bytes the tests validate are the bytes the board publishes.
#ifndef WIO_PAYLOAD_H
#define WIO_PAYLOAD_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "text.h"

namespace wio {

// Schema limits.
const uint32_t kTimestampMin = 1577836800u;  // 2020-01-01T00:00:00Z
const uint32_t kTimestampMax = 4102444800u;  // 2100-01-01T00:00:00Z
const size_t kThingNameMax = 128;
const int32_t kTemperatureMinTenths = -400;  // -40.0 degC
const int32_t kTemperatureMaxTenths = 1250;  // 125.0 degC
const int32_t kHumidityMinTenths = 0;        // 0.0 %RH
const int32_t kHumidityMaxTenths = 1000;     // 100.0 %RH
const int32_t kLightMin = 0;
const int32_t kLightMax = 1023;
const int32_t kRssiMin = -127;
const int32_t kRssiMax = 0;

// The payload's field names, in schema order (the pytest checks compare them with the
// schema's properties through `payload_cli --fields`). Alerts name one of them.
const char* const kPayloadFieldNames[] = {"device_id", "timestamp", "temperature", "humidity",
                                          "light",     "rssi",      "seq"};
const int kPayloadFieldCount = static_cast<int>(sizeof(kPayloadFieldNames) / sizeof(kPayloadFieldNames[0]));

// "device/" + 128 + "/data" + NUL = 141; "/alerts" makes it 143.
const size_t kTopicBufferSize = 144;
// Longest payload: 128-char id, every field at its widest, seq 4294967295: 246 bytes
// (the host tests check this bound). 256 leaves room and is what the MQTT buffers assume.
const size_t kPayloadBufferSize = 256;

// AWS IoT thing names: 1..128 of [a-zA-Z0-9:_-]. The schema's device_id pattern is the same,
// so a valid thing name never needs JSON escaping.
inline bool is_valid_thing_name(const char* s) {
  if (s == NULL) return false;
  size_t n = 0;
  for (; s[n] != '\0'; ++n) {
    if (n >= kThingNameMax) return false;
    char c = s[n];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == ':' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return n > 0;
}

// device/<thing>/data. Returns false (and writes "") for an invalid name or a short buffer.
inline bool build_topic(char* out, size_t cap, const char* thing) {
  if (out == NULL || cap == 0) return false;
  out[0] = '\0';
  if (!is_valid_thing_name(thing)) return false;
  TextWriter w(out, cap);
  w.str("device/").str(thing).str("/data");
  if (!w.ok()) {
    out[0] = '\0';
    return false;
  }
  return true;
}

// One reading as the offline buffer keeps it: already rounded to the schema's resolution,
// 20 bytes, so the buffer's RAM cost is exact. A sensor that is absent, failed or out of
// range has its flag cleared and is omitted from the JSON; nothing is ever made up.
struct Measurement {
  uint32_t timestamp;        // epoch seconds; 0 until the clock is valid (see Outbox)
  uint32_t taken_ms;         // millis() when the reading was taken
  uint32_t seq;              // per-boot counter; a gap shows readings dropped when full
  int16_t temperature_dC;    // tenths of a degree Celsius
  int16_t humidity_dPct;     // tenths of a percent RH
  int16_t light;             // raw 10-bit analogRead value
  uint8_t flags;             // kHas* bits
  uint8_t reserved;
};

const uint8_t kHasTemperature = 0x01;
const uint8_t kHasHumidity = 0x02;
const uint8_t kHasLight = 0x04;
const uint8_t kHasSeq = 0x08;

// Rounds v to tenths, half away from zero, in single precision (the sensors' type; the host
// and the Cortex-M4F FPU give identical results). False for NaN, infinity or a value whose
// rounded form falls outside [lo, hi] tenths.
inline bool quantize_tenths(float v, int32_t lo_tenths, int32_t hi_tenths, int16_t* out) {
  if (!(v == v)) return false;                // NaN
  if (v > 4000.0f || v < -4000.0f) return false;  // also rejects +/-inf before lroundf
  long t = lroundf(v * 10.0f);
  if (t < lo_tenths || t > hi_tenths) return false;
  *out = static_cast<int16_t>(t);
  return true;
}

// Builds a measurement from what the sensors returned. Pass NAN for a temperature or humidity
// that could not be read and a negative light for no light reading.
inline Measurement make_measurement(uint32_t taken_ms, uint32_t seq, float temperature_c,
                                    float humidity_pct, int32_t light_raw) {
  Measurement m;
  m.timestamp = 0;
  m.taken_ms = taken_ms;
  m.seq = seq;
  m.temperature_dC = 0;
  m.humidity_dPct = 0;
  m.light = 0;
  m.flags = kHasSeq;
  m.reserved = 0;
  if (quantize_tenths(temperature_c, kTemperatureMinTenths, kTemperatureMaxTenths,
                      &m.temperature_dC)) {
    m.flags |= kHasTemperature;
  }
  if (quantize_tenths(humidity_pct, kHumidityMinTenths, kHumidityMaxTenths, &m.humidity_dPct)) {
    m.flags |= kHasHumidity;
  }
  if (light_raw >= kLightMin && light_raw <= kLightMax) {
    m.light = static_cast<int16_t>(light_raw);
    m.flags |= kHasLight;
  }
  return m;
}

enum PayloadError {
  kPayloadOk = 0,
  kPayloadBadDeviceId,
  kPayloadBadTimestamp,
  kPayloadBufferTooSmall,
};

inline const char* payload_error_name(PayloadError e) {
  switch (e) {
    case kPayloadOk:
      return "ok";
    case kPayloadBadDeviceId:
      return "device_id must be 1-128 of [a-zA-Z0-9:_-]";
    case kPayloadBadTimestamp:
      return "timestamp must be epoch seconds in 2020-01-01..2100-01-01";
    case kPayloadBufferTooSmall:
      return "payload buffer too small";
  }
  return "unknown";
}

// Writes one JSON object, no whitespace, keys in schema order:
//   {"device_id":"wio-001","timestamp":1640995200,"temperature":25.5,"humidity":60.2,
//    "light":312,"rssi":-61,"seq":7}
// rssi is included when has_rssi and in range. Returns the length, or 0 with *err set
// (then out holds "").
inline size_t format_payload(char* out, size_t cap, const char* device_id, const Measurement& m,
                             bool has_rssi, int32_t rssi, PayloadError* err) {
  PayloadError dummy;
  if (err == NULL) err = &dummy;
  *err = kPayloadOk;
  if (out == NULL || cap == 0) {
    *err = kPayloadBufferTooSmall;
    return 0;
  }
  out[0] = '\0';
  if (!is_valid_thing_name(device_id)) {
    *err = kPayloadBadDeviceId;
    return 0;
  }
  if (m.timestamp < kTimestampMin || m.timestamp > kTimestampMax) {
    *err = kPayloadBadTimestamp;
    return 0;
  }
  TextWriter w(out, cap);
  w.str("{\"device_id\":\"").str(device_id).str("\",\"timestamp\":").u32(m.timestamp);
  if (m.flags & kHasTemperature) w.str(",\"temperature\":").tenths(m.temperature_dC);
  if (m.flags & kHasHumidity) w.str(",\"humidity\":").tenths(m.humidity_dPct);
  if (m.flags & kHasLight) w.str(",\"light\":").i32(m.light);
  if (has_rssi && rssi >= kRssiMin && rssi <= kRssiMax) w.str(",\"rssi\":").i32(rssi);
  if (m.flags & kHasSeq) w.str(",\"seq\":").u32(m.seq);
  w.put('}');
  if (!w.ok()) {
    out[0] = '\0';
    *err = kPayloadBufferTooSmall;
    return 0;
  }
  return w.length();
}

}  // namespace wio

#endif  // WIO_PAYLOAD_H
