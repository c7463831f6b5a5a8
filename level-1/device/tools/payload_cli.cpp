// payload_cli: prints the exact JSON payload the Wio Terminal sketch publishes for the
// readings given on the command line. It calls the same make_measurement() and
// format_payload() the board runs (wioterminal/src/wio/payload.h), so tests can validate the
// board's bytes against the JSON Schema without a board.
//
//   payload_cli --device-id wio-001 --timestamp 1640995200
//               --temperature 25.5 --humidity 60.2 --light 312 [--rssi -61] [--seq 7]
//
// A sensor that is absent or failed is given as `nan` (or left out) and is omitted from the
// JSON, as on the board. The sketch always sends seq, and rssi while Wi-Fi reports one; give
// --seq/--rssi to reproduce those fields. --topic prints the MQTT topic instead. --fields
// prints the payload field names the firmware knows (alerts name one of them), one a line.
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "payload.h"

namespace {

const char kUsage[] =
    "usage: payload_cli --device-id ID --timestamp EPOCH_SECONDS\n"
    "                   [--temperature C|nan] [--humidity PCT|nan] [--light 0..1023|nan]\n"
    "                   [--rssi DBM] [--seq N] [--topic]\n"
    "       payload_cli --fields\n"
    "Prints the JSON the Wio Terminal sketch publishes for these readings (one line).\n";

int usage_error(const char* msg, const char* arg) {
  fprintf(stderr, "payload_cli: %s%s%s\n%s", msg, arg ? ": " : "", arg ? arg : "", kUsage);
  return 2;
}

bool parse_float(const char* s, float* out) {
  if (s == NULL || *s == '\0') return false;
  errno = 0;
  char* end = NULL;
  float v = strtof(s, &end);
  if (end == s || *end != '\0') return false;
  // Overflow to +/-inf is kept: the sketch omits it like any out-of-range value.
  *out = v;
  return true;
}

bool is_nan_word(const char* s) { return s != NULL && strcasecmp(s, "nan") == 0; }

bool parse_long(const char* s, long long lo, long long hi, long long* out) {
  if (s == NULL || *s == '\0') return false;
  errno = 0;
  char* end = NULL;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end != '\0' || errno != 0 || v < lo || v > hi) return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const char* device_id = NULL;
  const char* timestamp_arg = NULL;
  float temperature = NAN;
  float humidity = NAN;
  long long light = -1;
  bool has_rssi = false;
  long long rssi = 0;
  bool has_seq = false;
  long long seq = 0;
  bool topic_only = false;

  for (int i = 1; i < argc; ++i) {
    const char* opt = argv[i];
    if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
      fputs(kUsage, stdout);
      return 0;
    }
    if (strcmp(opt, "--fields") == 0) {
      for (int f = 0; f < wio::kPayloadFieldCount; ++f) printf("%s\n", wio::kPayloadFieldNames[f]);
      return 0;
    }
    if (strcmp(opt, "--topic") == 0) {
      topic_only = true;
      continue;
    }
    if (i + 1 >= argc) return usage_error("missing value for", opt);
    const char* val = argv[++i];
    if (strcmp(opt, "--device-id") == 0) {
      device_id = val;
    } else if (strcmp(opt, "--timestamp") == 0) {
      timestamp_arg = val;
    } else if (strcmp(opt, "--temperature") == 0) {
      if (!parse_float(val, &temperature)) return usage_error("not a number (use nan for absent)", val);
    } else if (strcmp(opt, "--humidity") == 0) {
      if (!parse_float(val, &humidity)) return usage_error("not a number (use nan for absent)", val);
    } else if (strcmp(opt, "--light") == 0) {
      if (is_nan_word(val)) {
        light = -1;
      } else if (!parse_long(val, -2147483647LL, 2147483647LL, &light)) {
        return usage_error("light must be an integer or nan", val);
      }
    } else if (strcmp(opt, "--rssi") == 0) {
      if (!parse_long(val, -2147483647LL, 2147483647LL, &rssi)) return usage_error("rssi must be an integer", val);
      has_rssi = true;
    } else if (strcmp(opt, "--seq") == 0) {
      if (!parse_long(val, 0, 4294967295LL, &seq)) return usage_error("seq must be 0..4294967295", val);
      has_seq = true;
    } else {
      return usage_error("unknown option", opt);
    }
  }

  if (device_id == NULL) return usage_error("--device-id is required", NULL);

  if (topic_only) {
    char topic[wio::kTopicBufferSize];
    if (!wio::build_topic(topic, sizeof(topic), device_id)) {
      fprintf(stderr, "payload_cli: %s\n", wio::payload_error_name(wio::kPayloadBadDeviceId));
      return 1;
    }
    printf("%s\n", topic);
    return 0;
  }

  if (timestamp_arg == NULL) return usage_error("--timestamp is required", NULL);
  long long ts = 0;
  if (!parse_long(timestamp_arg, 0, 4294967295LL, &ts)) {
    return usage_error("timestamp must be epoch seconds (0..4294967295)", timestamp_arg);
  }

  wio::Measurement m = wio::make_measurement(0, static_cast<uint32_t>(seq), temperature, humidity,
                                             static_cast<int32_t>(light));
  if (!has_seq) m.flags = static_cast<uint8_t>(m.flags & ~wio::kHasSeq);
  m.timestamp = static_cast<uint32_t>(ts);

  if (!(m.flags & wio::kHasTemperature) && !isnan(temperature))
    fprintf(stderr, "payload_cli: note: temperature %g is outside -40..125: omitted, as on the board\n",
            static_cast<double>(temperature));
  if (!(m.flags & wio::kHasHumidity) && !isnan(humidity))
    fprintf(stderr, "payload_cli: note: humidity %g is outside 0..100: omitted, as on the board\n",
            static_cast<double>(humidity));
  if (!(m.flags & wio::kHasLight) && light >= 0)
    fprintf(stderr, "payload_cli: note: light %lld is outside 0..1023: omitted, as on the board\n", light);

  char payload[wio::kPayloadBufferSize];
  wio::PayloadError err = wio::kPayloadOk;
  size_t n = wio::format_payload(payload, sizeof(payload), device_id, m, has_rssi,
                                 static_cast<int32_t>(rssi), &err);
  if (n == 0) {
    fprintf(stderr, "payload_cli: %s\n", wio::payload_error_name(err));
    return 1;
  }
  fwrite(payload, 1, n, stdout);
  fputc('\n', stdout);
  return 0;
}
