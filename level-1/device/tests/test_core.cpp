// Backoff, ring buffer, scheduler, clock/NTP, outbox, link supervisor.
#include <set>
#include <string>
#include <vector>

#include "harness.h"
#include "wio.h"

using namespace wio;

// ------------------------------------------------------------------ backoff
TEST(backoff_delays_stay_within_bounds) {
  Backoff b(2000, 60000);
  XorShift32 rng(12345);
  for (uint32_t k = 0; k < 40; ++k) {
    uint64_t ceiling = 2000ull << (k < 20 ? k : 20);
    if (ceiling > 60000) ceiling = 60000;
    CHECK_EQ(b.ceiling_ms(), static_cast<uint32_t>(ceiling));
    for (int draw = 0; draw < 50; ++draw) {
      Backoff copy = b;
      uint32_t d = copy.next_delay_ms(rng.next());
      CHECK(d >= ceiling / 2);
      CHECK(d <= ceiling);
      CHECK(d >= 1000u);   // never below base/2
      CHECK(d <= 60000u);  // never above cap
    }
    b.next_delay_ms(rng.next());
    CHECK_EQ(b.failures(), k + 1);
  }
}

TEST(backoff_extreme_random_values_and_saturation) {
  Backoff b(1000, 30000);
  CHECK_EQ(b.next_delay_ms(0), 500u);
  CHECK_EQ(b.next_delay_ms(0xFFFFFFFFu) <= 2000u, true);
  for (int i = 0; i < 100000; ++i) b.next_delay_ms(0xFFFFFFFFu);
  CHECK_EQ(b.ceiling_ms(), 30000u);
  uint32_t d = b.next_delay_ms(0xFFFFFFFFu);
  CHECK(d >= 15000u && d <= 30000u);
  b.reset();
  CHECK_EQ(b.failures(), 0u);
  CHECK_EQ(b.ceiling_ms(), 1000u);
}

TEST(backoff_degenerate_configuration) {
  Backoff zero(0, 0);
  CHECK(zero.next_delay_ms(7) <= 1u);
  Backoff inverted(5000, 100);  // cap below base: cap raised to base
  CHECK_EQ(inverted.cap_ms(), 5000u);
  uint32_t d = inverted.next_delay_ms(99);
  CHECK(d >= 2500u && d <= 5000u);
  Backoff huge(0x80000000u, 0xFFFFFFFFu);
  huge.next_delay_ms(1);
  huge.next_delay_ms(1);
  CHECK_EQ(huge.ceiling_ms(), 0xFFFFFFFFu);
}

TEST(backoff_jitter_spreads_a_fleet) {
  // 100 boards that lost power together must not retry in lock-step.
  std::set<uint32_t> distinct;
  for (uint32_t board = 1; board <= 100; ++board) {
    XorShift32 rng(mix_seed(0x1234u, board));
    Backoff b(2000, 60000);
    b.next_delay_ms(rng.next());
    distinct.insert(b.next_delay_ms(rng.next()));
  }
  CHECK(distinct.size() > 90u);
}

TEST(time_reached_across_millis_wrap) {
  CHECK(time_reached(10, 10));
  CHECK(!time_reached(9, 10));
  CHECK(time_reached(5, 0xFFFFFFF0u));  // deadline just before the wrap, now after it
  CHECK(!time_reached(0xFFFFFFF0u, 5));
}

// ------------------------------------------------------------------ ring buffer
TEST(ring_buffer_fifo_order) {
  RingBuffer<int, 4> rb;
  CHECK(rb.empty());
  CHECK(!rb.pop());
  for (int i = 0; i < 3; ++i) CHECK(!rb.push(i));
  CHECK_EQ(rb.size(), static_cast<size_t>(3));
  CHECK_EQ(rb.front(), 0);
  CHECK_EQ(rb.at(2), 2);
  CHECK(rb.pop());
  CHECK_EQ(rb.front(), 1);
}

TEST(ring_buffer_overflow_drops_oldest_and_counts) {
  RingBuffer<int, 4> rb;
  int dropped_flags = 0;
  for (int i = 0; i < 10; ++i) dropped_flags += rb.push(i) ? 1 : 0;
  CHECK_EQ(dropped_flags, 6);
  CHECK_EQ(rb.dropped(), 6u);
  CHECK(rb.full());
  std::vector<int> got;
  while (!rb.empty()) {
    got.push_back(rb.front());
    rb.pop();
  }
  CHECK_EQ(got.size(), static_cast<size_t>(4));
  for (size_t i = 0; i < got.size(); ++i) CHECK_EQ(got[i], static_cast<int>(6 + i));
}

TEST(ring_buffer_long_run_wraps_consistently) {
  RingBuffer<uint32_t, 7> rb;
  uint32_t next_in = 0, next_out = 0;
  XorShift32 rng(99);
  for (int step = 0; step < 20000; ++step) {
    if (rng.next() % 3 != 0) {
      if (rb.push(next_in++)) ++next_out;  // the oldest went away
    } else if (!rb.empty()) {
      CHECK_EQ(rb.front(), next_out);
      rb.pop();
      ++next_out;
    }
    CHECK_EQ(rb.size(), static_cast<size_t>(next_in - next_out));
  }
  CHECK_EQ(rb.dropped() + next_out - rb.dropped(), next_out);
}

TEST(ring_buffer_capacity_one) {
  RingBuffer<int, 1> rb;
  CHECK(!rb.push(1));
  CHECK(rb.push(2));
  CHECK_EQ(rb.front(), 2);
  CHECK_EQ(rb.dropped(), 1u);
  rb.clear();
  CHECK(rb.empty());
}

// ------------------------------------------------------------------ scheduler
TEST(scheduler_first_reading_immediately_then_fixed_cadence) {
  ReadingScheduler s(60000);
  CHECK(!s.due(0));
  s.start(1000);
  CHECK(s.due(1000));
  s.mark_taken(1300);  // the reading itself took 300 ms
  CHECK(!s.due(60999));
  CHECK(s.due(61000));  // anchored at start, not at 1300 + interval
  s.mark_taken(61000);
  CHECK_EQ(s.ms_until_due(61000), 60000u);
  CHECK(s.due(121000));
}

TEST(scheduler_skips_missed_slots_after_a_stall) {
  ReadingScheduler s(10000);
  s.start(0);
  s.mark_taken(0);
  // A 35 s blocking connect: one reading now, not a burst of three.
  CHECK(s.due(35000));
  s.mark_taken(35000);
  CHECK(!s.due(35001));
  CHECK(!s.due(44999));
  CHECK(s.due(45000));
}

TEST(scheduler_button_a_and_min_gap) {
  ReadingScheduler s(60000, 1000);
  s.start(0);
  s.mark_taken(0);
  CHECK(!s.due(500));
  s.request_now();
  CHECK(s.manual_pending());
  CHECK(!s.due(500));       // within the 1 s minimum gap
  CHECK_EQ(s.ms_until_due(500), 500u);
  CHECK(s.due(1000));
  s.mark_taken(1000);
  CHECK(!s.manual_pending());
  CHECK(!s.due(2000));
  CHECK(s.due(60000));      // the regular slot is unchanged
  // A manual reading just before a regular slot pushes the slot by the gap, no double read.
  s.mark_taken(60000);
  s.request_now();
  CHECK(s.due(119500));
  s.mark_taken(119500);
  CHECK(!s.due(120000));
  CHECK(s.due(120500));
}

TEST(scheduler_across_millis_wrap) {
  ReadingScheduler s(10000);
  uint32_t t0 = 0xFFFFF000u;
  s.start(t0);
  s.mark_taken(t0);
  CHECK(!s.due(t0 + 9999u));
  CHECK(s.due(t0 + 10000u));  // wraps past zero
  CHECK_EQ(s.ms_until_due(t0 + 4000u), 6000u);
}

TEST(scheduler_interval_below_gap_is_raised) {
  ReadingScheduler s(10, 1000);
  CHECK_EQ(s.interval_ms(), 1000u);
}

TEST(periodic_fires_once_per_period) {
  Periodic p(1000);
  CHECK(p.fire(5));
  CHECK(!p.fire(1004));
  CHECK(p.fire(1005));
  p.reset(2000);
  CHECK(!p.fire(2999));
  CHECK(p.fire(3000));
}

// ------------------------------------------------------------------ NTP and clock
namespace {

std::vector<uint8_t> server_reply(uint32_t token_hi, uint32_t token_lo, uint32_t ntp_secs,
                                  uint32_t frac, uint8_t li_vn_mode = 0x24, uint8_t stratum = 2) {
  std::vector<uint8_t> p(48, 0);
  p[0] = li_vn_mode;  // LI 0, version 4, mode 4
  p[1] = stratum;
  put_be32(&p[24], token_hi);
  put_be32(&p[28], token_lo);
  put_be32(&p[32], ntp_secs);  // receive timestamp
  put_be32(&p[40], ntp_secs);
  put_be32(&p[44], frac);
  return p;
}

}  // namespace

TEST(ntp_request_layout) {
  uint8_t pkt[kNtpPacketSize];
  for (size_t i = 0; i < sizeof(pkt); ++i) pkt[i] = 0xAA;
  ntp_build_request(pkt, 0x01020304u, 0xA0B0C0D0u);
  CHECK_EQ(pkt[0], 0x23);  // LI 0, VN 4, mode 3
  for (size_t i = 1; i < 40; ++i) CHECK_EQ(pkt[i], 0);
  CHECK_EQ(get_be32(pkt + 40), 0x01020304u);
  CHECK_EQ(get_be32(pkt + 44), 0xA0B0C0D0u);
}

TEST(ntp_parse_valid_reply) {
  // 2022-01-01T00:00:00.500Z
  std::vector<uint8_t> p = server_reply(7, 8, 1640995200u + kNtpToUnix, 0x80000000u);
  NtpTime t;
  CHECK_EQ(ntp_parse_response(&p[0], p.size(), 7, 8, &t), kNtpOk);
  CHECK_EQ(t.unix_seconds, 1640995200u);
  CHECK_EQ(t.millis, 500u);
  CHECK_EQ(t.stratum, 2);
  // Version 3 servers are fine too.
  p[0] = 0x1C;
  CHECK_EQ(ntp_parse_response(&p[0], p.size(), 7, 8, &t), kNtpOk);
}

TEST(ntp_rejects_bad_replies) {
  NtpTime t;
  uint32_t secs = 1640995200u + kNtpToUnix;
  std::vector<uint8_t> p = server_reply(7, 8, secs, 0);
  CHECK_EQ(ntp_parse_response(&p[0], 47, 7, 8, &t), kNtpShortPacket);
  CHECK_EQ(ntp_parse_response(NULL, 48, 7, 8, &t), kNtpShortPacket);
  CHECK_EQ(ntp_parse_response(&p[0], p.size(), 7, 9, &t), kNtpOriginMismatch);
  p = server_reply(7, 8, secs, 0, 0x23);  // mode 3: our own request reflected
  CHECK_EQ(ntp_parse_response(&p[0], p.size(), 7, 8, &t), kNtpNotServerReply);
  p = server_reply(7, 8, secs, 0, 0x0C);  // version 1
  CHECK_EQ(ntp_parse_response(&p[0], p.size(), 7, 8, &t), kNtpNotServerReply);
  p = server_reply(7, 8, secs, 0, 0xE4);  // LI 3: unsynchronized
  CHECK_EQ(ntp_parse_response(&p[0], p.size(), 7, 8, &t), kNtpUnsynchronized);
  p = server_reply(7, 8, secs, 0, 0x24, 0);  // kiss-of-death
  CHECK_EQ(ntp_parse_response(&p[0], p.size(), 7, 8, &t), kNtpKissOfDeath);
  p = server_reply(7, 8, secs, 0, 0x24, 16);
  CHECK_EQ(ntp_parse_response(&p[0], p.size(), 7, 8, &t), kNtpBadStratum);
  p = server_reply(7, 8, 0, 0);
  CHECK_EQ(ntp_parse_response(&p[0], p.size(), 7, 8, &t), kNtpZeroTransmit);
  p = server_reply(7, 8, 946684800u + kNtpToUnix, 0);  // 2000-01-01: a reset server clock
  CHECK_EQ(ntp_parse_response(&p[0], p.size(), 7, 8, &t), kNtpOutOfRange);
}

TEST(ntp_era_1_after_2036) {
  // 2040-01-01T00:00:00Z = 2208988800 unix; NTP era 1 seconds = unix - 2085978496.
  std::vector<uint8_t> p = server_reply(1, 2, 2208988800u - kNtpEra1ToUnix, 0);
  NtpTime t;
  CHECK_EQ(ntp_parse_response(&p[0], p.size(), 1, 2, &t), kNtpOk);
  CHECK_EQ(t.unix_seconds, 2208988800u);
}

TEST(clock_maps_millis_to_epoch) {
  Clock c;
  uint32_t e = 0;
  CHECK(!c.valid());
  CHECK(!c.epoch_at(0, &e));
  c.set(1640995200u, 250, 10000);  // at millis 10000 it was ...200.250
  CHECK(c.valid());
  CHECK_EQ(c.now(10000), 1640995200u);
  CHECK_EQ(c.now(10749), 1640995200u);
  CHECK_EQ(c.now(10750), 1640995201u);
  CHECK(c.epoch_at(10000 - 5000, &e));  // a reading 5 s before the sync
  CHECK_EQ(e, 1640995195u);
  CHECK(c.epoch_at(10000 - 250, &e));
  CHECK_EQ(e, 1640995200u);
  CHECK(c.epoch_at(10000 - 251, &e));
  CHECK_EQ(e, 1640995199u);
  c.set(1640995200u, 1500, 0);  // fraction above a second is carried
  CHECK_EQ(c.now(0), 1640995201u);
  CHECK_EQ(c.sync_count(), 2u);
}

TEST(clock_across_millis_wrap_and_expiry) {
  Clock c;
  c.set(1700000000u, 0, 0xFFFFFC18u);  // 1 s before millis() wraps
  CHECK_EQ(c.now(0xFFFFFC18u + 5000u), 1700000005u);
  uint32_t e = 0;
  CHECK(c.epoch_at(0xFFFFFC18u + 5000u, &e));
  CHECK_EQ(e, 1700000005u);
  uint32_t t = 0xFFFFFC18u;
  for (int day = 1; day <= 39; ++day) {
    t += 86400000u;
    c.tick(t);
  }
  CHECK(c.valid());
  t += 2u * 86400000u;
  c.tick(t);
  CHECK(!c.valid());  // 41 days without a sync: no more timestamps until the next one
}

// ------------------------------------------------------------------ outbox
namespace {

class FakeBroker : public Publisher {
 public:
  FakeBroker() : up(true), fail_next(0), attempts(0) {}
  bool publish(const char* topic, const char* payload, size_t length) {
    ++attempts;
    if (!up || fail_next > 0) {
      if (fail_next > 0) --fail_next;
      return false;
    }
    if (strlen(payload) != length) return false;
    topics.push_back(topic);
    payloads.push_back(payload);
    return true;
  }
  bool up;
  int fail_next;
  int attempts;
  std::vector<std::string> topics;
  std::vector<std::string> payloads;
};

Measurement sample(uint32_t ms, uint32_t seq) {
  return make_measurement(ms, seq, 20.0f + static_cast<float>(seq % 10), 50.0f, static_cast<int32_t>(seq % 1024));
}

std::string seq_field(const std::string& p) {
  size_t at = p.find("\"seq\":");
  return at == std::string::npos ? "" : p.substr(at + 6, p.size() - at - 7);
}

}  // namespace

TEST(outbox_waits_for_time_then_stamps_retroactively) {
  Outbox<16> box;
  Clock clock;
  FakeBroker broker;
  box.add(sample(1000, 0), clock, 1000);
  box.add(sample(61000, 1), clock, 61000);
  FlushResult r = box.flush(broker, "device/d/data", "d", false, 0, 10);
  CHECK(r.waiting_for_time);
  CHECK_EQ(r.sent, 0u);
  CHECK_EQ(broker.attempts, 0);  // nothing is ever sent without a real timestamp
  clock.set(1700000100u, 0, 100000);
  CHECK_EQ(box.stamp_pending(clock, 100000), static_cast<size_t>(2));
  r = box.flush(broker, "device/d/data", "d", false, 0, 10);
  CHECK_EQ(r.sent, 2u);
  CHECK(broker.payloads.size() == 2u);
  if (broker.payloads.size() == 2u) {
    CHECK(broker.payloads[0].find("\"timestamp\":1700000001,") != std::string::npos);  // 99 s before sync
    CHECK(broker.payloads[1].find("\"timestamp\":1700000061,") != std::string::npos);
    CHECK_STR(broker.topics[0], "device/d/data");
  }
}

TEST(outbox_failed_publish_is_resent_in_order_with_identical_bytes) {
  Outbox<16> box;
  Clock clock;
  clock.set(1700000000u, 0, 0);
  FakeBroker broker;
  for (uint32_t i = 0; i < 5; ++i) box.add(sample(i * 10000, i), clock, i * 10000);
  broker.fail_next = 0;
  FlushResult r = box.flush(broker, "t", "d", true, -60, 2);
  CHECK_EQ(r.sent, 2u);
  CHECK_EQ(box.size(), static_cast<size_t>(3));
  // The PUBACK for seq 2 never comes: the client reports failure and the entry stays.
  broker.fail_next = 1;
  r = box.flush(broker, "t", "d", true, -60, 10);
  CHECK(r.failed);
  CHECK_EQ(r.sent, 0u);
  CHECK_EQ(box.size(), static_cast<size_t>(3));
  r = box.flush(broker, "t", "d", true, -60, 10);
  CHECK(!r.failed);
  CHECK_EQ(r.sent, 3u);
  CHECK(box.empty());
  CHECK_EQ(broker.payloads.size(), static_cast<size_t>(5));
  for (size_t i = 0; i < broker.payloads.size(); ++i) CHECK_STR(seq_field(broker.payloads[i]), std::to_string(i));
  CHECK_EQ(r.last_seq, 4u);
  CHECK_EQ(r.last_timestamp, 1700000040u);
}

TEST(outbox_offline_overflow_keeps_newest_and_sends_in_order) {
  Outbox<64> box;
  Clock clock;
  clock.set(1700000000u, 0, 0);
  FakeBroker broker;
  broker.up = false;
  for (uint32_t i = 0; i < 100; ++i) {
    box.add(sample(i * 60000, i), clock, i * 60000);
    FlushResult r = box.flush(broker, "t", "d", false, 0, 5);
    CHECK(r.failed);
  }
  CHECK_EQ(box.size(), static_cast<size_t>(64));
  CHECK_EQ(box.dropped_full(), 36u);
  broker.up = true;
  uint32_t total = 0;
  for (int loop = 0; loop < 100 && !box.empty(); ++loop) total += box.flush(broker, "t", "d", false, 0, 5).sent;
  CHECK_EQ(total, 64u);
  CHECK_EQ(broker.payloads.size(), static_cast<size_t>(64));
  for (size_t i = 0; i < broker.payloads.size(); ++i) {
    CHECK_STR(seq_field(broker.payloads[i]), std::to_string(36 + i));  // gap 0..35 = dropped
  }
}

TEST(outbox_stamps_strictly_increase_after_small_backward_correction) {
  Outbox<16> box;
  Clock clock;
  clock.set(1700000000u, 0, 0);
  FakeBroker broker;
  box.add(sample(10000, 0), clock, 10000);  // ...010
  // NTP corrects the clock 2 s backwards; the next reading 1 s later would map to ...009.
  clock.set(1700000008u, 0, 11000);
  box.add(sample(11000, 1), clock, 11000);
  box.flush(broker, "t", "d", false, 0, 10);
  CHECK_EQ(broker.payloads.size(), static_cast<size_t>(2));
  if (broker.payloads.size() == 2u) {
    CHECK(broker.payloads[0].find("\"timestamp\":1700000010,") != std::string::npos);
    CHECK(broker.payloads[1].find("\"timestamp\":1700000011,") != std::string::npos);
  }
}

TEST(outbox_drops_readings_too_old_to_stamp) {
  Outbox<8> box;
  Clock clock;
  box.add(sample(0, 0), clock, 0);
  box.add(sample(21u * 86400000u, 1), clock, 21u * 86400000u);
  clock.set(1700000000u, 0, 21u * 86400000u + 1000u);
  box.stamp_pending(clock, 21u * 86400000u + 1000u);
  CHECK_EQ(box.dropped_stale(), 1u);
  CHECK_EQ(box.size(), static_cast<size_t>(1));
  CHECK_EQ(box.oldest().timestamp, 1699999999u);
}

TEST(outbox_bad_thing_name_keeps_data) {
  Outbox<8> box;
  Clock clock;
  clock.set(1700000000u, 0, 0);
  FakeBroker broker;
  box.add(sample(0, 0), clock, 0);
  FlushResult r = box.flush(broker, "t", "bad/name", false, 0, 5);
  CHECK_EQ(r.format_error, kPayloadBadDeviceId);
  CHECK_EQ(broker.attempts, 0);
  CHECK_EQ(box.size(), static_cast<size_t>(1));
}

TEST(outbox_ram_budget) {
  // The default sketch capacity and its cost (printed for the README and the closing note).
  CHECK_EQ(Outbox<512>::capacity(), static_cast<size_t>(512));
  CHECK(Outbox<512>::bytes() >= 512u * 20u);
  CHECK(Outbox<512>::bytes() <= 512u * 20u + 32u);
  printf("  note: Outbox<512> = %u bytes (%u readings x %u bytes + bookkeeping)\n",
         static_cast<unsigned>(Outbox<512>::bytes()), 512u, static_cast<unsigned>(sizeof(Measurement)));
}

// ------------------------------------------------------------------ link supervisor
TEST(link_walks_wifi_time_mqtt_in_order) {
  Link link(default_link_timings());
  CHECK_EQ(link.poll(0, false, false, false), kLinkConnectWifi);
  link.wifi_result(false, 0, 0);
  CHECK_EQ(link.poll(500, false, false, false), kLinkIdle);   // backing off, loop stays free
  CHECK_EQ(link.phase(), kPhaseWifiDown);
  CHECK(link.retry_in_s(500) >= 1u);
  CHECK_EQ(link.poll(2000, false, false, false), kLinkConnectWifi);
  link.wifi_result(true, 2000, 0);
  CHECK_EQ(link.poll(2000, true, false, false), kLinkSyncTime);
  CHECK_EQ(link.poll(2001, true, false, false), kLinkIdle);  // one request in flight
  CHECK_EQ(link.phase(), kPhaseNeedTime);
  link.time_result(false, 4000, 0);
  CHECK_EQ(link.poll(4001, true, false, false), kLinkIdle);
  CHECK_EQ(link.poll(5000, true, false, false), kLinkSyncTime);
  link.time_result(true, 5000, 0);
  CHECK_EQ(link.poll(5000, true, false, true), kLinkConnectMqtt);
  link.mqtt_result(false, 5000, 0xFFFFFFFFu);
  CHECK_EQ(link.poll(5001, true, false, true), kLinkIdle);
  CHECK_EQ(link.phase(), kPhaseMqttDown);
  CHECK_EQ(link.poll(7000, true, false, true), kLinkConnectMqtt);
  link.mqtt_result(true, 7000, 0);
  CHECK_EQ(link.poll(7001, true, true, true), kLinkIdle);
  CHECK_EQ(link.phase(), kPhaseOnline);
  CHECK_EQ(link.retry_in_s(7001), 0u);
}

TEST(link_recovers_from_wifi_loss_and_resyncs_hourly) {
  Link link(default_link_timings());
  link.poll(0, false, false, false);
  link.wifi_result(true, 0, 0);
  link.poll(0, true, false, false);
  link.time_result(true, 0, 0);
  link.poll(0, true, false, true);
  link.mqtt_result(true, 0, 0);
  CHECK_EQ(link.poll(1000, true, true, true), kLinkIdle);
  CHECK_EQ(link.poll(3600000, true, true, true), kLinkSyncTime);  // hourly, while online
  CHECK_EQ(link.poll(3600001, true, true, true), kLinkIdle);
  link.time_result(false, 3601000, 0);  // a failed re-sync keeps the clock and backs off
  CHECK_EQ(link.poll(3601001, true, true, true), kLinkIdle);
  CHECK_EQ(link.poll(3603000, true, true, true), kLinkSyncTime);
  link.time_result(true, 3603000, 0);
  // Wi-Fi drops: the first reconnect attempt is immediate.
  link.wifi_lost(4000000);
  CHECK_EQ(link.poll(4000000, false, false, true), kLinkConnectWifi);
  link.wifi_result(true, 4000100, 0);
  CHECK_EQ(link.poll(4000100, true, false, true), kLinkConnectMqtt);
}

TEST(link_mqtt_drop_backs_off_with_growing_ceiling) {
  Link link(default_link_timings());
  link.wifi_result(true, 0, 0);
  link.time_result(true, 0, 0);
  XorShift32 rng(7);
  uint32_t now = 0;
  for (uint32_t i = 0; i < 10; ++i) {
    link.mqtt_lost(now, rng.next());
    CHECK_EQ(link.poll(now, true, false, true), kLinkIdle);
    uint64_t ceiling_ms = 2000ull << i;
    if (ceiling_ms > 120000u) ceiling_ms = 120000u;
    uint32_t wait_s = link.retry_in_s(now);
    CHECK(wait_s * 1000ull >= ceiling_ms / 2);
    CHECK(wait_s * 1000ull <= ceiling_ms + 999u);
    now += wait_s * 1000u;
    CHECK_EQ(link.poll(now, true, false, true), kLinkConnectMqtt);
  }
  CHECK_EQ(link.mqtt_failures(), 10u);
  link.mqtt_result(true, now, 0);
  CHECK_EQ(link.mqtt_failures(), 0u);
}
