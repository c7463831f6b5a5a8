// Decides, once per loop, which connectivity step to try next: Wi-Fi, then NTP time, then
// MQTT. Each step has its own exponential backoff with jitter; between attempts the loop
// keeps reading sensors, drawing the screen and feeding the watchdog. The sketch performs
// the step and reports the outcome; this class holds no hardware and is host-tested.
#ifndef WIO_LINK_H
#define WIO_LINK_H

#include <stdint.h>

#include "backoff.h"

namespace wio {

enum LinkAction {
  kLinkIdle = 0,        // nothing to do now (online, or waiting for a backoff to expire)
  kLinkConnectWifi,     // call WiFi.begin(...) (blocks for one attempt)
  kLinkSyncTime,        // send an SNTP request (non-blocking; report with time_result)
  kLinkConnectMqtt,     // TLS + MQTT CONNECT (blocks for one attempt, bounded by timeouts)
};

enum LinkPhase {
  kPhaseWifiDown = 0,
  kPhaseNeedTime,   // Wi-Fi up, clock not valid yet: nothing can be published
  kPhaseMqttDown,   // Wi-Fi up, clock valid, broker not connected
  kPhaseOnline,
};

struct LinkTimings {
  uint32_t wifi_base_ms;
  uint32_t wifi_cap_ms;
  uint32_t mqtt_base_ms;
  uint32_t mqtt_cap_ms;
  uint32_t ntp_base_ms;
  uint32_t ntp_cap_ms;
  uint32_t resync_ms;  // re-sync the clock this often while it is valid
};

inline LinkTimings default_link_timings() {
  LinkTimings t;
  t.wifi_base_ms = 2000;
  t.wifi_cap_ms = 60000;
  t.mqtt_base_ms = 2000;
  t.mqtt_cap_ms = 120000;
  t.ntp_base_ms = 2000;
  t.ntp_cap_ms = 60000;
  t.resync_ms = 3600000;
  return t;
}

class Link {
 public:
  explicit Link(const LinkTimings& t)
      : t_(t),
        wifi_backoff_(t.wifi_base_ms, t.wifi_cap_ms),
        mqtt_backoff_(t.mqtt_base_ms, t.mqtt_cap_ms),
        ntp_backoff_(t.ntp_base_ms, t.ntp_cap_ms),
        wifi_next_ms_(0),
        mqtt_next_ms_(0),
        ntp_next_ms_(0),
        last_sync_ms_(0),
        have_synced_(false),
        ntp_in_flight_(false),
        phase_(kPhaseWifiDown) {}

  // wifi_up / mqtt_up: what the drivers report now; time_valid: Clock::valid().
  LinkAction poll(uint32_t now_ms, bool wifi_up, bool mqtt_up, bool time_valid) {
    if (!wifi_up) {
      phase_ = kPhaseWifiDown;
      ntp_in_flight_ = false;
      return time_reached(now_ms, wifi_next_ms_) ? kLinkConnectWifi : kLinkIdle;
    }
    if (!time_valid) {
      phase_ = kPhaseNeedTime;
      if (!ntp_in_flight_ && time_reached(now_ms, ntp_next_ms_)) {
        ntp_in_flight_ = true;
        return kLinkSyncTime;
      }
      return kLinkIdle;
    }
    if (!mqtt_up) {
      phase_ = kPhaseMqttDown;
      if (time_reached(now_ms, mqtt_next_ms_)) return kLinkConnectMqtt;
    } else {
      phase_ = kPhaseOnline;
    }
    // Periodic re-sync; the clock keeps running meanwhile, so it never blocks publishing.
    if (!ntp_in_flight_ && have_synced_ && now_ms - last_sync_ms_ >= t_.resync_ms &&
        time_reached(now_ms, ntp_next_ms_)) {
      ntp_in_flight_ = true;
      return kLinkSyncTime;
    }
    return kLinkIdle;
  }

  void wifi_result(bool ok, uint32_t now_ms, uint32_t random32) {
    if (ok) {
      wifi_backoff_.reset();
      mqtt_next_ms_ = now_ms;  // try the broker straight away
      ntp_next_ms_ = now_ms;
    } else {
      wifi_next_ms_ = now_ms + wifi_backoff_.next_delay_ms(random32);
    }
  }

  // Wi-Fi was up and is now down: the first reconnect attempt is immediate, later ones back off.
  void wifi_lost(uint32_t now_ms) { wifi_next_ms_ = now_ms; }

  void time_result(bool ok, uint32_t now_ms, uint32_t random32) {
    ntp_in_flight_ = false;
    if (ok) {
      ntp_backoff_.reset();
      have_synced_ = true;
      last_sync_ms_ = now_ms;
    } else {
      ntp_next_ms_ = now_ms + ntp_backoff_.next_delay_ms(random32);
    }
  }

  void mqtt_result(bool ok, uint32_t now_ms, uint32_t random32) {
    if (ok) {
      mqtt_backoff_.reset();
    } else {
      mqtt_next_ms_ = now_ms + mqtt_backoff_.next_delay_ms(random32);
    }
  }

  // The session dropped (keep-alive lost, publish not acknowledged). Reconnect after a short
  // jittered pause; repeated drops grow the pause through the backoff.
  void mqtt_lost(uint32_t now_ms, uint32_t random32) {
    mqtt_next_ms_ = now_ms + mqtt_backoff_.next_delay_ms(random32);
  }

  LinkPhase phase() const { return phase_; }
  bool ntp_in_flight() const { return ntp_in_flight_; }

  // Seconds until the next attempt of the current phase's step (for the screen).
  uint32_t retry_in_s(uint32_t now_ms) const {
    uint32_t next;
    switch (phase_) {
      case kPhaseWifiDown: next = wifi_next_ms_; break;
      case kPhaseNeedTime: next = ntp_next_ms_; break;
      case kPhaseMqttDown: next = mqtt_next_ms_; break;
      default: return 0;
    }
    if (time_reached(now_ms, next)) return 0;
    return (next - now_ms + 999u) / 1000u;
  }

  uint32_t wifi_failures() const { return wifi_backoff_.failures(); }
  uint32_t mqtt_failures() const { return mqtt_backoff_.failures(); }
  uint32_t ntp_failures() const { return ntp_backoff_.failures(); }

 private:
  LinkTimings t_;
  Backoff wifi_backoff_;
  Backoff mqtt_backoff_;
  Backoff ntp_backoff_;
  uint32_t wifi_next_ms_;
  uint32_t mqtt_next_ms_;
  uint32_t ntp_next_ms_;
  uint32_t last_sync_ms_;
  bool have_synced_;
  bool ntp_in_flight_;
  LinkPhase phase_;
};

}  // namespace wio

#endif  // WIO_LINK_H
