// The alert parser (good input and every class of bad input), the monitor's once-per-id
// beep, acknowledgement and clearing, the subscribe gate and the banner text.
#include <string.h>

#include <string>

#include "harness.h"
#include "wio.h"

using namespace wio;

namespace {

const char kGood[] =
    "{\"id\":\"a1b2c3d4\",\"ts\":1764640000,\"kind\":\"jump\",\"field\":\"temperature\",\"value\":35.2,\"expected\":24.1}";

AlertParse parse(const std::string& s, Alert* a) { return parse_alert(s.data(), s.size(), a); }

// kGood with `from` replaced by `to`.
std::string good_with(const char* from, const char* to) {
  std::string s = kGood;
  size_t at = s.find(from);
  if (at == std::string::npos) return "(pattern not in kGood)";
  return s.replace(at, strlen(from), to);
}

std::string with_nul_in_id() {
  std::string s = kGood;
  s[8] = '\0';  // inside "a1b2c3d4"
  return s;
}

}  // namespace

TEST(alert_parses_the_detector_format) {
  Alert a;
  CHECK_EQ(parse(kGood, &a), kAlertParsed);
  CHECK_STR(a.id, "a1b2c3d4");
  CHECK_EQ(a.ts, 1764640000u);
  CHECK_EQ(a.kind, kAlertJump);
  CHECK_STR(kPayloadFieldNames[a.field], "temperature");
  CHECK(a.has_value && a.has_expected);
  CHECK_EQ(a.value_tenths, 352);
  CHECK_EQ(a.expected_tenths, 241);
}

TEST(alert_optional_parts_and_other_orders) {
  Alert a;
  CHECK_EQ(parse("{\"id\":\"x\",\"ts\":1764640000,\"kind\":\"silent\"}", &a), kAlertParsed);
  CHECK_EQ(a.kind, kAlertSilent);
  CHECK_EQ(a.field, -1);
  CHECK(!a.has_value && !a.has_expected);
  // Key order and JSON whitespace do not matter; unknown keys with scalar values are skipped.
  CHECK_EQ(parse(" { \"kind\" : \"stuck\" , \"field\":\"humidity\",\"ts\":1764640000,\"id\":\"A-_9\","
                 "\"score\":-1.5e3,\"note\":\"say \\\"hi\\\" \\u00e9\",\"ok\":true,\"x\":null,\"y\":false } ",
                 &a),
           kAlertParsed);
  CHECK_EQ(a.kind, kAlertStuck);
  CHECK_STR(a.id, "A-_9");
  CHECK_STR(kPayloadFieldNames[a.field], "humidity");
  CHECK_EQ(parse(good_with("\"jump\"", "\"deviation\""), &a), kAlertParsed);
  CHECK_EQ(a.kind, kAlertDeviation);
  CHECK_EQ(parse(good_with("a1b2c3d4", "0123456789abcdef"), &a), kAlertParsed);  // 16 chars
}

TEST(alert_numbers_round_to_tenths) {
  struct { const char* text; int32_t tenths; } cases[] = {
      {"35.2", 352}, {"-4.05", -41}, {"0", 0}, {"0.04", 0}, {"0.05", 1}, {"-0.05", -1},
      {"1e-05", 0}, {"2.5E+1", 250}, {"12", 120}, {"100000000", 1000000000}, {"0.000000000000000000000001", 0},
      {"123456789012345678901e-13", 123456789},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
    Alert a;
    AlertParse r = parse(good_with("35.2", cases[i].text), &a);
    CHECK_EQ(r, kAlertParsed);
    if (r == kAlertParsed) CHECK_EQ(a.value_tenths, cases[i].tenths);
  }
}

TEST(alert_empty_payload_means_cleared) {
  Alert a;
  CHECK_EQ(parse_alert("", 0, &a), kAlertEmpty);
}

TEST(alert_bad_input_is_refused_and_leaves_the_output_alone) {
  struct { std::string text; AlertParse expect; } cases[] = {
      // truncated, at every byte boundary of a few points
      {std::string(kGood, 1), kAlertSyntax},
      {std::string(kGood, 10), kAlertSyntax},
      {std::string(kGood, sizeof(kGood) - 2), kAlertSyntax},
      {"not json", kAlertSyntax},
      {"[1,2]", kAlertSyntax},
      {std::string(kGood) + "x", kAlertSyntax},
      {std::string(kGood) + "{}", kAlertSyntax},
      {good_with(",\"expected\"", ",,\"expected\""), kAlertSyntax},
      {good_with("}", ",}"), kAlertSyntax},
      {good_with("\"id\"", "id"), kAlertSyntax},
      {with_nul_in_id(), kAlertSyntax},
      // too long
      {good_with("\"value\"", (std::string("\"pad\":\"") + std::string(120, 'x') + "\",\"value\"").c_str()), kAlertTooLong},
      // wrong types
      {good_with("1764640000", "\"1764640000\""), kAlertWrongType},
      {good_with("35.2", "\"35.2\""), kAlertWrongType},
      {good_with("35.2", "null"), kAlertWrongType},
      {good_with("35.2", "true"), kAlertWrongType},
      {good_with("\"jump\"", "3"), kAlertWrongType},
      // unknown kind, bad field, bad id
      {good_with("jump", "spike"), kAlertBadKind},
      {good_with("jump", "JUMP"), kAlertBadKind},
      {good_with("\"jump\"", "\"j\\u0075mp\""), kAlertBadKind},
      {good_with("temperature", "pressure"), kAlertBadField},
      {good_with("a1b2c3d4", ""), kAlertBadId},
      {good_with("a1b2c3d4", "0123456789abcdefg"), kAlertBadId},  // 17 chars
      {good_with("a1b2c3d4", "a1b2 c3d4"), kAlertBadId},
      {good_with("a1b2c3d4", "a1/b2"), kAlertBadId},
      {good_with("a1b2c3d4", "a\\u0031"), kAlertBadId},
      // nested objects and arrays, known or unknown key
      {good_with("35.2", "{\"v\":35.2}"), kAlertNested},
      {good_with("\"jump\"", "[\"jump\"]"), kAlertNested},
      {good_with("\"value\"", "\"meta\":{\"a\":1},\"value\""), kAlertNested},
      {good_with("\"value\"", "\"list\":[],\"value\""), kAlertNested},
      // huge and malformed numbers
      {good_with("35.2", "100000000.1"), kAlertBadNumber},
      {good_with("35.2", "1e300"), kAlertBadNumber},
      {good_with("35.2", "-99999999999999999999999999999999999999999999999"), kAlertBadNumber},
      {good_with("35.2", "035"), kAlertBadNumber},
      {good_with("35.2", "35."), kAlertSyntax},
      {good_with("35.2", ".5"), kAlertSyntax},
      {good_with("35.2", "+5"), kAlertSyntax},
      {good_with("35.2", "1e"), kAlertSyntax},
      {good_with("35.2", "NaN"), kAlertSyntax},
      {good_with("35.2", "Infinity"), kAlertSyntax},
      {good_with("35.2", "3.5.2"), kAlertSyntax},
      // timestamps: integer epoch seconds inside the payload schema's window
      {good_with("1764640000", "1764640000.5"), kAlertBadTimestamp},
      {good_with("1764640000", "1.76464e9"), kAlertBadTimestamp},
      {good_with("1764640000", "-1764640000"), kAlertBadTimestamp},
      {good_with("1764640000", "1577836799"), kAlertBadTimestamp},
      {good_with("1764640000", "4102444801"), kAlertBadTimestamp},
      {good_with("1764640000", "99999999999999999999"), kAlertBadTimestamp},
      // duplicate keys, missing keys
      {good_with("\"value\":35.2", "\"value\":35.2,\"value\":1"), kAlertDuplicateKey},
      {good_with("\"id\":\"a1b2c3d4\"", "\"id\":\"a1b2c3d4\",\"id\":\"other\""), kAlertDuplicateKey},
      {"{}", kAlertMissingKey},
      {"{\"id\":\"a\",\"ts\":1764640000,\"kind\":\"jump\"}", kAlertMissingKey},  // field needed
      {"{\"ts\":1764640000,\"kind\":\"silent\"}", kAlertMissingKey},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
    Alert a;
    memset(&a, 0x5A, sizeof(a));
    Alert before = a;
    AlertParse r = parse(cases[i].text, &a);
    if (r != cases[i].expect) {
      harness::fail(__FILE__, __LINE__, "case " + harness::show(i) + " " + cases[i].text + ": got " +
                                            alert_parse_name(r) + ", expected " + alert_parse_name(cases[i].expect));
    }
    CHECK(memcmp(&a, &before, sizeof(a)) == 0);
  }
}

TEST(alert_parser_survives_every_truncation_and_byte_flip) {
  // No input may crash (the sanitizer build checks reads) or parse into garbage.
  std::string good = kGood;
  for (size_t n = 0; n < good.size(); ++n) {
    Alert a;
    AlertParse r = parse(good.substr(0, n), &a);
    CHECK(n == 0 ? r == kAlertEmpty : r != kAlertParsed);
  }
  for (size_t i = 0; i < good.size(); ++i) {
    for (int b = 0; b < 256; b += 7) {
      std::string s = good;
      s[i] = static_cast<char>(b);
      Alert a;
      if (parse(s, &a) == kAlertParsed) {
        CHECK(strlen(a.id) >= 1 && strlen(a.id) <= kAlertIdMax);
        CHECK(a.kind >= kAlertDeviation && a.kind < kAlertKindCount);
        CHECK(a.field >= -1 && a.field < kPayloadFieldCount);
      }
    }
  }
}

TEST(alert_monitor_new_repeat_ack_clear_bad) {
  AlertMonitor m;
  CHECK(!m.showing());
  CHECK_EQ(m.receive(kGood, strlen(kGood)), kAlertEventNew);
  CHECK(m.showing());
  CHECK_STR(m.current().id, "a1b2c3d4");
  // The same id again (retained, after a reconnect): no second beep, banner unchanged.
  CHECK_EQ(m.receive(kGood, strlen(kGood)), kAlertEventRepeat);
  CHECK(m.showing());
  CHECK(m.acknowledge());
  CHECK(!m.showing());
  CHECK(!m.acknowledge());
  // Re-delivered after the acknowledgement: stays acknowledged.
  CHECK_EQ(m.receive(kGood, strlen(kGood)), kAlertEventRepeat);
  CHECK(!m.showing());
  // Bad input: counted, the state untouched.
  std::string next = good_with("a1b2c3d4", "e5f6");
  CHECK_EQ(m.receive(next.data(), next.size()), kAlertEventNew);
  CHECK_EQ(m.receive("{\"id\":", 6), kAlertEventBad);
  std::string old_ts = "{\"id\":\"zz\",\"ts\":1,\"kind\":\"jump\",\"field\":\"light\"}";
  CHECK_EQ(m.receive(old_ts.data(), old_ts.size()), kAlertEventBad);
  CHECK_EQ(m.bad_count(), 2u);
  CHECK_EQ(m.last_error(), kAlertBadTimestamp);
  CHECK(m.showing());
  CHECK_STR(m.current().id, "e5f6");
  // Empty retained payload: cleared.
  CHECK_EQ(m.receive("", 0), kAlertEventCleared);
  CHECK(!m.showing());
  CHECK_STR(m.current().id, "e5f6");
}

TEST(alert_topic_is_built_from_the_thing_name) {
  char topic[kTopicBufferSize];
  CHECK(build_alert_topic(topic, sizeof(topic), "wio-terminal-01"));
  CHECK_STR(topic, "device/wio-terminal-01/alerts");
  std::string longest(kThingNameMax, 'a');
  CHECK(build_alert_topic(topic, sizeof(topic), longest.c_str()));
  CHECK_EQ(strlen(topic), static_cast<size_t>(7 + kThingNameMax + 7));
  CHECK(!build_alert_topic(topic, sizeof(topic), "bad/name"));
  CHECK_STR(topic, "");
}

TEST(subscribe_gate_backs_off_after_a_refusal) {
  SubscribeGate g(3600000u);
  CHECK(g.should_subscribe(0));
  g.refused(1000);
  CHECK(g.refused());
  CHECK(!g.should_subscribe(2000));
  CHECK(!g.should_subscribe(1000 + 3599999u));
  CHECK(g.should_subscribe(1000 + 3600000u));
  g.accepted();
  CHECK(!g.refused());
  CHECK(g.should_subscribe(5));
  g.refused(0xFFFFFF00u);  // across the millis() wrap
  CHECK(!g.should_subscribe(0x00000100u));
}

TEST(one_shot_timer_fires_once) {
  OneShotTimer t(150);
  CHECK(!t.expired(0));
  t.start(0xFFFFFFF0u);
  CHECK(t.running());
  CHECK(!t.expired(0x00000010u));
  CHECK(t.expired(0x00000090u));
  CHECK(!t.expired(0x00000100u));
  CHECK(!t.running());
}

TEST(alert_banner_text_in_local_time) {
  Alert a;
  CHECK_EQ(parse(kGood, &a), kAlertParsed);
  char l1[kStatusWidth + 1], l2[kStatusWidth + 1];
  write_alert_lines(a, 32400, "JST", l1, l2, sizeof(l1));
  CHECK_STR(l1, "jump 12/02 10:46 JST");  // 1764640000 = 2025-12-02 01:46:40 UTC
  CHECK_STR(l2, "temperature 35.2 (24.1)");
  CHECK_EQ(parse("{\"id\":\"s\",\"ts\":1764640000,\"kind\":\"silent\"}", &a), kAlertParsed);
  write_alert_lines(a, 32400, "JST", l1, l2, sizeof(l1));
  CHECK_STR(l1, "silent 12/02 10:46 JST");
  CHECK_STR(l2, "no readings");
  // Values far from the usual still fit the line (cut at 26 columns, never past it).
  CHECK_EQ(parse(good_with("35.2", "-99999999.9"), &a), kAlertParsed);
  write_alert_lines(a, 32400, "JST", l1, l2, sizeof(l1));
  CHECK(strlen(l2) <= kStatusWidth);
}
